#include "store/sqlite_connection.h"

#include <sqlite3.h>

#include <unordered_map>

#include "absl/strings/str_cat.h"

namespace didban::store {
namespace {

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  absl::StatusOr<int64_t> Exec(const std::string& sql, const std::vector<Value>& params) override {
    DIDBAN_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return Error("step", sql, rc, stmt);
    sqlite3_reset(stmt);
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  absl::StatusOr<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params) override {
    DIDBAN_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql, params));
    std::vector<Row> rows;
    const int n = sqlite3_column_count(stmt);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row r;
      r.cols.reserve(n);
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_INTEGER:
            r.cols.emplace_back(static_cast<int64_t>(sqlite3_column_int64(stmt, i)));
            break;
          case SQLITE_FLOAT:
            r.cols.emplace_back(sqlite3_column_double(stmt, i));
            break;
          case SQLITE_NULL:
            r.cols.emplace_back(std::monostate{});
            break;
          default: {
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
            r.cols.emplace_back(std::string(text ? text : "", static_cast<size_t>(sqlite3_column_bytes(stmt, i))));
          }
        }
      }
      rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) return Error("step", sql, rc, stmt);
    sqlite3_reset(stmt);
    return rows;
  }

  absl::Status ExecScript(const std::string& sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      return absl::InternalError(absl::StrCat("sqlite ", path_, ": ", msg, " in: ", sql.substr(0, 200)));
    }
    return absl::OkStatus();
  }

  absl::Status Begin() override { return ExecScript("BEGIN IMMEDIATE"); }
  absl::Status Commit() override { return ExecScript("COMMIT"); }
  absl::Status Rollback() override {
    if (sqlite3_get_autocommit(db_)) return absl::OkStatus();
    return ExecScript("ROLLBACK");
  }
  bool Broken() const override { return false; }

 private:
  absl::StatusOr<sqlite3_stmt*> Prepare(const std::string& sql, const std::vector<Value>& params) {
    sqlite3_stmt* stmt = nullptr;
    auto it = cache_.find(sql);
    if (it != cache_.end()) {
      stmt = it->second;
      sqlite3_reset(stmt);
      sqlite3_clear_bindings(stmt);
    } else {
      int rc =
          sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
      if (rc != SQLITE_OK) return Error("prepare", sql, rc, nullptr);
      if (cache_.size() >= kMaxCached) {  // bounded: multi-row inserts of many sizes would grow it
        for (auto& [s, st] : cache_) sqlite3_finalize(st);
        cache_.clear();
      }
      cache_.emplace(sql, stmt);
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      const Value& v = params[i];
      if (const auto* p = std::get_if<int64_t>(&v)) {
        rc = sqlite3_bind_int64(stmt, idx, *p);
      } else if (const auto* p = std::get_if<double>(&v)) {
        rc = sqlite3_bind_double(stmt, idx, *p);
      } else if (const auto* p = std::get_if<std::string>(&v)) {
        rc = sqlite3_bind_text64(stmt, idx, p->data(), p->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(stmt, idx);
      }
      if (rc != SQLITE_OK) return Error("bind", sql, rc, stmt);
    }
    return stmt;
  }

  absl::Status Error(const char* what, const std::string& sql, int rc, sqlite3_stmt* stmt) {
    std::string msg = absl::StrCat("sqlite ", path_, ": ", what, ": ", sqlite3_errmsg(db_), " (", sqlite3_errstr(rc),
                                   ") in: ", sql.substr(0, 200));
    if (stmt) sqlite3_reset(stmt);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) return absl::UnavailableError(msg);
    return absl::InternalError(msg);
  }

  static constexpr size_t kMaxCached = 256;
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenSqliteConnection(const std::string& path, bool writer,
                                                                 int64_t busy_timeout_us) {
  sqlite3* db = nullptr;
  const int flags = writer ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX)
                           : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return absl::UnavailableError(absl::StrCat("sqlite ", path, ": cannot open: ", msg));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout_us / 1000));
  auto conn = std::make_unique<SqliteConnection>(db, path);
  DIDBAN_RETURN_IF_ERROR(
      conn->ExecScript(writer ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" : "PRAGMA query_only=ON;"));
  return std::unique_ptr<Connection>(std::move(conn));
}

}  // namespace didban::store
