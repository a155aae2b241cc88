#include "record/clip_export.h"

#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "record/record_test_util.h"
#include "record/segment_recorder.h"
#include "testing/data.h"

namespace didban::record {
namespace {

constexpr char kClip[] = "video_fixed/traffic/autostrade_a01_haze.mp4";  // 375 frames, 25 fps, a keyframe each 1 s

class ListIndex : public SegmentIndex {
 public:
  void OnSegmentOpened(const SegmentInfo& /*s*/) override {}
  void OnSegmentClosed(const SegmentInfo& s) override {
    std::lock_guard<std::mutex> lock(mu);
    closed.push_back(s);
  }
  std::mutex mu;
  std::vector<SegmentInfo> closed;
};

// Records the clip in 4-s segments: 0-4, 4-8, 8-12, 12-15 s.
std::vector<SegmentInfo> Record(const std::string& clip, const std::string& dir) {
  ListIndex index;
  SegmentRecorderOptions o;
  o.camera = "cam";
  o.dir = dir;
  o.segment_us = 4'000'000;
  o.min_free_bytes = 0;
  o.index = &index;
  auto rec = SegmentRecorder::Create(o);
  if (!rec.ok()) return {};
  testing::FeedFile(clip, rec->get());
  (*rec)->Close();
  return index.closed;
}

TEST(ClipExportTest, TimeRangeAcrossSegmentsByStreamCopy) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("export");
  std::vector<SegmentInfo> segments = Record(clip, dir + "/cam");
  ASSERT_EQ(segments.size(), 4u);
  // 5.5 s .. 9.2 s: from the keyframe at 5 s to the frame at 9.16 s, across the cut at 8 s.
  auto out = ExportClip(segments, 5'500'000, 9'200'000, dir + "/clip.mp4");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->frames, 105);
  EXPECT_EQ(out->start_us, 5'000'000);
  EXPECT_EQ(out->end_us, 9'200'000);
  EXPECT_EQ(out->segments, 2);
  testing::FileContents c = testing::ReadFile(dir + "/clip.mp4");
  EXPECT_EQ(c.packets, 105);
  EXPECT_EQ(c.decoded, 105);
  EXPECT_EQ(c.keyframes, 5);
  EXPECT_TRUE(c.first_is_key);
  EXPECT_EQ(c.pts_us.front(), 0);
  EXPECT_EQ(c.pts_us.back(), 4'160'000);

  // The whole recording.
  out = ExportClip(segments, -1'000'000, 100'000'000, dir + "/all.mp4");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->frames, 375);
  EXPECT_EQ(testing::ReadFile(dir + "/all.mp4").decoded, 375);

  // An event at 12.3-12.5 s with 1 s pre-roll and 0.5 s post-roll: keyframe 11 s to 12.96 s.
  out = ExportEventClip(segments, 12'300'000, 12'500'000, 1'000'000, 500'000, dir + "/event.mp4");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->start_us, 11'000'000);
  EXPECT_EQ(out->frames, 50);
  EXPECT_EQ(testing::ReadFile(dir + "/event.mp4").decoded, 50);
}

TEST(ClipExportTest, Errors) {
  DIDBAN_REQUIRE_DATA(clip, kClip);
  std::string dir = didban::testing::MakeTempDir("export_err");
  std::vector<SegmentInfo> segments = Record(clip, dir + "/cam");
  auto out = ExportClip(segments, 20'000'000, 30'000'000, dir + "/none.mp4");
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(out.status().message(),
            "no recording between 20000000 and 30000000 us for '" + dir + "/none.mp4' (0 segments overlap)");
  out = ExportClip(segments, 5, 5, dir + "/empty.mp4");
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  std::vector<SegmentInfo> missing = segments;
  missing[1].path = dir + "/cam/gone.mp4";
  out = ExportClip(missing, 5'000'000, 6'000'000, dir + "/x.mp4");
  EXPECT_EQ(out.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(out.status().message().rfind("cannot read segment '" + dir + "/cam/gone.mp4': ", 0), 0u)
      << out.status().message();
}

}  // namespace
}  // namespace didban::record
