// The center's proxy to a station's API (server/station_proxy.h) with real servers on 127.0.0.1, port 0: a station
// (a real HttpServer with access control over the test site: cameras gate and yard, a stored clip of each, a segment,
// MJPEG and fMP4 live video) and a center (a real HttpServer whose StationDirectory knows north's cameras, URL and
// token). What the center answers is the station's own answer byte for byte; a camera or clip the caller may not see
// answers exactly as a missing one; an offline station is a 502 and one that does not answer a 504, both as JSON
// errors; path traversal in the proxied path never reaches the station; live views and exports are audited at the
// center.
#include "server/station_proxy.h"

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <opencv2/core.hpp>

#include "audit/audit_sink.h"
#include "auth/auth_store.h"
#include "server/http_server.h"
#include "server/live_video.h"
#include "server/station_directory.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

// A backend over the test site that a test can hand stations to (the center) or let export clips (the station).
class Backend final : public SiteBackend {
 public:
  explicit Backend(const StationDirectory* stations = nullptr) : stations_(stations) {}
  TestSite& site() { return site_; }
  SiteInfo Site() const override { return site_.Site(); }
  bool Ready() const override { return site_.Ready(); }
  std::vector<CameraInfo> Cameras() const override { return site_.Cameras(); }
  absl::StatusOr<CameraInfo> Camera(const std::string& name) const override { return site_.Camera(name); }
  absl::StatusOr<CameraInfo> AddCamera(const nlohmann::json& d) override { return site_.AddCamera(d); }
  absl::StatusOr<CameraInfo> UpdateCamera(const std::string& n, const nlohmann::json& d) override {
    return site_.UpdateCamera(n, d);
  }
  absl::Status RemoveCamera(const std::string& name) override { return site_.RemoveCamera(name); }
  absl::StatusOr<std::string> SnapshotJpeg(const std::string& camera) const override {
    return site_.SnapshotJpeg(camera);
  }
  store::Store* EventStore() override { return site_.EventStore(); }
  // The station's export: a clip row (pending) named after the request.
  absl::StatusOr<store::Clip> ExportClip(const ClipRequest& r) override {
    store::Clip c;
    c.id = "x" + std::to_string(++exports_);
    c.camera = r.camera;
    c.start_us = r.from_us;
    c.end_us = r.to_us;
    c.created_us = 1'800'000'000'000'000;
    c.detail = "by " + r.actor;
    if (!site_.store().PutClip(c) || !site_.store().Flush().ok()) return absl::InternalError("clip: not stored");
    return c;
  }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions o) override {
    return site_.Subscribe(std::move(o));
  }
  LiveVideo* Video() override { return video_; }
  void SetVideo(LiveVideo* v) { video_ = v; }
  const StationDirectory* Stations() const override { return stations_; }

 private:
  mutable TestSite site_;
  const StationDirectory* stations_;
  LiveVideo* video_ = nullptr;
  int exports_ = 0;
};

class MemoryAudit final : public audit::AuditSink {
 public:
  void Record(audit::AuditEntry e) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.push_back(std::move(e));
  }
  std::vector<audit::AuditEntry> Entries() {
    std::lock_guard<std::mutex> lock(mu_);
    return entries_;
  }

 private:
  std::mutex mu_;
  std::vector<audit::AuditEntry> entries_;
};

struct Reply {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string content_length;
  json Json() const { return json::parse(body, nullptr, false); }
};

// One request on a new connection (HTTP/1.1, Connection: close), the reply read whole.
Reply Call(uint16_t port, http::verb verb, const std::string& target, const std::string& token,
           const std::string& body = "") {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::connection, "close");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  beast::error_code ec;
  http::read(socket, buffer, parser, ec);
  const auto& res = parser.get();
  return {static_cast<int>(res.result_int()), res.body(), std::string(res[http::field::content_type]),
          std::string(res[http::field::content_length])};
}

// A listener that accepts connections and records what arrives, answering nothing (a station that hangs) or a
// canned 200 (`answer`).
class Recorder {
 public:
  explicit Recorder(bool answer) : acceptor_(ioc_, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this, answer] {
      for (;;) {
        tcp::socket s(ioc_);
        beast::error_code ec;
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        if (!answer) {
          held_.push_back(std::move(s));  // never answered
          continue;
        }
        beast::flat_buffer b;
        http::request<http::string_body> req;
        http::read(s, b, req, ec);
        {
          std::lock_guard<std::mutex> lock(mu_);
          targets_.push_back(std::string(req.target()));
        }
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain");
        res.body() = "recorded";
        res.prepare_payload();
        http::write(s, res, ec);
      }
    });
  }
  ~Recorder() {
    stop_ = true;
    tcp::socket s(ioc_);
    beast::error_code ec;
    s.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> Targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return targets_;
  }

 private:
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> targets_;
  std::vector<tcp::socket> held_;
};

class StationProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/didban_station_proxy_XXXXXX";
    dir_ = mkdtemp(tmpl);
    auth::AuthOptions ao;
    ao.pwhash_opslimit = 1;
    ao.pwhash_memlimit_bytes = 8192;
    const std::string pw = "long enough secret 1";

    // --- the station: cameras gate and yard, a clip of each (gate's 3 MB), a segment, live video ---
    station_ = std::make_unique<Backend>();
    ASSERT_TRUE(station_->AddCamera(json{{"name", "gate"}, {"uri", "rtsp://10.0.0.1/gate"}, {"owner", "police"}}).ok());
    ASSERT_TRUE(station_->AddCamera(json{{"name", "yard"}, {"uri", "rtsp://10.0.0.1/yard"}}).ok());
    std::string video(3 * 1024 * 1024 + 17, '\0');
    std::mt19937 rng(7);
    for (char& c : video) c = static_cast<char>(rng());
    std::ofstream(dir_ + "/gate.mp4", std::ios::binary) << video;
    std::ofstream(dir_ + "/yard.mp4", std::ios::binary) << "yard video";
    clip_bytes_ = video;
    store::Store& s = station_->site().store();
    for (const auto& [id, camera] : {std::pair<std::string, std::string>{"c1", "gate"}, {"c2", "yard"}}) {
      store::Clip c;
      c.id = id;
      c.camera = camera;
      c.start_us = 1'000'000;
      c.end_us = 5'000'000;
      c.path = dir_ + "/" + camera + ".mp4";
      c.bytes = static_cast<int64_t>(std::filesystem::file_size(c.path));
      c.state = store::ClipState::kReady;
      c.created_us = 1'700'000'000'000'000;
      ASSERT_TRUE(s.PutClip(c));
    }
    store::Segment seg;
    seg.path = dir_ + "/gate-0001.mp4";
    seg.camera = "gate";
    seg.start_us = 1'000'000;
    seg.end_us = 61'000'000;
    seg.bytes = 12345;
    seg.keyframes = 60;
    seg.open = false;
    ASSERT_TRUE(s.PutSegment(seg));
    ASSERT_TRUE(s.Flush().ok());
    LiveVideoOptions lo;
    lo.latest_frame = [n = std::make_shared<std::atomic<int64_t>>(0)](const std::string& camera) {
      auto f = std::make_shared<Frame>();
      f->camera = camera;
      f->index = ++*n;  // a new frame each time (MJPEG encodes new frames only)
      f->pts_us = f->index * 40'000;
      f->image = cv::Mat(48, 64, CV_8UC3, cv::Scalar(40, 120, 200));
      f->full = f->image;
      return FramePtr(f);
    };
    auto live = LiveVideo::Create(lo);
    ASSERT_TRUE(live.ok()) << live.status();
    live_ = std::move(*live);
    station_->SetVideo(live_.get());
    auto sa = auth::AuthStore::Open(dir_ + "/station_auth.db", ao, &clock_);
    ASSERT_TRUE(sa.ok()) << sa.status();
    station_auth_ = std::move(*sa);
    ASSERT_TRUE(station_auth_->AddUser("center", auth::Role::kOperator, pw).ok());
    ASSERT_TRUE(station_auth_->AddGrant("center", {"all", ""}).ok());
    auto st = station_auth_->CreateToken("center", "proxy", "operator", std::nullopt, 0);
    ASSERT_TRUE(st.ok()) << st.status();
    station_token_ = st->secret;
    ServerOptions so;
    so.auth = station_auth_.get();
    auto station_server = HttpServer::Start(so, *station_, station_metrics_);
    ASSERT_TRUE(station_server.ok()) << station_server.status();
    station_server_ = std::move(*station_server);

    // --- the center: north (this station), south (offline: a closed port), east (hangs) ---
    auto d = StationDirectory::Open("");
    ASSERT_TRUE(d.ok());
    stations_ = std::move(*d);
    stations_->NoteCamera("north", "gate");
    stations_->NoteCamera("north", "yard");
    stations_->NoteCamera("south", "south-gate");
    stations_->NoteCamera("east", "east-gate");
    stations_->NoteCamera("west", "west-gate");  // no API address
    stations_->SetUrl("north", absl::StrCat("http://127.0.0.1:", station_server_->port()));
    stations_->SetToken("north", station_token_);
    {
      net::io_context ioc;
      tcp::acceptor a(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
      closed_port_ = a.local_endpoint().port();
    }  // closed again: nothing listens there
    stations_->SetUrl("south", absl::StrCat("http://127.0.0.1:", closed_port_));
    hang_ = std::make_unique<Recorder>(false);
    stations_->SetUrl("east", absl::StrCat("http://127.0.0.1:", hang_->port()));
    StationProxyOptions po;
    po.answer_timeout_ms = 700;
    stations_->SetProxyOptions(po);
    center_ = std::make_unique<Backend>(stations_.get());
    auto ca = auth::AuthStore::Open(dir_ + "/center_auth.db", ao, &clock_);
    ASSERT_TRUE(ca.ok()) << ca.status();
    center_auth_ = std::move(*ca);
    ASSERT_TRUE(center_auth_->AddUser("ada", auth::Role::kAdmin, pw).ok());
    ASSERT_TRUE(center_auth_->AddUser("nora", auth::Role::kViewer, pw).ok());  // gate only
    ASSERT_TRUE(center_auth_->AddGrant("nora", {"camera", "gate"}).ok());
    ASSERT_TRUE(center_auth_->AddUser("sam", auth::Role::kViewer, pw).ok());  // south only
    ASSERT_TRUE(center_auth_->AddGrant("sam", {"site", "south"}).ok());
    ASSERT_TRUE(center_auth_->AddUser("oli", auth::Role::kOperator, pw).ok());  // north
    ASSERT_TRUE(center_auth_->AddGrant("oli", {"site", "north"}).ok());
    ASSERT_TRUE(center_auth_->AddUser("pol", auth::Role::kViewer, pw).ok());  // the police's cameras
    ASSERT_TRUE(center_auth_->AddGrant("pol", {"owner", "police"}).ok());
    for (const char* user : {"ada", "nora", "sam", "oli", "pol"}) {
      const std::string u = user;
      auto t = center_auth_->CreateToken(u, "t",
                                         u == "ada"   ? "admin"
                                         : u == "oli" ? "operator"
                                                      : "viewer",
                                         std::nullopt, 0);
      ASSERT_TRUE(t.ok()) << t.status();
      tokens_[u] = t->secret;
      actors_[u] = "token:" + t->info.id;
    }
    ServerOptions co;
    co.auth = center_auth_.get();
    co.audit = &audit_;
    auto center_server = HttpServer::Start(co, *center_, center_metrics_);
    ASSERT_TRUE(center_server.ok()) << center_server.status();
    center_server_ = std::move(*center_server);
  }
  void TearDown() override {
    center_server_.reset();
    station_server_.reset();
    hang_.reset();
    std::filesystem::remove_all(dir_);
  }

  Reply AtCenter(const std::string& target, const std::string& user, http::verb verb = http::verb::get,
                 const std::string& body = "") {
    return Call(center_server_->port(), verb, target, tokens_.at(user), body);
  }
  Reply AtStation(const std::string& target) {
    return Call(station_server_->port(), http::verb::get, target, station_token_);
  }
  int StationMp4Viewers() {
    int n = 0;
    for (const LiveVideoStats& s : live_->Stats()) n += s.mp4_viewers;
    return n;
  }

  std::string dir_;
  FakeClock clock_{1'800'000'000'000'000};
  std::string clip_bytes_;
  std::unique_ptr<Backend> station_;
  std::unique_ptr<LiveVideo> live_;
  std::unique_ptr<auth::AuthStore> station_auth_;
  std::string station_token_;
  MetricsRegistry station_metrics_;
  std::unique_ptr<HttpServer> station_server_;
  uint16_t closed_port_ = 0;
  std::unique_ptr<Recorder> hang_;
  std::unique_ptr<StationDirectory> stations_;
  std::unique_ptr<Backend> center_;
  std::unique_ptr<auth::AuthStore> center_auth_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, std::string> actors_;  // user -> the audit's actor for their token
  MemoryAudit audit_;
  MetricsRegistry center_metrics_;
  std::unique_ptr<HttpServer> center_server_;
};

TEST_F(StationProxyTest, AnswersAreTheStationsOwnByteForByte) {
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"/api/v1/stations/north/cameras/gate/snapshot.jpg", "/api/v1/cameras/gate/snapshot.jpg"},
      {"/api/v1/stations/north/cameras/gate/segments?from_us=0&to_us=100000000",
       "/api/v1/cameras/gate/segments?from_us=0&to_us=100000000"},
      {"/api/v1/stations/north/clips/c1", "/api/v1/clips/c1"},
      {"/api/v1/stations/north/clips/c1/video.mp4", "/api/v1/clips/c1/video.mp4"},
      {"/api/v1/stations/north/clips/nope", "/api/v1/clips/nope"},
      {"/api/v1/stations/north/clips/nope/video.mp4", "/api/v1/clips/nope"},
  };
  for (const auto& [center, station] : pairs) {
    for (const char* user : {"ada", "nora", "oli"}) {
      const Reply c = AtCenter(center, user);
      const Reply s = AtStation(station);
      EXPECT_EQ(c.status, s.status) << user << " " << center << " " << c.body.substr(0, 200);
      EXPECT_EQ(c.body, s.body) << user << " " << center;
      EXPECT_EQ(c.content_type, s.content_type) << user << " " << center;
    }
  }
  const Reply video = AtCenter("/api/v1/stations/north/clips/c1/video.mp4", "nora");
  ASSERT_EQ(video.status, 200);
  EXPECT_EQ(video.body.size(), 3u * 1024 * 1024 + 17);
  EXPECT_TRUE(video.body == clip_bytes_);
  EXPECT_EQ(video.content_length, std::to_string(clip_bytes_.size()));
  EXPECT_EQ(AtCenter("/api/v1/stations/north/cameras/gate/segments?from_us=0&to_us=100000000", "nora")
                .Json()["segments"][0]["bytes"],
            12345);
}

TEST_F(StationProxyTest, WhatTheCallerMayNotSeeAnswersAsMissing) {
  // nora sees gate only: yard (north's too) answers as a camera that does not exist, its clip as a missing clip.
  for (const std::string sub : {"/snapshot.jpg", "/segments?from_us=0&to_us=1000", "/live.mjpeg"}) {
    const Reply hidden = AtCenter("/api/v1/stations/north/cameras/yard" + sub, "nora");
    const Reply missing = AtCenter("/api/v1/stations/north/cameras/nowhere" + sub, "nora");
    EXPECT_EQ(hidden.status, 404) << sub;
    EXPECT_EQ(missing.status, 404) << sub;
    EXPECT_EQ(hidden.Json()["error"]["message"], "camera: no camera 'yard'") << sub;
    EXPECT_EQ(missing.Json()["error"]["message"], "camera: no camera 'nowhere'") << sub;
  }
  for (const std::string sub : {"", "/video.mp4"}) {
    const Reply hidden = AtCenter("/api/v1/stations/north/clips/c2" + sub, "nora");
    const Reply missing = AtCenter("/api/v1/stations/north/clips/c9" + sub, "nora");
    EXPECT_EQ(hidden.status, 404) << sub;
    EXPECT_EQ(hidden.body, R"({"error":{"code":"not_found","field":"clip","message":"clip: store: no clip \"c2\""}})")
        << sub;
    EXPECT_EQ(missing.body, R"({"error":{"code":"not_found","field":"clip","message":"clip: store: no clip \"c9\""}})")
        << sub;
    // The station's own answer for a clip it does not have is the same.
    EXPECT_EQ(AtStation("/api/v1/clips/c9" + sub).body, missing.body) << sub;
  }
  EXPECT_EQ(AtCenter("/api/v1/stations/north/clips/c2", "ada").status, 200);
  // sam (south only) does not see north at all: its clips answer as a missing station's.
  const Reply north = AtCenter("/api/v1/stations/north/clips/c1", "sam");
  const Reply nowhere = AtCenter("/api/v1/stations/nowhere/clips/c1", "sam");
  EXPECT_EQ(north.status, 404);
  EXPECT_EQ(north.Json()["error"]["message"], "station: no station 'north'");
  EXPECT_EQ(nowhere.Json()["error"]["message"], "station: no station 'nowhere'");
  EXPECT_EQ(AtCenter("/api/v1/stations/north/cameras/gate/snapshot.jpg", "sam").Json()["error"]["message"],
            "camera: no camera 'gate'");
  // A camera through another station's path answers as missing, even for an admin.
  EXPECT_EQ(AtCenter("/api/v1/stations/south/cameras/gate/snapshot.jpg", "ada").Json()["error"]["message"],
            "camera: no camera 'gate'");
  // An export of a camera the caller may not see answers as missing; nothing reaches the station.
  const Reply refused = AtCenter("/api/v1/stations/north/clips", "oli", http::verb::post,
                                 R"({"camera":"south-gate","from_us":0,"to_us":1})");
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(refused.Json()["error"]["message"], "camera: no camera 'south-gate'");
}

TEST_F(StationProxyTest, AnOfflineStationIs502AndASilentOne504) {
  const Reply off = AtCenter("/api/v1/stations/south/cameras/south-gate/snapshot.jpg", "ada");
  EXPECT_EQ(off.status, 502);
  EXPECT_EQ(off.Json()["error"]["code"], "bad_gateway");
  EXPECT_EQ(off.Json()["error"]["field"], "station");
  EXPECT_EQ(off.Json()["error"]["message"],
            absl::StrCat("station 'south': cannot connect to http://127.0.0.1:", closed_port_, ": Connection refused"));
  for (const std::string sub : {"/snapshot.jpg", "/live.mjpeg"}) {
    const Reply silent = AtCenter("/api/v1/stations/east/cameras/east-gate" + sub, "ada");
    EXPECT_EQ(silent.status, 504) << sub;
    EXPECT_EQ(silent.Json()["error"]["code"], "gateway_timeout") << sub;
    EXPECT_EQ(
        silent.Json()["error"]["message"],
        absl::StrCat("station 'east': no answer from http://127.0.0.1:", hang_->port(), " (reading the answer of)"))
        << sub;
  }
  EXPECT_EQ(AtCenter("/api/v1/stations/south/clips/c1/video.mp4", "ada").status, 502);
  // A station without an API address, and a single site (not a center).
  EXPECT_EQ(AtCenter("/api/v1/stations/west/cameras/west-gate/snapshot.jpg", "ada").Json()["error"]["message"],
            "station 'west': the center has no API address for it (--station-url)");
  EXPECT_EQ(Call(station_server_->port(), http::verb::get, "/api/v1/stations/north/clips/c1", station_token_).status,
            501);
  // The offline live view is refused and audited as refused.
  const Reply mjpeg = AtCenter("/api/v1/stations/south/cameras/south-gate/live.mjpeg", "ada");
  EXPECT_EQ(mjpeg.status, 502);
  bool audited = false;
  for (const audit::AuditEntry& e : audit_.Entries()) {
    if (e.action == "stationLiveVideoMjpeg" && e.target == "camera:south-gate") audited = !e.allowed;
  }
  EXPECT_TRUE(audited);
}

TEST_F(StationProxyTest, PathTraversalNeverReachesTheStation) {
  Recorder recorder(true);
  stations_->SetUrl("north", absl::StrCat("http://127.0.0.1:", recorder.port(), "/base"));
  for (const std::string target : {
           "/api/v1/stations/north/cameras/..%2F..%2Fusers/snapshot.jpg",
           "/api/v1/stations/north/cameras/gate%2F..%2F..%2Fusers/snapshot.jpg",
           "/api/v1/stations/north/cameras/../../users/snapshot.jpg",
           "/api/v1/stations/north/clips/../../users",
           "/api/v1/stations/north/clips/%2E%2E/video.mp4",
           "/api/v1/stations/north/clips/c1%00/video.mp4",
           "/api/v1/stations/north/cameras/gate/snapshot.jpg?path=../../etc/passwd",
           "/api/v1/stations/north/cameras/gate/segments?from_us=0&to_us=1%26x%3D..%2F",
           "/api/v1/stations/..%2Fnorth/cameras/gate/snapshot.jpg",
       }) {
    const Reply r = AtCenter(target, "ada");
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status << " " << r.body;
  }
  EXPECT_EQ(recorder.Targets(), std::vector<std::string>{});
  // A proper request reaches the station at its own path under the configured prefix.
  EXPECT_EQ(AtCenter("/api/v1/stations/north/cameras/gate/snapshot.jpg", "ada").body, "recorded");
  EXPECT_EQ(recorder.Targets(), std::vector<std::string>{"/base/api/v1/cameras/gate/snapshot.jpg"});
}

TEST_F(StationProxyTest, LiveVideoIsRelayedOnlyWhileWatchedAndAudited) {
  // MJPEG: the station's parts through the center.
  {
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), center_server_->port()));
    http::request<http::empty_body> req{http::verb::get, "/api/v1/stations/north/cameras/gate/live.mjpeg", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + tokens_.at("nora"));
    http::write(socket, req);
    net::streambuf buf;
    net::read_until(socket, buf, "\xFF\xD9");  // the end of the first JPEG
    const std::string got(net::buffers_begin(buf.data()), net::buffers_end(buf.data()));
    EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got.substr(0, 300);
    EXPECT_NE(got.find("Content-Type: multipart/x-mixed-replace; boundary=didbanframe"), std::string::npos);
    EXPECT_NE(got.find("--didbanframe"), std::string::npos);
    EXPECT_NE(got.find("Content-Type: image/jpeg"), std::string::npos);
  }
  // fMP4 WebSocket: nothing is muxed at the station before a viewer; one viewer there while watched, none after.
  EXPECT_EQ(StationMp4Viewers(), 0);
  {
    net::io_context ioc;
    websocket::stream<tcp::socket> ws(ioc);
    ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), center_server_->port()));
    const std::string token = tokens_.at("nora");
    ws.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& r) { r.set(http::field::authorization, "Bearer " + token); }));
    ws.handshake("127.0.0.1", "/api/v1/stations/north/cameras/gate/live.mp4");
    for (int i = 0; i < 200 && StationMp4Viewers() != 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(StationMp4Viewers(), 1);
    ws.close(websocket::close_code::normal);
  }
  for (int i = 0; i < 300 && StationMp4Viewers() != 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(StationMp4Viewers(), 0);
  // A hidden camera's WebSocket is refused as a missing camera.
  {
    net::io_context ioc;
    websocket::stream<tcp::socket> ws(ioc);
    ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), center_server_->port()));
    const std::string token = tokens_.at("nora");
    ws.set_option(websocket::stream_base::decorator(
        [token](websocket::request_type& r) { r.set(http::field::authorization, "Bearer " + token); }));
    websocket::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1", "/api/v1/stations/north/cameras/yard/live.mp4", ec);
    EXPECT_TRUE(ec);  // refused (the audit below records the 404)
  }
  // Both views audited at the center with the viewer's name.
  std::vector<std::string> seen;
  for (const audit::AuditEntry& e : audit_.Entries()) {
    if (e.actor == actors_.at("nora")) seen.push_back(e.action + " " + e.target + " " + (e.allowed ? "1" : "0"));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"stationLiveVideoMjpeg camera:gate 1", "stationLiveVideoMp4 camera:gate 1",
                                            "stationLiveVideoMp4 camera:yard 0"}));
}

TEST_F(StationProxyTest, ExportsAreMadeAtTheStationAndAuditedAtTheCenter) {
  const Reply r = AtCenter("/api/v1/stations/north/clips", "oli", http::verb::post,
                           R"({"camera":"gate","from_us":1000000,"to_us":3000000,"reason":"case 7"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(r.Json()["camera"], "gate");
  EXPECT_EQ(r.Json()["id"], "x1");
  // The station knows it (its export made the row), and the center reaches it.
  EXPECT_EQ(AtCenter("/api/v1/stations/north/clips/x1", "oli").body, AtStation("/api/v1/clips/x1").body);
  // A viewer may not export (403 at the center; nothing reaches the station).
  EXPECT_EQ(AtCenter("/api/v1/stations/north/clips", "nora", http::verb::post,
                     R"({"camera":"gate","from_us":1000000,"to_us":3000000})")
                .status,
            403);
  EXPECT_EQ(AtStation("/api/v1/clips/x2").status, 404);
  int exports = 0;
  for (const audit::AuditEntry& e : audit_.Entries()) {
    if (e.action == "exportStationClip" && e.allowed) {
      ++exports;
      EXPECT_EQ(e.actor, actors_.at("oli"));
      EXPECT_EQ(e.detail["status"], 202);
    }
  }
  EXPECT_EQ(exports, 1);
}

TEST_F(StationProxyTest, OwnerGrantsReachStationCamerasOnceTheirOwnersAreRead) {
  EXPECT_EQ(AtCenter("/api/v1/stations/north/cameras/gate/snapshot.jpg", "pol").status, 404);
  ASSERT_TRUE(RefreshStationOwners(*stations_, "north").ok());
  EXPECT_EQ(*stations_->CameraOwners(), (std::map<std::string, std::string>{{"gate", "police"}, {"yard", ""}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the access policy re-reads cameras each second
  const Reply gate = AtCenter("/api/v1/stations/north/cameras/gate/snapshot.jpg", "pol");
  EXPECT_EQ(gate.status, 200);
  EXPECT_EQ(gate.body, AtStation("/api/v1/cameras/gate/snapshot.jpg").body);
  EXPECT_EQ(AtCenter("/api/v1/stations/north/cameras/yard/snapshot.jpg", "pol").Json()["error"]["message"],
            "camera: no camera 'yard'");
  EXPECT_EQ(AtCenter("/api/v1/stations", "pol").Json()["stations"][0]["cameras"], json::array({"gate"}));
  // An offline station keeps what was read before; the error names it.
  const absl::Status off = RefreshStationOwners(*stations_, "south");
  EXPECT_EQ(off.message(),
            absl::StrCat("station 'south': camera list: 502 ",
                         R"({"error":{"code":"bad_gateway","field":"station","message":"station 'south': )",
                         "cannot connect to http://127.0.0.1:", closed_port_, R"(: Connection refused"}})"));
}

TEST(StationUrlTest, ParsesHttpUrlsOnly) {
  auto u = ParseStationApiUrl("http://north.example:8080/didban/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "north.example");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->prefix, "/didban");
  EXPECT_EQ(ParseStationApiUrl("http://[::1]:81")->host, "::1");
  EXPECT_EQ(ParseStationApiUrl("http://h")->port, "80");
  EXPECT_FALSE(ParseStationApiUrl("https://h:443").ok());
  EXPECT_FALSE(ParseStationApiUrl("http://h:0").ok());
  EXPECT_FALSE(ParseStationApiUrl("http://:80").ok());
}

}  // namespace
}  // namespace didban::server
