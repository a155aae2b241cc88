#include "server/http_server.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/str_cat.h"
#include "audit/audit_log.h"
#include "auth/auth_store.h"
#include "didban/object_class.h"
#include "server/api_routes.h"
#include "server/live_video.h"
#include "server/router.h"
#include "server/test_site.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  json Json() const { return json::parse(body); }
  std::string Field() const { return Json()["error"].value("field", ""); }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

Reply ToReply(const http::response<http::string_body>& res) {
  Reply r;
  r.status = static_cast<int>(res.result_int());
  r.body = res.body();
  for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
  return r;
}

// A real HTTP/1.1 client (Beast, synchronous), one connection per request.
Reply Call(uint16_t port, http::verb method, const std::string& target, const std::string& body = "",
           const std::string& content_type = "application/json") {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!body.empty()) {
    req.set(http::field::content_type, content_type);
    req.body() = body;
  }
  req.prepare_payload();
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return ToReply(res);
}
Reply Get(uint16_t port, const std::string& target) { return Call(port, http::verb::get, target); }

// Sends raw bytes and reads one response.
Reply Raw(uint16_t port, const std::string& bytes) {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(socket, net::buffer(bytes));
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  return ToReply(res);
}

const char kNorth[] =
    R"({"name": "north", "uri": "rtsp://10.0.0.1/stream", "detector": {"type": "motion"},
        "rules": [{"type": "line", "name": "gate", "points": [[0, 0], [1, 1]]}]})";

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.ws_queue_messages = 8;
    o.ws_send_buffer_bytes = 4096;
    o.body_limit_bytes = 64 * 1024;
    o.header_limit_bytes = 8 * 1024;
    auto s = HttpServer::Start(o, site_, metrics_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    port_ = server_->port();
    ASSERT_NE(port_, 0);
  }

  void AddNorth() {
    const Reply r = Call(port_, http::verb::post, "/api/v1/cameras", kNorth);
    ASSERT_EQ(r.status, 201) << r.body;
  }

  void AddEvents() {
    for (int i = 1; i <= 5; ++i) {
      store::StoredEvent e;
      e.id = "e" + std::to_string(i);
      e.event.time_us = i * 1'000'000;
      e.event.camera = i % 2 ? "north" : "south";
      e.event.type = "line_cross";
      e.event.rule = "gate";
      e.event.track_id = i;
      e.event.object_class = i == 4 ? ObjectClass::kPerson : ObjectClass::kCar;
      ASSERT_TRUE(site_.store().AddEvent(e));
    }
    ASSERT_TRUE(site_.store().Flush().ok());
  }

  TestSite site_;
  MetricsRegistry metrics_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

TEST_F(HttpServerTest, ListensOnLoopbackByDefault) {
  EXPECT_EQ(ServerOptions().address, "127.0.0.1");
  EXPECT_EQ(server_->address(), "127.0.0.1");
  const Reply r = Get(port_, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.Header("X-Request-Id"), "r1");
  EXPECT_EQ(Get(port_, "/readyz").status, 200);
  site_.SetReadyForTest(false);
  const Reply nr = Get(port_, "/readyz");
  EXPECT_EQ(nr.status, 503);
  EXPECT_EQ(nr.body, R"({"ready":false})");
}

TEST_F(HttpServerTest, OpenApiMatchesTheRoutesBothWays) {
  const Reply r = Get(port_, "/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200);
  const json doc = r.Json();
  // The served document is the route table's.
  Router router;
  ASSERT_TRUE(AddApiRoutes(site_, metrics_, router).ok());
  EXPECT_EQ(doc, OpenApiDocument(router));
  // Every documented operation is routed by the running server (no 404 for the path, no 405) ...
  AddNorth();
  AddEvents();
  size_t operations = 0;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      ++operations;
      std::string target = path;
      for (const auto& p : op.value("parameters", json::array())) {
        if (p["in"] != "path") continue;
        const std::string value = p["name"] == "id" ? "e1" : "north";
        target.replace(target.find("{" + p["name"].get<std::string>() + "}"), p["name"].get<std::string>().size() + 2,
                       value);
      }
      std::string sep = "?";
      for (const auto& p : op.value("parameters", json::array())) {
        if (p["in"] == "query" && p["required"] == true) {
          target += sep + p["name"].get<std::string>() + (p["name"] == "to_us" ? "=3600000000" : "=0");
          sep = "&";
        }
      }
      const http::verb verb = method == "get"    ? http::verb::get
                              : method == "post" ? http::verb::post
                              : method == "put"  ? http::verb::put
                                                 : http::verb::delete_;
      std::string body;
      if (op.contains("requestBody"))
        body = path == "/api/v1/clips" ? R"({"camera":"north","from_us":0,"to_us":1})" : "{}";
      const Reply got = Call(port_, verb, target, body);
      // A 404 may name a missing resource (the camera was deleted by the DELETE before), never the path.
      EXPECT_FALSE(got.status == 404 && got.Field() == "path") << method << " " << target << " " << got.body;
      EXPECT_NE(got.status, 405) << method << " " << target << " " << got.body;
      if (op.contains("x-didban-websocket")) {
        EXPECT_EQ(got.status, 426) << target;
      }
    }
  }
  // ... and every route is documented.
  EXPECT_EQ(operations, router.routes().size());
  EXPECT_EQ(operations, 41u);  // + 7 station proxy routes (station_routes.cc)
}

TEST_F(HttpServerTest, CamerasAddChangeRemove) {
  AddNorth();
  Reply r = Get(port_, "/api/v1/cameras");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Json()["cameras"].size(), 1u);
  EXPECT_EQ(r.Json()["cameras"][0]["name"], "north");
  EXPECT_EQ(r.Json()["cameras"][0]["status"]["state"], "online");
  r = Get(port_, "/api/v1/cameras/north/status");
  EXPECT_EQ(r.Json()["frames_total"], 250);
  r = Call(port_, http::verb::post, "/api/v1/cameras", kNorth);
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.Field(), "name");
  r = Call(port_, http::verb::put, "/api/v1/cameras/north", R"({"uri": "rtsp://10.0.0.2/s", "fps": 10})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["definition"]["uri"], "rtsp://10.0.0.2/s");
  r = Get(port_, "/api/v1/cameras/north/snapshot.jpg");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "image/jpeg");
  EXPECT_EQ(r.body.substr(0, 2), "\xFF\xD8");
  r = Call(port_, http::verb::delete_, "/api/v1/cameras/north");
  EXPECT_EQ(r.status, 200);
  r = Get(port_, "/api/v1/cameras/north");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","field":"camera","message":"camera: no camera 'north'"}})");
}

struct BadCase {
  http::verb method;
  std::string target;
  std::string body;
  int status;
  std::string field;
  std::string content_type = "application/json";
};

TEST_F(HttpServerTest, BadInputIsRefusedWithTheFieldAndNothingWritten) {
  AddNorth();
  const std::vector<BadCase> cases = {
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": )", 400, "body"},
      {http::verb::post, "/api/v1/cameras", R"([1, 2])", 400, "body"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "a.mp4", "colour": 1})", 400, "colour"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south"})", 400, "uri"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "../south", "uri": "a.mp4"})", 400, "name"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "../../etc/passwd"})", 400, "uri"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "gopher://x"})", 400, "uri"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "a.mp4", "fps": -1})", 400, "fps"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "a.mp4", "detector": {"type": "yolo9"}})", 400,
       "detector.type"},
      {http::verb::post, "/api/v1/cameras",
       R"({"name": "south", "uri": "a.mp4", "rules": [{"type": "line"}, {"type": "teleport"}]})", 400, "rules[1].type"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "a.mp4", "rules": [{"name": "x"}]})", 400,
       "rules[0].type"},
      {http::verb::post, "/api/v1/cameras", R"({"name": "south", "uri": "a.mp4"})", 400, "content-type", "text/plain"},
      {http::verb::put, "/api/v1/cameras/north", R"({"name": "south", "uri": "a.mp4"})", 400, "name"},
      {http::verb::put, "/api/v1/cameras/north", R"({"uri": "a.mp4", "rules": [{"type": "nope"}]})", 400,
       "rules[0].type"},
      {http::verb::get, "/api/v1/cameras/..", "", 400, "path"},
      {http::verb::get, "/api/v1/cameras/%2E%2E", "", 400, "path"},
      {http::verb::get, "/api/v1/cameras/..%2F..%2Fetc%2Fpasswd/status", "", 400, "path"},
      {http::verb::get, "/api/v1/cameras/.hidden/status", "", 400, "camera"},
      {http::verb::get, "/api/v1/cameras/north%00/status", "", 400, "path"},
      {http::verb::get, "/api/v1/events?camera=north'%20OR%20'1'='1", "", 400, "camera"},
      {http::verb::get, "/api/v1/events?type=x;DROP%20TABLE%20events", "", 400, "type"},
      {http::verb::get, "/api/v1/events?rule=a--", "", 200, ""},
      {http::verb::get, "/api/v1/events?from_us=1%20OR%201=1", "", 400, "from_us"},
      {http::verb::get, "/api/v1/events?cursor=a'b", "", 400, "cursor"},
      {http::verb::get, "/api/v1/events?limit=0", "", 400, "limit"},
      {http::verb::get, "/api/v1/events?from_us=5&to_us=5", "", 400, "to_us"},
      {http::verb::get, "/api/v1/events?order=asc", "", 400, "order"},
      {http::verb::get, "/api/v1/events?camera=a&camera=b", "", 400, "camera"},
      {http::verb::get, "/api/v1/events?camera=%zz", "", 400, "camera"},
      {http::verb::get, "/api/v1/stats?from_us=0", "", 400, "to_us"},
      {http::verb::get, "/api/v1/site", "{}", 400, "body"},
      {http::verb::post, "/api/v1/events/e1/ack", R"({"by": "op 1"})", 400, "by"},
      {http::verb::post, "/api/v1/clips", R"({"camera": "north", "from_us": 10, "to_us": 5})", 400, "to_us"},
      {http::verb::get, "/api/v1/nothing", "", 404, "path"},
      {http::verb::delete_, "/api/v1/site", "", 405, "method"},
      {http::verb::patch, "/api/v1/site", "", 405, "method"},
      {http::verb::get, "/api/v1/live", "", 426, "upgrade"},
  };
  for (const auto& c : cases) {
    const Reply r = Call(port_, c.method, c.target, c.body, c.content_type);
    EXPECT_EQ(r.status, c.status) << c.target << " " << c.body << " -> " << r.body;
    if (c.status >= 400) {
      ASSERT_TRUE(r.Json().contains("error")) << r.body;
      EXPECT_EQ(r.Field(), c.field) << c.target << " " << c.body << " -> " << r.body;
      EXPECT_FALSE(r.Json()["error"]["message"].get<std::string>().empty());
    }
  }
  // Nothing was written: the one camera is as it was added.
  const Reply list = Get(port_, "/api/v1/cameras");
  ASSERT_EQ(list.Json()["cameras"].size(), 1u);
  EXPECT_EQ(list.Json()["cameras"][0]["definition"], json::parse(kNorth));
  EXPECT_EQ(Call(port_, http::verb::delete_, "/api/v1/site").Header("Allow"), "GET");
}

TEST_F(HttpServerTest, OversizedHeadersAndBodiesAreRefusedBeforeReading) {
  Reply r = Raw(port_, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(r.status, 431);
  EXPECT_EQ(r.Field(), "headers");
  r = Raw(port_,
          "POST /api/v1/cameras HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Content-Length: 2000000\r\n\r\n{");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body,
            R"({"error":{"code":"payload_too_large","field":"body","message":"body: larger than 65536 bytes"}})");
  r = Raw(port_, "NONSENSE\r\n\r\n");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Field(), "request");
  const Reply deep = Call(port_, http::verb::post, "/api/v1/cameras", std::string(60000, '['));
  EXPECT_EQ(deep.status, 400);
  EXPECT_EQ(deep.Field(), "body");
  EXPECT_EQ(Get(port_, "/api/v1/cameras").Json()["cameras"].size(), 0u);
}

TEST_F(HttpServerTest, EventsFilterPageAndAcknowledge) {
  AddEvents();
  Reply r = Get(port_, "/api/v1/events?camera=north&limit=2");
  ASSERT_EQ(r.status, 200) << r.body;
  json page = r.Json();
  ASSERT_EQ(page["events"].size(), 2u);
  EXPECT_EQ(page["events"][0]["id"], "e5");
  EXPECT_EQ(page["events"][1]["id"], "e3");
  EXPECT_EQ(page["next_cursor"], "3000000:e3");
  r = Get(port_, "/api/v1/events?camera=north&limit=2&cursor=3000000:e3");
  page = r.Json();
  ASSERT_EQ(page["events"].size(), 1u);
  EXPECT_EQ(page["events"][0]["id"], "e1");
  EXPECT_EQ(page["next_cursor"], "");
  r = Get(port_, "/api/v1/events?from_us=2000000&to_us=4000000");
  EXPECT_EQ(r.Json()["events"].size(), 2u);
  r = Get(port_, "/api/v1/events?class=person");
  ASSERT_EQ(r.Json()["events"].size(), 1u);
  EXPECT_EQ(r.Json()["events"][0]["id"], "e4");
  r = Get(port_, "/api/v1/events?cursor=nocolon");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Field(), "cursor");

  r = Call(port_, http::verb::post, "/api/v1/events/e2/ack", R"({"by": "op1"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Json()["acknowledged"], true);
  EXPECT_EQ(r.Json()["acknowledged_by"], "op1");
  r = Get(port_, "/api/v1/events?acknowledged=false");
  EXPECT_EQ(r.Json()["events"].size(), 4u);
  r = Call(port_, http::verb::post, "/api/v1/events/e9/ack", R"({})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Field(), "id");
  EXPECT_EQ(Get(port_, "/api/v1/events/e3").Json()["track_id"], 3);
}

TEST_F(HttpServerTest, StatisticsTracksSegmentsAndStubs) {
  std::vector<store::StatRow> rows = {{0, 3'600'000'000, "north", "gate", "count", "car", "in", 3},
                                      {0, 3'600'000'000, "south", "gate", "speed_mean_kmh", "car", "", 42.5}};
  ASSERT_TRUE(site_.store().PutStats(rows));
  ASSERT_TRUE(site_.store().Flush().ok());
  Reply r = Get(port_, "/api/v1/stats.csv?from_us=0&to_us=7200000000");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(r.body,
            "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value\n"
            "0,3600,north,gate,count,car,in,3\n"
            "0,3600,south,gate,speed_mean_kmh,car,,42.500\n");
  r = Get(port_, "/api/v1/stats?from_us=0&to_us=7200000000&camera=south");
  ASSERT_EQ(r.Json()["rows"].size(), 1u);
  EXPECT_EQ(r.Json()["rows"][0]["value"], 42.5);
  EXPECT_EQ(r.Json()["rows"][0]["metric"], "speed_mean_kmh");

  AddNorth();
  store::TrackPoint p;
  p.time_us = 40;
  p.camera = "north";
  p.track_id = 7;
  p.object_class = ObjectClass::kCar;
  p.box = {10, 20, 30, 40};
  p.ground = Point2{1.5, -2};
  store::TrackPoint g;
  g.time_us = 40;
  g.track_id = 1001;
  g.global_id = 1001;
  g.object_class = ObjectClass::kCar;
  g.ground = Point2{1.5, -2};
  ASSERT_TRUE(site_.store().AddTrackPoints({p, g}));
  ASSERT_TRUE(site_.store().Flush().ok());
  r = Get(port_, "/api/v1/cameras/north/tracks?from_us=0&to_us=100");
  EXPECT_EQ(r.body, R"({"points":[{"box":[10.0,20.0,30.0,40.0],"camera":"north","class":"car","ground":[1.5,-2.0],)"
                    R"("time_us":40,"track_id":7}]})");
  r = Get(port_, "/api/v1/tracks?from_us=0&to_us=100");
  EXPECT_EQ(r.body,
            R"({"points":[{"class":"car","global_id":1001,"ground":[1.5,-2.0],"time_us":40,"track_id":1001}]})");

  store::Segment seg;
  seg.path = "/var/lib/didban/rec/north/20261202-010000.mp4";
  seg.camera = "north";
  seg.start_us = 1'000'000;
  seg.end_us = 61'000'000;
  seg.bytes = 123456;
  seg.keyframes = 30;
  seg.open = false;
  ASSERT_TRUE(site_.store().PutSegment(seg));
  ASSERT_TRUE(site_.store().Flush().ok());
  r = Get(port_, "/api/v1/cameras/north/segments?from_us=0&to_us=100000000");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.Json()["segments"].size(), 1u);
  EXPECT_EQ(r.Json()["segments"][0]["name"], "20261202-010000.mp4");  // no server-side folder
  EXPECT_EQ(r.Json()["segments"][0]["bytes"], 123456);

  r = Call(port_, http::verb::post, "/api/v1/clips", R"({"camera": "north", "from_us": 0, "to_us": 10})");
  EXPECT_EQ(r.status, 501);
  EXPECT_EQ(r.Json()["error"]["code"], "not_implemented");
  r = Get(port_, "/api/v1/clips/c1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.Field(), "clip");
}

TEST_F(HttpServerTest, MetricsUseTheTextFormatWithCameraLabels) {
  AddNorth();
  ASSERT_EQ(Get(port_, "/healthz").status, 200);
  const Reply r = Get(port_, "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  for (const char* line :
       {"# TYPE didban_frames_total counter\n", "didban_frames_total{camera=\"north\"} 250\n",
        "didban_frames_dropped_total{camera=\"north\"} 3\n",
        "didban_stage_seconds{camera=\"north\",stage=\"detect\"} 0.004\n", "didban_store_lag_seconds 0\n",
        "didban_store_queue_depth 0\n", "didban_store_writes_dropped_total 0\n",
        "didban_http_requests_total{route=\"/healthz\",method=\"GET\",code=\"200\"} 1\n",
        "didban_http_requests_total{route=\"/api/v1/cameras\",method=\"POST\",code=\"201\"} 1\n",
        "# TYPE didban_http_request_duration_seconds histogram\n", "didban_ws_slow_disconnects_total 0\n"}) {
    EXPECT_NE(r.body.find(line), std::string::npos) << line << "\n" << r.body;
  }
}

// A live client that never reads is cut off (and counted) once its bounded queue is full; a client that keeps up
// receives every message, before and after.
TEST_F(HttpServerTest, SlowWebSocketClientIsCutOffWhileAFastOneKeepsReceiving) {
  net::io_context ioc;
  websocket::stream<tcp::socket> fast(ioc);
  websocket::stream<tcp::socket> slow(ioc);
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port_);
  slow.next_layer().open(tcp::v4());
  slow.next_layer().set_option(net::socket_base::receive_buffer_size(4096));
  slow.next_layer().connect(ep);
  slow.handshake("127.0.0.1", "/api/v1/live?topics=event&camera=north");
  fast.next_layer().connect(ep);
  fast.handshake("127.0.0.1", "/api/v1/live?topics=event,camera_state");
  for (int i = 0; i < 500 && site_.hub().Stats().subscribers < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(site_.hub().Stats().subscribers, 2);
  EXPECT_EQ(server_->live_clients(), 2);

  const std::string detail(16384, 'x');
  beast::flat_buffer buffer;
  int published = 0;
  auto publish_and_read = [&] {
    Event e;
    e.camera = "north";
    e.type = "line_cross";
    e.time_us = published;
    e.detail = detail;
    site_.hub().Publish(e);
    ++published;
    fast.read(buffer);
    const json m = json::parse(beast::buffers_to_string(buffer.data()));
    buffer.consume(buffer.size());
    EXPECT_EQ(m["topic"], "event");
    EXPECT_EQ(m["seq"], published);
    EXPECT_EQ(m["data"]["time_us"], published - 1);
  };
  while (server_->slow_disconnects() == 0 && published < 3000) publish_and_read();
  EXPECT_EQ(server_->slow_disconnects(), 1u);
  EXPECT_LT(published, 3000);
  for (int i = 0; i < 20; ++i) publish_and_read();  // the fast client keeps receiving
  for (int i = 0; i < 500 && server_->live_clients() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(server_->live_clients(), 1);
  const std::string metrics = Get(port_, "/metrics").body;
  EXPECT_NE(metrics.find("didban_ws_slow_disconnects_total 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("didban_ws_clients 1\n"), std::string::npos) << metrics;
  // The slow client finds its connection gone once it reads what was already delivered.
  beast::error_code ec;
  for (int i = 0; i < 100 && !ec; ++i) slow.read(buffer, ec);
  EXPECT_TRUE(ec);
  // A bad topic is refused before the upgrade, naming the parameter.
  ec = {};
  websocket::stream<tcp::socket> bad(ioc);
  bad.next_layer().connect(ep);
  bad.handshake("127.0.0.1", "/api/v1/live?topics=gossip", ec);
  EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
  const Reply refused = Raw(port_,
                            "GET /api/v1/live?topics=gossip HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(refused.body,
            R"x({"error":{"code":"invalid_argument","field":"topics","message":"topics: unknown topic 'gossip' )x"
            R"x((event, tracks, camera_state, fused_tracks)"}})x");
}

}  // namespace
}  // namespace didban::server

namespace didban::server {
namespace {

// Stopping the server while a live client is connected and the site keeps publishing is safe, and destroying it
// ends the client's hub subscription.
TEST_F(HttpServerTest, StopsWhileLiveClientsAreConnected) {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  ws.handshake("127.0.0.1", "/api/v1/live");
  for (int i = 0; i < 500 && site_.hub().Stats().subscribers < 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(site_.hub().Stats().subscribers, 1);
  std::thread publisher([&] {
    for (int i = 0; i < 2000; ++i) {
      Event e;
      e.camera = "north";
      e.time_us = i;
      site_.hub().Publish(e);
    }
  });
  server_->Stop();
  server_.reset();
  publisher.join();
  EXPECT_EQ(site_.hub().Stats().subscribers, 0);
}

// `?unmask=1` on the live fMP4: refused (403 naming `unmask`) for a viewer and an operator, accepted for an admin and
// when access control is off; every attempt is audited as live_view_unmasked (allowed or not), targeting the camera.
TEST(LiveUnmaskTest, OnlyAnAdminMayUnmaskAndEveryAttemptIsAudited) {
  char tmpl[] = "/tmp/didban_unmask_test_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  TestSite site;
  MetricsRegistry metrics;
  auto video = LiveVideo::Create(LiveVideoOptions{});
  ASSERT_TRUE(video.ok()) << video.status();
  site.SetVideoForTest(video->get());
  ASSERT_TRUE(site.AddCamera(json::parse(R"({"name": "north", "uri": "rtsp://10.0.0.1/s"})")).ok());
  auth::AuthOptions ao;
  ao.pwhash_opslimit = 1;
  ao.pwhash_memlimit_bytes = 8192;
  auto store = auth::AuthStore::Open(dir + "/auth.db", ao);
  ASSERT_TRUE(store.ok()) << store.status();
  auto log = audit::AuditLog::Open(dir + "/audit.db");
  ASSERT_TRUE(log.ok()) << log.status();
  std::map<std::string, std::string> tokens;
  std::map<std::string, std::string> actors;  // a token's audit actor is "token:<id>"
  for (const auto& [user, role] : {std::pair<std::string, auth::Role>{"ada", auth::Role::kAdmin},
                                   {"oli", auth::Role::kOperator},
                                   {"vic", auth::Role::kViewer}}) {
    ASSERT_TRUE((*store)->AddUser(user, role, "long enough secret 1").ok());
    ASSERT_TRUE((*store)->AddGrant(user, {"all", ""}).ok());
    auto t = (*store)->CreateToken(user, "test", std::string(auth::RoleName(role)), std::nullopt, 0);
    ASSERT_TRUE(t.ok()) << t.status();
    tokens[user] = t->secret;
    actors[user] = "token:" + t->info.id;
  }
  ServerOptions o;
  o.auth = store->get();
  o.audit = log->get();
  auto server = HttpServer::Start(o, site, metrics);
  ASSERT_TRUE(server.ok()) << server.status();
  // The upgrade's reply: 101, or the refusal's status and body.
  auto upgrade = [](uint16_t port, const std::string& target, const std::string& token) {
    std::string request = "GET " + target +
                          " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    if (!token.empty()) request += "Authorization: Bearer " + token + "\r\n";
    request += "\r\n";
    net::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(socket, net::buffer(request));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    http::read_header(socket, buffer, parser);
    Reply r;
    r.status = static_cast<int>(parser.get().result_int());
    if (r.status != 101) {
      http::read(socket, buffer, parser);
      r.body = parser.get().body();
    }
    return r;
  };
  const std::string unmask = "/api/v1/cameras/north/live.mp4?unmask=1";
  for (const std::string user : {"vic", "oli"}) {
    const Reply r = upgrade((*server)->port(), unmask, tokens[user]);
    EXPECT_EQ(r.status, 403) << user;
    EXPECT_EQ(r.body, R"({"error":{"code":"forbidden","field":"unmask","message":"unmask: only an admin may watch a )"
                      R"(camera without its privacy masks"}})")
        << user;
  }
  EXPECT_EQ(upgrade((*server)->port(), "/api/v1/cameras/north/live.mp4", tokens["vic"]).status, 101);
  EXPECT_EQ(upgrade((*server)->port(), "/api/v1/cameras/north/live.mp4?unmask=0", tokens["vic"]).status, 101);
  EXPECT_EQ(upgrade((*server)->port(), unmask, tokens["ada"]).status, 101);
  EXPECT_EQ(
      upgrade((*server)->port(), "/api/v1/cameras/north/live.mp4?unmask=yes", tokens["ada"]).Json()["error"]["field"],
      "unmask");
  EXPECT_EQ(upgrade((*server)->port(), unmask, "").status, 401);
  (*server)->Stop();
  // Access control off: anyone on the machine may unmask (audited as anonymous).
  ServerOptions open;
  open.audit = log->get();
  auto open_server = HttpServer::Start(open, site, metrics);
  ASSERT_TRUE(open_server.ok()) << open_server.status();
  EXPECT_EQ(upgrade((*open_server)->port(), unmask, "").status, 101);
  (*open_server)->Stop();
  ASSERT_TRUE((*log)->Flush().ok());
  audit::AuditQuery q;
  q.action = "live_view_unmasked";
  auto page = (*log)->Query(q);
  ASSERT_TRUE(page.ok()) << page.status();
  std::vector<std::string> got;
  for (const audit::StoredAuditEntry& e : page->entries) {
    got.push_back(absl::StrCat(e.entry.actor, " ", e.entry.target, " ", e.entry.allowed ? "allowed" : "refused"));
  }
  EXPECT_EQ(got,
            (std::vector<std::string>{actors["vic"] + " camera:north refused", actors["oli"] + " camera:north refused",
                                      actors["ada"] + " camera:north allowed", "anonymous camera:north allowed"}));
  std::filesystem::remove_all(dir);
}

// Not a test: serves a site with one camera and 1,000 stored events for a load generator, then exits.
//   DIDBAN_SERVE_SECONDS=30 build/src/server/server_test --gtest_also_run_disabled_tests
//       --gtest_filter='*ServeForLoadTest*'
// prints "serving on 127.0.0.1:PORT" (see docs/performance.md for the wrk command).
TEST_F(HttpServerTest, DISABLED_ServeForLoadTest) {
  AddNorth();
  for (int i = 0; i < 1000; ++i) {
    store::StoredEvent e;
    e.event.time_us = 1'700'000'000'000'000 + i * 100'000;
    e.event.camera = "north";
    e.event.type = "line_cross";
    e.event.rule = "gate";
    e.event.track_id = i;
    e.event.object_class = ObjectClass::kCar;
    ASSERT_TRUE(site_.store().AddEvent(e));
  }
  ASSERT_TRUE(site_.store().Flush().ok());
  const char* seconds = std::getenv("DIDBAN_SERVE_SECONDS");
  std::printf("serving on 127.0.0.1:%u\n", port_);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds ? std::atoi(seconds) : 10));
}

}  // namespace
}  // namespace didban::server
