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
#include <opencv2/core.hpp>

extern "C" {
#include <libswscale/swscale.h>
}

#include "record/privacy_mask.h"
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

// The frames of an fMP4 file (init segment and fragments) decoded to BGR, with their presentation times (file time,
// microseconds).
struct DecodedVideo {
  std::vector<cv::Mat> images;
  std::vector<TimeUs> pts_us;
};

DecodedVideo DecodeMessages(const std::vector<LiveMessage>& messages, const std::string& name) {
  const std::string path = ::didban::testing::MakeTempDir("live_video") + "/" + name;
  {
    std::ofstream f(path, std::ios::binary);
    for (const LiveMessage& m : messages) {
      if (!m.text) f << *m.bytes;
    }
  }
  DecodedVideo d;
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) return d;
  avformat_find_stream_info(fmt, nullptr);
  const int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) {
    avformat_close_input(&fmt);
    return d;
  }
  AVStream* st = fmt->streams[v];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext* dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, st->codecpar);
  dec->thread_count = 1;
  avcodec_open2(dec, codec, nullptr);
  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  SwsContext* sws = nullptr;
  auto drain = [&] {
    while (avcodec_receive_frame(dec, frame) == 0) {
      cv::Mat bgr(frame->height, frame->width, CV_8UC3);
      sws =
          sws_getCachedContext(sws, frame->width, frame->height, static_cast<AVPixelFormat>(frame->format),
                               frame->width, frame->height, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr);
      uint8_t* dst[4] = {bgr.data, nullptr, nullptr, nullptr};
      const int dst_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
      sws_scale(sws, frame->data, frame->linesize, 0, frame->height, dst, dst_stride);
      d.images.push_back(bgr);
      d.pts_us.push_back(av_rescale_q(frame->best_effort_timestamp, st->time_base, {1, 1'000'000}));
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == v) {
      avcodec_send_packet(dec, pkt);
      drain();
    }
    av_packet_unref(pkt);
  }
  avcodec_send_packet(dec, nullptr);
  drain();
  sws_freeContext(sws);
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return d;
}

// A masked camera: a rectangle (aligned to the 16-pixel macroblocks) of the 352x288 clip.
record::PrivacyMask TestMask() {
  record::PrivacyMask mask;
  mask.polygons.push_back({{48, 48}, {207, 48}, {207, 207}, {48, 207}});
  return mask;
}

LiveVideoOptions MaskedOptions(std::atomic<int>* mask_calls) {
  LiveVideoOptions o;
  o.masked = [](const std::string& camera) { return camera == "cam"; };
  o.mask_pixels = [mask_calls](const std::string& /*camera*/, cv::Mat* image) {
    mask_calls->fetch_add(1);
    record::ApplyPrivacyMask(TestMask(), *image);
  };
  return o;
}

TEST(LiveVideoTest, MaskedViewersShareOneReencodeWithBlackMasksOnTheFramesTimesAndUnmaskedOnesGetTheStreamCopy) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::atomic<int> mask_calls{0};
  auto video = LiveVideo::Create(MaskedOptions(&mask_calls));
  ASSERT_TRUE(video.ok()) << video.status();
  // The same packets through a LiveVideo without masks: what the stream copy gives.
  auto plain = LiveVideo::Create({});
  ASSERT_TRUE(plain.ok());
  std::shared_ptr<LiveViewer> masked, masked2, unmasked, reference;
  std::vector<LiveMessage> got_masked, got_masked2, got_unmasked, got_reference;
  int64_t frames_at_close = -1;
  Driver driver((*video)->PacketSink("cam"), [&](int i) {
    (*video)->WaitMaskedIdleForTest("cam");  // every packet before i is decoded, masked and encoded
    if (i == 10) {
      masked = *(*video)->WatchMp4("cam", nullptr);
      unmasked = *(*video)->WatchMp4("cam", nullptr, /*unmasked=*/true);
      EXPECT_EQ((*video)->Stats()[0].masked_viewers, 1);
      EXPECT_EQ((*video)->Stats()[0].mp4_viewers, 1);
    }
    if (i == 40) {  // between the keyframes at 25 and 50: at once the re-encode's init and its GOP since packet 25
      masked2 = *(*video)->WatchMp4("cam", nullptr);
      got_masked2 = Drain(*masked2);
    }
    if (masked) {
      for (LiveMessage& m : Drain(*masked)) got_masked.push_back(std::move(m));
      for (LiveMessage& m : Drain(*unmasked)) got_unmasked.push_back(std::move(m));
    }
    if (i == 60) masked2->Close();
    if (i == 70) {
      masked->Close();
      unmasked->Close();
      (*video)->WaitMaskedIdleForTest("cam");
      const LiveVideoStats s = (*video)->Stats()[0];
      frames_at_close = s.masked_frames_total;
      // The last masked viewer left: the encoder is freed at once.
      EXPECT_FALSE(s.masked_encoding);
      EXPECT_EQ(s.masked_viewers, 0);
    }
  });
  Driver plain_driver((*plain)->PacketSink("cam"), [&](int i) {
    if (i == 10) reference = *(*plain)->WatchMp4("cam", nullptr);
    if (reference) {
      for (LiveMessage& m : Drain(*reference)) got_reference.push_back(std::move(m));
    }
    if (i == 70) reference->Close();
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &driver, 100), 100);
  ASSERT_EQ(record::testing::FeedFile(clip, &plain_driver, 100), 100);
  (*video)->WaitMaskedIdleForTest("cam");

  // One encode for both masked viewers: the frames of packets 25..69 (the decoder starts at the first keyframe after
  // the first masked viewer came), each masked once; nothing after the last masked viewer left.
  const LiveVideoStats stats = (*video)->Stats()[0];
  EXPECT_EQ(frames_at_close, 45);
  EXPECT_EQ(stats.masked_frames_total, 45);
  EXPECT_EQ(mask_calls.load(), 45);
  EXPECT_EQ(stats.masked_fragments_total, 45);
  EXPECT_EQ(stats.masked_errors_total, 0);
  EXPECT_EQ(stats.masked_dropped_total, 0);
  EXPECT_FALSE(stats.masked_encoding);
  EXPECT_GT(stats.masked_cpu_seconds_total, 0);

  // The unmasked viewer got exactly the stream copy.
  ASSERT_EQ(got_unmasked.size(), got_reference.size());
  ASSERT_EQ(got_unmasked.size(), 2u + 45u);
  for (size_t k = 0; k < got_unmasked.size(); ++k) EXPECT_EQ(*got_unmasked[k].bytes, *got_reference[k].bytes) << k;
  EXPECT_EQ(json::parse(*got_unmasked[0].bytes)["masked"], false);

  // The masked viewer: its own init (H.264 from libx264, the clip's size), then 45 fragments that start at a keyframe.
  ASSERT_EQ(got_masked.size(), 2u + 45u);
  ASSERT_TRUE(got_masked[0].text);
  const json init = json::parse(*got_masked[0].bytes);
  EXPECT_EQ(init["masked"], true);
  EXPECT_EQ(init["width"], 352);
  EXPECT_EQ(init["height"], 288);
  EXPECT_EQ(init["mime"].get<std::string>().substr(0, 22), "video/mp4; codecs=\"avc") << init.dump();
  EXPECT_TRUE(got_masked[1].init);
  EXPECT_NE(*got_masked[1].bytes, *got_unmasked[1].bytes);
  EXPECT_TRUE(got_masked[2].key);
  EXPECT_TRUE(got_masked[2 + 25].key);  // a keyframe a second
  for (size_t k = 3; k < got_masked.size(); ++k) EXPECT_EQ(got_masked[k].key, k == 2 + 25) << k;
  const DecodedVideo dm = DecodeMessages(got_masked, "masked.mp4");
  const DecodedVideo du = DecodeMessages(got_unmasked, "unmasked.mp4");
  ASSERT_EQ(dm.images.size(), 45u);
  ASSERT_EQ(du.images.size(), 45u);
  const TimeUs origin = init["origin_us"].get<TimeUs>();
  const cv::Rect inside(52, 52, 152, 152);  // the mask, 4 pixels in
  for (size_t k = 0; k < dm.images.size(); ++k) {
    // On the tracks' time base: media time + origin_us is the pts_us of each frame's packet.
    EXPECT_EQ(origin + dm.pts_us[k], driver.pts[25 + k]) << "frame " << k;
    double max_inside = 0;
    cv::minMaxLoc(dm.images[k](inside).reshape(1), nullptr, &max_inside);
    EXPECT_LT(max_inside, 16) << "frame " << k;
    const cv::Scalar mean_inside = cv::mean(dm.images[k](inside));
    EXPECT_LT(mean_inside[0] + mean_inside[1] + mean_inside[2], 3 * 2.0) << "frame " << k;
    // The stream copy shows the scene there; outside the mask both show it alike.
    const cv::Scalar scene = cv::mean(du.images[k](inside));
    EXPECT_GT(scene[0] + scene[1] + scene[2], 3 * 40.0) << "frame " << k;
    const cv::Rect right(224, 0, 128, 288);
    const cv::Scalar a = cv::mean(dm.images[k](right));
    const cv::Scalar b = cv::mean(du.images[k](right));
    EXPECT_GT(a[0] + a[1] + a[2], 3 * 40.0) << "frame " << k;
    EXPECT_NEAR(a[0] + a[1] + a[2], b[0] + b[1] + b[2], 3 * 4.0) << "frame " << k;
  }

  // The second masked viewer joined at packet 40: the same init segment and the re-encode's GOP since packet 25 at
  // once (shared bytes, one encode), then live.
  ASSERT_GE(got_masked2.size(), 2u + 15u);
  EXPECT_EQ(got_masked2[1].bytes, got_masked[1].bytes);
  for (size_t k = 0; k < 15; ++k) EXPECT_EQ(got_masked2[2 + k].bytes, got_masked[2 + k].bytes) << k;
}

TEST(LiveVideoTest, MaskedReencodeRestartsForANewViewerAndCamerasWithoutMasksAreAlwaysTheStreamCopy) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::atomic<int> mask_calls{0};
  LiveVideoOptions o = MaskedOptions(&mask_calls);
  auto video = LiveVideo::Create(o);
  ASSERT_TRUE(video.ok());
  std::shared_ptr<LiveViewer> first, second, other;
  std::vector<LiveMessage> got_second, got_other;
  Driver driver((*video)->PacketSink("cam"), [&](int i) {
    (*video)->WaitMaskedIdleForTest("cam");
    if (i == 5) first = *(*video)->WatchMp4("cam", nullptr);
    if (i == 35) first->Close();
    if (i == 60) {
      (*video)->WaitMaskedIdleForTest("cam");
      EXPECT_FALSE((*video)->Stats()[0].masked_encoding);
      second = *(*video)->WatchMp4("cam", nullptr);
    }
    if (second) {
      for (LiveMessage& m : Drain(*second)) got_second.push_back(std::move(m));
    }
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &driver, 100, /*end=*/false), 100);
  (*video)->WaitMaskedIdleForTest("cam");
  for (LiveMessage& m : Drain(*second)) got_second.push_back(std::move(m));
  // first: packets 25..34; second: from the next keyframe (75) to 99, with a new init segment.
  EXPECT_EQ((*video)->Stats()[0].masked_frames_total, 10 + 25);
  ASSERT_EQ(got_second.size(), 2u + 25u);
  EXPECT_TRUE(got_second[0].text);
  EXPECT_TRUE(got_second[1].init);
  EXPECT_TRUE(got_second[2].key);
  EXPECT_TRUE((*video)->Stats()[0].masked_encoding);
  second->Close();

  // A camera without masks: every viewer gets the stream copy.
  Driver other_driver((*video)->PacketSink("other"), [&](int i) {
    if (i == 0) other = *(*video)->WatchMp4("other", nullptr);
    for (LiveMessage& m : Drain(*other)) got_other.push_back(std::move(m));
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &other_driver, 30), 30);
  for (LiveMessage& m : Drain(*other)) got_other.push_back(std::move(m));
  ASSERT_EQ(got_other.size(), 2u + 30u);
  EXPECT_EQ(json::parse(*got_other[0].bytes)["masked"], false);
  EXPECT_EQ(json::parse(*got_other[0].bytes)["mime"], "video/mp4; codecs=\"avc1.42c00d\"");
  for (const LiveVideoStats& s : (*video)->Stats()) {
    if (s.camera == "other") {
      EXPECT_EQ(s.masked_frames_total, 0);
    }
  }
  other->Close();

  // A masked camera needs the masking function.
  LiveVideoOptions bad;
  bad.masked = [](const std::string&) { return true; };
  EXPECT_EQ(LiveVideo::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LiveVideoTest, AMaskedViewerWithoutAKeptGroupOfPicturesGetsAKeyframeAtOnce) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::atomic<int> mask_calls{0};
  LiveVideoOptions o = MaskedOptions(&mask_calls);
  o.viewer_queue_messages = 4;  // too short to keep a group of pictures for viewers that join
  auto video = LiveVideo::Create(o);
  ASSERT_TRUE(video.ok());
  std::shared_ptr<LiveViewer> first, late;
  std::vector<LiveMessage> got_late;
  Driver driver((*video)->PacketSink("cam"), [&](int i) {
    (*video)->WaitMaskedIdleForTest("cam");
    if (i == 0) first = *(*video)->WatchMp4("cam", nullptr);
    Drain(*first);
    if (i == 40) late = *(*video)->WatchMp4("cam", nullptr);  // the re-encode's keyframes: packets 0 and 25
    if (late) {
      for (LiveMessage& m : Drain(*late)) got_late.push_back(std::move(m));
    }
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &driver, 45), 45);
  (*video)->WaitMaskedIdleForTest("cam");
  for (LiveMessage& m : Drain(*late)) got_late.push_back(std::move(m));
  // The init, then a keyframe forced at packet 40 (not the next one at 50) and the frames after it.
  ASSERT_EQ(got_late.size(), 2u + 5u);
  EXPECT_TRUE(got_late[1].init);
  EXPECT_TRUE(got_late[2].key);
  const DecodedVideo d = DecodeMessages(got_late, "late.mp4");
  ASSERT_EQ(d.pts_us.size(), 5u);
  const TimeUs origin = json::parse(*got_late[0].bytes)["origin_us"].get<TimeUs>();
  EXPECT_EQ(origin + d.pts_us[0], driver.pts[40]);
  EXPECT_EQ(first->Skipped(), 0);
  first->Close();
  late->Close();
}

TEST(LiveVideoTest, StreamCopyViewersWhoMayNotUnmaskAreCutOffAtTheNextKeyframeWhenTheCameraGainsMasks) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::atomic<bool> has_mask{false};
  LiveVideoOptions o;
  o.masked = [&has_mask](const std::string& /*camera*/) { return has_mask.load(); };
  o.mask_pixels = [](const std::string& /*camera*/, cv::Mat* image) { record::ApplyPrivacyMask(TestMask(), *image); };
  auto video = LiveVideo::Create(o);
  ASSERT_TRUE(video.ok());
  std::shared_ptr<LiveViewer> viewer, admin;
  std::vector<LiveMessage> got_viewer, got_admin;
  int cut_at = -1;
  Driver driver((*video)->PacketSink("cam"), [&](int i) {
    if (i == 0) {
      viewer = *(*video)->WatchMp4("cam", nullptr);  // no masks yet: the stream copy
      admin = *(*video)->WatchMp4("cam", nullptr, /*unmasked=*/true);
    }
    if (i == 30) has_mask.store(true);  // e.g. set through the API
    if (cut_at < 0 && viewer->CutOff()) cut_at = i;
    for (LiveMessage& m : Drain(*viewer)) got_viewer.push_back(std::move(m));
    for (LiveMessage& m : Drain(*admin)) got_admin.push_back(std::move(m));
  });
  ASSERT_EQ(record::testing::FeedFile(clip, &driver, 60), 60);
  for (LiveMessage& m : Drain(*admin)) got_admin.push_back(std::move(m));
  EXPECT_EQ(cut_at, 51);                   // at the keyframe of packet 50
  EXPECT_EQ(got_viewer.size(), 2u + 50u);  // nothing from packet 50 on
  EXPECT_EQ(got_admin.size(), 2u + 60u);   // may unmask: still the stream copy
  EXPECT_FALSE(admin->CutOff());
  viewer->Close();
  EXPECT_EQ((*video)->Stats()[0].cutoffs_total, 1);
  // Reconnecting, the viewer gets the masked re-encode.
  auto again = (*video)->WatchMp4("cam", nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*video)->Stats()[0].masked_viewers, 1);
  (*again)->Close();
  admin->Close();
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
  void Start(const std::string& clip, bool masked = false) {
    LiveVideoOptions o;
    o.mjpeg_fps = 20;
    if (masked) {
      o.masked = [](const std::string& camera) { return camera == "north"; };
      o.mask_pixels = [](const std::string& /*camera*/, cv::Mat* image) {
        record::ApplyPrivacyMask(TestMask(), *image);
      };
    }
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

TEST_F(LiveVideoServerTest, WebSocketOfAMaskedCameraSendsTheMaskedReencode) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  Start(clip, /*masked=*/true);
  net::io_context ioc;
  websocket::stream<tcp::socket> ws(ioc);
  ws.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  ws.handshake("127.0.0.1", "/api/v1/cameras/north/live.mp4");
  beast::flat_buffer buf;
  ws.read(buf);
  ASSERT_TRUE(ws.got_text());
  const json init = json::parse(beast::buffers_to_string(buf.data()));
  buf.consume(buf.size());
  EXPECT_EQ(init["type"], "init");
  EXPECT_EQ(init["masked"], true);
  EXPECT_EQ(init["width"], 352);
  std::vector<LiveMessage> got;
  while (got.size() < 31) {
    ws.read(buf);
    EXPECT_FALSE(ws.got_text());
    got.push_back(LiveMessage{false, got.empty(), false,
                              std::make_shared<const std::string>(beast::buffers_to_string(buf.data()))});
    buf.consume(buf.size());
  }
  const DecodedVideo d = DecodeMessages(got, "ws_masked.mp4");
  ASSERT_EQ(d.images.size(), 30u);
  for (size_t k = 0; k < d.images.size(); ++k) {
    double max_inside = 0;
    cv::minMaxLoc(d.images[k](cv::Rect(52, 52, 152, 152)).reshape(1), nullptr, &max_inside);
    EXPECT_LT(max_inside, 16) << "frame " << k;
    const cv::Scalar right = cv::mean(d.images[k](cv::Rect(224, 0, 128, 288)));
    EXPECT_GT(right[0] + right[1] + right[2], 3 * 40.0) << "frame " << k;
    if (k > 0) {
      EXPECT_GT(d.pts_us[k], d.pts_us[k - 1]);
    }
  }
  EXPECT_GE(init["origin_us"].get<TimeUs>() + d.pts_us.front(), kWall);
  EXPECT_EQ(video_->Stats()[0].masked_viewers, 1);
  EXPECT_EQ(video_->Stats()[0].mp4_viewers, 0);
  ws.close(websocket::close_code::normal);
  for (int i = 0; i < 200 && (video_->Stats()[0].masked_viewers > 0 || video_->Stats()[0].masked_encoding); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(video_->Stats()[0].masked_viewers, 0);
  EXPECT_FALSE(video_->Stats()[0].masked_encoding);  // stopped with the last masked viewer
  EXPECT_GE(video_->Stats()[0].masked_frames_total, 30);
  tcp::socket s(ioc);
  s.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_));
  http::request<http::string_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req);
  http::response<http::string_body> res;
  beast::flat_buffer mbuf;
  http::read(s, mbuf, res);
  EXPECT_NE(res.body().find("didban_live_video_masked_frames_total{camera=\"north\"}"), std::string::npos);
  EXPECT_NE(res.body().find("didban_live_video_masked_cpu_seconds_total{camera=\"north\"}"), std::string::npos);
  EXPECT_NE(res.body().find("didban_live_video_viewers{camera=\"north\",format=\"mp4_masked\"} 0"), std::string::npos);
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
