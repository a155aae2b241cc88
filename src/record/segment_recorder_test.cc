#include "record/segment_recorder.h"

#include <filesystem>
#include <mutex>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "record/record_test_util.h"
#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::record {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 375 frames, 25 fps, a keyframe each 1 s

class FakeIndex : public SegmentIndex {
 public:
  void OnSegmentOpened(const SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    opened.push_back(s);
  }
  void OnSegmentClosed(const SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu_);
    closed.push_back(s);
  }
  std::mutex mu_;
  std::vector<SegmentInfo> opened;
  std::vector<SegmentInfo> closed;
};

SegmentRecorderOptions Options(const std::string& dir, SegmentIndex* index) {
  SegmentRecorderOptions o;
  o.camera = "gate 1";
  o.dir = dir;
  o.segment_us = 4'000'000;
  o.min_free_bytes = 0;
  o.index = index;
  return o;
}

TEST(SegmentRecorderTest, CutsSegmentsAtTheFirstKeyframeAfterSegmentLength) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("rec");
  FakeIndex index;
  auto rec = SegmentRecorder::Create(Options(dir + "/gate_1", &index));
  ASSERT_TRUE(rec.ok()) << rec.status();
  ASSERT_EQ(testing::FeedFile(clip, rec->get()), 375);
  (*rec)->Close();
  RecorderCounters c = (*rec)->Counters();
  EXPECT_EQ(c.packets, 375);
  EXPECT_EQ(c.packets_written, 375);
  EXPECT_EQ(c.packets_dropped, 0);
  EXPECT_EQ(c.segments, 4);
  EXPECT_TRUE(c.recording);
  ASSERT_EQ(index.opened.size(), 4u);
  ASSERT_EQ(index.closed.size(), 4u);
  std::vector<int64_t> frames;
  std::vector<TimeUs> starts;
  std::vector<TimeUs> ends;
  for (const SegmentInfo& s : index.closed) {
    frames.push_back(s.frames);
    starts.push_back(s.start_us);
    ends.push_back(s.end_us);
    EXPECT_FALSE(s.open);
    EXPECT_EQ(s.camera, "gate 1");
    EXPECT_EQ(s.bytes, static_cast<int64_t>(std::filesystem::file_size(s.path))) << s.path;
    testing::FileContents f = testing::ReadFile(s.path);
    ASSERT_TRUE(f.opened) << s.path;
    EXPECT_TRUE(f.first_is_key);
    EXPECT_EQ(f.packets, s.frames);
    EXPECT_EQ(f.decoded, s.frames) << s.path;
    EXPECT_EQ(f.keyframes, s.frames / 25 + (s.frames % 25 != 0 ? 1 : 0));
    EXPECT_EQ(f.pts_us.front(), 0);
  }
  EXPECT_THAT(frames, ElementsAre(100, 100, 100, 75));
  EXPECT_THAT(starts, ElementsAre(0, 4'000'000, 8'000'000, 12'000'000));
  EXPECT_THAT(ends, ElementsAre(4'000'000, 8'000'000, 12'000'000, 15'000'000));
  EXPECT_EQ(index.closed[1].path, dir + "/gate_1/gate_1-19700101T000004.000000Z.mp4");
  EXPECT_EQ(index.opened[1].path, dir + "/gate_1/gate_1-19700101T000004.000000Z.mp4");
  EXPECT_TRUE(index.opened[1].open);
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/gate_1")) files.push_back(e.path().filename());
  std::sort(files.begin(), files.end());
  EXPECT_THAT(files, ElementsAre("gate_1-19700101T000000.000000Z.mp4", "gate_1-19700101T000004.000000Z.mp4",
                                 "gate_1-19700101T000008.000000Z.mp4", "gate_1-19700101T000012.000000Z.mp4"));
}

}  // namespace
}  // namespace didban::record
