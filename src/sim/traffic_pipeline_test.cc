// The traffic rules behind the real tracker on the synthetic road: the scene's exact boxes as detections -> the
// ByteTracker -> the rules, checked against the scenario's truth. (The motion detector stage joins this chain once
// the detect branch is merged: see docs/traffic.md.)
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "detect/detectors.h"
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


// The whole chain: rendered frames -> the real motion detector -> the ByteTracker (default options) -> the rules.
TEST(TrafficPipeline, MotionDetectorTrackerAndRules) {
  // The camera starts 3 s before the traffic arrives, so that the background is learnt from an empty road
  // (vehicles passing during the warm-up would be averaged into it and leave ghosts).
  TrafficScenario scenario = DefaultTrafficScenario();
  const double lead_s = 3.0;
  scenario.duration_s += lead_s;
  for (TrafficVehicle& v : scenario.vehicles) {
    for (Keyframe& k : v.path) k.t_s += lead_s;
  }
  auto scene = TrafficScene::Create(scenario);
  ASSERT_TRUE(scene.ok()) << scene.status();
  // Detector parameters for this camera: native resolution and full-resolution blobs (far vehicles are 6-10 px
  // wide; at 320 px and 2x2 cells they merge with their neighbours), no merging of separate blobs (vehicles in
  // adjacent lanes are a few pixels apart far away), and a 60 s background so that the vehicle stopped for 8 s neither
  // melts into the background nor leaves a ghost when it drives off (with 30 s its ghost became a stationary track
  // and raised a false near miss).
  nlohmann::json params = {{"background_time_s", 60}, {"process_width", 0}, {"blob_downscale", 1}, {"merge_gap_px", -1}};
  auto detector = detect::CreateDetector("motion", params);
  ASSERT_TRUE(detector.ok()) << detector.status();
  track::ByteTracker tracker(track::ByteTrackerOptions::Default(scene->Scenario().fps));
  const char* dump = std::getenv("DIDBAN_TRAFFIC_DUMP");
  TrackSource source = [&](int64_t i) {
    FramePtr f = scene->Render(i);
    absl::StatusOr<Detections> d = (*detector)->Detect(*f);
    EXPECT_TRUE(d.ok()) << d.status();
    TrackSnapshot s;
    s.time_us = f->pts_us;
    s.frame_index = i;
    s.tracks = tracker.Update(s.time_us, d.ok() ? *d : Detections{});
    for (const Track& t : tracker.Removed()) {
      s.tracks.push_back(t);
      s.tracks.back().state = TrackState::kRemoved;
    }
    if (const char* png = std::getenv("DIDBAN_TRAFFIC_PNG"); png != nullptr && i % 5 == 0) {
      cv::Mat img = f->image.clone();
      for (const VehicleTruth& v : scene->Truth(i)) {
        if (v.visible) {
          cv::rectangle(img, cv::Rect(static_cast<int>(v.box.x), static_cast<int>(v.box.y), static_cast<int>(v.box.w),
                                      static_cast<int>(v.box.h)), cv::Scalar(0, 255, 0));
        }
      }
      if (d.ok()) {
        for (const Detection& b : *d) {
          cv::rectangle(img, cv::Rect(static_cast<int>(b.box.x), static_cast<int>(b.box.y), static_cast<int>(b.box.w),
                                      static_cast<int>(b.box.h)), cv::Scalar(0, 0, 255));
        }
      }
      cv::imwrite(std::string(png) + "/f" + std::to_string(i) + ".png", img);
    }
    if (dump != nullptr) {
      for (const VehicleTruth& v : scene->Truth(i)) {
        if (v.visible) {
          std::printf("F %lld T %d %.0f %.0f %.0f %.0f\n", static_cast<long long>(i), v.id, v.box.x, v.box.y, v.box.w,
                      v.box.h);
        }
      }
      if (d.ok()) {
        for (const Detection& b : *d) {
          std::printf("F %lld D %.0f %.0f %.0f %.0f\n", static_cast<long long>(i), b.box.x, b.box.y, b.box.w, b.box.h);
        }
      }
      for (const Track& t : s.tracks) {
        std::printf("F %lld K %lld %d %.0f %.0f %.0f %.0f\n", static_cast<long long>(i), static_cast<long long>(t.id),
                    static_cast<int>(t.state), t.box.x, t.box.y, t.box.w, t.box.h);
      }
    }
    return s;
  };
  TrafficRulesResult r = RunTrafficRules(*scene, source);
  if (dump != nullptr) {
    for (const Event& e : r.events) {
      std::printf("E %s t=%.2f track=%lld other=%lld detail=%s value=%.2f\n", e.type.c_str(), static_cast<double>(e.time_us) / 1e6,
                  static_cast<long long>(e.track_id), static_cast<long long>(e.other_track_id), e.detail.c_str(),
                  e.value);
    }
    for (const auto& [track, vid] : r.track_vehicle) {
      auto sp = r.speed_kmh.find(track);
      std::printf("M track=%lld vehicle=%d speed=%.1f\n", static_cast<long long>(track), vid,
                  sp == r.speed_kmh.end() ? -1.0 : sp->second);
    }
  }
  // Measured (not the ideal of ExpectTrafficResult): every crossing vehicle but one is counted once in the right
  // direction. The miss is vehicle 22, the near-miss leader: the follower overtakes it right at the line and the
  // two become one blob, so the leader's track is lost across the line.
  std::map<std::string, int> counts;
  std::set<int> counted;
  for (const Event& e : r.events) {
    if (e.type != "line_cross") continue;
    ++counts[e.detail];
    auto it = r.track_vehicle.find(e.track_id);
    counted.insert(it == r.track_vehicle.end() ? 0 : it->second);
  }
  EXPECT_EQ(counts, (std::map<std::string, int>{{"direction=northbound", 9}, {"direction=southbound", 7}}));
  EXPECT_EQ(counted, (std::set<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 21, 23}));
  // Speeds, wrong-way, stopped, near-miss and over-speed events: the checks of the truth runs, with the median speed
  // error bound of 3 % (measured 2.18 % over 16 vehicles, max 10.4 %). Count failures from there are the one above.
  TrafficRulesResult without_counts = r;
  std::erase_if(without_counts.events, [](const Event& e) { return e.type == "line_cross"; });
  std::map<std::string, std::vector<int64_t>> by_type;
  for (const Event& e : without_counts.events) by_type[e.type].push_back(e.track_id);
  for (const auto& [type, tracks] : by_type) EXPECT_EQ(tracks.size(), 1u) << type;
  EXPECT_EQ(by_type.size(), 4u);  // wrong_way, stopped, near_miss, overspeed
  ExpectEventsAndSpeeds(*scene, without_counts, 0.03);
}

}  // namespace
}  // namespace didban::sim
