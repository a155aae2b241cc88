#include "server/guards.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/api_error.h"
#include "server/validation.h"
#include "spdlog/spdlog.h"

namespace didban::server {
namespace {

// Checks one parameter value against its schema: integers and booleans are parsed whole first.
absl::Status CheckParam(const ParamSpec& spec, const std::string& text) {
  const std::string type = spec.schema.is_object() ? spec.schema.value("type", "string") : "string";
  nlohmann::json value;
  if (type == "integer") {
    DIDBAN_ASSIGN_OR_RETURN(int64_t v, ParseInt64(spec.name, text));
    value = v;
  } else if (type == "boolean") {
    DIDBAN_ASSIGN_OR_RETURN(bool v, ParseBool(spec.name, text));
    value = v;
  } else {
    value = text;
  }
  return ValidateJson(value, spec.schema, spec.name);
}

}  // namespace

absl::Status GuardChain::Admit(ApiRequest& request, const Route& route) const {
  for (const auto& g : guards_) DIDBAN_RETURN_IF_ERROR(g->Before(request, route));
  return absl::OkStatus();
}

void GuardChain::Finish(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) const {
  for (auto it = guards_.rbegin(); it != guards_.rend(); ++it) (*it)->After(request, route, response, seconds);
}

ApiResponse GuardChain::Handle(ApiRequest& request, const Route& route) const {
  ApiResponse response;
  size_t passed = 0;
  absl::Status refused;
  for (; passed < guards_.size(); ++passed) {
    refused = guards_[passed]->Before(request, route);
    if (!refused.ok()) break;
  }
  if (!refused.ok()) {
    response = ErrorResponse(refused);
  } else if (route.handler) {
    response = route.handler(request);
  }
  return response;
}

absl::Status RequestIdGuard::Before(ApiRequest& request, const Route& /*route*/) {
  auto it = request.headers.find("x-request-id");
  if (it != request.headers.end() && IsValidName(it->second)) {
    request.request_id = it->second;
  } else {
    request.request_id = absl::StrCat("r", next_.fetch_add(1));
  }
  return absl::OkStatus();
}

void RequestIdGuard::After(const ApiRequest& request, const Route* /*route*/, ApiResponse& response,
                           double /*seconds*/) {
  if (!request.request_id.empty()) response.headers.emplace_back("X-Request-Id", request.request_id);
}

absl::Status InputGuard::Before(ApiRequest& request, const Route& route) {
  for (const auto& spec : route.params) {
    if (spec.in == ParamSpec::In::kPath) {
      DIDBAN_RETURN_IF_ERROR(CheckParam(spec, request.path_params[spec.name]));
    }
  }
  std::set<std::string> known;
  for (const auto& spec : route.params) {
    if (spec.in != ParamSpec::In::kQuery) continue;
    known.insert(spec.name);
    auto it = request.query.find(spec.name);
    if (it == request.query.end()) {
      if (spec.required) return InvalidField(spec.name, absl::StrCat(spec.name, ": required"));
      continue;
    }
    DIDBAN_RETURN_IF_ERROR(CheckParam(spec, it->second));
  }
  for (const auto& [key, value] : request.query) {
    if (!known.count(key)) {
      const std::string field = IsValidName(key) ? key : "query";
      return InvalidField(field, absl::StrCat(field, ": unknown query parameter"));
    }
  }
  if (route.request_schema.is_null()) {
    if (!request.body.empty()) return InvalidField("body", "body: this route takes no body");
    return absl::OkStatus();
  }
  auto ct = request.headers.find("content-type");
  const std::string type = ct == request.headers.end() ? "" : absl::AsciiStrToLower(ct->second);
  if (!absl::StartsWith(type, "application/json")) {
    return FieldError(absl::StatusCode::kInvalidArgument, "content-type", "content-type: expected application/json");
  }
  DIDBAN_ASSIGN_OR_RETURN(request.json, ParseJsonObject(request.body));
  return ValidateJson(request.json, route.request_schema, "");
}

absl::Status AccessGuard::Before(ApiRequest& request, const Route& route) {
  return policy_ ? policy_(request, route) : absl::OkStatus();
}

void SecurityHeadersGuard::After(const ApiRequest& request, const Route* /*route*/, ApiResponse& response,
                                 double /*seconds*/) {
  bool has_cache_control = false;
  for (const auto& [k, v] : response.headers)
    has_cache_control = has_cache_control || absl::EqualsIgnoreCase(k, "Cache-Control");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
                                "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  const bool api = request.path.empty() || absl::StartsWith(request.path, "/api/") || request.path == "/metrics" ||
                   request.path == "/healthz" || request.path == "/readyz";
  if (api && !has_cache_control) response.headers.emplace_back("Cache-Control", "no-store");
  if (tls_) response.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
}

MetricsGuard::MetricsGuard(MetricsRegistry& registry)
    : requests_(registry.AddCounter("didban_http_requests_total",
                                    "HTTP requests answered, by route template, "
                                    "method and status code",
                                    {"route", "method", "code"})),
      duration_(registry.AddHistogram("didban_http_request_duration_seconds",
                                      "Time from parsed request to response, by route template", {"route"})) {}

void MetricsGuard::After(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) {
  const std::string label = route ? route->path : "unmatched";
  requests_.WithLabels({label, std::string(MethodName(request.method)), std::to_string(response.status)}).Inc();
  duration_.WithLabels({label}).Observe(seconds);
}

void LogGuard::After(const ApiRequest& request, const Route* /*route*/, ApiResponse& response, double seconds) {
  spdlog::debug("http {} {} -> {} {:.2f} ms id={}", std::string(MethodName(request.method)), request.target,
                response.status, seconds * 1e3, request.request_id);
}

std::unique_ptr<GuardChain> DefaultGuardChain(MetricsRegistry& registry, AccessGuard::Policy policy, bool tls) {
  auto chain = std::make_unique<GuardChain>();
  chain->Add(std::make_unique<SecurityHeadersGuard>(tls));
  chain->Add(std::make_unique<RequestIdGuard>());
  chain->Add(std::make_unique<MetricsGuard>(registry));
  chain->Add(std::make_unique<LogGuard>());
  chain->Add(std::make_unique<AccessGuard>(std::move(policy)));
  chain->Add(std::make_unique<InputGuard>());
  return chain;
}

}  // namespace didban::server
