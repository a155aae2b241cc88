// The one Store implementation over the SQL layer (store/sql.h): a bounded write queue drained by one writer thread
// in batched transactions, a pool of read connections, and the SQL of every query written once for both dialects.
// SQLite and PostgreSQL differ only in their Connection and their placeholder style.
#ifndef DIDBAN_STORE_SQL_STORE_H_
#define DIDBAN_STORE_SQL_STORE_H_

#include <memory>
#include <string>

#include "store/sql.h"
#include "store/store.h"

namespace didban::store {

// Opens a store on `factory` (the writer connection is opened and the schema migrated before it returns).
absl::StatusOr<std::unique_ptr<Store>> OpenSqlStore(std::string backend, Dialect dialect, ConnectionFactory factory,
                                                    const StoreOptions& options);

}  // namespace didban::store

#endif  // DIDBAN_STORE_SQL_STORE_H_
