// Access control on the real server (127.0.0.1, port 0) with a real auth database: a walk over every operation of
// the served OpenAPI document as anonymous, a viewer without the camera, a viewer with it, an operator and an admin,
// checking each status; CSRF, tokens (revoked, expired, metrics-only), brute force, WebSocket origins, hidden
// cameras answering as missing ones, live messages filtered to the viewer's cameras, and the security headers.
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "auth/auth_store.h"
#include "server/http_server.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr char kPassword[] = "long enough secret 1";

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  json Json() const { return json::parse(body, nullptr, false); }
};

// Who calls: a session (cookie + CSRF token), a bearer token, or nobody.
struct Caller {
  std::string name = "anonymous";
  std::string cookie;
  std::string csrf;
  std::string token;
};

class AccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/didban_access_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    auth::AuthOptions o;
    o.pwhash_opslimit = 1;
    o.pwhash_memlimit_bytes = 8192;
    o.login.max_user_failures = 5;
    auto st = auth::AuthStore::Open(dir_ + "/auth.db", o, &clock_);
    ASSERT_TRUE(st.ok()) << st.status();
    auth_ = std::move(*st);
    ASSERT_TRUE(auth_->AddUser("ada", auth::Role::kAdmin, kPassword).ok());
    ASSERT_TRUE(auth_->AddUser("oli", auth::Role::kOperator, kPassword).ok());
    ASSERT_TRUE(auth_->AddGrant("oli", {"all", ""}).ok());
    ASSERT_TRUE(auth_->AddUser("vic", auth::Role::kViewer, kPassword, "fa").ok());
    ASSERT_TRUE(auth_->AddGrant("vic", {"owner", "city"}).ok());  // north belongs to the city
    ASSERT_TRUE(auth_->AddUser("val", auth::Role::kViewer, kPassword).ok());
    ASSERT_TRUE(auth_->AddGrant("val", {"camera", "south"}).ok());
    ASSERT_TRUE(site_.AddCamera({{"name", "north"}, {"uri", "rtsp://10.0.0.1/s"}, {"owner", "city"}}).ok());
    ASSERT_TRUE(site_.AddCamera({{"name", "south"}, {"uri", "rtsp://10.0.0.2/s"}, {"owner", "police"}}).ok());
    for (int i = 1; i <= 4; ++i) {
      store::StoredEvent e;
      e.id = "e" + std::to_string(i);
      e.event.time_us = i * 1'000'000;
      e.event.camera = i % 2 ? "north" : "south";
      e.event.type = "line_cross";
      e.event.rule = "gate";
      ASSERT_TRUE(site_.store().AddEvent(e));
    }
    store::Clip clip;
    clip.id = "north-clip";
    clip.camera = "north";
    clip.start_us = 0;
    clip.end_us = 1'000'000;
    clip.state = store::ClipState::kReady;
    ASSERT_TRUE(site_.store().PutClip(clip));
    ASSERT_TRUE(site_.store().Flush().ok());

    ServerOptions so;
    so.auth = auth_.get();
    auto s = HttpServer::Start(so, site_, metrics_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    port_ = server_->port();
  }
  void TearDown() override {
    server_.reset();
    auth_.reset();
    std::filesystem::remove_all(dir_);
  }

  Reply Call(http::verb method, const std::string& target, const Caller& who, const std::string& body = "",
             std::map<std::string, std::string> extra = {}, bool csrf = true) {
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
    if (!who.cookie.empty()) req.set(http::field::cookie, "theme=dark; didban_session=" + who.cookie);
    if (!who.token.empty()) req.set(http::field::authorization, "Bearer " + who.token);
    if (csrf && !who.csrf.empty() && method != http::verb::get) req.set("X-CSRF-Token", who.csrf);
    for (const auto& [k, v] : extra) req.set(k, v);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.skip(method == http::verb::head);
    http::read_header(socket, buffer, parser);
    Reply r;
    r.status = static_cast<int>(parser.get().result_int());
    if (r.status != 101) {
      http::read(socket, buffer, parser);
      r.body = parser.get().body();
    }
    for (const auto& f : parser.get()) r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }
  // A WebSocket upgrade; returns the handshake's status (101 when accepted).
  Reply Upgrade(const std::string& target, const Caller& who, const std::string& origin) {
    std::map<std::string, std::string> h = {{"Upgrade", "websocket"},
                                            {"Connection", "Upgrade"},
                                            {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                            {"Sec-WebSocket-Version", "13"}};
    if (!origin.empty()) h["Origin"] = origin;
    return Call(http::verb::get, target, who, "", h);
  }
  std::string Origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

  Caller Login(const std::string& user) {
    const Reply r = Call(http::verb::post, "/api/v1/auth/login", Caller{},
                         json({{"username", user}, {"password", kPassword}}).dump());
    EXPECT_EQ(r.status, 200) << r.body;
    Caller c;
    c.name = user;
    const std::string cookie = r.Header("Set-Cookie");
    const size_t eq = cookie.find('=');
    c.cookie = cookie.substr(eq + 1, cookie.find(';') - eq - 1);
    c.csrf = r.Json()["csrf_token"];
    return c;
  }

  FakeClock clock_{1'800'000'000'000'000};
  std::string dir_;
  std::unique_ptr<auth::AuthStore> auth_;
  TestSite site_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

http::verb Verb(const std::string& m) {
  if (m == "post") return http::verb::post;
  if (m == "put") return http::verb::put;
  if (m == "patch") return http::verb::patch;
  if (m == "delete") return http::verb::delete_;
  return http::verb::get;
}

TEST_F(AccessTest, LoginSetsAStrictHttpOnlyCookie) {
  const Reply r = Call(http::verb::post, "/api/v1/auth/login", Caller{},
                       json({{"username", "vic"}, {"password", kPassword}}).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string cookie = r.Header("Set-Cookie");
  EXPECT_EQ(cookie.rfind("didban_session=", 0), 0u);
  EXPECT_NE(cookie.find("; HttpOnly; SameSite=Strict; Path=/"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // no TLS here
  const json j = r.Json();
  EXPECT_EQ(j["user"], json({{"name", "vic"}, {"role", "viewer"}, {"language", "fa"}}));
  EXPECT_EQ(j["csrf_token"].get<std::string>().size(), 43u);

  Caller vic = Login("vic");
  const Reply me = Call(http::verb::get, "/api/v1/auth/me", vic);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.Json()["user"]["cameras"], json::array({"north"}));
  EXPECT_EQ(me.Json()["csrf_token"], vic.csrf);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/auth/me", Login("ada")).Json()["user"]["cameras"], "*");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/auth/me", Caller{}).status, 401);

  // PATCH me (language), then logout ends the session.
  const Reply patched = Call(http::verb::patch, "/api/v1/auth/me", vic, R"({"language":"en"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(patched.Json()["user"]["language"], "en");
  EXPECT_EQ(Call(http::verb::post, "/api/v1/auth/logout", vic).status, 204);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/auth/me", vic).status, 401);

  const Reply wrong = Call(http::verb::post, "/api/v1/auth/login", Caller{},
                           json({{"username", "vic"}, {"password", "not the password"}}).dump());
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.Header("Set-Cookie"), "");
}

// Every operation of the OpenAPI document, as five callers.
TEST_F(AccessTest, RouteWalk) {
  const Reply doc_reply = Call(http::verb::get, "/api/v1/openapi.json", Caller{});
  ASSERT_EQ(doc_reply.status, 200);
  const json doc = doc_reply.Json();
  std::vector<Caller> callers = {Caller{}, Login("val"), Login("vic"), Login("oli"), Login("ada")};
  auto token = auth_->CreateToken("ada", "walk", "admin", std::nullopt, 0);
  ASSERT_TRUE(token.ok());

  struct Op {
    std::string method, path, access, target, body;
    bool websocket = false, camera = false;
  };
  std::vector<Op> ops;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      Op o{method, path, op["x-didban-access"].get<std::string>(), path, ""};
      o.websocket = op.contains("x-didban-websocket");
      for (const auto& p : op.value("parameters", json::array())) {
        const std::string name = p["name"];
        if (p["in"] == "path") {
          std::string value = name == "camera"  ? "north"
                              : name == "id"    ? "e1"
                              : name == "clip"  ? "north-clip"
                              : name == "user"  ? "val"
                              : name == "grant" ? "camera:south"
                              : name == "token" ? token->info.id
                                                : "x";
          o.camera = o.camera || name == "camera";
          o.target.replace(o.target.find("{" + name + "}"), name.size() + 2, value);
        }
      }
      std::string sep = "?";
      for (const auto& p : op.value("parameters", json::array())) {
        if (p["in"] == "query" && p.value("required", false)) {
          o.target += sep + p["name"].get<std::string>() + (p["name"] == "to_us" ? "=3600000000" : "=0");
          sep = "&";
        }
      }
      if (op.contains("requestBody")) {
        if (path == "/api/v1/clips")
          o.body = R"({"camera":"north","from_us":0,"to_us":1})";
        else if (path == "/api/v1/auth/login")
          o.body = json({{"username", "oli"}, {"password", kPassword}}).dump();
        else if (path == "/api/v1/auth/me")
          o.body = R"({"language":"en"})";
        else if (path == "/api/v1/users" && method == "post")
          o.body = R"({"name":"newbie","role":"viewer","password":"another long one"})";
        else if (path == "/api/v1/users/{user}")
          o.body = R"({"language":"fa"})";
        else if (path == "/api/v1/users/{user}/grants")
          o.body = R"({"grant":"owner:police"})";
        else if (path == "/api/v1/tokens")
          o.body = R"({"user":"val","name":"t","scope":"viewer"})";
        else if (path == "/api/v1/cameras" && method == "post")
          o.body = R"({"name":"west","uri":"rtsp://h/s"})";
        else if (path == "/api/v1/cameras/{camera}")
          o.body = R"({"uri":"rtsp://10.0.0.1/t","owner":"city"})";
        else
          o.body = "{}";
      }
      ops.push_back(o);
    }
  }
  // Deletions last (they remove what later calls use), logout after everything else of the same caller.
  std::stable_sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) {
    auto rank = [](const Op& o) { return o.path == "/api/v1/auth/logout" ? 2 : o.method == "delete" ? 1 : 0; };
    return rank(a) < rank(b);
  });
  ASSERT_GE(ops.size(), 40u);

  int checked = 0;
  for (size_t c = 0; c < callers.size(); ++c) {
    const Caller& who = callers[c];
    for (const Op& o : ops) {
      // The expected answer: 401 anonymous, 403 role too low, 404 camera hidden (val cannot see north), else the
      // handler's own answer (never 401/403, never a camera 404).
      const int role = c == 0 ? -1 : c <= 2 ? 0 : c == 3 ? 1 : 2;
      const int need = o.access == "public" ? -1 : o.access == "view" ? 0 : o.access == "operate" ? 1 : 2;
      int expected = 0;
      if (need >= 0 && role < 0) {
        expected = 401;
      } else if (o.path == "/metrics") {
        expected = role == 2 ? 200 : 403;
      } else if (role < need) {
        expected = 403;
      } else if (o.camera && c == 1) {
        expected = 404;
      }
      const Reply r = o.websocket ? Upgrade(o.target, who, Origin()) : Call(Verb(o.method), o.target, who, o.body);
      const std::string what =
          who.name + " " + o.method + " " + o.target + " -> " + std::to_string(r.status) + " " + r.body.substr(0, 200);
      if (expected != 0) {
        EXPECT_EQ(r.status, expected) << what;
        if (expected == 404) {
          EXPECT_EQ(r.Json()["error"]["message"], "camera: no camera 'north'") << what;
        }
      } else {
        EXPECT_NE(r.status, 401) << what;
        EXPECT_NE(r.status, 403) << what;
        EXPECT_FALSE(r.status == 404 && o.camera) << what;
        EXPECT_LT(r.status, 500 + (r.status == 501 || r.status == 503 ? 100 : 0)) << what;
      }
      ++checked;
    }
  }
  std::printf("route walk: %zu operations x %zu callers = %d checks\n", ops.size(), callers.size(), checked);
  // The walk revoked the token (DELETE /api/v1/tokens/{token}); a fresh bearer token (no CSRF) reaches admin routes.
  EXPECT_EQ(Call(http::verb::get, "/api/v1/users", Caller{"t", "", "", token->secret}).status, 401);
  auto fresh = auth_->CreateToken("ada", "after", "admin", std::nullopt, 0);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/users", Caller{"t", "", "", fresh->secret}).status, 200);
}

TEST_F(AccessTest, HiddenCamerasAnswerAsMissingOnesAndListsAreFiltered) {
  Caller vic = Login("vic");
  const Reply hidden = Call(http::verb::get, "/api/v1/cameras/south", vic);
  const Reply missing = Call(http::verb::get, "/api/v1/cameras/nowhere", vic);
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(missing.status, 404);
  json hb = hidden.Json(), mb = missing.Json();
  EXPECT_EQ(hb["error"]["message"], "camera: no camera 'south'");
  EXPECT_EQ(mb["error"]["message"], "camera: no camera 'nowhere'");
  EXPECT_EQ(hb["error"]["field"], mb["error"]["field"]);
  for (const char* sub : {"/status", "/snapshot.jpg", "/tracks?from_us=0&to_us=1", "/segments?from_us=0&to_us=1"}) {
    EXPECT_EQ(Call(http::verb::get, std::string("/api/v1/cameras/south") + sub, vic).status, 404) << sub;
  }
  // Lists hold only north.
  json cams = Call(http::verb::get, "/api/v1/cameras", vic).Json()["cameras"];
  ASSERT_EQ(cams.size(), 1u);
  EXPECT_EQ(cams[0]["name"], "north");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/site", vic).Json()["cameras"], 1);
  json events = Call(http::verb::get, "/api/v1/events", vic).Json()["events"];
  ASSERT_EQ(events.size(), 2u);
  for (const auto& e : events) EXPECT_EQ(e["camera"], "north");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/events?camera=south", vic).Json()["events"].size(), 0u);
  // An event or clip of a hidden camera answers as a missing one.
  const Reply e2 = Call(http::verb::get, "/api/v1/events/e2", vic);
  const Reply e9 = Call(http::verb::get, "/api/v1/events/e9", vic);
  EXPECT_EQ(e2.status, 404);
  EXPECT_EQ(e2.Json()["error"]["message"], "id: store: no event \"e2\"");
  EXPECT_EQ(e9.Json()["error"]["message"], "id: store: no event \"e9\"");
  Caller val = Login("val");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/clips/north-clip", val).status, 404);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/clips/north-clip", vic).status, 200);
  // Fused tracks only for callers who see every camera.
  EXPECT_EQ(Call(http::verb::get, "/api/v1/tracks?from_us=0&to_us=1", vic).status, 200);
  // A camera added at run time with the viewer's owner becomes visible (owners are re-read within a second).
  Caller ada = Login("ada");
  ASSERT_EQ(
      Call(http::verb::post, "/api/v1/cameras", ada, R"({"name":"east","uri":"rtsp://h/e","owner":"city"})").status,
      201);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(Call(http::verb::get, "/api/v1/cameras/east", vic).status, 200);
}

TEST_F(AccessTest, CsrfIsRequiredForCookieChanges) {
  Caller oli = Login("oli");
  const Reply no = Call(http::verb::post, "/api/v1/events/e1/ack", oli, R"({"by":"x"})", {}, /*csrf=*/false);
  EXPECT_EQ(no.status, 403);
  EXPECT_EQ(no.Json()["error"]["field"], "x-csrf-token");
  const Reply bad = Call(http::verb::post, "/api/v1/events/e1/ack", oli, R"({"by":"x"})", {{"X-CSRF-Token", "x"}},
                         /*csrf=*/false);
  EXPECT_EQ(bad.status, 403);
  // Nothing was written.
  EXPECT_FALSE(Call(http::verb::get, "/api/v1/events/e1", oli).Json()["acknowledged"].get<bool>());
  const Reply ok = Call(http::verb::post, "/api/v1/events/e1/ack", oli, R"({"by":"x"})");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.Json()["acknowledged_by"], "oli");  // the caller, not what the body claims
  // A bearer token needs no CSRF token.
  auto t = auth_->CreateToken("oli", "script", "operator", std::nullopt, 0);
  EXPECT_EQ(Call(http::verb::post, "/api/v1/events/e3/ack", Caller{"t", "", "", t->secret}, "{}").status, 200);
}

TEST_F(AccessTest, RevokedExpiredAndMetricsTokens) {
  auto t = auth_->CreateToken("vic", "script", "viewer", std::nullopt, 60 * kUsPerSecond);
  ASSERT_TRUE(t.ok());
  const Caller tok{"t", "", "", t->secret};
  EXPECT_EQ(Call(http::verb::get, "/api/v1/cameras", tok).status, 200);
  clock_.AdvanceUs(61 * kUsPerSecond);
  const Reply expired = Call(http::verb::get, "/api/v1/cameras", tok);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.Json()["error"]["message"], "authorization: token: expired");

  Caller ada = Login("ada");
  auto t2 = auth_->CreateToken("vic", "script2", "viewer", std::nullopt, 0);
  const Caller tok2{"t", "", "", t2->secret};
  EXPECT_EQ(Call(http::verb::get, "/api/v1/cameras", tok2).status, 200);
  ASSERT_EQ(Call(http::verb::delete_, "/api/v1/tokens/" + t2->info.id, ada).status, 200);
  const Reply revoked = Call(http::verb::get, "/api/v1/cameras", tok2);
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(revoked.Json()["error"]["message"], "authorization: token: revoked");
  EXPECT_EQ(Call(http::verb::get, "/api/v1/cameras", Caller{"t", "", "", "dbt_made_up_token"}).status, 401);

  // /metrics: an admin or a metrics token; a metrics token reads nothing else.
  const Reply created =
      Call(http::verb::post, "/api/v1/tokens", ada, R"({"user":"vic","name":"prom","scope":"metrics"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const Caller prom{"prom", "", "", created.Json()["token"]};
  EXPECT_EQ(Call(http::verb::get, "/metrics", prom).status, 200);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/cameras", prom).status, 403);
  EXPECT_EQ(Call(http::verb::get, "/metrics", Login("vic")).status, 403);
  EXPECT_EQ(Call(http::verb::get, "/metrics", Caller{}).status, 401);
  EXPECT_EQ(Call(http::verb::get, "/metrics", ada).status, 200);
  // A scope above the user's role is refused.
  EXPECT_EQ(Call(http::verb::post, "/api/v1/tokens", ada, R"({"user":"vic","name":"x","scope":"admin"})").status, 403);
}

TEST_F(AccessTest, BruteForceIsRefusedWith429) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Call(http::verb::post, "/api/v1/auth/login", Caller{},
                   json({{"username", "ada"}, {"password", "guess " + std::to_string(i) + " xxxx"}}).dump())
                  .status,
              401);
  }
  const Reply locked = Call(http::verb::post, "/api/v1/auth/login", Caller{},
                            json({{"username", "ada"}, {"password", kPassword}}).dump());
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(locked.Header("Retry-After"), "900");
  EXPECT_EQ(locked.Header("Set-Cookie"), "");
  clock_.AdvanceUs(901 * kUsPerSecond);
  EXPECT_EQ(Call(http::verb::post, "/api/v1/auth/login", Caller{},
                 json({{"username", "ada"}, {"password", kPassword}}).dump())
                .status,
            200);
}

TEST_F(AccessTest, WebSocketsNeedASessionAndASameOriginForCookies) {
  Caller vic = Login("vic");
  EXPECT_EQ(Upgrade("/api/v1/live", Caller{}, Origin()).status, 401);
  EXPECT_EQ(Upgrade("/api/v1/live", vic, "").status, 403);
  EXPECT_EQ(Upgrade("/api/v1/live", vic, "http://evil.example").status, 403);
  EXPECT_EQ(Upgrade("/api/v1/live", vic, Origin()).status, 101);
  auto t = auth_->CreateToken("vic", "ws", "viewer", std::nullopt, 0);
  EXPECT_EQ(Upgrade("/api/v1/live", Caller{"t", "", "", t->secret}, "").status, 101);
}

TEST_F(AccessTest, LiveMessagesAreFilteredToTheViewersCameras) {
  Caller vic = Login("vic");
  net::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
    req.set(http::field::cookie, "didban_session=" + vic.cookie);
    req.set(http::field::origin, Origin());
  }));
  ws.handshake("127.0.0.1:" + std::to_string(port_), "/api/v1/live?topics=event");
  for (int i = 0; i < 50 && server_->live_clients() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (const std::string cam : {"south", "north", "south"}) {
    Event e;
    e.camera = cam;
    e.type = "line_cross";
    site_.hub().Publish(e);
  }
  beast::flat_buffer buffer;
  ws.read(buffer);
  const json m = json::parse(beast::buffers_to_string(buffer.data()));
  EXPECT_EQ(m["camera"], "north");
  EXPECT_EQ(m["topic"], "event");
}

TEST_F(AccessTest, SecurityHeadersOnEveryResponse) {
  for (const std::string target : {"/healthz", "/api/v1/cameras", "/api/v1/nothing", "/api/v1/openapi.json"}) {
    const Reply r = Call(http::verb::get, target, Caller{});
    EXPECT_NE(r.Header("Content-Security-Policy").find("default-src 'self'"), std::string::npos) << target;
    EXPECT_NE(r.Header("Content-Security-Policy").find("frame-ancestors 'none'"), std::string::npos) << target;
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << target;
    EXPECT_EQ(r.Header("X-Frame-Options"), "DENY") << target;
    EXPECT_EQ(r.Header("Referrer-Policy"), "no-referrer") << target;
    EXPECT_EQ(r.Header("Cache-Control"), "no-store") << target;
    EXPECT_EQ(r.Header("Strict-Transport-Security"), "") << target;  // not under TLS
  }
}

TEST_F(AccessTest, AdminManagesUsersGrantsAndTokens) {
  Caller ada = Login("ada");
  Reply r = Call(http::verb::post, "/api/v1/users", ada, R"({"name":"neo","role":"viewer","password":"short"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Json()["error"]["field"], "password");
  r = Call(http::verb::post, "/api/v1/users", ada,
           R"({"name":"neo","role":"viewer","password":"a long enough one","grants":["camera:south"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json()["grants"], json::array({"camera:south"}));
  EXPECT_EQ(r.body.find("password"), std::string::npos);
  r = Call(http::verb::post, "/api/v1/users/neo/grants", ada, R"({"grant":"owner:city"})");
  EXPECT_EQ(r.Json()["grants"], json::array({"camera:south", "owner:city"}));
  r = Call(http::verb::delete_, "/api/v1/users/neo/grants/camera:south", ada);
  EXPECT_EQ(r.Json()["grants"], json::array({"owner:city"}));
  EXPECT_EQ(Call(http::verb::get, "/api/v1/users", ada).Json()["users"].size(), 5u);
  EXPECT_EQ(Call(http::verb::delete_, "/api/v1/users/ada", ada).status, 409);  // not themselves
  EXPECT_EQ(Call(http::verb::delete_, "/api/v1/users/neo", ada).status, 200);
  EXPECT_EQ(Call(http::verb::get, "/api/v1/users/neo", ada).status, 404);
  // Script in a stored string comes back as JSON text, never markup.
  r = Call(http::verb::post, "/api/v1/users", ada, R"({"name":"<script>","role":"viewer","password":"x"})");
  EXPECT_EQ(r.status, 400);
}

// The REST benchmark of docs/performance.md with and without access control (bench/auth_cost.sh): run with
// --gtest_also_run_disabled_tests --gtest_filter='*AccessServeForLoadTest*'; prints the port of the server with access
// control, a viewer's bearer token (grant owner:city, so the visible cameras are computed per request) and an
// admin's, for wrk -H 'Authorization: Bearer ...', and the port of a second server without access control over the
// same site, store and process, so the two differ only in the access check.
TEST_F(AccessTest, DISABLED_AccessServeForLoadTest) {
  for (int i = 0; i < 1000; ++i) {
    store::StoredEvent e;
    e.event.time_us = 1'700'000'000'000'000 + i * 100'000;
    e.event.camera = "north";
    e.event.type = "line_cross";
    e.event.rule = "gate";
    e.event.track_id = i;
    ASSERT_TRUE(site_.store().AddEvent(e));
  }
  ASSERT_TRUE(site_.store().Flush().ok());
  auto viewer = auth_->CreateToken("vic", "bench", "viewer", std::nullopt, 0);
  auto admin = auth_->CreateToken("ada", "bench", "admin", std::nullopt, 0);
  ASSERT_TRUE(viewer.ok() && admin.ok());
  MetricsRegistry open_metrics;
  auto open = HttpServer::Start(ServerOptions{}, site_, open_metrics);
  ASSERT_TRUE(open.ok()) << open.status();
  const char* seconds = std::getenv("DIDBAN_SERVE_SECONDS");
  std::printf("serving on 127.0.0.1:%u\nviewer token %s\nadmin token %s\nwithout access control on 127.0.0.1:%u\n",
              port_, viewer->secret.c_str(), admin->secret.c_str(), (*open)->port());
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds ? std::atoi(seconds) : 10));
}

}  // namespace
}  // namespace didban::server
