#include "server/validation.h"

#include <charconv>
#include <string>

#include "absl/strings/str_cat.h"
#include "server/api_error.h"

namespace didban::server {
namespace {

std::string Join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

std::string TypeName(const nlohmann::json& v) {
  if (v.is_number_integer()) return "integer";
  if (v.is_number()) return "number";
  return v.type_name();
}

bool HasType(const nlohmann::json& v, const std::string& type) {
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "null") return v.is_null();
  return false;
}

std::string Where(const std::string& path) { return path.empty() ? std::string("body") : path; }

}  // namespace

bool IsValidName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool IsValidCursor(absl::string_view cursor) {
  if (cursor.size() > 256) return false;
  for (char c : cursor) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.' || c == ':' || c == '=';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateName(absl::string_view field, absl::string_view name) {
  if (IsValidName(name)) return absl::OkStatus();
  return InvalidField(field,
                      absl::StrCat(field, ": invalid name (1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.')"));
}

absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view body) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) {
        return InvalidField("body", absl::StrCat("body: JSON nested deeper than ", kMaxJsonDepth, " at byte ", i));
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  nlohmann::json value;
  try {
    value = nlohmann::json::parse(body.begin(), body.end());
  } catch (const nlohmann::json::parse_error& e) {
    return InvalidField("body", absl::StrCat("body: malformed JSON at byte ", e.byte));
  } catch (const nlohmann::json::out_of_range&) {  // a number beyond a double, e.g. 1e309 (found by fuzzing)
    return InvalidField("body", "body: a number is out of range");
  }
  if (!value.is_object()) {
    return InvalidField("body", absl::StrCat("body: expected a JSON object, got ", TypeName(value)));
  }
  return value;
}

absl::Status ValidateJson(const nlohmann::json& value, const nlohmann::json& schema, const std::string& path) {
  if (!schema.is_object()) return absl::OkStatus();
  const std::string where = Where(path);
  if (auto it = schema.find("type"); it != schema.end()) {
    const std::string type = it->get<std::string>();
    if (!HasType(value, type)) {
      return InvalidField(where, absl::StrCat(where, ": expected ", type, ", got ", TypeName(value)));
    }
  }
  if (auto it = schema.find("enum"); it != schema.end()) {
    bool found = false;
    for (const auto& e : *it) found = found || e == value;
    if (!found) return InvalidField(where, absl::StrCat(where, ": must be one of ", it->dump()));
  }
  if (value.is_number()) {
    const double x = value.get<double>();
    if (auto it = schema.find("minimum"); it != schema.end() && x < it->get<double>()) {
      return InvalidField(where, absl::StrCat(where, ": must be >= ", it->dump()));
    }
    if (auto it = schema.find("maximum"); it != schema.end() && x > it->get<double>()) {
      return InvalidField(where, absl::StrCat(where, ": must be <= ", it->dump()));
    }
  }
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (auto it = schema.find("minLength"); it != schema.end() && s.size() < it->get<size_t>()) {
      return InvalidField(where, absl::StrCat(where, ": shorter than ", it->dump(), " characters"));
    }
    if (auto it = schema.find("maxLength"); it != schema.end() && s.size() > it->get<size_t>()) {
      return InvalidField(where, absl::StrCat(where, ": longer than ", it->dump(), " characters"));
    }
    if (auto it = schema.find("format"); it != schema.end() && *it == "name") {
      DIDBAN_RETURN_IF_ERROR(ValidateName(where, s));
    } else if (it != schema.end() && *it == "cursor" && !IsValidCursor(s)) {
      return InvalidField(where, absl::StrCat(where, ": invalid cursor"));
    }
  }
  if (value.is_array()) {
    if (auto it = schema.find("minItems"); it != schema.end() && value.size() < it->get<size_t>()) {
      return InvalidField(where, absl::StrCat(where, ": fewer than ", it->dump(), " items"));
    }
    if (auto it = schema.find("maxItems"); it != schema.end() && value.size() > it->get<size_t>()) {
      return InvalidField(where, absl::StrCat(where, ": more than ", it->dump(), " items"));
    }
    if (auto it = schema.find("items"); it != schema.end()) {
      for (size_t i = 0; i < value.size(); ++i) {
        DIDBAN_RETURN_IF_ERROR(ValidateJson(value[i], *it, absl::StrCat(path, "[", i, "]")));
      }
    }
  }
  if (value.is_object()) {
    static const nlohmann::json kEmpty = nlohmann::json::object();
    auto pit = schema.find("properties");
    const nlohmann::json& props = pit != schema.end() ? *pit : kEmpty;
    if (auto it = schema.find("required"); it != schema.end()) {
      for (const auto& name : *it) {
        const std::string key = name.get<std::string>();
        if (!value.contains(key)) {
          const std::string field = Join(path, key);
          return InvalidField(field, absl::StrCat(field, ": required"));
        }
      }
    }
    const auto additional = schema.find("additionalProperties");
    const bool closed = additional != schema.end() && additional->is_boolean() && !additional->get<bool>();
    for (const auto& [key, item] : value.items()) {
      const std::string field = Join(path, key);
      auto prop = props.find(key);
      if (prop == props.end()) {
        if (closed) return InvalidField(field, absl::StrCat(field, ": unknown field"));
        if (additional != schema.end() && additional->is_object()) {
          DIDBAN_RETURN_IF_ERROR(ValidateJson(item, *additional, field));
        }
        continue;
      }
      DIDBAN_RETURN_IF_ERROR(ValidateJson(item, *prop, field));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ParseInt64(absl::string_view field, absl::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return InvalidField(field, absl::StrCat(field, ": expected an integer"));
  }
  return v;
}

absl::StatusOr<bool> ParseBool(absl::string_view field, absl::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  return InvalidField(field, absl::StrCat(field, ": expected true or false"));
}

}  // namespace didban::server
