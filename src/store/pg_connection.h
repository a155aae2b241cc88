// PostgreSQL connections for the store (libpqxx 6.4). libpqxx's exceptions are caught here and returned as Status.
#ifndef DIDBAN_STORE_PG_CONNECTION_H_
#define DIDBAN_STORE_PG_CONNECTION_H_

#include <memory>
#include <string>

#include "store/sql.h"

namespace didban::store {

// Connects to `uri` (a libpq connection URI or key=value string).
absl::StatusOr<std::unique_ptr<Connection>> OpenPgConnection(const std::string& uri);

}  // namespace didban::store

#endif  // DIDBAN_STORE_PG_CONNECTION_H_
