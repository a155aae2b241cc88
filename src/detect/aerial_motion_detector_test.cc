#include "detect/aerial_motion_detector.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace didban::detect {
namespace {

// A panning camera over a textured ground (crops of a larger image moving 3 px right per frame) with one dark
// vehicle-sized box driving 2 px per frame down the ground.
cv::Mat GroundFrame(const cv::Mat& ground, int i) {
  cv::Mat view = ground(cv::Rect(3 * i, 0, 320, 240)).clone();
  const int gx = 200, gy = 40 + 2 * i;  // ground position of the object
  cv::rectangle(view, cv::Rect(gx - 3 * i, gy, 8, 14), cv::Scalar(30, 30, 30), cv::FILLED);
  return view;
}

cv::Mat Ground() {
  cv::Mat small(40, 80, CV_8UC3);
  cv::RNG rng(7);
  rng.fill(small, cv::RNG::UNIFORM, 90, 220);
  cv::Mat ground;
  cv::resize(small, ground, cv::Size(640, 320), 0, 0, cv::INTER_CUBIC);
  return ground;
}

TEST(AerialMotionDetectorTest, FindsTheMovingBoxAndTheCameraMotion) {
  const cv::Mat ground = Ground();
  AerialMotionOptions o;
  o.motion_scale = 1.0;
  AerialMotionDetector d(o);
  Detections last;
  for (int i = 0; i < 40; ++i) {
    Frame f;
    f.index = i;
    f.pts_us = i * 40'000;
    f.image = GroundFrame(ground, i);
    auto r = d.Detect(f);
    ASSERT_TRUE(r.ok()) << r.status();
    last = *r;
    if (i > 0) {
      ASSERT_TRUE(d.LastMotionValid()) << "frame " << i;
      // The current frame's pixel x is the previous frame's x + 3.
      EXPECT_NEAR(d.LastHomography()(0, 2), 3.0, 0.25) << "frame " << i;
      EXPECT_NEAR(d.LastHomography()(1, 2), 0.0, 0.25) << "frame " << i;
    }
  }
  // The ghost of the object's first-frame position is gone after about a second.
  ASSERT_EQ(last.size(), 1u);
  // Object at frame 39: x = 200 - 117 = 83, y = 40 + 78 = 118, 8x14 (the blob may grow a pixel with blur).
  EXPECT_NEAR(last[0].box.x, 83, 2);
  EXPECT_NEAR(last[0].box.y, 118, 2);
  EXPECT_NEAR(last[0].box.w, 8, 3);
  EXPECT_NEAR(last[0].box.h, 14, 3);
}

TEST(AerialMotionDetectorTest, StillGroundGivesNothing) {
  const cv::Mat ground = Ground();
  AerialMotionDetector d(AerialMotionOptions{});
  for (int i = 0; i < 15; ++i) {
    Frame f;
    f.index = i;
    f.pts_us = i * 40'000;
    f.image = ground(cv::Rect(3 * i, 0, 320, 240)).clone();
    auto r = d.Detect(f);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty()) << "frame " << i;
  }
}

TEST(AerialMotionDetectorTest, AnalysisResolutionFollowsTheSmallestObject) {
  AerialMotionOptions o;
  EXPECT_EQ(o.AnalysisStep(), 1);  // object size unknown: full resolution
  o.min_object_px = 4.3;           // a person at 100 m
  EXPECT_EQ(o.AnalysisStep(), 1);
  o.min_object_px = 15.4;  // a car's width at 100 m: 15.4 / 5 -> 3
  EXPECT_EQ(o.AnalysisStep(), 3);
  o.min_object_px = 100;
  EXPECT_EQ(o.AnalysisStep(), 4);  // max_analysis_step
  // At step 2 the moving box of FindsTheMovingBoxAndTheCameraMotion (8x14 px) is still found, in frame pixels.
  const cv::Mat ground = Ground();
  o = AerialMotionOptions();
  o.motion_scale = 1.0;
  o.min_object_px = 10;
  o.analysis_object_px = 4;
  o.min_area_px = 4;
  o.min_side_px = 2;
  o.close_px = 3;
  o.open_px = 0;
  AerialMotionDetector d(o);
  EXPECT_DOUBLE_EQ(d.AnalysisScale(), 0.5);
  Detections last;
  for (int i = 0; i < 40; ++i) {
    Frame f;
    f.index = i;
    f.pts_us = i * 40'000;
    f.image = GroundFrame(ground, i);
    auto r = d.Detect(f);
    ASSERT_TRUE(r.ok()) << r.status();
    last = *r;
  }
  ASSERT_TRUE(d.LastMotionValid());
  EXPECT_NEAR(d.LastHomography()(0, 2), 3.0, 0.25);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_NEAR(last[0].box.x, 83, 3);
  EXPECT_NEAR(last[0].box.y, 118, 3);
  EXPECT_NEAR(last[0].box.w, 8, 4);
  EXPECT_NEAR(last[0].box.h, 14, 4);
}

TEST(AerialMotionDetectorTest, ParsesOptionsAndRegisters) {
  EXPECT_EQ(ParseAerialMotionOptions({{"motion_scale", 2.0}}).status().message(),
            "aerial detector: motion_scale must be in (0, 1], got 2");
  EXPECT_FALSE(ParseAerialMotionOptions({{"diff_threshhold", 5}}).ok());
  EXPECT_EQ(ParseAerialMotionOptions({{"analysis_object_px", 0.5}}).status().message(),
            "aerial detector: analysis_object_px must be >= 1, got 0.5");
  auto parsed = ParseAerialMotionOptions({{"min_object_px", 12.0}});
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->AnalysisStep(), 2);
  Registry<Detector> registry("detector");
  RegisterAerialDetector(registry);
  auto det = registry.Create("aerial", {{"diff_threshold", 30}});
  ASSERT_TRUE(det.ok()) << det.status();
  EXPECT_EQ((*det)->Name(), "aerial");
}

}  // namespace
}  // namespace didban::detect
