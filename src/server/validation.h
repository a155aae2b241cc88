// Input checks shared by every route: names (no path traversal), JSON bodies (malformed, too deep, unknown fields)
// and a small JSON Schema subset, the same schemas the OpenAPI document publishes. Every refusal is an
// InvalidArgument status carrying the offending field (api_error.h), so the reply names it. Pure functions.
#ifndef DIDBAN_SERVER_VALIDATION_H_
#define DIDBAN_SERVER_VALIDATION_H_

#include <string>
#include "absl/strings/string_view.h"

#include <nlohmann/json.hpp>

#include "didban/status.h"

namespace didban::server {

// Names of cameras, rules, clips, segments ...: 1 to 64 of [A-Za-z0-9_.-], not starting with '.', so a name can
// never be "..", a hidden file, a path or an SQL fragment.
inline constexpr absl::string_view kNamePattern = "^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$";
bool IsValidName(absl::string_view name);
absl::Status ValidateName(absl::string_view field, absl::string_view name);
// Paging cursors are opaque to clients: up to 256 of [A-Za-z0-9_.:=-] (schema format "cursor").
bool IsValidCursor(absl::string_view cursor);

// Nesting deeper than this is refused before parsing (a 1 MiB body of '[' would otherwise exhaust the stack).
inline constexpr int kMaxJsonDepth = 32;

// Parses a request body that must be one JSON object. Errors name the field "body" and the byte offset.
absl::StatusOr<nlohmann::json> ParseJsonObject(absl::string_view body);

// Validates `value` against a JSON Schema subset: type (object, array, string, integer, number, boolean), properties,
// required, additionalProperties (false refuses unknown fields; a schema object allows those it describes),
// items, enum, minimum, maximum, minLength, maxLength, minItems, maxItems and the formats "name" (IsValidName) and
// "cursor" (IsValidCursor). `path` is the JSON path of `value` ("" for the root); errors name the first offending
// field, e.g. "rules[1].type".
absl::Status ValidateJson(const nlohmann::json& value, const nlohmann::json& schema, const std::string& path = "");

// Parses a whole decimal int64 ("-12"); refuses anything else (spaces, "1e3", "0x10", "1;DROP").
absl::StatusOr<int64_t> ParseInt64(absl::string_view field, absl::string_view text);
// "true"/"false"/"1"/"0".
absl::StatusOr<bool> ParseBool(absl::string_view field, absl::string_view text);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_VALIDATION_H_
