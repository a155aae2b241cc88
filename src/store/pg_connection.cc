#include "store/pg_connection.h"

#include <pqxx/pqxx>

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace didban::store {
namespace {

// The URI without its password, for messages.
std::string Redacted(const std::string& uri) {
  const size_t scheme = uri.find("://");
  const size_t at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return uri;
  const size_t colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return absl::StrCat(uri.substr(0, colon), ":***", uri.substr(at));
}

class PgConnection final : public Connection {
 public:
  PgConnection(std::unique_ptr<pqxx::connection> conn, std::string name)
      : conn_(std::move(conn)), name_(std::move(name)) {}
  ~PgConnection() override {
    try {
      txn_.reset();
      conn_.reset();
    } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to do on close
    }
  }

  absl::StatusOr<int64_t> Exec(const std::string& sql, const std::vector<Value>& params) override {
    DIDBAN_ASSIGN_OR_RETURN(pqxx::result r, Run(sql, params));
    return static_cast<int64_t>(r.affected_rows());
  }

  absl::StatusOr<std::vector<Row>> Query(const std::string& sql, const std::vector<Value>& params) override {
    DIDBAN_ASSIGN_OR_RETURN(pqxx::result r, Run(sql, params));
    std::vector<Row> rows;
    rows.reserve(r.size());
    const auto ncols = static_cast<size_t>(r.columns());
    for (const auto& tuple : r) {
      Row row;
      row.cols.reserve(ncols);
      for (const auto& field : tuple) {
        if (field.is_null()) {
          row.cols.emplace_back(std::monostate{});
        } else {
          row.cols.emplace_back(std::string(field.c_str(), field.size()));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  absl::Status ExecScript(const std::string& sql) override {
    return Guard(sql, [&] {
      if (txn_) {
        txn_->exec(sql);
      } else {
        pqxx::nontransaction tx(*conn_);
        tx.exec(sql);
      }
    });
  }

  absl::Status Begin() override {
    return Guard("BEGIN", [&] { txn_ = std::make_unique<pqxx::work>(*conn_); });
  }
  absl::Status Commit() override {
    if (!txn_) return absl::FailedPreconditionError(absl::StrCat("postgresql ", name_, ": commit without begin"));
    absl::Status s = Guard("COMMIT", [&] { txn_->commit(); });
    txn_.reset();
    return s;
  }
  absl::Status Rollback() override {
    absl::Status s = Guard("ROLLBACK", [&] {
      if (txn_) txn_->abort();
    });
    txn_.reset();
    return s;
  }
  bool Broken() const override { return broken_; }

 private:
  absl::StatusOr<pqxx::result> Run(const std::string& sql, const std::vector<Value>& params) {
    // Parameters travel as text (or NULL) in libpq's parameter array, never inside the statement.
    std::vector<std::string> text(params.size());
    std::vector<const char*> ptrs(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      const Value& v = params[i];
      if (const auto* p = std::get_if<int64_t>(&v)) {
        text[i] = std::to_string(*p);
      } else if (const auto* p = std::get_if<double>(&v)) {
        char buf[40];
        std::snprintf(buf, sizeof(buf), "%.17g", *p);
        text[i] = buf;
      } else if (const auto* p = std::get_if<std::string>(&v)) {
        text[i] = *p;
      } else {
        continue;  // NULL
      }
      ptrs[i] = text[i].c_str();
    }
    pqxx::result out;
    absl::Status s = Guard(sql, [&] {
      if (txn_) {
        out = txn_->exec_params(sql, pqxx::prepare::make_dynamic_params(ptrs));
      } else {
        pqxx::nontransaction tx(*conn_);
        out = tx.exec_params(sql, pqxx::prepare::make_dynamic_params(ptrs));
      }
    });
    if (!s.ok()) return s;
    return out;
  }

  template <typename F>
  absl::Status Guard(const std::string& sql, F&& f) {
    try {
      f();
      return absl::OkStatus();
    } catch (const pqxx::broken_connection& e) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("postgresql ", name_, ": connection lost: ", e.what()));
    } catch (const pqxx::in_doubt_error& e) {
      broken_ = true;
      return absl::UnavailableError(absl::StrCat("postgresql ", name_, ": commit in doubt: ", e.what()));
    } catch (const pqxx::sql_error& e) {
      return absl::InternalError(absl::StrCat("postgresql ", name_, ": ", e.what(), " in: ", sql.substr(0, 200)));
    } catch (const std::exception& e) {
      if (!conn_->is_open()) broken_ = true;
      return absl::InternalError(absl::StrCat("postgresql ", name_, ": ", e.what(), " in: ", sql.substr(0, 200)));
    }
  }

  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<pqxx::work> txn_;
  std::string name_;
  bool broken_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Connection>> OpenPgConnection(const std::string& uri) {
  const std::string name = Redacted(uri);
  try {
    auto conn = std::make_unique<pqxx::connection>(uri);
    return std::unique_ptr<Connection>(std::make_unique<PgConnection>(std::move(conn), name));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("postgresql ", name, ": cannot connect: ", e.what()));
  }
}

}  // namespace didban::store
