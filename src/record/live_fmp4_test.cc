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

}  // namespace
}  // namespace didban::record
