// Which camera saw a global track when, and the follow plan over those intervals: exact intervals (gaps split them,
// a tagged point and its untagged twin count once, other global tracks are ignored) and exact pieces (a hand-off
// inside an overlap, a gap, a nested interval skipped, a short piece dropped).
#include "fuse/global_track_view.h"

#include <gtest/gtest.h>

namespace didban::fuse {
namespace {

constexpr TimeUs kT0 = 1'800'000'000'000'000;  // a wall time, µs
constexpr TimeUs kS = 1'000'000;

store::TrackPoint Cam(const std::string& camera, int64_t track, TimeUs t, int64_t global_id = 4) {
  store::TrackPoint p;
  p.camera = camera;
  p.track_id = track;
  p.global_id = global_id;
  p.time_us = kT0 + t;
  return p;
}
store::TrackPoint Global(int64_t id, TimeUs t, double x, double y) {
  store::TrackPoint p;
  p.track_id = id;
  p.global_id = id;
  p.time_us = kT0 + t;
  p.ground = Point2{x, y};
  return p;
}

// Camera "a" sees the object 0-3 s (local track 5), "b" 2.5-5.5 s (track 9, overlapping "a"), and "a" again 10-11 s
// (track 7, after a gap longer than max_gap_us).
std::vector<store::TrackPoint> Walk() {
  std::vector<store::TrackPoint> p;
  for (int s = 0; s <= 3; ++s) p.push_back(Cam("a", 5, s * kS));
  for (TimeUs t : {2'500'000, 3'500'000, 4'500'000, 5'500'000}) p.push_back(Cam("b", 9, t));
  p.push_back(Cam("b", 9, 5'500'000, 0));  // the same sighting untagged: counted once
  p.push_back(Cam("a", 7, 10 * kS));
  p.push_back(Cam("a", 7, 11 * kS));
  p.push_back(Cam("c", 2, 4 * kS, 8));  // another global track's point: ignored
  for (int s = 0; s <= 11; s += 4) p.push_back(Global(4, s * kS, s, 2.0 * s));
  p.push_back(Global(8, 4 * kS, 50, 50));  // another global track: ignored
  return p;
}

TEST(GlobalTrackViewTest, IntervalsPerCameraWithGapsAndOverlaps) {
  const GlobalTrackView v = SummarizeGlobalTrack(4, Walk());
  EXPECT_EQ(v.global_id, 4);
  EXPECT_EQ(v.from_us, kT0);
  EXPECT_EQ(v.to_us, kT0 + 11 * kS);
  ASSERT_EQ(v.intervals.size(), 3u);
  EXPECT_EQ(v.intervals[0].camera, "a");
  EXPECT_EQ(v.intervals[0].from_us, kT0);
  EXPECT_EQ(v.intervals[0].to_us, kT0 + 3 * kS);
  EXPECT_EQ(v.intervals[0].track_ids, std::vector<int64_t>({5}));
  EXPECT_EQ(v.intervals[0].points, 4);
  EXPECT_EQ(v.intervals[1].camera, "b");
  EXPECT_EQ(v.intervals[1].from_us, kT0 + 2'500'000);
  EXPECT_EQ(v.intervals[1].to_us, kT0 + 5'500'000);
  EXPECT_EQ(v.intervals[1].track_ids, std::vector<int64_t>({9}));
  EXPECT_EQ(v.intervals[1].points, 4);
  EXPECT_EQ(v.intervals[2].camera, "a");
  EXPECT_EQ(v.intervals[2].from_us, kT0 + 10 * kS);
  EXPECT_EQ(v.intervals[2].to_us, kT0 + 11 * kS);
  EXPECT_EQ(v.intervals[2].track_ids, std::vector<int64_t>({7}));
  EXPECT_EQ(v.intervals[2].points, 2);
  ASSERT_EQ(v.ground_path.size(), 3u);
  EXPECT_EQ(v.ground_path[1].time_us, kT0 + 4 * kS);
  EXPECT_EQ(v.ground_path[1].ground.x, 4);
  EXPECT_EQ(v.ground_path[1].ground.y, 8);
  EXPECT_EQ(v.Cameras(), std::vector<std::string>({"a", "b"}));
}

TEST(GlobalTrackViewTest, ALocalTrackSwitchInsideACameraStaysOneInterval) {
  // Track 5 ends at 2 s, track 6 (the same object, a new local ID) starts at 4 s: within max_gap_us (3 s).
  const GlobalTrackView v =
      SummarizeGlobalTrack(4, {Cam("a", 5, 0), Cam("a", 5, 2 * kS), Cam("a", 6, 4 * kS), Cam("a", 6, 8 * kS)});
  ASSERT_EQ(v.intervals.size(), 2u);  // 4 s -> 8 s is a gap of 4 s > 3 s
  EXPECT_EQ(v.intervals[0].track_ids, std::vector<int64_t>({5, 6}));
  EXPECT_EQ(v.intervals[0].to_us, kT0 + 4 * kS);
  EXPECT_EQ(v.intervals[1].from_us, kT0 + 8 * kS);
  GlobalTrackViewOptions o;
  o.max_gap_us = 4 * kS;
  EXPECT_EQ(SummarizeGlobalTrack(4, {Cam("a", 5, 0), Cam("a", 6, 4 * kS), Cam("a", 6, 8 * kS)}, o).intervals.size(),
            1u);
}

TEST(GlobalTrackViewTest, RestrictViewKeepsOnlyVisibleCameras) {
  const GlobalTrackView v =
      RestrictView(SummarizeGlobalTrack(4, Walk()), [](const std::string& c) { return c == "b"; });
  ASSERT_EQ(v.intervals.size(), 1u);
  EXPECT_EQ(v.intervals[0].camera, "b");
  EXPECT_EQ(v.ground_path.size(), 3u);
}

TEST(GlobalTrackViewTest, FollowPlanHandsOffInsideTheOverlapAndBridgesTheGap) {
  const std::vector<FollowPiece> p = PlanFollow(SummarizeGlobalTrack(4, Walk()));
  ASSERT_EQ(p.size(), 3u);
  // "a" from 0.5 s before its first sighting to where it loses the object (3 s), "b" already sees it: cut there.
  EXPECT_EQ(p[0].camera, "a");
  EXPECT_EQ(p[0].from_us, kT0 - 500'000);
  EXPECT_EQ(p[0].to_us, kT0 + 3 * kS);
  EXPECT_TRUE(p[0].handoff_to_next);
  EXPECT_EQ(p[0].track_ids, std::vector<int64_t>({5}));
  // "b" until 0.5 s past its last sighting (nobody sees the object from 5.5 s to 10 s).
  EXPECT_EQ(p[1].camera, "b");
  EXPECT_EQ(p[1].from_us, kT0 + 3 * kS);
  EXPECT_EQ(p[1].to_us, kT0 + 6 * kS);
  EXPECT_FALSE(p[1].handoff_to_next);
  EXPECT_EQ(p[2].camera, "a");
  EXPECT_EQ(p[2].from_us, kT0 + 9'500'000);
  EXPECT_EQ(p[2].to_us, kT0 + 11'500'000);
  EXPECT_EQ(p[2].track_ids, std::vector<int64_t>({7}));
  EXPECT_FALSE(p[2].handoff_to_next);
}

TEST(GlobalTrackViewTest, FollowPlanSkipsNestedIntervalsAndDropsShortPieces) {
  // "a" 0-10 s holds "n" 2-4 s (nested: never cut to); "b" 9.5-10.3 s is the only camera seeing the object at 10 s,
  // but for 0.3 s only (dropped); "c" sees it from 10.2 s to 20 s.
  std::vector<store::TrackPoint> pts = {Cam("n", 1, 2 * kS),    Cam("n", 1, 4 * kS),     Cam("b", 2, 9'500'000),
                                        Cam("b", 2, 9'800'000), Cam("b", 2, 10'300'000), Cam("c", 3, 10'200'000)};
  for (int s = 0; s <= 10; ++s) pts.push_back(Cam("a", 1, s * kS));
  for (TimeUs t = 11 * kS; t <= 20 * kS; t += kS) pts.push_back(Cam("c", 3, t));
  const std::vector<FollowPiece> p = PlanFollow(SummarizeGlobalTrack(4, pts));
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].camera, "a");
  EXPECT_EQ(p[0].from_us, kT0 - 500'000);
  EXPECT_EQ(p[0].to_us, kT0 + 10 * kS);
  EXPECT_FALSE(p[0].handoff_to_next);  // the piece of "b" between was dropped
  EXPECT_EQ(p[1].camera, "c");
  EXPECT_EQ(p[1].from_us, kT0 + 10'300'000);
  EXPECT_EQ(p[1].to_us, kT0 + 20'500'000);
  EXPECT_EQ(p[1].seen_from_us, kT0 + 10'200'000);
  EXPECT_EQ(p[1].track_ids, std::vector<int64_t>({3}));
  EXPECT_TRUE(PlanFollow(GlobalTrackView{}).empty());
}

}  // namespace
}  // namespace didban::fuse
