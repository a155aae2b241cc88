// The synthetic traffic scene, and the traffic rules run on its exact ground truth (a perfect detector and tracker).
#include "sim/traffic_scene.h"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "rules/rule_engine.h"
#include "sim/traffic_rules_fixture.h"

namespace didban::sim {
namespace {

TEST(TrafficScene, RendersDeterministicFramesWithTruth) {
  auto scene = TrafficScene::Create(DefaultTrafficScenario());
  ASSERT_TRUE(scene.ok()) << scene.status();
  EXPECT_EQ(scene->FrameCount(), 46 * 25);
  FramePtr a = scene->Render(100), b = scene->Render(100);
  EXPECT_EQ(a->image.size(), cv::Size(640, 360));
  EXPECT_EQ(a->pts_us, 4 * kUsPerSecond);
  EXPECT_EQ(cv::norm(a->image, b->image, cv::NORM_L1), 0);
  // Vehicle 1 (18 m/s from north -25 at t = 0) is at north 47 m at t = 4 s and visible; its box holds its colour.
  std::vector<VehicleTruth> truth = scene->Truth(100);
  auto it = std::find_if(truth.begin(), truth.end(), [](const VehicleTruth& v) { return v.id == 1; });
  ASSERT_NE(it, truth.end());
  EXPECT_NEAR(it->centre.y, 47, 1e-9);
  EXPECT_NEAR(it->velocity.y, 18, 1e-9);
  ASSERT_TRUE(it->visible);
  cv::Point c(static_cast<int>(it->box.Center().x), static_cast<int>(it->box.Center().y));
  cv::Vec3b px = a->image.at<cv::Vec3b>(c);
  EXPECT_GT(px[2], 120);  // red car (BGR 40, 40, 200), shaded
  EXPECT_LT(px[0], 90);
  // The calibration maps the box's bottom back to the ground near the vehicle.
  std::optional<Point2> g = scene->Calibration().BoxToGround(it->box);
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR(g->x, 5.25, 1.5);
  EXPECT_NEAR(g->y, 47 - 2.25, 1.5);
}

TEST(TrafficScene, ScenarioErrors) {
  TrafficScenario s = DefaultTrafficScenario();
  s.vehicles[0].path = {{1, 0, 0}, {1, 0, 5}};
  EXPECT_EQ(TrafficScene::Create(s).status().message(), "vehicle 1: keyframe times must increase");
}

TEST(TrafficRulesOnTruth, CountsSpeedsAndEventsExactly) {
  auto scene = TrafficScene::Create(DefaultTrafficScenario());
  ASSERT_TRUE(scene.ok());
  TrafficRulesResult r = RunTrafficRules(*scene, TruthTracks(*scene, /*true_classes=*/true));
  ExpectTrafficResult(*scene, r);
}

}  // namespace
}  // namespace didban::sim
