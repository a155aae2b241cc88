// GET /api/v1/hotspots: the store's near-miss, stopped and wrong-way events with ground positions gathered in grid
// cells (the cells of `didban analyze`'s hotspots.geojson), filtered by time, camera and the caller's cameras; the
// input guard refuses bad parameters with the field named (real HTTP server on 127.0.0.1, port 0).
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "geo/local_frame.h"
#include "server/api_routes.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

using nlohmann::json;

class HotspotsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(site_.AddCamera({{"name", "north"}, {"uri", "rtsp://10.0.0.1/s"}}).ok());
    ASSERT_TRUE(site_.AddCamera({{"name", "south"}, {"uri", "rtsp://10.0.0.2/s"}}).ok());
    int n = 0;
    auto add = [&](TimeUs t, const std::string& camera, const std::string& type, std::optional<Point2> ground) {
      store::StoredEvent e;
      e.id = "h" + std::to_string(++n);
      e.event.time_us = t;
      e.event.camera = camera;
      e.event.type = type;
      e.event.rule = "r";
      e.event.ground = ground;
      ASSERT_TRUE(site_.store().AddEvent(e));
    };
    add(1'000'000, "north", "near_miss", Point2{1, 1});
    add(2'000'000, "north", "stopped", Point2{3, 5});
    add(3'000'000, "north", "wrong_way", Point2{15, -2});
    add(4'000'000, "north", "near_miss", std::nullopt);       // uncalibrated: no position
    add(5'000'000, "north", "line_cross", Point2{1, 1});      // not an incident
    add(6'000'000, "south", "near_miss", Point2{2, 2});       // another camera
    add(90'000'000, "north", "near_miss", Point2{100, 100});  // outside the range asked
    ASSERT_TRUE(site_.store().Flush().ok());
    ASSERT_TRUE(AddApiRoutes(site_, metrics_, router_).ok());
  }

  json Call(std::map<std::string, std::string> query, std::shared_ptr<const std::set<std::string>> visible = nullptr,
            int* status = nullptr) {
    auto m = router_.Find(Method::kGet, "/api/v1/hotspots");
    EXPECT_TRUE(m.ok());
    ApiRequest r;
    r.path = "/api/v1/hotspots";
    r.query = std::move(query);
    r.visible_cameras = std::move(visible);
    ApiResponse resp = m->route->handler(r);
    if (status) *status = resp.status;
    EXPECT_EQ(resp.content_type, resp.status == 200 ? "application/geo+json" : "application/json");
    return json::parse(resp.body);
  }

  TestSite site_;
  MetricsRegistry metrics_;
  Router router_;
};

TEST_F(HotspotsTest, GathersIncidentsInGroundCells) {
  json fc = Call({{"from_us", "0"}, {"to_us", "60000000"}});
  EXPECT_EQ(fc["type"], "FeatureCollection");
  EXPECT_EQ(fc["events"], 4);
  EXPECT_EQ(fc["truncated"], false);
  EXPECT_EQ(fc["cell_m"], 10.0);
  ASSERT_EQ(fc["features"].size(), 2u);
  // Cells in (east, north) index order: (0, 0) holds (1, 1), (3, 5) and south's (2, 2); (1, -1) the wrong-way.
  EXPECT_EQ(fc["features"][0]["geometry"],
            json::parse(R"({"type": "Point", "coordinates": [2.0, 2.6666666666666665]})"));
  EXPECT_EQ(fc["features"][0]["properties"],
            json::parse(R"({"count": 3, "near_miss": 2, "stopped": 1, "wrong_way": 0, "crs": "local-metres"})"));
  EXPECT_EQ(fc["features"][1]["geometry"]["coordinates"], json::parse("[15.0, -2.0]"));
  EXPECT_EQ(fc["features"][1]["properties"]["wrong_way"], 1);
  EXPECT_EQ(fc["features"][1]["properties"]["count"], 1);

  // One camera; a coarser grid puts everything in one cell.
  fc = Call({{"from_us", "0"}, {"to_us", "60000000"}, {"camera", "south"}});
  ASSERT_EQ(fc["features"].size(), 1u);
  EXPECT_EQ(fc["features"][0]["geometry"]["coordinates"], json::parse("[2.0, 2.0]"));
  fc = Call({{"from_us", "0"}, {"to_us", "60000000"}, {"cell_m", "100"}});
  ASSERT_EQ(fc["features"].size(), 2u);  // (15, -2) is in cell (0, -1), the others in (0, 0)
  EXPECT_EQ(fc["features"][1]["properties"]["count"], 3);
  EXPECT_EQ(fc["cell_m"], 100.0);
}

TEST_F(HotspotsTest, LonLatForAGeoReferencedSite) {
  json fc = Call({{"from_us", "0"}, {"to_us", "60000000"}, {"camera", "south"}, {"frame", "wgs84"}});
  ASSERT_EQ(fc["features"].size(), 1u);
  const geo::LatLon ll = geo::LocalFrame(47.5, 8.5, 0).ToLatLon(2, 2);  // TestSite's origin
  EXPECT_EQ(fc["features"][0]["geometry"]["coordinates"], json({ll.lon, ll.lat}));
  EXPECT_FALSE(fc["features"][0]["properties"].contains("crs"));
}

TEST_F(HotspotsTest, OnlyTheCallersCameras) {
  auto only_south = std::make_shared<const std::set<std::string>>(std::set<std::string>{"south"});
  json fc = Call({{"from_us", "0"}, {"to_us", "60000000"}}, only_south);
  EXPECT_EQ(fc["events"], 1);
  ASSERT_EQ(fc["features"].size(), 1u);
  EXPECT_EQ(fc["features"][0]["properties"]["near_miss"], 1);
  // Asking for a hidden camera gives nothing, as for a camera without events.
  fc = Call({{"from_us", "0"}, {"to_us", "60000000"}, {"camera", "north"}}, only_south);
  EXPECT_EQ(fc["events"], 0);
  EXPECT_EQ(fc["features"].size(), 0u);
  int status = 0;
  fc = Call({{"from_us", "5"}, {"to_us", "5"}}, nullptr, &status);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(fc["error"]["field"], "to_us");
}

TEST_F(HotspotsTest, TheInputGuardNamesBadParameters) {
  auto server = HttpServer::Start(ServerOptions{}, site_, metrics_);
  ASSERT_TRUE(server.ok()) << server.status();
  namespace http = boost::beast::http;
  auto get = [&](const std::string& target) {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), (*server)->port()});
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(socket, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return std::make_pair(static_cast<int>(res.result_int()), res.body());
  };
  auto [ok, body] = get("/api/v1/hotspots?from_us=0&to_us=60000000");
  EXPECT_EQ(ok, 200);
  EXPECT_EQ(json::parse(body)["events"], 4);
  for (const auto& [query, field] :
       std::vector<std::pair<std::string, std::string>>{{"from_us=0", "to_us"},
                                                        {"from_us=0&to_us=1&frame=utm", "frame"},
                                                        {"from_us=0&to_us=1&cell_m=0", "cell_m"}}) {
    auto [status, text] = get("/api/v1/hotspots?" + query);
    EXPECT_EQ(status, 400) << query;
    EXPECT_EQ(json::parse(text)["error"]["field"], field) << query << " " << text;
  }
}

}  // namespace
}  // namespace didban::server
