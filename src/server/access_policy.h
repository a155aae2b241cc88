// Access control for the guard chain when the server has an auth store: who is asking (session cookie or bearer
// token), whether their role may use the route, CSRF for cookie-authenticated changes, a same-origin Origin for
// cookie-authenticated WebSocket upgrades, and which cameras they may see (a route for a camera they may not see
// answers 404 exactly as for a camera that does not exist). At a center (SiteBackend::Stations()), the stations'
// cameras count too, each with its own site: a grant of site:north shows north's cameras only, and a grant of the
// center's own site does not reach the stations' cameras. Also the audit guard, which records every change, live
// view and refusal through an audit::AuditSink. Thread-safe.
#ifndef DIDBAN_SERVER_ACCESS_POLICY_H_
#define DIDBAN_SERVER_ACCESS_POLICY_H_

#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "audit/audit_sink.h"
#include "auth/auth_store.h"
#include "server/guards.h"
#include "server/router.h"
#include "server/site_backend.h"

namespace didban::server {

inline constexpr char kSessionCookie[] = "didban_session";
inline constexpr char kCsrfHeader[] = "x-csrf-token";

// The reply for a camera that does not exist, or that the caller may not see (one form for both).
absl::Status NoSuchCamera(const std::string& name);
// The session id from the request's Cookie header, "" when none.
std::string SessionCookieOf(const ApiRequest& request);
// The bearer token from the Authorization header, "" when none.
std::string BearerTokenOf(const ApiRequest& request);
// The client's address without its port ("127.0.0.1:5000" -> "127.0.0.1", "[::1]:5000" -> "::1").
std::string ClientAddress(const std::string& remote);

class AccessPolicy {
 public:
  // `store` and `backend` must outlive the policy.
  AccessPolicy(auth::AuthStore& store, SiteBackend& backend) : store_(store), backend_(backend) {}

  // 401 without valid credentials (public routes need none), 403 for a role below the route's access, a missing or
  // wrong X-CSRF-Token on a cookie-authenticated change, or a cross-origin cookie WebSocket; 404 for a hidden camera.
  // Sets request.principal and request.visible_cameras.
  absl::Status Check(ApiRequest& request, const Route& route);
  // The guard chain's policy function.
  AccessGuard::Policy AsGuardPolicy();

 private:
  struct Cameras {
    std::string site;
    std::map<std::string, std::string> owners;  // camera -> owner ("" for none)
    // A center's station cameras: camera -> site ("" when two sites reported the name); null for a single site.
    std::shared_ptr<const std::map<std::string, std::string>> station_sites;
    // Their owners, as the stations report them (camera -> owner); null for a single site.
    std::shared_ptr<const std::map<std::string, std::string>> station_owners;
    TimeUs loaded_us = 0;
  };
  // The site's cameras and their owners (and a center's station cameras), re-read at most once a second.
  std::shared_ptr<const Cameras> CameraOwners();

  auth::AuthStore& store_;
  SiteBackend& backend_;
  absl::Mutex mu_;
  std::shared_ptr<const Cameras> cameras_ ABSL_GUARDED_BY(mu_);
};

// Records through `sink` (after the reply is made): every request that changes something (not GET), every live
// WebSocket or MJPEG view admitted, and every refusal of a non-public route (401, 403): who (the principal's actor or
// "anonymous"), what (the route's operation id), the target (first path parameter, e.g. "camera:north"), from where,
// allowed or not, with the status and request id. The login route records itself (it knows the user name).
class AuditGuard final : public Guard {
 public:
  explicit AuditGuard(audit::AuditSink* sink) : sink_(sink) {}
  absl::string_view name() const override { return "audit"; }
  absl::Status Before(ApiRequest& /*request*/, const Route& /*route*/) override { return absl::OkStatus(); }
  void After(const ApiRequest& request, const Route* route, ApiResponse& response, double seconds) override;

 private:
  audit::AuditSink* sink_;
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_ACCESS_POLICY_H_
