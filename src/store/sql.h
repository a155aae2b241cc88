// The SQL layer shared by the store's two backends: bound values, result rows, one connection interface, and a
// builder that writes SQL with numbered placeholders in the backend's style (?1 for SQLite, $1 for PostgreSQL).
// Values are only ever bound as parameters; the builder has no way to paste one into the text.
#ifndef DIDBAN_STORE_SQL_H_
#define DIDBAN_STORE_SQL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "didban/status.h"

namespace didban::store {

// A bound value or a result column: NULL, integer, real or text.
using Value = std::variant<std::monostate, int64_t, double, std::string>;

// One result row. PostgreSQL columns arrive as text and are converted on access; SQLite's arrive typed.
struct Row {
  std::vector<Value> cols;
  bool Null(size_t i) const { return std::holds_alternative<std::monostate>(cols[i]); }
  int64_t Int(size_t i) const;      // 0 for NULL
  double Double(size_t i) const;    // 0 for NULL
  std::string Str(size_t i) const;  // "" for NULL
};

enum class Dialect { kSqlite, kPostgres };

// One database connection. Thread-compatible: one thread at a time.
class Connection {
 public:
  virtual ~Connection() = default;
  // Runs a statement; returns the rows it changed.
  virtual absl::StatusOr<int64_t> Exec(const std::string& sql, const std::vector<Value>& params) = 0;
  virtual absl::StatusOr<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params) = 0;
  // Runs statements without parameters (schema migrations), inside the current transaction if one is open.
  virtual absl::Status ExecScript(const std::string& sql) = 0;
  virtual absl::Status Begin() = 0;
  virtual absl::Status Commit() = 0;
  virtual absl::Status Rollback() = 0;
  // True when the connection is lost and must be replaced.
  virtual bool Broken() const = 0;
};

// Makes a new connection; `writer` is false for read-only connections.
using ConnectionFactory = std::function<absl::StatusOr<std::unique_ptr<Connection>>(bool writer)>;

// Builds one statement: text with numbered placeholders and the values bound to them.
class SqlBuilder {
 public:
  explicit SqlBuilder(Dialect d) : dialect_(d) {}
  SqlBuilder& Sql(std::string_view text) {
    text_.append(text);
    return *this;
  }
  // Appends a placeholder bound to `v`.
  SqlBuilder& Param(Value v);
  // Appends "(p1, p2, ...)" bound to `values`.
  SqlBuilder& ParamList(std::vector<Value> values);
  const std::string& text() const { return text_; }
  const std::vector<Value>& params() const { return params_; }
  std::vector<Value>& mutable_params() { return params_; }

 private:
  Dialect dialect_;
  std::string text_;
  std::vector<Value> params_;
};

// Appends " AND <column> IN (...)" for a non-empty list.
void AndIn(SqlBuilder& b, std::string_view column, const std::vector<std::string>& values);

}  // namespace didban::store

#endif  // DIDBAN_STORE_SQL_H_
