#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "store/pg_connection.h"
#include "store/sql_store.h"
#include "store/sqlite_connection.h"
#include "store/store.h"

namespace didban::store {

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return OpenSqlStore(
        "postgresql", Dialect::kPostgres, [url](bool) { return OpenPgConnection(url); }, options);
  }
  std::string path = url;
  if (absl::StartsWith(url, "sqlite://")) {
    path = url.substr(std::string_view("sqlite://").size());
  } else if (url.find("://") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("store: unknown store URL \"", url, "\" (sqlite:///path, a path, or postgresql://...)"));
  }
  if (path.empty()) return absl::InvalidArgumentError("store: empty SQLite path in \"" + url + "\"");
  const int64_t busy = options.busy_timeout_us;
  return OpenSqlStore(
      "sqlite", Dialect::kSqlite, [path, busy](bool writer) { return OpenSqliteConnection(path, writer, busy); },
      options);
}

}  // namespace didban::store
