#include "fuse/wildtrack.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>

#include "fuse/fuse_io.h"
#include "fuse/fuser.h"
#include "testing/data.h"

namespace didban::fuse {
namespace {

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

TEST(WildtrackTest, PositionIdToMetres) {
  Point2 a = WildtrackGround(456826);  // 456826 = 951 * 480 + 346
  EXPECT_NEAR(a.x, -3 + 0.025 * 346, 1e-12);
  EXPECT_NEAR(a.y, -9 + 0.025 * 951, 1e-12);
}

TEST(WildtrackTest, AnnotatedGroundPositionsProjectOntoBoxBottoms) {
  DIDBAN_REQUIRE_DATA(root, "multicam/WILDTRACK");
  auto frames = LoadWildtrackAnnotations(root, 200);
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), 200u);
  auto cals = LoadWildtrackCalibrations(root);
  ASSERT_TRUE(cals.ok()) << cals.status();
  // Median pixel distance between the projected annotated position and the box's bottom centre, per view. The
  // dataset's own figure is 3 to 15 px; C7 (IDIAP3) sits at its upper end.
  const double golden[kWildtrackViews] = {7.08, 5.55, 9.78, 10.50, 8.66, 2.52, 15.55};
  const size_t counts[kWildtrackViews] = {4277, 3839, 2971, 924, 1345, 4474, 1348};
  for (int v = 0; v < kWildtrackViews; ++v) {
    std::vector<double> err;
    for (const WildtrackFrame& f : *frames) {
      for (const WildtrackPerson& p : f.people) {
        if (!p.boxes[v]) continue;
        auto px = (*cals)[v].GroundToPixel(WildtrackGround(p.position_id));
        ASSERT_TRUE(px.has_value());
        Point2 bc = p.boxes[v]->BottomCenter();
        err.push_back(std::hypot(px->x - bc.x, px->y - bc.y));
      }
    }
    EXPECT_EQ(err.size(), counts[v]) << WildtrackViewName(v);
    EXPECT_NEAR(Median(err), golden[v], 0.01) << WildtrackViewName(v);
    EXPECT_LT(Median(err), 16.0) << WildtrackViewName(v);
  }
}

TEST(WildtrackTest, DetectionsAreSeededAndDeterministic) {
  DIDBAN_REQUIRE_DATA(root, "multicam/WILDTRACK");
  auto frames = LoadWildtrackAnnotations(root, 200);
  ASSERT_TRUE(frames.ok()) << frames.status();
  WildtrackSet a = MakeWildtrackDetections(*frames, 0);
  WildtrackSet b = MakeWildtrackDetections(*frames, 0);
  WildtrackSet c = MakeWildtrackDetections(*frames, 1);
  EXPECT_EQ(FormatMot(a.detections[0]), FormatMot(b.detections[0]));
  EXPECT_NE(FormatMot(a.detections[0]), FormatMot(c.detections[0]));
  EXPECT_EQ(a.truth.size(), 4785u);
  size_t total = 0;
  for (const auto& d : a.detections) total += d.size();
  // 19178 annotated boxes in the 200 frames; ~80 % kept plus ~0.5 false boxes per view and frame (~700).
  EXPECT_EQ(total, 15993u);
}

// The protocol end to end (detections -> ground -> fusion -> metrics at 0.5 m), seed 0.
TEST(WildtrackTest, ProtocolFiguresSeed0) {
  DIDBAN_REQUIRE_DATA(root, "multicam/WILDTRACK");
  auto frames = LoadWildtrackAnnotations(root, 200);
  ASSERT_TRUE(frames.ok()) << frames.status();
  auto cals = LoadWildtrackCalibrations(root);
  ASSERT_TRUE(cals.ok()) << cals.status();
  WildtrackSet set = MakeWildtrackDetections(*frames, 0);
  std::vector<CameraFrame> all;
  for (int v = 0; v < kWildtrackViews; ++v) {
    auto f = FramesFromMot(WildtrackViewName(v), (*cals)[v], set.detections[v], kWildtrackFps, 200, {}, nullptr);
    all.insert(all.end(), f.begin(), f.end());
  }
  auto steps = FuseAll(WildtrackFuserOptions(), all);
  ASSERT_TRUE(steps.ok()) << steps.status();
  absl::StatusOr<eval::MotMetrics> m = eval::EvaluateGround(set.truth, FusedGroundRows(*steps, kWildtrackFps), 0.5);
  ASSERT_TRUE(m.ok()) << m.status();
  const eval::ClearMetrics& c = m->clear;
  std::printf("MODA %.4f MOTA %.4f IDF1 %.4f idsw %lld fp %lld fn %lld\n", c.moda, c.mota, m->identity.idf1,
              static_cast<long long>(c.idsw), static_cast<long long>(c.fp), static_cast<long long>(c.fn));
  EXPECT_EQ(m->num_gt_dets, 4785);
  EXPECT_EQ(c.fp, 574);
  EXPECT_EQ(c.fn, 528);
  EXPECT_EQ(c.idsw, 260);
}

}  // namespace
}  // namespace didban::fuse
