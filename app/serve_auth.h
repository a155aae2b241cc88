// Access control for `didban serve`: which auth database the server uses, and when it may run without one.
// `--auth on`: <data>/auth.db must hold at least one user (there is no default account; `didban user add NAME --role
// admin --data DATA` makes the first). `--auth off`: no login, every request allowed, and only on a loopback address.
// `--auth auto` (the default): on when auth.db has users; with no users yet, off on a loopback address (with a
// warning) and refused on any other address.
#ifndef DIDBAN_APP_SERVE_AUTH_H_
#define DIDBAN_APP_SERVE_AUTH_H_

#include <memory>
#include <string>

#include "auth/auth_store.h"
#include "didban/status.h"

namespace didban::app {

// The auth database path inside a data folder.
std::string AuthDbPath(const std::string& data);

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopbackAddress(const std::string& address);

// Opens <data>/auth.db according to `mode` ("on", "off", "auto") for a server listening on `address`; nullptr means
// access control is off. Refusals say why and what to do.
absl::StatusOr<std::unique_ptr<auth::AuthStore>> OpenServeAuth(const std::string& mode, const std::string& data,
                                                               const std::string& address);

}  // namespace didban::app

#endif  // DIDBAN_APP_SERVE_AUTH_H_
