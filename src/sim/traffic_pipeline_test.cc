// The traffic rules behind the real tracker on the synthetic road: the scene's exact boxes as detections -> the
// ByteTracker -> the rules, checked against the scenario's truth. (The motion detector stage joins this chain once
// the detect branch is merged: see docs/traffic.md.)
#include <gtest/gtest.h>

#include "sim/traffic_rules_fixture.h"
#include "sim/traffic_scene.h"
#include "track/byte_tracker.h"

namespace didban::sim {
namespace {

TEST(TrafficPipeline, TruthDetectionsThroughByteTrackerAndRules) {
  auto scene = TrafficScene::Create(DefaultTrafficScenario());
  ASSERT_TRUE(scene.ok()) << scene.status();
  track::ByteTracker tracker(track::ByteTrackerOptions::Default(scene->Scenario().fps));
  TrackSource source = [&](int64_t i) {
    Detections dets;
    for (const VehicleTruth& v : scene->Truth(i)) {
      if (v.visible && v.box.w >= 3 && v.box.h >= 3) dets.push_back({v.box, 0.9f, ObjectClass::kUnknown, -1});
    }
    TrackSnapshot s;
    s.time_us = scene->FrameTime(i);
    s.frame_index = i;
    s.tracks = tracker.Update(s.time_us, dets);
    for (const Track& t : tracker.Removed()) {
      s.tracks.push_back(t);
      s.tracks.back().state = TrackState::kRemoved;
    }
    return s;
  };
  TrafficRulesResult r = RunTrafficRules(*scene, source);
  ExpectTrafficResult(*scene, r);
}

}  // namespace
}  // namespace didban::sim
