// H264Encoder with real parts: synthetic BGR frames through libx264, the packets decoded back with FFmpeg's H.264
// decoder (count, size, times, keyframes, pixels) and muxed by the live fMP4 muxer into a file FFmpeg plays.
#include "record/h264_encoder.h"

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
}

#include "record/live_fmp4.h"
#include "record/privacy_mask.h"
#include "record/record_test_util.h"
#include "testing/data.h"

namespace didban::record {
namespace {

constexpr TimeUs kWall = 1'764'640'197'123'456;  // frames on a wall clock, as live cameras give them

// Keeps what the encoder hands a PacketSink.
class Collect final : public source::PacketSink {
 public:
  ~Collect() override {
    for (AVPacket* p : packets) av_packet_free(&p);
    avcodec_parameters_free(&codecpar);
  }
  void OnStreamStart(const source::PacketStreamInfo& info) override {
    ++starts;
    codecpar = avcodec_parameters_alloc();
    avcodec_parameters_copy(codecpar, info.codecpar);
    time_base = info.time_base;
  }
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
    packets.push_back(av_packet_clone(&packet));
    pts.push_back(pts_us);
    dts.push_back(dts_us);
  }
  void OnStreamEnd() override { ++ends; }

  int starts = 0;
  int ends = 0;
  AVCodecParameters* codecpar = nullptr;
  AVRational time_base = {0, 1};
  std::vector<AVPacket*> packets;
  std::vector<TimeUs> pts;
  std::vector<TimeUs> dts;
};

struct Decoded {
  std::vector<cv::Mat> images;  // BGR
  std::vector<TimeUs> pts;
  std::vector<bool> key;
  int errors = 0;
};

// Decodes the packets (their times replaced by the pts_us/dts_us the sink got) back to BGR images.
Decoded Decode(const Collect& c) {
  Decoded d;
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
  AVCodecContext* dec = avcodec_alloc_context3(codec);
  avcodec_parameters_to_context(dec, c.codecpar);
  dec->thread_count = 1;
  if (avcodec_open2(dec, codec, nullptr) < 0) {
    avcodec_free_context(&dec);
    d.errors = -1;
    return d;
  }
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
      d.pts.push_back(frame->pts);
      d.key.push_back(frame->key_frame != 0);
      av_frame_unref(frame);
    }
  };
  for (size_t i = 0; i < c.packets.size(); ++i) {
    AVPacket* p = av_packet_clone(c.packets[i]);
    p->pts = c.pts[i];
    p->dts = c.dts[i];
    if (avcodec_send_packet(dec, p) < 0) ++d.errors;
    av_packet_free(&p);
    drain();
  }
  avcodec_send_packet(dec, nullptr);
  drain();
  sws_freeContext(sws);
  av_frame_free(&frame);
  avcodec_free_context(&dec);
  return d;
}

// A frame that changes from one to the next: a gradient, a moving bright square and the frame number's grey level.
cv::Mat Synthetic(int width, int height, int i) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    auto* row = m.ptr<cv::Vec3b>(y);
    for (int x = 0; x < width; ++x) {
      row[x] = cv::Vec3b(static_cast<uint8_t>(60 + (x * 120) / width), static_cast<uint8_t>(80 + (y * 100) / height),
                         static_cast<uint8_t>(100 + (i % 50)));
    }
  }
  cv::rectangle(m, cv::Rect((i * 4) % (width - 40), height / 3, 40, 40), cv::Scalar(250, 250, 250), cv::FILLED);
  return m;
}

TEST(H264EncoderTest, EncodesFramesThatDecodeBackWithTheirTimesSizeAndKeyframeInterval) {
  Collect sink;
  H264EncoderOptions o;
  o.fps = 25;
  o.keyframe_interval_s = 1.0;
  o.name = "test encoder";
  auto enc = H264Encoder::Create(o, &sink);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ((*enc)->CodecParameters(), nullptr);
  constexpr int kFrames = 70;
  std::vector<TimeUs> times;
  for (int i = 0; i < kFrames; ++i) {
    // 25 fps with a little jitter, as a live camera's frame times are.
    const TimeUs t = kWall + i * 40'000 + (i % 3) * 7;
    times.push_back(t);
    ASSERT_TRUE((*enc)->Encode(Synthetic(320, 240, i), t, /*force_keyframe=*/i == 37).ok());
    // Zero latency: every frame's packet is out at once.
    EXPECT_EQ(static_cast<int>(sink.packets.size()), i + 1);
  }
  ASSERT_NE((*enc)->CodecParameters(), nullptr);
  EXPECT_EQ((*enc)->CodecParameters()->codec_id, AV_CODEC_ID_H264);
  EXPECT_GT((*enc)->CodecParameters()->extradata_size, 0);  // SPS/PPS for the muxer
  ASSERT_TRUE((*enc)->Finish().ok());
  ASSERT_TRUE((*enc)->Finish().ok());  // idempotent
  EXPECT_EQ(sink.starts, 1);
  EXPECT_EQ(sink.ends, 1);
  EXPECT_EQ((*enc)->FramesIn(), kFrames);
  EXPECT_EQ((*enc)->PacketsOut(), kFrames);
  EXPECT_EQ((*enc)->GopFrames(), 25);
  EXPECT_EQ(sink.codecpar->width, 320);
  EXPECT_EQ(sink.codecpar->height, 240);

  // Packets carry the frames' own times (decode order = presentation order: no B-frames).
  ASSERT_EQ(sink.pts.size(), times.size());
  std::vector<int> keys;
  for (size_t i = 0; i < times.size(); ++i) {
    EXPECT_EQ(sink.pts[i], times[i]) << "packet " << i;
    EXPECT_EQ(sink.dts[i], times[i]) << "packet " << i;
    if ((sink.packets[i]->flags & AV_PKT_FLAG_KEY) != 0) keys.push_back(static_cast<int>(i));
  }
  // Every 25 frames, and the forced one, from which the count starts again.
  EXPECT_EQ(keys, (std::vector<int>{0, 25, 37, 62}));
  EXPECT_EQ((*enc)->Keyframes(), 4);

  const Decoded d = Decode(sink);
  EXPECT_EQ(d.errors, 0);
  ASSERT_EQ(d.images.size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    EXPECT_EQ(d.pts[i], times[i]);
    EXPECT_EQ(d.images[i].cols, 320);
    EXPECT_EQ(d.images[i].rows, 240);
    // Lossy but close: mean absolute difference of a few levels.
    const cv::Scalar diff = cv::mean(cv::abs(d.images[i] - Synthetic(320, 240, i)));
    EXPECT_LT(diff[0] + diff[1] + diff[2], 3 * 6.0) << "frame " << i;
  }
  EXPECT_TRUE(d.key[0]);
  EXPECT_TRUE(d.key[25]);
  EXPECT_TRUE(d.key[37]);
}

TEST(H264EncoderTest, AMaskedRegionDecodesBlack) {
  Collect sink;
  auto enc = H264Encoder::Create({}, &sink);
  ASSERT_TRUE(enc.ok()) << enc.status();
  PrivacyMask mask;
  mask.polygons.push_back({{100, 60}, {260, 60}, {260, 200}, {100, 200}});
  for (int i = 0; i < 10; ++i) {
    cv::Mat img = Synthetic(320, 240, i);
    ApplyPrivacyMask(mask, img);
    ASSERT_TRUE((*enc)->Encode(img, i * 40'000).ok());
  }
  ASSERT_TRUE((*enc)->Finish().ok());
  const Decoded d = Decode(sink);
  ASSERT_EQ(d.images.size(), 10u);
  for (const cv::Mat& img : d.images) {
    // Inside (2 px in from the edges, where 4:2:0 chroma blends): black within a few levels.
    const cv::Scalar inside = cv::mean(img(cv::Rect(104, 64, 152, 132)));
    double max_inside = 0;
    cv::minMaxLoc(img(cv::Rect(104, 64, 152, 132)).reshape(1), nullptr, &max_inside);
    EXPECT_LT(inside[0] + inside[1] + inside[2], 3 * 2.0);
    EXPECT_LT(max_inside, 12);
    // Outside: the picture.
    const cv::Scalar outside = cv::mean(img(cv::Rect(0, 0, 320, 50)));
    EXPECT_GT(outside[0] + outside[1] + outside[2], 3 * 60.0);
  }
}

TEST(H264EncoderTest, OddSizesBitrateAndFinishWithoutFrames) {
  Collect sink;
  H264EncoderOptions o;
  o.bitrate_kbps = 500;
  o.preset = "ultrafast";
  o.threads = 2;
  {
    auto idle = H264Encoder::Create(o, &sink);
    ASSERT_TRUE(idle.ok());
    EXPECT_TRUE((*idle)->Finish().ok());  // no frame: no stream at all
  }
  EXPECT_EQ(sink.starts, 0);
  EXPECT_EQ(sink.ends, 0);
  auto enc = H264Encoder::Create(o, &sink);
  ASSERT_TRUE(enc.ok());
  ASSERT_TRUE((*enc)->Encode(Synthetic(161, 99, 0), 1000).ok());
  ASSERT_TRUE((*enc)->Encode(Synthetic(161, 99, 1), 1000).ok());  // a time that does not advance is nudged
  const absl::Status other_size = (*enc)->Encode(Synthetic(160, 100, 2), 90'000);
  EXPECT_FALSE(other_size.ok());
  EXPECT_NE(other_size.message().find("160x100"), std::string::npos) << other_size;
  ASSERT_TRUE((*enc)->Finish().ok());
  EXPECT_EQ(sink.codecpar->width, 162);
  EXPECT_EQ(sink.codecpar->height, 100);
  ASSERT_EQ(sink.pts.size(), 2u);
  EXPECT_EQ(sink.pts[0], 1000);
  EXPECT_EQ(sink.pts[1], 1001);
  EXPECT_FALSE((*enc)->Encode(Synthetic(161, 99, 3), 2000).ok());  // finished

  H264EncoderOptions bad;
  bad.crf = 60;
  EXPECT_EQ(H264Encoder::Create(bad, &sink).status().code(), absl::StatusCode::kInvalidArgument);
  bad = {};
  bad.keyframe_interval_s = 0;
  EXPECT_EQ(H264Encoder::Create(bad, &sink).status().code(), absl::StatusCode::kInvalidArgument);
  bad = {};
  bad.preset = "no-such-preset";
  auto unopened = H264Encoder::Create(bad, &sink);
  ASSERT_TRUE(unopened.ok());
  const absl::Status s = (*unopened)->Encode(Synthetic(64, 64, 0), 0);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no-such-preset"), std::string::npos) << s;
  EXPECT_EQ(H264Encoder::Create({}, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(H264EncoderTest, PacketsMuxIntoLiveFmp4ThatPlaysOnTheFramesTimeline) {
  std::string bytes;
  TimeUs origin = source::kNoPacketTime;
  LiveFmp4 live("enc", [&](const LiveChunk& c) {
    if (c.init) origin = c.pts_us;
    bytes += *c.bytes;
  });
  H264EncoderOptions o;
  o.keyframe_interval_s = 0.4;  // 10 frames
  auto enc = H264Encoder::Create(o, &live);
  ASSERT_TRUE(enc.ok());
  for (int i = 0; i < 30; ++i) ASSERT_TRUE((*enc)->Encode(Synthetic(256, 144, i), kWall + i * 40'000).ok());
  ASSERT_TRUE((*enc)->Finish().ok());
  EXPECT_EQ(live.Errors(), 0);
  EXPECT_EQ(origin, kWall);
  const std::string path = ::didban::testing::MakeTempDir("h264_encoder") + "/live.mp4";
  {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
  }
  const testing::FileContents c = testing::ReadFile(path);
  EXPECT_EQ(c.decoded, 30);
  EXPECT_EQ(c.decode_errors, 0);
  EXPECT_EQ(c.keyframes, 3);
  EXPECT_TRUE(c.first_is_key);
  ASSERT_EQ(c.pts_us.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(origin + c.pts_us[i], kWall + i * 40'000) << i;
}

}  // namespace
}  // namespace didban::record
