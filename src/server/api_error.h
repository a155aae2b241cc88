// API errors: every refusal the server sends is a JSON body {"error": {"code", "message", "field"}} with a 4xx or
// 5xx status. Handlers and the site backend return absl::Status; FieldError() attaches the name of the offending
// field (a query parameter, a path parameter, or a JSON path such as "rules[1].zone") so the reply can name it.
#ifndef DIDBAN_SERVER_API_ERROR_H_
#define DIDBAN_SERVER_API_ERROR_H_

#include <string>
#include "absl/strings/string_view.h"

#include <nlohmann/json.hpp>

#include "didban/status.h"

namespace didban::server {

// The status payload type URL that carries the offending field's name (the backend may set it too).
inline constexpr absl::string_view kFieldPayloadUrl = "type.didban/field";

// A status with `field` attached; the message should still name the field for logs.
absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view message);
inline absl::Status InvalidField(absl::string_view field, absl::string_view message) {
  return FieldError(absl::StatusCode::kInvalidArgument, field, message);
}
// The field attached by FieldError(), or "" when none.
std::string StatusField(const absl::Status& status);

// What the client receives.
struct ApiError {
  int http_status = 500;
  std::string code;     // stable machine name: "invalid_argument", "not_found", "payload_too_large", ...
  std::string message;  // human-readable, names the field
  std::string field;    // the offending field, "" when the error is not about one field
};

ApiError MakeApiError(int http_status, std::string code, std::string message, std::string field = "");
// absl code -> HTTP status: InvalidArgument/OutOfRange/FailedPrecondition 400 (409 for AlreadyExists), NotFound 404,
// Unimplemented 501, Unavailable 503, PermissionDenied 403, Unauthenticated 401, ResourceExhausted 429, others 500.
ApiError ApiErrorFromStatus(const absl::Status& status);
// {"error": {"code": ..., "message": ..., "field": ...}} ("field" only when set).
nlohmann::json ApiErrorBody(const ApiError& error);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_API_ERROR_H_
