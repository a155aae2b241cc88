#include "record/live_fmp4.h"

#include <fstream>
#include <vector>

#include <gtest/gtest.h>

#include "record/record_test_util.h"
#include "testing/data.h"

namespace didban::record {
namespace {

// Shifts packet times to a wall clock, as a live source gives them.
class Shift : public source::PacketSink {
 public:
  Shift(source::PacketSink* to, TimeUs by) : to_(to), by_(by) {}
  void OnStreamStart(const source::PacketStreamInfo& info) override { to_->OnStreamStart(info); }
  void OnPacket(const AVPacket& p, TimeUs pts_us, TimeUs dts_us) override {
    to_->OnPacket(p, pts_us + by_, dts_us + by_);
  }
  void OnStreamEnd() override { to_->OnStreamEnd(); }

 private:
  source::PacketSink* to_;
  TimeUs by_;
};

TEST(LiveFmp4Test, InitSegmentThenOneFragmentPerFrameAtTheSourceTimes) {
  DIDBAN_REQUIRE_DATA(clip, "video_fixed/traffic/autostrade_a01_haze.mp4");
  constexpr TimeUs kWall = 1'764'640'197'000'000;  // 2025-12-02 01:49:57 UTC
  std::vector<LiveChunk> chunks;
  LiveFmp4 live("cam", [&](const LiveChunk& c) { chunks.push_back(c); });
  Shift shift(&live, kWall);
  ASSERT_EQ(testing::FeedFile(clip, &shift, 60), 60);
  ASSERT_EQ(chunks.size(), 61u);
  EXPECT_TRUE(chunks[0].init);
  EXPECT_EQ(chunks[0].pts_us, kWall);  // media time 0
  EXPECT_EQ(live.InitSegment(), chunks[0].bytes);
  EXPECT_EQ(chunks[1].pts_us, kWall);
  EXPECT_TRUE(chunks[1].key);
  EXPECT_FALSE(chunks[2].key);
  EXPECT_TRUE(chunks[26].key);  // 1 s later
  EXPECT_EQ(chunks[60].pts_us, kWall + 2'360'000);
  EXPECT_EQ(live.Errors(), 0);
  // A viewer joining at the keyframe at 1 s: the init segment and the fragments from there play, at media times
  // chunk.pts_us - init.pts_us.
  std::string path = didban::testing::MakeTempDir("live") + "/join.mp4";
  {
    std::ofstream f(path, std::ios::binary);
    f << *chunks[0].bytes;
    for (size_t i = 26; i < chunks.size(); ++i) f << *chunks[i].bytes;
  }
  testing::FileContents c = testing::ReadFile(path);
  EXPECT_EQ(c.decoded, 35);
  EXPECT_TRUE(c.first_is_key);
  ASSERT_FALSE(c.pts_us.empty());
  EXPECT_EQ(c.pts_us.front(), chunks[26].pts_us - chunks[0].pts_us);
  EXPECT_EQ(c.pts_us.back(), chunks[60].pts_us - chunks[0].pts_us);
}

// Fragments of 100 ms (--live-fragment-ms 100): three 40-ms frames each, cut short before every keyframe (a viewer
// joins at one) and at the end of the stream, so a viewer gets 9 writes per 1-s GOP instead of 25.
TEST(LiveFmp4Test, FragmentsSpanTheirLengthEndBeforeKeyframesAndAtTheEnd) {
  DIDBAN_REQUIRE_DATA(clip, "video_fixed/traffic/autostrade_a01_haze.mp4");
  constexpr TimeUs kWall = 1'764'640'197'000'000;
  std::vector<LiveChunk> chunks;
  LiveFmp4 live(
      "cam", [&](const LiveChunk& c) { chunks.push_back(c); }, 100'000);
  Shift shift(&live, kWall);
  ASSERT_EQ(testing::FeedFile(clip, &shift, 60), 60);
  // Packets 0-24 and 25-49 (a keyframe each second): 8 fragments of 3 and one of 1 each; 50-59: 3 of 3 and the last
  // one flushed at the stream's end.
  ASSERT_EQ(chunks.size(), 1u + 9u + 9u + 4u);
  EXPECT_TRUE(chunks[0].init);
  std::vector<size_t> keys;
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].key) keys.push_back(i);
  }
  EXPECT_EQ(keys, (std::vector<size_t>{1, 10, 19}));
  EXPECT_EQ(chunks[1].pts_us, kWall);
  EXPECT_EQ(chunks[10].pts_us, kWall + 1'000'000);
  EXPECT_EQ(chunks[19].pts_us, kWall + 2'000'000);
  EXPECT_EQ(live.Errors(), 0);
  // Joining at the keyframe at 1 s plays the same 35 frames as with one fragment per frame.
  std::string path = didban::testing::MakeTempDir("live") + "/join100.mp4";
  {
    std::ofstream f(path, std::ios::binary);
    f << *chunks[0].bytes;
    for (size_t i = 10; i < chunks.size(); ++i) f << *chunks[i].bytes;
  }
  testing::FileContents c = testing::ReadFile(path);
  EXPECT_EQ(c.decoded, 35);
  EXPECT_TRUE(c.first_is_key);
  ASSERT_FALSE(c.pts_us.empty());
  EXPECT_EQ(c.pts_us.front(), chunks[10].pts_us - chunks[0].pts_us);
}

TEST(LiveFmp4Test, NegativeFragmentLengthIsRefused) {
  Fmp4MuxerOptions o;
  o.flush_after_us = -1;
  EXPECT_EQ(o.Validate().message(), "flush_after_us must be >= 0, got -1");
}

}  // namespace
}  // namespace didban::record
