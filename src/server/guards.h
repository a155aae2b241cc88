// Guards before handlers: every request passes one chain of guards after routing and before its handler, so a new
// route cannot forget them. Today's chain: request id, input checks (parameters and body against the route's
// schemas), access (lets everything through: the server binds 127.0.0.1), metrics and logging. Authentication,
// roles, CSRF and audit are later guards added to the same chain; the route's `access` already says what each
// needs. Header and body size limits are enforced earlier, by the HTTP parser, before the body is read.
// A GuardChain is immutable once the server starts; Before/After are called concurrently from I/O threads, so
// guards are thread-safe.
#ifndef DIDBAN_SERVER_GUARDS_H_
#define DIDBAN_SERVER_GUARDS_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>
#include "absl/strings/string_view.h"

#include "didban/status.h"
#include "server/metrics.h"
#include "server/router.h"

namespace didban::server {

class Guard {
 public:
  virtual ~Guard() = default;
  virtual absl::string_view name() const = 0;
  // Runs before the handler, in chain order; a non-OK status refuses the request with that error and neither later
  // guards nor the handler run.
  virtual absl::Status Before(ApiRequest& request, const Route& route) = 0;
  // Runs after the response is made (refusals included), in reverse order; `route` is null when none matched.
  virtual void After(const ApiRequest& /*request*/, const Route* /*route*/, ApiResponse& /*response*/,
                     double /*seconds*/) {}
};

class GuardChain {
 public:
  void Add(std::unique_ptr<Guard> guard) { guards_.push_back(std::move(guard)); }
  // Before of every guard in order, then the handler (not for WebSocket routes); the caller then calls Finish().
  ApiResponse Handle(ApiRequest& request, const Route& route) const;
  // Runs only the Before hooks (a WebSocket upgrade passes the chain before it is accepted).
  absl::Status Admit(ApiRequest& request, const Route& route) const;
  // For replies made before routing (404, 405, parser refusals): After hooks only.
  void Finish(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) const;

 private:
  std::vector<std::unique_ptr<Guard>> guards_;
};

// Keeps a client's X-Request-Id when it is a valid name (validation.h), otherwise assigns "r<n>"; echoes it.
class RequestIdGuard final : public Guard {
 public:
  absl::string_view name() const override { return "request_id"; }
  absl::Status Before(ApiRequest& request, const Route& route) override;
  void After(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) override;

 private:
  std::atomic<uint64_t> next_{1};
};

// Path and query parameters against the route's ParamSpecs (unknown or repeated query parameters refused, names
// checked against traversal, integers parsed whole), and the body: refused when the route takes none, otherwise it
// must be application/json, one JSON object, and valid against the route's request schema (unknown fields refused).
// Every refusal names the parameter or JSON path.
class InputGuard final : public Guard {
 public:
  absl::string_view name() const override { return "input"; }
  absl::Status Before(ApiRequest& request, const Route& route) override;
};

// Access control's place in the chain. `policy` decides (and may set the request's principal and visible cameras,
// server/access_policy.h); the default allows every request.
class AccessGuard final : public Guard {
 public:
  using Policy = std::function<absl::Status(ApiRequest&, const Route&)>;
  explicit AccessGuard(Policy policy = nullptr) : policy_(std::move(policy)) {}
  absl::string_view name() const override { return "access"; }
  absl::Status Before(ApiRequest& request, const Route& route) override;

 private:
  Policy policy_;
};

// didban_http_requests_total{route,method,code} and didban_http_request_duration_seconds{route}; the route label is
// the template (bounded cardinality), "unmatched" when none matched.
class MetricsGuard final : public Guard {
 public:
  explicit MetricsGuard(MetricsRegistry& registry);
  absl::string_view name() const override { return "metrics"; }
  absl::Status Before(ApiRequest& /*request*/, const Route& /*route*/) override { return absl::OkStatus(); }
  void After(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) override;

 private:
  Family<Counter>& requests_;
  Family<Histogram>& duration_;
};

// One debug line per request (spdlog): method, target, status, milliseconds, request id.
class LogGuard final : public Guard {
 public:
  absl::string_view name() const override { return "log"; }
  absl::Status Before(ApiRequest& /*request*/, const Route& /*route*/) override { return absl::OkStatus(); }
  void After(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) override;
};

// Security headers on every response: Content-Security-Policy (same-origin only, no inline script, no framing),
// X-Content-Type-Options nosniff, X-Frame-Options DENY, Referrer-Policy no-referrer, Cache-Control no-store on
// /api/, /metrics and health routes (unless the handler set one), Strict-Transport-Security under TLS.
class SecurityHeadersGuard final : public Guard {
 public:
  explicit SecurityHeadersGuard(bool tls) : tls_(tls) {}
  absl::string_view name() const override { return "security_headers"; }
  absl::Status Before(ApiRequest& /*request*/, const Route& /*route*/) override { return absl::OkStatus(); }
  void After(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) override;

 private:
  const bool tls_;
};

// The chain the server uses today, in order: request id, metrics, log, access, input (security headers around
// them all). `policy` null: every request allowed (access control off).
std::unique_ptr<GuardChain> DefaultGuardChain(MetricsRegistry& registry, AccessGuard::Policy policy = nullptr,
                                              bool tls = false);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_GUARDS_H_
