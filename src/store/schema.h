// The store's schema: numbered, forward-only migrations shared by SQLite and PostgreSQL. A migration is never
// edited once released; a change is a new migration with the next number (the audit log of the access-control
// work is expected to be number 2).
#ifndef DIDBAN_STORE_SCHEMA_H_
#define DIDBAN_STORE_SCHEMA_H_

#include <string>
#include <vector>

#include "store/sql.h"

namespace didban::store {

struct Migration {
  int version;       // 1, 2, 3 ... in order, no gaps
  const char* name;  // short description, stored in schema_migrations
  const char* sql;   // statements; "{TEXT}" becomes the dialect's text type (PostgreSQL: TEXT COLLATE "C", so
                     // ordering and keyset comparisons match SQLite's binary collation whatever the server locale)
};

const std::vector<Migration>& Migrations();

// `sql` with the dialect's substitutions made.
std::string ForDialect(const std::string& sql, Dialect d);

// Creates schema_migrations if needed and applies the migrations above the stored version, all in one transaction
// (both backends have transactional DDL) that concurrent openers wait for. Returns the resulting version. An unknown
// newer version (a newer didban wrote the file) is an error.
absl::StatusOr<int> Migrate(Connection& c, Dialect d, int64_t now_us);

}  // namespace didban::store

#endif  // DIDBAN_STORE_SCHEMA_H_
