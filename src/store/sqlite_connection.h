// SQLite connections for the store (C API): WAL journal, synchronous=NORMAL, a busy timeout, a cache of prepared
// statements per connection.
#ifndef DIDBAN_STORE_SQLITE_CONNECTION_H_
#define DIDBAN_STORE_SQLITE_CONNECTION_H_

#include <memory>
#include <string>

#include "store/sql.h"

namespace didban::store {

// Opens `path` (created when `writer`); readers are query-only. `busy_timeout_us` bounds lock waits.
absl::StatusOr<std::unique_ptr<Connection>> OpenSqliteConnection(const std::string& path, bool writer,
                                                                 int64_t busy_timeout_us);

}  // namespace didban::store

#endif  // DIDBAN_STORE_SQLITE_CONNECTION_H_
