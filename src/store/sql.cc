#include "store/sql.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace didban::store {

int64_t Row::Int(size_t i) const {
  const Value& v = cols[i];
  if (const auto* p = std::get_if<int64_t>(&v)) return *p;
  if (const auto* p = std::get_if<double>(&v)) return static_cast<int64_t>(*p);
  if (const auto* p = std::get_if<std::string>(&v)) {
    int64_t out = 0;
    if (absl::SimpleAtoi(*p, &out)) return out;
    double d = 0;
    if (absl::SimpleAtod(*p, &d)) return static_cast<int64_t>(d);
  }
  return 0;
}

double Row::Double(size_t i) const {
  const Value& v = cols[i];
  if (const auto* p = std::get_if<double>(&v)) return *p;
  if (const auto* p = std::get_if<int64_t>(&v)) return static_cast<double>(*p);
  if (const auto* p = std::get_if<std::string>(&v)) {
    double out = 0;
    if (absl::SimpleAtod(*p, &out)) return out;
  }
  return 0;
}

std::string Row::Str(size_t i) const {
  const Value& v = cols[i];
  if (const auto* p = std::get_if<std::string>(&v)) return *p;
  if (const auto* p = std::get_if<int64_t>(&v)) return std::to_string(*p);
  if (const auto* p = std::get_if<double>(&v)) return absl::StrCat(*p);
  return "";
}

SqlBuilder& SqlBuilder::Param(Value v) {
  params_.push_back(std::move(v));
  absl::StrAppend(&text_, dialect_ == Dialect::kSqlite ? "?" : "$", params_.size());
  return *this;
}

SqlBuilder& SqlBuilder::ParamList(std::vector<Value> values) {
  text_.push_back('(');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) text_.append(", ");
    Param(std::move(values[i]));
  }
  text_.push_back(')');
  return *this;
}

void AndIn(SqlBuilder& b, std::string_view column, const std::vector<std::string>& values) {
  if (values.empty()) return;
  b.Sql(" AND ").Sql(column).Sql(" IN ");
  std::vector<Value> v(values.begin(), values.end());
  b.ParamList(std::move(v));
}

}  // namespace didban::store
