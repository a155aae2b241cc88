// Fuzz target: the bytes a client sends on one connection, through what the server does with each request before and
// around its handler (server/request_reader.h, the same functions http_server.cc calls): Beast's request parser with
// the server's default limits (ServerOptions: 16 KiB of headers, 1 MiB of body; eager, as http::read makes it) and
// the reply for each read error, then per request: a WebSocket upgrade's checks (AdmitUpgrade), or HandleRequest
// (method, target percent-decoding and traversal checks, query parsing, the router, the web UI's files, the guard
// chain: request id, access with a real auth store (session cookie, bearer token, role, CSRF token, same-origin
// Origin, visible cameras), input checks, metrics, log, security headers, audit), pipelined requests one after another
// while the connection stays open. Every reply is checked: an error reply is the JSON {"error": {"code", "message"}},
// the security headers are set, and the HTTP response written for it reads back as one response with the same
// status and body (no header injection). The input is also read in 7-byte pieces: which requests are read (method,
// target, version, body, keep-alive, bytes used) and whether the connection ends refused must not depend on how the
// bytes arrive. In the input, @SESSION@ and @CSRF@ stand for an admin's session cookie value and CSRF token,
// @VSESSION@ and @VCSRF@ for a viewer's (who sees camera "north" only), @TOKEN@ for an admin's API token and @MTOKEN@
// for a metrics-only token, so the fuzzer reaches what an authenticated client can.
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "audit/audit_sink.h"
#include "auth/auth_store.h"
#include "server/access_policy.h"
#include "server/api_routes.h"
#include "server/guards.h"
#include "server/metrics.h"
#include "server/request_reader.h"
#include "server/router.h"
#include "server/site_backend.h"
#include "server/static_files.h"

namespace {

using didban::server::Access;
using didban::server::ApiRequest;
using didban::server::ApiResponse;
using didban::server::Method;
using didban::server::ParamSpec;
using didban::server::Route;

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "http_request_fuzzer: %s\n", what.c_str());
  std::abort();
}

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Fail(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

void Must(const absl::Status& st, const char* what) {
  if (!st.ok()) Fail(absl::StrCat(what, ": ", st.ToString()));
}

// A site of three cameras ("north" owned by "ops", "south", "gate"); what the access policy reads from it.
class FixedSite final : public didban::server::SiteBackend {
 public:
  didban::server::SiteInfo Site() const override { return {"fuzzsite", 47.5, 8.5, 1'700'000'000'000'000}; }
  bool Ready() const override { return true; }
  std::vector<didban::server::CameraInfo> Cameras() const override {
    std::vector<didban::server::CameraInfo> cameras(3);
    cameras[0].name = "north";
    cameras[0].definition = {{"uri", "file:north.mp4"}, {"owner", "ops"}};
    cameras[1].name = "south";
    cameras[1].definition = {{"uri", "file:south.mp4"}};
    cameras[2].name = "gate";
    cameras[2].definition = {{"uri", "rtsp://10.0.0.5/s"}};
    return cameras;
  }
  absl::StatusOr<didban::server::CameraInfo> Camera(const std::string& name) const override {
    for (auto& c : Cameras()) {
      if (c.name == name) return c;
    }
    return didban::server::NoSuchCamera(name);
  }
  absl::StatusOr<didban::server::CameraInfo> AddCamera(const nlohmann::json& /*definition*/) override {
    return absl::UnimplementedError("fuzz site");
  }
  absl::StatusOr<didban::server::CameraInfo> UpdateCamera(const std::string& /*name*/,
                                                          const nlohmann::json& /*definition*/) override {
    return absl::UnimplementedError("fuzz site");
  }
  absl::Status RemoveCamera(const std::string& /*name*/) override { return absl::UnimplementedError("fuzz site"); }
  absl::StatusOr<std::string> SnapshotJpeg(const std::string& /*camera*/) const override {
    return absl::UnimplementedError("fuzz site");
  }
  didban::store::Store* EventStore() override { return nullptr; }
  absl::StatusOr<didban::store::Clip> ExportClip(const didban::server::ClipRequest& /*request*/) override {
    return absl::UnimplementedError("fuzz site");
  }
  // Never called by what the target runs (live WebSockets are not accepted here).
  absl::StatusOr<std::unique_ptr<didban::bus::Subscription>> Subscribe(
      didban::bus::SubscriberOptions /*options*/) override {
    std::abort();
  }
};

class CountingAuditSink final : public didban::audit::AuditSink {
 public:
  void Record(didban::audit::AuditEntry entry) override {
    ++count_;
    if (entry.action.empty()) Fail("audit entry without an action");
  }

 private:
  uint64_t count_ = 0;
};

ParamSpec PathName(const std::string& name) {
  return {name, ParamSpec::In::kPath, {{"type", "string"}, {"format", "name"}}, true, ""};
}

Route MakeRoute(Method method, std::string path, std::string op, Access access, std::vector<ParamSpec> params,
                nlohmann::json request_schema = nullptr) {
  Route r;
  r.method = method;
  r.path = std::move(path);
  r.operation_id = std::move(op);
  r.access = access;
  r.params = std::move(params);
  r.request_schema = std::move(request_schema);
  r.handler = [](const ApiRequest& request) {
    nlohmann::json out = {{"path", request.path}, {"params", request.path_params}, {"query", request.query}};
    if (!request.json.is_null()) out["body"] = request.json;
    return didban::server::JsonResponse(out);
  };
  return r;
}

// The server's route shapes (api_routes.cc, auth_routes.cc): public, view, operate and admin routes, path parameters
// that are names or integers, query parameters, JSON bodies, the WebSocket and MJPEG live routes, /metrics.
didban::server::Router MakeRouter() {
  const nlohmann::json camera_schema = {{"type", "object"},
                                        {"additionalProperties", false},
                                        {"required", {"name", "uri"}},
                                        {"properties",
                                         {{"name", {{"type", "string"}, {"format", "name"}}},
                                          {"uri", {{"type", "string"}, {"minLength", 1}, {"maxLength", 1024}}},
                                          {"enabled", {{"type", "boolean"}}},
                                          {"fps", {{"type", "number"}, {"minimum", 0}, {"maximum", 240}}}}}};
  const nlohmann::json login_schema = {
      {"type", "object"},
      {"additionalProperties", false},
      {"required", {"user", "password"}},
      {"properties", {{"user", {{"type", "string"}, {"maxLength", 64}}}, {"password", {{"type", "string"}}}}}};
  const ParamSpec camera = PathName("camera");
  const ParamSpec id = {"id", ParamSpec::In::kPath, {{"type", "integer"}, {"minimum", 1}}, true, ""};
  const ParamSpec limit = {
      "limit", ParamSpec::In::kQuery, {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}}, false, ""};
  const ParamSpec cursor = {"cursor", ParamSpec::In::kQuery, {{"type", "string"}, {"format", "cursor"}}, false, ""};
  const ParamSpec camera_q = {"camera", ParamSpec::In::kQuery, {{"type", "string"}, {"format", "name"}}, false, ""};
  const ParamSpec topics = {"topics", ParamSpec::In::kQuery, {{"type", "string"}, {"maxLength", 64}}, false, ""};
  const ParamSpec unmask = {"unmask", ParamSpec::In::kQuery, {{"type", "boolean"}}, false, ""};
  const ParamSpec from = {"from", ParamSpec::In::kQuery, {{"type", "integer"}}, true, ""};

  std::vector<Route> routes;
  routes.push_back(MakeRoute(Method::kGet, "/healthz", "healthz", Access::kPublic, {}));
  routes.push_back(MakeRoute(Method::kGet, "/metrics", "metrics", Access::kAdmin, {}));
  routes.push_back(MakeRoute(Method::kGet, didban::server::kOpenApiPath, "openapi", Access::kPublic, {}));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/auth/login", "login", Access::kPublic, {}, login_schema));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/auth/logout", "logout", Access::kView, {}));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/cameras", "listCameras", Access::kView, {}));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/cameras", "addCamera", Access::kAdmin, {}, camera_schema));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/cameras/{camera}", "getCamera", Access::kView, {camera}));
  routes.push_back(
      MakeRoute(Method::kPut, "/api/v1/cameras/{camera}", "putCamera", Access::kAdmin, {camera}, camera_schema));
  routes.push_back(MakeRoute(Method::kDelete, "/api/v1/cameras/{camera}", "removeCamera", Access::kAdmin, {camera}));
  routes.push_back(
      MakeRoute(Method::kGet, "/api/v1/cameras/{camera}/snapshot.jpg", "getSnapshot", Access::kView, {camera}));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/cameras/{camera}/segments", "listSegments", Access::kView,
                             {camera, from, limit}));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/events", "listEvents", Access::kView, {camera_q, limit, cursor}));
  routes.push_back(MakeRoute(Method::kGet, "/api/v1/events/{id}", "getEvent", Access::kView, {id}));
  routes.push_back(MakeRoute(Method::kPost, "/api/v1/events/{id}/ack", "ackEvent", Access::kOperate, {id}));
  routes.push_back(MakeRoute(Method::kPatch, "/api/v1/users/{user}", "updateUser", Access::kAdmin, {PathName("user")},
                             {{"type", "object"},
                              {"additionalProperties", false},
                              {"properties", {{"role", {{"type", "string"}, {"enum", {"viewer", "admin"}}}}}}}));
  routes.push_back(
      MakeRoute(Method::kGet, "/api/v1/clips/{clip}/video.mp4", "getClipVideo", Access::kView, {PathName("clip")}));
  routes.push_back(
      MakeRoute(Method::kGet, didban::server::kLiveMjpegPath, "getLiveMjpeg", Access::kView, {camera, unmask}));
  Route live = MakeRoute(Method::kGet, didban::server::kLivePath, "live", Access::kView, {camera_q, topics});
  live.websocket = true;
  live.handler = nullptr;
  routes.push_back(std::move(live));
  Route mp4 = MakeRoute(Method::kGet, didban::server::kLiveMp4Path, "liveMp4", Access::kView, {camera, unmask});
  mp4.websocket = true;
  mp4.handler = nullptr;
  routes.push_back(std::move(mp4));

  didban::server::Router router;
  for (auto& r : routes) Must(router.Add(std::move(r)), "route");
  return router;
}

// Everything the server holds, built once: a real auth store (SQLite in $TMPDIR) with an admin and a viewer logged
// in and two tokens, the router, the default guard chain with the access policy and the audit guard, the web UI.
struct Server {
  Server() {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/didban_http_fuzz_XXXXXX");
    if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp");
    dir = tmpl;
    // The server lives until the process ends (never destroyed: no order to get wrong at exit); its folder goes then.
    static const std::string* folder = &dir;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(*folder, ec);
    });
    std::filesystem::create_directories(dir + "/web/assets");
    std::ofstream(dir + "/web/index.html") << "<!doctype html><title>didban</title>";
    std::ofstream(dir + "/web/assets/app.js") << "console.log(1);";
    web.emplace(Must(didban::server::StaticFiles::Open(dir + "/web"), "web root"));

    didban::auth::AuthOptions ao;
    ao.pwhash_opslimit = 1;
    ao.pwhash_memlimit_bytes = 8192;
    auth = Must(didban::auth::AuthStore::Open(dir + "/auth.db", ao), "auth store");
    Must(auth->AddUser("admin", didban::auth::Role::kAdmin, "fuzz-admin-password-1"), "admin");
    Must(auth->AddUser("viewer", didban::auth::Role::kViewer, "fuzz-viewer-password-1"), "viewer");
    Must(auth->AddGrant("viewer", {"camera", "north"}), "grant");
    const auto admin = Must(auth->Login("admin", "fuzz-admin-password-1", "127.0.0.1"), "admin login");
    const auto viewer = Must(auth->Login("viewer", "fuzz-viewer-password-1", "127.0.0.1"), "viewer login");
    const auto token = Must(auth->CreateToken("admin", "fuzz", "admin", std::nullopt, 0), "token");
    const auto metrics_token = Must(auth->CreateToken("admin", "prometheus", "metrics", std::nullopt, 0), "token");
    placeholders = {{"@SESSION@", admin.id},   {"@CSRF@", admin.principal.csrf_token},
                    {"@VSESSION@", viewer.id}, {"@VCSRF@", viewer.principal.csrf_token},
                    {"@TOKEN@", token.secret}, {"@MTOKEN@", metrics_token.secret}};

    router = MakeRouter();
    access = std::make_unique<didban::server::AccessPolicy>(*auth, site);
    chain = didban::server::DefaultGuardChain(metrics, access->AsGuardPolicy(), /*tls=*/false);
    chain->Add(std::make_unique<didban::server::AuditGuard>(&audit));
  }

  std::string dir;
  std::vector<std::pair<std::string, std::string>> placeholders;
  FixedSite site;
  didban::server::MetricsRegistry metrics;
  CountingAuditSink audit;
  std::unique_ptr<didban::auth::AuthStore> auth;
  didban::server::Router router;
  std::unique_ptr<didban::server::AccessPolicy> access;
  std::unique_ptr<didban::server::GuardChain> chain;
  std::optional<didban::server::StaticFiles> web;
  const didban::server::ServerOptions options;  // the server's default limits
};

bool HasHeader(const ApiResponse& r, const char* name) {
  for (const auto& [k, v] : r.headers) {
    if (absl::EqualsIgnoreCase(k, name)) return true;
  }
  return false;
}

// An error reply is the JSON error object; the written response reads back as exactly one response, unchanged.
void CheckReply(const ApiResponse& resp, unsigned version, bool keep_alive, bool guarded) {
  if (resp.status < 200 || resp.status > 599) Fail(absl::StrCat("status ", resp.status));
  if (resp.status >= 400) {
    const auto body = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("error") || !body["error"].is_object() || !body["error"].contains("code") ||
        !body["error"]["code"].is_string() || !body["error"].contains("message") ||
        !body["error"]["message"].is_string()) {
      Fail(absl::StrCat("error reply ", resp.status, " without the error object: ", resp.body));
    }
  }
  if (guarded && (!HasHeader(resp, "Content-Security-Policy") || !HasHeader(resp, "X-Frame-Options") ||
                  !HasHeader(resp, "Referrer-Policy"))) {
    Fail(absl::StrCat("reply ", resp.status, " without the security headers"));
  }
  std::ostringstream wire;
  wire << didban::server::ToHttpResponse(resp, version, keep_alive);
  const std::string bytes = wire.str();
  boost::beast::http::response_parser<boost::beast::http::string_body> parser;
  parser.eager(true);
  parser.body_limit(64 << 20);
  boost::beast::error_code ec;
  size_t used = parser.put(boost::asio::buffer(bytes), ec);
  if (!ec && !parser.is_done()) {
    parser.put_eof(ec);
  }
  if (ec || !parser.is_done() || used != bytes.size()) {
    Fail(absl::StrCat("the response written for ", resp.status, " does not read back (", ec.message(), ", ", used,
                      " of ", bytes.size(), " bytes): ", bytes));
  }
  const auto& back = parser.get();
  if (back.result_int() != static_cast<unsigned>(resp.status) || back.body() != resp.body) {
    Fail(absl::StrCat("the response written for ", resp.status, " reads back as ", back.result_int()));
  }
}

// Reads every request of `bytes` in `max_read`-byte pieces and returns what each read gave, to compare.
std::string ReadOutcomes(const std::string& bytes, const didban::server::ServerOptions& options, size_t max_read) {
  std::string out;
  absl::string_view rest = bytes;
  for (int i = 0; i < 8; ++i) {
    didban::server::ReadResult r = didban::server::ReadRequest(rest, options, max_read);
    // A refusal's reason may differ: Beast looks for the end of the headers before parsing them once it has had to
    // wait for more bytes, so a malformed header line in an unfinished header is "bad field" when the bytes come at
    // once and "partial message" (or 431 past the limit) when they trickle in. Refused or not must not differ.
    if (r.refusal) {
      absl::StrAppend(&out, "refused\n");
      break;
    }
    if (!r.request) {
      absl::StrAppend(&out, "closed\n");
      break;
    }
    absl::StrAppend(&out, r.consumed, " ", std::string(r.request->method_string()), " ",
                    std::string(r.request->target()), " ", r.request->version(), " ", r.request->body().size(), " ",
                    r.request->keep_alive(), "\n");
    rest.remove_prefix(r.consumed);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Server* const server = new Server();  // the server outlives every input; its files are in $TMPDIR
  const std::string bytes =
      absl::StrReplaceAll(absl::string_view(reinterpret_cast<const char*>(data), size), server->placeholders);
  absl::string_view rest = bytes;
  // One connection: requests one after another while the server keeps it open (at most 8 per input).
  for (int i = 0; i < 8; ++i) {
    didban::server::ReadResult r = didban::server::ReadRequest(rest, server->options);
    if (r.refusal) {
      ApiResponse resp = *r.refusal;
      server->chain->Finish(ApiRequest{}, nullptr, resp, 0);
      CheckReply(resp, 11, false, true);
      break;
    }
    if (!r.request) break;  // the connection just ends
    if (r.consumed == 0 || r.consumed > rest.size()) Fail(absl::StrCat("consumed ", r.consumed));
    rest.remove_prefix(r.consumed);
    const didban::server::HttpRequest& req = *r.request;
    const Route* route = nullptr;
    ApiRequest api;
    if (boost::beast::websocket::is_upgrade(req)) {
      absl::Status st =
          didban::server::AdmitUpgrade(server->router, *server->chain, req, "127.0.0.1:5000", &route, &api);
      if (st.ok() && route == nullptr) Fail("upgrade admitted without a route");
      ApiResponse resp;
      if (st.ok()) {
        resp.status = 101;
      } else {
        resp = didban::server::ErrorResponse(st);
      }
      server->chain->Finish(api, route, resp, 0);
      if (!st.ok()) CheckReply(resp, req.version(), false, true);
      break;  // upgraded, or refused and closed
    }
    ApiResponse resp = didban::server::HandleRequest(server->router, *server->chain, &*server->web, req,
                                                     "127.0.0.1:5000", &route, &api);
    if (route != nullptr && resp.status < 400 && !api.request_id.empty() && !HasHeader(resp, "X-Request-Id")) {
      Fail("a routed reply without its X-Request-Id");
    }
    CheckReply(resp, req.version(), req.keep_alive(), true);
    if (!req.keep_alive()) break;
  }
  // How the bytes arrive must not change what is read.
  const std::string whole = ReadOutcomes(bytes, server->options, 0);
  const std::string pieces = ReadOutcomes(bytes, server->options, 7);
  // Except at the header limit: Beast counts the start line and the fields against header_limit separately when a
  // header arrives whole, and together when it trickles in, so a header just over the limit (by at most its start
  // line) is read at once and refused with 431 in pieces (session 9, a 16,401-byte header). Only inputs that long may
  // differ, and only by a refusal.
  const bool at_header_limit = bytes.size() + 4 > server->options.header_limit_bytes &&
                               (absl::StrContains(whole, "refused") || absl::StrContains(pieces, "refused"));
  if (whole != pieces && !at_header_limit) {
    Fail(absl::StrCat("read at once:\n", whole, "read in 7-byte pieces:\n", pieces));
  }
  return 0;
}
