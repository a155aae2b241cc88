// Site rights at a center (scale-out): a real server (127.0.0.1, port 0) with a real auth database over a center
// whose store holds two stations' events and tracks, the station cameras' sites known from the relay
// (server/station_directory.h). A viewer granted site:north sees north's cameras, events, tracks and station only;
// south's camera routes, events and station answer exactly as ones that do not exist; a grant of the center's own
// site does not reach the stations; admins see everything. Also the directory's file across restarts.
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "auth/auth_store.h"
#include "server/http_server.h"
#include "server/station_directory.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

// A center: the test site (no cameras of its own here, its store holding what the stations relayed) plus the
// stations' directory.
class CenterSite final : public SiteBackend {
 public:
  explicit CenterSite(const StationDirectory* stations) : stations_(stations) {}
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
  absl::StatusOr<store::Clip> ExportClip(const ClipRequest& r) override { return site_.ExportClip(r); }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions o) override {
    return site_.Subscribe(std::move(o));
  }
  const StationDirectory* Stations() const override { return stations_; }

 private:
  mutable TestSite site_;
  const StationDirectory* stations_;
};

struct Reply {
  int status = 0;
  json body;
};

class StationAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/didban_station_access_XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto d = StationDirectory::Open(dir_ + "/camera_sites.json");
    ASSERT_TRUE(d.ok()) << d.status();
    stations_ = std::move(*d);
    stations_->NoteCamera("north", "north-highway");
    stations_->NoteCamera("south", "south-highway");
    stations_->SetUrl("north", "http://north.example:8080");
    stations_->SetLiveSource([] {
      return std::vector<StationLive>{{"north", true, 1'700'000'000'000'000}, {"south", false, 0}};
    });
    center_ = std::make_unique<CenterSite>(stations_.get());

    auth::AuthOptions o;
    o.pwhash_opslimit = 1;
    o.pwhash_memlimit_bytes = 8192;
    auto st = auth::AuthStore::Open(dir_ + "/auth.db", o, &clock_);
    ASSERT_TRUE(st.ok()) << st.status();
    auth_ = std::move(*st);
    const std::string pw = "long enough secret 1";
    ASSERT_TRUE(auth_->AddUser("ada", auth::Role::kAdmin, pw).ok());
    ASSERT_TRUE(auth_->AddUser("nora", auth::Role::kViewer, pw).ok());
    ASSERT_TRUE(auth_->AddGrant("nora", {"site", "north"}).ok());
    ASSERT_TRUE(auth_->AddUser("cen", auth::Role::kViewer, pw).ok());
    ASSERT_TRUE(auth_->AddGrant("cen", {"site", center_->Site().name}).ok());
    for (const char* user : {"ada", "nora", "cen"}) {
      auto t = auth_->CreateToken(user, "t", user == std::string("ada") ? "admin" : "viewer", std::nullopt, 0);
      ASSERT_TRUE(t.ok()) << t.status();
      tokens_[user] = t->secret;
    }

    store::Store& s = center_->site().store();
    for (int i = 1; i <= 4; ++i) {
      store::StoredEvent e;
      e.id = "e" + std::to_string(i);
      e.event.time_us = i * 1'000'000;
      e.event.camera = i % 2 ? "north-highway" : "south-highway";
      e.event.type = "line_cross";
      e.event.rule = "count";
      ASSERT_TRUE(s.AddEvent(e));
      store::TrackPoint p;
      p.camera = e.event.camera;
      p.track_id = i;
      p.time_us = e.event.time_us;
      ASSERT_TRUE(s.AddTrackPoints({p}));
    }
    ASSERT_TRUE(s.Flush().ok());

    ServerOptions so;
    so.auth = auth_.get();
    auto server = HttpServer::Start(so, *center_, metrics_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }
  void TearDown() override {
    server_.reset();
    auth_.reset();
    center_.reset();
    std::filesystem::remove_all(dir_);
  }

  Reply Get(const std::string& target, const std::string& user) {
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), server_->port()));
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + tokens_.at(user));
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return {static_cast<int>(res.result_int()), json::parse(res.body(), nullptr, false)};
  }
  std::vector<std::string> EventIds(const std::string& target, const std::string& user) {
    std::vector<std::string> ids;
    const Reply r = Get(target, user);
    EXPECT_EQ(r.status, 200) << target << " " << r.body.dump();
    for (const json& e : r.body["events"]) ids.push_back(e["id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  std::string dir_;
  FakeClock clock_{1'800'000'000'000'000};
  std::unique_ptr<StationDirectory> stations_;
  std::unique_ptr<CenterSite> center_;
  std::unique_ptr<auth::AuthStore> auth_;
  std::map<std::string, std::string> tokens_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(StationAccessTest, ASiteGrantSeesItsStationOnly) {
  // Lists: north's events only, whatever the filter asks.
  EXPECT_EQ(EventIds("/api/v1/events", "nora"), (std::vector<std::string>{"e1", "e3"}));
  EXPECT_EQ(EventIds("/api/v1/events?camera=south-highway", "nora"), std::vector<std::string>{});
  EXPECT_EQ(EventIds("/api/v1/events?camera=north-highway", "nora"), (std::vector<std::string>{"e1", "e3"}));
  EXPECT_EQ(EventIds("/api/v1/events", "ada"), (std::vector<std::string>{"e1", "e2", "e3", "e4"}));
  EXPECT_EQ(Get("/api/v1/auth/me", "nora").body["user"]["cameras"], json::array({"north-highway"}));

  // North's tracks; south's camera routes answer as a camera that does not exist.
  const Reply own = Get("/api/v1/cameras/north-highway/tracks?from_us=0&to_us=10000000", "nora");
  ASSERT_EQ(own.status, 200);
  EXPECT_EQ(own.body["points"].size(), 2u);
  for (const std::string sub : {"/tracks?from_us=0&to_us=10000000", "/segments?from_us=0&to_us=10000000", "/status"}) {
    const Reply hidden = Get("/api/v1/cameras/south-highway" + sub, "nora");
    const Reply missing = Get("/api/v1/cameras/nowhere" + sub, "nora");
    EXPECT_EQ(hidden.status, 404) << sub;
    EXPECT_EQ(missing.status, 404) << sub;
    EXPECT_EQ(hidden.body["error"]["message"], "camera: no camera 'south-highway'") << sub;
    EXPECT_EQ(missing.body["error"]["message"], "camera: no camera 'nowhere'") << sub;
    EXPECT_EQ(hidden.body["error"]["field"], missing.body["error"]["field"]) << sub;
  }
  EXPECT_EQ(Get("/api/v1/cameras/south-highway/tracks?from_us=0&to_us=10000000", "ada").body["points"].size(), 2u);
  // A south event answers as a missing one.
  const Reply e2 = Get("/api/v1/events/e2", "nora");
  EXPECT_EQ(e2.status, 404);
  EXPECT_EQ(e2.body["error"]["message"], "id: store: no event \"e2\"");
  EXPECT_EQ(Get("/api/v1/events/e1", "nora").status, 200);

  // Stations: north only for nora (with its cameras), both for the admin; south answers as no station.
  EXPECT_EQ(Get("/api/v1/stations", "nora").body,
            json::parse(R"({"stations":[{"name":"north","online":true,"last_heard_us":1700000000000000,"api":true,
                            "cameras":["north-highway"]}]})"));
  const json all = Get("/api/v1/stations", "ada").body["stations"];
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1], json::parse(R"({"name":"south","online":false,"last_heard_us":0,"api":false,
                                    "cameras":["south-highway"]})"));
  const Reply south = Get("/api/v1/stations/south", "nora");
  const Reply nowhere = Get("/api/v1/stations/nowhere", "nora");
  EXPECT_EQ(south.status, 404);
  EXPECT_EQ(south.body["error"]["message"], "station: no station 'south'");
  EXPECT_EQ(nowhere.body["error"]["message"], "station: no station 'nowhere'");
  EXPECT_EQ(Get("/api/v1/stations/south", "ada").status, 200);
}

TEST_F(StationAccessTest, TheCentersOwnSiteDoesNotReachTheStations) {
  EXPECT_EQ(EventIds("/api/v1/events", "cen"), std::vector<std::string>{});
  EXPECT_EQ(Get("/api/v1/cameras/north-highway/tracks?from_us=0&to_us=10000000", "cen").status, 404);
  EXPECT_EQ(Get("/api/v1/stations", "cen").body, json::parse(R"({"stations":[]})"));
  EXPECT_EQ(Get("/api/v1/auth/me", "cen").body["user"]["cameras"], json::array());
}

TEST_F(StationAccessTest, NewCamerasAreLearnedAndAmbiguousNamesAreHidden) {
  // A camera both stations report is nobody's site: only those who see every camera see it.
  stations_->NoteCamera("north", "gate");
  stations_->NoteCamera("south", "gate");
  stations_->NoteCamera("north", "north-bridge");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // the policy re-reads camera sites each second
  EXPECT_EQ(Get("/api/v1/auth/me", "nora").body["user"]["cameras"], json::array({"north-bridge", "north-highway"}));
  EXPECT_EQ(stations_->SiteOf("gate"), "");
  EXPECT_EQ(stations_->SiteOf("north-bridge"), "north");

  // The file keeps what was learned across a restart.
  auto again = StationDirectory::Open(dir_ + "/camera_sites.json");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*(*again)->CameraSites(),
            (std::map<std::string, std::string>{
                {"gate", ""}, {"north-bridge", "north"}, {"north-highway", "north"}, {"south-highway", "south"}}));
  std::ofstream(dir_ + "/bad.json") << "{\"cameras\": [1]}";
  EXPECT_EQ(StationDirectory::Open(dir_ + "/bad.json").status().message(),
            dir_ + "/bad.json: not a station camera file ({\"cameras\": {\"CAMERA\": [\"SITE\"]}})");
}

}  // namespace
}  // namespace didban::server
