// The authentication and administration routes, added to the route table when the server has an auth store:
// POST /api/v1/auth/login, POST /api/v1/auth/logout, GET and PATCH /api/v1/auth/me (every user), and the admin's
// /api/v1/users (add, list, change, remove, grant, revoke) and /api/v1/tokens (create, list, revoke). The contract
// with the web UI is in docs/security.md.
#ifndef DIDBAN_SERVER_AUTH_ROUTES_H_
#define DIDBAN_SERVER_AUTH_ROUTES_H_

#include <nlohmann/json.hpp>

#include "audit/audit_sink.h"
#include "auth/auth_store.h"
#include "server/router.h"

namespace didban::server {

// `store` (and `audit`, nullable) must outlive the router's use. `tls`: session cookies are marked Secure.
absl::Status AddAuthRoutes(auth::AuthStore& store, audit::AuditSink* audit, bool tls, Router& router);

nlohmann::json UserToJson(const auth::User& u);
nlohmann::json TokenToJson(const auth::TokenInfo& t);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_AUTH_ROUTES_H_
