#include "record/retention.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace didban::record {
namespace {

using ::testing::ElementsAre;

constexpr TimeUs kS = 1'000'000;

SegmentInfo Seg(const std::string& camera, int start_s, int64_t bytes, bool open = false) {
  SegmentInfo s;
  s.camera = camera;
  s.path = camera + "/" + std::to_string(start_s) + ".mp4";
  s.origin_us = start_s * kS;
  s.start_us = start_s * kS;
  s.end_us = (start_s + 60) * kS;
  s.bytes = bytes;
  s.open = open;
  return s;
}

std::vector<std::string> Paths(const std::vector<PlannedDeletion>& plan) {
  std::vector<std::string> out;
  out.reserve(plan.size());
  for (const PlannedDeletion& d : plan) out.push_back(absl::StrCat(d.segment.path, ":", DeleteReasonName(d.reason)));
  return out;
}

// Cameras a and b, one-minute segments from 0 s to 300 s (a) and 0 s to 120 s (b), listed out of order.
std::vector<SegmentInfo> Segments() {
  return {Seg("a", 120, 100),
          Seg("a", 0, 100),
          Seg("b", 60, 50),
          Seg("a", 60, 100),
          Seg("a", 180, 100),
          Seg("b", 0, 50),
          Seg("a", 240, 100, /*open=*/true),
          Seg("b", 120, 50)};
}

TEST(RetentionTest, NothingWithoutLimits) {
  EXPECT_TRUE(PlanRetention(Segments(), {}, RetentionPolicy{}, 1000 * kS, 1 << 30).empty());
}

TEST(RetentionTest, ByAgeOldestFirstPerCamera) {
  RetentionPolicy p;
  p.defaults.max_age_us = 100 * kS;
  p.cameras["b"].max_age_us = 130 * kS;
  // now = 250 s: a's segments ending before 150 s (0-60, 60-120); b's ending before 120 s (0-60).
  EXPECT_THAT(Paths(PlanRetention(Segments(), {}, p, 250 * kS, 0)),
              ElementsAre("a/0.mp4:age", "b/0.mp4:age", "a/60.mp4:age"));
}

TEST(RetentionTest, KeptRangesAndOpenSegmentsStay) {
  RetentionPolicy p;
  p.defaults.max_age_us = 1 * kS;
  std::vector<KeptRange> kept = {{"a", 50 * kS, 70 * kS},  // an event clip across a/0 and a/60
                                 {"b", 0, 1 * kS}};        // evidence in b/0
  EXPECT_THAT(Paths(PlanRetention(Segments(), kept, p, 1000 * kS, 0)),
              ElementsAre("b/60.mp4:age", "a/120.mp4:age", "b/120.mp4:age", "a/180.mp4:age"));
  // A range that only touches a segment's end does not keep it.
  kept = {{"a", 60 * kS, 61 * kS}};
  EXPECT_THAT(
      Paths(PlanRetention(Segments(), kept, p, 1000 * kS, 0)),
      ElementsAre("a/0.mp4:age", "b/0.mp4:age", "b/60.mp4:age", "a/120.mp4:age", "b/120.mp4:age", "a/180.mp4:age"));
}

TEST(RetentionTest, ByCameraSizeCountsKeptAndOpenSegments) {
  RetentionPolicy p;
  p.cameras["a"].max_bytes = 250;                           // a holds 500 bytes (the open one included)
  std::vector<KeptRange> kept = {{"a", 10 * kS, 20 * kS}};  // keeps a/0
  EXPECT_THAT(Paths(PlanRetention(Segments(), kept, p, 0, 1 << 30)),
              ElementsAre("a/60.mp4:camera_size", "a/120.mp4:camera_size", "a/180.mp4:camera_size"));
}

TEST(RetentionTest, DiskFloorDeletesOldestOfAnyCameraAfterTheOtherRules) {
  RetentionPolicy p;
  p.cameras["b"].max_age_us = 150 * kS;
  p.min_free_bytes = 1000;
  // now = 250 s: age removes b/0 (50 bytes); free 800 + 50 = 850, the floor needs 150 more: a/0, then a/60 (ties on
  // start time go by path) makes 1050.
  EXPECT_THAT(Paths(PlanRetention(Segments(), {}, p, 250 * kS, 800)),
              ElementsAre("b/0.mp4:age", "a/0.mp4:disk_floor", "a/60.mp4:disk_floor"));
  // Everything deletable goes, and no more, when the floor cannot be reached.
  p.min_free_bytes = 1 << 30;
  EXPECT_EQ(PlanRetention(Segments(), {}, p, 200 * kS, 0).size(), 7u);
}

TEST(RetentionTest, Validate) {
  RetentionPolicy p;
  EXPECT_TRUE(p.Validate().ok());
  p.cameras["gate"].max_bytes = -1;
  EXPECT_EQ(p.Validate().message(), "retention of camera 'gate': max_bytes must be >= 0, got -1");
}

}  // namespace
}  // namespace didban::record
