// Live video with real parts: a real H.264 clip's packets through LiveVideo's packet sink (as the source's tee hands
// them), viewers' queues read back into files that FFmpeg decodes, and a real HttpServer serving the fMP4 WebSocket
// and the MJPEG stream to real sockets.
#include "server/live_video.h"

#include <atomic>
#include <chrono>
#include <fstream>
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
#include <nlohmann/json.hpp>

#include "record/record_test_util.h"
#include "server/http_server.h"
#include "server/test_site.h"
#include "testing/data.h"

namespace didban::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // H.264, 25 fps, a keyframe every second
constexpr TimeUs kWall = 1'764'640'197'000'000;                          // packets on a wall clock, as live sources

// Between FeedFile and the live sink: moves packet times onto the wall clock, remembers each packet's pts_us (the
// Frame::pts_us its frame gets) and runs `before(i)` before packet i.
class Driver : public source::PacketSink {
 public:
  Driver(source::PacketSink* to, std::function<void(int)> before) : to_(to), before_(std::move(before)) {}
  void OnStreamStart(const source::PacketStreamInfo& info) override { to_->OnStreamStart(info); }
  void OnPacket(const AVPacket& p, TimeUs pts_us, TimeUs dts_us) override {
    if (before_) before_(n_);
    pts.push_back(pts_us + kWall);
    to_->OnPacket(p, pts_us + kWall, dts_us + kWall);
    ++n_;
  }
  void OnStreamEnd() override { to_->OnStreamEnd(); }
  std::vector<TimeUs> pts;

 private:
  source::PacketSink* to_;
  std::function<void(int)> before_;
  int n_ = 0;
};

std::vector<LiveMessage> Drain(LiveViewer& v) {
  std::vector<LiveMessage> out;
  while (auto m = v.TryPop()) out.push_back(*m);
  return out;
}

// Writes the binary messages (init segment and fragments) to a file and reads it back with FFmpeg.
record::testing::FileContents Play(const std::vector<LiveMessage>& messages, const std::string& name) {
  const std::string path = ::didban::testing::MakeTempDir("live_video") + "/" + name;
  {
    std::ofstream f(path, std::ios::binary);
    for (const LiveMessage& m : messages) {
      if (!m.text) f << *m.bytes;
    }
  }
  return record::testing::ReadFile(path);
}

TEST(LiveVideoTest, MuxesOnlyWhileWatchedAndANewViewerStartsAtTheLatestKeyframeOnTheTracksTimeBase) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  auto video = LiveVideo::Create({});
  ASSERT_TRUE(video.ok()) << video.status();
  std::shared_ptr<LiveViewer> a, b;
  std::vector<LiveMessage> got_a, got_b;
  int64_t fragments_before_a = -1;
  Driver driver((*video)->PacketSink("cam"), [&](int i) {
    if (i == 10) {
      fragments_before_a = (*video)->Stats()[0].fragments_total;
      a = *(*video)->WatchMp4("cam", nullptr);
    }
    if (i == 30) {  // between the keyframes at packets 25 and 50
      b = *(*video)->WatchMp4("cam", nullptr);
      got_b = Drain(*b);  // at once: init and the five fragments since packet 25
    }
    if (a) {
      for (LiveMessage& m : Drain(*a)) got_a.push_back(std::move(m));
    }
    if (i == 60) b->Close();
    if (i == 70) a->Close();
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &driver, 100), 100);

  EXPECT_EQ(fragments_before_a, 0);  // nobody watched: nothing muxed
  const LiveVideoStats stats = (*video)->Stats()[0];
  EXPECT_EQ(stats.fragments_total, 70 - 25);  // from the first keyframe after `a` came until `a` left
  EXPECT_EQ(stats.mp4_viewers, 0);
  EXPECT_FALSE(stats.muxing);
  EXPECT_EQ(stats.skips_total, 0);

  // a: the init message, the init segment, then fragments from the keyframe at packet 25 to packet 69.
  ASSERT_EQ(got_a.size(), 2u + 45u);
  ASSERT_TRUE(got_a[0].text);
  const json init = json::parse(*got_a[0].bytes);
  EXPECT_EQ(init["type"], "init");
  // Constrained baseline (42), its constraint flags, level 1.3 (0d): from the stream's SPS.
  EXPECT_EQ(init["mime"], "video/mp4; codecs=\"avc1.42c00d\"") << init.dump();
  EXPECT_GT(init["width"].get<int>(), 0);
  EXPECT_GT(init["height"].get<int>(), 0);
  EXPECT_TRUE(got_a[1].init);
  EXPECT_TRUE(got_a[2].key);
  const record::testing::FileContents ca = Play(got_a, "a.mp4");
  EXPECT_EQ(ca.decoded, 45);
  EXPECT_TRUE(ca.first_is_key);
  // Media time + origin_us is exactly the pts_us of each packet's frame (what the tracks messages carry).
  const TimeUs origin = init["origin_us"].get<TimeUs>();
  ASSERT_EQ(ca.pts_us.size(), 45u);
  for (size_t k = 0; k < ca.pts_us.size(); ++k) {
    EXPECT_EQ(origin + ca.pts_us[k], driver.pts[25 + k]) << "fragment " << k;
  }

  // b joined at packet 30: the same init, then the group of pictures from packet 25 at once, then live to packet 59.
  ASSERT_EQ(got_b.size(), 2u + 5u);
  EXPECT_EQ(*got_b[0].bytes, *got_a[0].bytes);
  EXPECT_EQ(got_b[1].bytes, got_a[1].bytes);  // shared, not copied
  EXPECT_TRUE(got_b[2].key);
  for (size_t k = 0; k < 5; ++k) EXPECT_EQ(got_b[2 + k].bytes, got_a[2 + k].bytes);
}

TEST(LiveVideoTest, SlowViewerSkipsToKeyframesThenIsCutOffWhileAFastOneGetsEverything) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  LiveVideoOptions o;
  o.viewer_queue_messages = 8;
  o.max_skips = 3;
  auto video = LiveVideo::Create(o);
  ASSERT_TRUE(video.ok());
  std::shared_ptr<LiveViewer> fast = *(*video)->WatchMp4("cam", nullptr);
  int ready_calls = 0;
  std::shared_ptr<LiveViewer> slow = *(*video)->WatchMp4("cam", [&] { ++ready_calls; });
  std::vector<LiveMessage> got_fast;
  int cut_at = -1;
  Driver driver((*video)->PacketSink("cam"), [&](int i) {
    for (LiveMessage& m : Drain(*fast)) got_fast.push_back(std::move(m));
    if (cut_at < 0 && slow->CutOff()) cut_at = i;
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &driver, 200), 200);
  for (LiveMessage& m : Drain(*fast)) got_fast.push_back(std::move(m));

  // The fast viewer got every fragment from the first keyframe and plays.
  ASSERT_EQ(got_fast.size(), 2u + 200u);
  EXPECT_EQ(Play(got_fast, "fast.mp4").decoded, 200);
  EXPECT_EQ(fast->Skipped(), 0);
  // The slow one (never reading) skipped to a keyframe each time its queue filled, then was cut off.
  EXPECT_TRUE(slow->CutOff());
  EXPECT_EQ(slow->Skipped(), 4);
  EXPECT_GT(cut_at, 0);
  EXPECT_GE(ready_calls, 1);
  EXPECT_FALSE(slow->TryPop().has_value());
  slow->Close();
  const LiveVideoStats stats = (*video)->Stats()[0];
  EXPECT_EQ(stats.cutoffs_total, 1);
  EXPECT_EQ(stats.skips_total, 4);
  EXPECT_EQ(stats.mp4_viewers, 1);
}

TEST(LiveVideoTest, MseCodecStringFromAnnexBAndAvcc) {
  AVCodecParameters* p = avcodec_parameters_alloc();
  p->codec_id = AV_CODEC_ID_H264;
  const uint8_t annexb[] = {0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x1f, 0xaa};
  p->extradata = static_cast<uint8_t*>(av_mallocz(sizeof(annexb) + AV_INPUT_BUFFER_PADDING_SIZE));
  std::copy(annexb, annexb + sizeof(annexb), p->extradata);
  p->extradata_size = sizeof(annexb);
  EXPECT_EQ(MseCodecString(*p), "avc1.4d401f");
  const uint8_t avcc[] = {1, 0x42, 0xc0, 0x1e, 0xff};
  std::copy(avcc, avcc + sizeof(avcc), p->extradata);
  p->extradata_size = sizeof(avcc);
  EXPECT_EQ(MseCodecString(*p), "avc1.42c01e");
  p->codec_id = AV_CODEC_ID_HEVC;
  EXPECT_EQ(MseCodecString(*p), "hvc1");
  avcodec_parameters_free(&p);
}

// ---- over HTTP ----

class LiveVideoServerTest : public ::testing::Test {
 protected:
  void Start(const std::string& clip) {
    LiveVideoOptions o;
    o.mjpeg_fps = 20;
    o.latest_frame = [this](const std::string& camera) -> FramePtr {
      if (camera != "north") return nullptr;
      auto f = std::make_shared<Frame>();
      f->camera = camera;
      f->index = frame_index_.fetch_add(1);
      f->pts_us = kWall + f->index * 40'000;
      f->image = cv::Mat(120, 160, CV_8UC3, cv::Scalar(40, 120, static_cast<double>(f->index % 256)));
      f->full = f->image;
      return f;
    };
    auto v = LiveVideo::Create(o);
    ASSERT_TRUE(v.ok());
    video_ = std::move(*v);
    site_.SetVideoForTest(video_.get());
    auto s = HttpServer::Start(ServerOptions{}, site_, metrics_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    port_ = server_->port();
    ASSERT_TRUE(site_.AddCamera(json::parse(R"({"name": "north", "uri": "rtsp://10.0.0.1/s"})")).ok());
    // The camera: the clip's packets, looped, at about 4x real time.
    feeder_ = std::thread([this, clip] {
      while (!stop_.load()) {
        Driver d(video_->PacketSink("north"), [this](int) {
          if (!stop_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        });
        record::testing::FeedFile(clip, &d);
      }
    });
  }
  void TearDown() override {
    stop_.store(true);
    if (feeder_.joinable()) feeder_.join();
    if (server_) server_->Stop();
  }

  TestSite site_;
  MetricsRegistry metrics_;
  std::unique_ptr<LiveVideo> video_;
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::atomic<int64_t> frame_index_{0};
  std::atomic<bool> stop_{false};
  std::thread feeder_;
};

TEST_F(LiveVideoServerTest, WebSocketSendsTheInitThenFragmentsThatPlay) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  Start(clip);
  net::io_context ioc;
  // An unknown camera is refused at the upgrade (404), as the live hub's bad topics are.
  {
    websocket::stream<tcp::socket> ws(ioc);
    ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    beast::error_code ec;
    ws.handshake("127.0.0.1", "/api/v1/cameras/nowhere/live.mp4", ec);
    EXPECT_EQ(ec, websocket::error::upgrade_declined) << ec.message();
  }
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  ws.handshake("127.0.0.1", "/api/v1/cameras/north/live.mp4");
  beast::flat_buffer buf;
  ws.read(buf);
  ASSERT_TRUE(ws.got_text());
  const json init = json::parse(beast::buffers_to_string(buf.data()));
  buf.consume(buf.size());
  EXPECT_EQ(init["type"], "init");
  EXPECT_EQ(init["camera"], "north");
  EXPECT_EQ(init["mime"], "video/mp4; codecs=\"avc1.42c00d\"");
  std::vector<LiveMessage> got;
  while (got.size() < 61) {
    ws.read(buf);
    EXPECT_FALSE(ws.got_text());
    got.push_back(LiveMessage{false, got.empty(), false,
                              std::make_shared<const std::string>(beast::buffers_to_string(buf.data()))});
    buf.consume(buf.size());
  }
  const record::testing::FileContents c = Play(got, "ws.mp4");
  EXPECT_EQ(c.decoded, 60);
  EXPECT_TRUE(c.first_is_key);
  ASSERT_EQ(c.pts_us.size(), 60u);
  // Media times on the wall clock of the packets (kWall + stream time), increasing.
  EXPECT_GE(init["origin_us"].get<TimeUs>() + c.pts_us.front(), kWall);
  for (size_t k = 1; k < c.pts_us.size(); ++k) EXPECT_GT(c.pts_us[k], c.pts_us[k - 1]);
  EXPECT_EQ(video_->Stats()[0].mp4_viewers, 1);
  ws.close(websocket::close_code::normal);
  for (int i = 0; i < 100 && video_->Stats()[0].mp4_viewers > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(video_->Stats()[0].mp4_viewers, 0);
  // /metrics counts the camera's fragments and viewers.
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  http::request<http::string_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
  http::response<http::string_body> res;
  beast::flat_buffer mbuf;
  http::read(s, mbuf, res);
  EXPECT_NE(res.body().find("didban_live_video_fragments_total{camera=\"north\"}"), std::string::npos);
  EXPECT_NE(res.body().find("didban_live_video_viewers{camera=\"north\",format=\"mp4\"} 0"), std::string::npos);
}

TEST_F(LiveVideoServerTest, MjpegStreamsJpegPartsEncodedOncePerCamera) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  Start(clip);
  net::io_context ioc;
  auto open = [&](tcp::socket& s) {
    s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
    net::write(s, net::buffer(std::string("GET /api/v1/cameras/north/live.mjpeg HTTP/1.1\r\nHost: x\r\n\r\n")));
  };
  tcp::socket one(ioc), two(ioc);
  open(one);
  open(two);
  auto read_parts = [](tcp::socket& s, int parts, std::string* header) {
    std::string data;
    std::vector<std::string> jpegs;
    net::streambuf sb;
    net::read_until(s, sb, "\r\n\r\n");
    std::string all(net::buffers_begin(sb.data()), net::buffers_end(sb.data()));
    *header = all.substr(0, all.find("\r\n\r\n") + 4);
    data = all.substr(header->size());
    while (static_cast<int>(jpegs.size()) < parts) {
      const size_t h = data.find("\r\n\r\n");
      const size_t len_at = data.find("Content-Length: ");
      if (h != std::string::npos && len_at != std::string::npos && len_at < h) {
        const size_t len = std::stoul(data.substr(len_at + 16));
        if (data.size() >= h + 4 + len + 2) {
          jpegs.push_back(data.substr(h + 4, len));
          data.erase(0, h + 4 + len + 2);
          continue;
        }
      }
      char chunk[4096];
      const size_t n = s.read_some(net::buffer(chunk));
      data.append(chunk, n);
    }
    return jpegs;
  };
  std::string header_one, header_two;
  const std::vector<std::string> a = read_parts(one, 3, &header_one);
  const std::vector<std::string> b = read_parts(two, 3, &header_two);
  EXPECT_NE(header_one.find("200 OK"), std::string::npos) << header_one;
  EXPECT_NE(header_one.find("Content-Type: multipart/x-mixed-replace; boundary=didbanframe"), std::string::npos);
  for (const auto* parts : {&a, &b}) {
    for (const std::string& j : *parts) {
      ASSERT_GT(j.size(), 4u);
      EXPECT_EQ(j.substr(0, 2), "\xFF\xD8");
      EXPECT_EQ(j.substr(j.size() - 2), "\xFF\xD9");
    }
  }
  EXPECT_EQ(video_->Stats()[0].mjpeg_viewers, 2);
  one.close();
  two.close();
  for (int i = 0; i < 200 && video_->Stats()[0].mjpeg_viewers > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(video_->Stats()[0].mjpeg_viewers, 0);
  // Nobody watches: no more frames are taken or encoded.
  const int64_t taken = frame_index_.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(frame_index_.load(), taken);
  // Each frame taken was encoded once for both viewers (one encode per tick per camera, not per viewer).
  EXPECT_EQ(video_->Stats()[0].jpeg_frames_total, taken);
  // An unknown camera: 404; a site without MJPEG frames would answer 501.
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  http::request<http::string_body> req{http::verb::get, "/api/v1/cameras/nowhere/live.mjpeg", 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
  http::response<http::string_body> res;
  beast::flat_buffer mbuf;
  http::read(s, mbuf, res);
  EXPECT_EQ(res.result_int(), 404u);
}

}  // namespace
}  // namespace didban::server
