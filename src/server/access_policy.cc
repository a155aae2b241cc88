#include "server/access_policy.h"

#include <sodium.h>

#include <chrono>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "server/api_error.h"
#include "server/station_directory.h"

namespace didban::server {
namespace {

auth::Role Needed(Access a) {
  switch (a) {
    case Access::kAdmin:
      return auth::Role::kAdmin;
    case Access::kOperate:
      return auth::Role::kOperator;
    default:
      return auth::Role::kViewer;
  }
}

std::string Header(const ApiRequest& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? std::string() : it->second;
}

bool SameSecret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// True when Origin names the host the request was sent to (scheme://host[:port] against the Host header).
bool SameOrigin(const ApiRequest& r) {
  const std::string origin = Header(r, "origin");
  const std::string host = Header(r, "host");
  if (origin.empty() || host.empty()) return false;
  const size_t scheme = origin.find("://");
  if (scheme == std::string::npos) return false;
  const std::string s = absl::AsciiStrToLower(origin.substr(0, scheme));
  if (s != "http" && s != "https") return false;
  return absl::EqualsIgnoreCase(origin.substr(scheme + 3), host);
}

TimeUs SteadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::Status NoSuchCamera(const std::string& name) {
  return FieldError(absl::StatusCode::kNotFound, "camera", absl::StrCat("camera: no camera '", name, "'"));
}

std::string SessionCookieOf(const ApiRequest& request) {
  auto it = request.headers.find("cookie");
  if (it == request.headers.end()) return "";
  for (absl::string_view part : absl::StrSplit(it->second, ';')) {
    part = absl::StripAsciiWhitespace(part);
    if (absl::ConsumePrefix(&part, kSessionCookie) && absl::ConsumePrefix(&part, "=")) return std::string(part);
  }
  return "";
}

std::string BearerTokenOf(const ApiRequest& request) {
  const std::string value = Header(request, "authorization");
  if (value.size() < 7 || !absl::EqualsIgnoreCase(value.substr(0, 7), "bearer ")) return "";
  return std::string(absl::StripAsciiWhitespace(value.substr(7)));
}

std::string ClientAddress(const std::string& remote) {
  if (!remote.empty() && remote[0] == '[') {
    const size_t end = remote.find(']');
    return end == std::string::npos ? remote : remote.substr(1, end - 1);
  }
  const size_t colon = remote.rfind(':');
  if (colon == std::string::npos || remote.find(':') != colon) return remote;  // no port, or bare IPv6
  return remote.substr(0, colon);
}

std::shared_ptr<const AccessPolicy::Cameras> AccessPolicy::CameraOwners() {
  const TimeUs now = SteadyNowUs();
  {
    absl::MutexLock lock(&mu_);
    if (cameras_ && now - cameras_->loaded_us < kUsPerSecond) return cameras_;
  }
  auto fresh = std::make_shared<Cameras>();
  fresh->site = backend_.Site().name;
  for (const CameraInfo& c : backend_.Cameras()) {
    std::string owner;
    if (c.definition.is_object()) {
      auto it = c.definition.find("owner");
      if (it != c.definition.end() && it->is_string()) owner = it->get<std::string>();
    }
    fresh->owners[c.name] = owner;
  }
  if (const StationDirectory* stations = backend_.Stations()) {
    fresh->station_sites = stations->CameraSites();
    fresh->station_owners = stations->CameraOwners();
  }
  fresh->loaded_us = now;
  absl::MutexLock lock(&mu_);
  cameras_ = fresh;
  return fresh;
}

absl::Status AccessPolicy::Check(ApiRequest& request, const Route& route) {
  if (route.access == Access::kPublic) return absl::OkStatus();
  bool by_cookie = false;
  absl::StatusOr<auth::Principal> principal = [&]() -> absl::StatusOr<auth::Principal> {
    if (const std::string token = BearerTokenOf(request); !token.empty()) return store_.AuthenticateToken(token);
    if (const std::string session = SessionCookieOf(request); !session.empty()) {
      by_cookie = true;
      return store_.AuthenticateSession(session);
    }
    return absl::UnauthenticatedError(
        "authentication: required (log in for a session cookie, or send Authorization: Bearer <token>)");
  }();
  if (!principal.ok()) {
    return FieldError(absl::StatusCode::kUnauthenticated, "authorization",
                      absl::StrCat("authorization: ", principal.status().message()));
  }
  auto p = std::make_shared<const auth::Principal>(*std::move(principal));
  request.principal = p;
  if (route.operation_id == "metrics") {
    if (!p->metrics_only && p->role != auth::Role::kAdmin) {
      return absl::PermissionDeniedError("access: /metrics needs an admin or a metrics token");
    }
    return absl::OkStatus();
  }
  if (p->metrics_only) return absl::PermissionDeniedError("access: a metrics token may only read /metrics");
  const auth::Role need = Needed(route.access);
  if (static_cast<int>(p->role) < static_cast<int>(need)) {
    return absl::PermissionDeniedError(absl::StrCat("access: ", MethodName(route.method), " ", route.path,
                                                    " needs the ", auth::RoleName(need), " role"));
  }
  if (by_cookie && route.websocket && !SameOrigin(request)) {
    return FieldError(absl::StatusCode::kPermissionDenied, "origin",
                      "origin: a WebSocket opened with a session cookie needs a same-origin Origin header");
  }
  if (by_cookie && request.method != Method::kGet && !SameSecret(Header(request, kCsrfHeader), p->csrf_token)) {
    return FieldError(absl::StatusCode::kPermissionDenied, "x-csrf-token",
                      "x-csrf-token: missing or wrong (a change made with a session cookie must echo its csrf_token)");
  }
  std::shared_ptr<const Cameras> cameras = CameraOwners();
  // At a center a grant of its own site covers its own cameras only: every camera takes "all" (or admin).
  const bool all = cameras->station_sites ? p->AllCameras("") : p->AllCameras(cameras->site);
  if (!all) {
    auto visible = std::make_shared<std::set<std::string>>();
    for (const auto& [name, owner] : cameras->owners) {
      if (p->MaySee({name, owner, cameras->site})) visible->insert(name);
    }
    if (cameras->station_sites) {
      for (const auto& [name, site] : *cameras->station_sites) {
        // A name two sites reported ("") is nobody's site; a station camera named like one of the center's own
        // cameras is judged as the center's.
        auto owner = cameras->station_owners->find(name);
        const std::string owned_by = owner == cameras->station_owners->end() ? "" : owner->second;
        if (!site.empty() && !cameras->owners.count(name) && p->MaySee({name, owned_by, site})) visible->insert(name);
      }
    }
    // Cameras granted by name stay visible after removal (their events and recordings are still stored).
    for (const auth::Grant& g : p->grants) {
      if (g.kind == "camera" && p->MaySee({g.value, "", cameras->site})) visible->insert(g.value);
    }
    request.visible_cameras = std::move(visible);
  }
  if (auto it = request.path_params.find("camera"); it != request.path_params.end()) {
    if (!request.CameraVisible(it->second)) return NoSuchCamera(it->second);
    // At a center a camera is its own or a station's: any other name answers as missing, for everyone (the same
    // reply a hidden station camera gets).
    if (cameras->station_sites && !cameras->owners.count(it->second) && !cameras->station_sites->count(it->second)) {
      return NoSuchCamera(it->second);
    }
  }
  return absl::OkStatus();
}

AccessGuard::Policy AccessPolicy::AsGuardPolicy() {
  return [this](ApiRequest& request, const Route& route) { return Check(request, route); };
}

void AuditGuard::After(const ApiRequest& request, const Route* route, ApiResponse& response, double /*seconds*/) {
  if (!sink_ || !route || route->operation_id == "login") return;
  // The access routes record their own successes (with what changed).
  if (route->tag == "access" && response.status < 400) return;
  const bool changing = request.method != Method::kGet;
  const bool view = route->websocket || absl::EndsWith(route->path, ".mjpeg");
  const bool refused = (response.status == 401 || response.status == 403) && route->access != Access::kPublic;
  if (!changing && !view && !refused) return;
  audit::AuditEntry e;
  e.actor = request.principal ? request.principal->Actor() : "anonymous";
  e.action = route->operation_id;
  if (auto it = request.path_params.find("camera"); it != request.path_params.end()) {
    e.target = absl::StrCat("camera:", it->second);
  } else if (!request.path_params.empty()) {
    e.target = absl::StrCat(request.path_params.begin()->first, ":", request.path_params.begin()->second);
  } else if (request.json.is_object() && request.json.contains("camera") && request.json["camera"].is_string()) {
    e.target = absl::StrCat("camera:", request.json["camera"].get<std::string>());
  }
  e.source = request.remote;
  e.allowed = response.status < 400 || (response.status == 101);
  e.detail = {{"status", response.status},
              {"method", std::string(MethodName(request.method))},
              {"path", request.path},
              {"request_id", request.request_id}};
  sink_->Record(std::move(e));
}

}  // namespace didban::server
