#include "server/api_error.h"

#include <utility>

#include "absl/strings/cord.h"

namespace didban::server {

absl::Status FieldError(absl::StatusCode code, absl::string_view field, absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kFieldPayloadUrl, absl::Cord(field));
  return status;
}

std::string StatusField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayloadUrl);
  return payload ? std::string(*payload) : std::string();
}

ApiError MakeApiError(int http_status, std::string code, std::string message, std::string field) {
  return ApiError{http_status, std::move(code), std::move(message), std::move(field)};
}

ApiError ApiErrorFromStatus(const absl::Status& status) {
  int http = 500;
  std::string code = "internal";
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      http = 400;
      code = "invalid_argument";
      break;
    case absl::StatusCode::kFailedPrecondition:
      http = 409;
      code = "failed_precondition";
      break;
    case absl::StatusCode::kAlreadyExists:
      http = 409;
      code = "already_exists";
      break;
    case absl::StatusCode::kNotFound:
      http = 404;
      code = "not_found";
      break;
    case absl::StatusCode::kUnimplemented:
      http = 501;
      code = "not_implemented";
      break;
    case absl::StatusCode::kUnavailable:
      http = 503;
      code = "unavailable";
      break;
    case absl::StatusCode::kPermissionDenied:
      http = 403;
      code = "forbidden";
      break;
    case absl::StatusCode::kUnauthenticated:
      http = 401;
      code = "unauthenticated";
      break;
    case absl::StatusCode::kResourceExhausted:
      http = 429;
      code = "resource_exhausted";
      break;
    default:
      break;
  }
  return ApiError{http, code, std::string(status.message()), StatusField(status)};
}

nlohmann::json ApiErrorBody(const ApiError& error) {
  nlohmann::json e = {{"code", error.code}, {"message", error.message}};
  if (!error.field.empty()) e["field"] = error.field;
  return {{"error", std::move(e)}};
}

}  // namespace didban::server
