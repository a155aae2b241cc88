// Test fixture (header-only, for sim tests): runs the traffic rules over a TrafficScene fed by some source of track
// snapshots (ground truth or the real detector and tracker) and checks counts, speeds and events against the
// scenario's exact truth.
#ifndef DIDBAN_SIM_TRAFFIC_RULES_FIXTURE_H_
#define DIDBAN_SIM_TRAFFIC_RULES_FIXTURE_H_

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "rules/rule_engine.h"
#include "sim/traffic_scene.h"

namespace didban::sim {

// The rules of the test site (ground geometry of DefaultTrafficScenario()).
inline std::vector<rules::RuleSpec> TrafficTestRules() {
  auto spec = [](const std::string& json) {
    nlohmann::json p = nlohmann::json::parse(json);
    return rules::RuleSpec{p["type"], p.value("name", ""), p, "test"};
  };
  return {
      spec(R"({"type":"line","name":"count20","ground":[[-8,20],[8,20]],"in":"southbound","out":"northbound"})"),
      spec(R"({"type":"speed","name":"speed","ground":[[-8,15],[8,15],[8,90],[-8,90]],"limit_kmh":94})"),
      spec(R"({"type":"wrong_way","name":"nb","ground":[[0,5],[7.5,5],[7.5,120],[0,120]],"heading_deg":0})"),
      spec(R"({"type":"wrong_way","name":"sb","ground":[[-7.5,5],[0,5],[0,120],[-7.5,120]],"heading_deg":180})"),
      spec(R"({"type":"stopped","name":"incident","ground":[[-7.5,5],[7.5,5],[7.5,120],[-7.5,120]],"after_s":5})"),
      spec(R"({"type":"near_miss","name":"nm","ground":[[-7.5,5],[7.5,5],[7.5,100],[-7.5,100]],"ttc_s":1.5})"),
      spec(R"({"type":"zone","name":"all","ground":[[-7.5,5],[7.5,5],[7.5,120],[-7.5,120]],"enter_exit":false})"),
      spec(R"({"type":"congestion","name":"los","ground":[[-7.5,5],[7.5,5],[7.5,105],[-7.5,105]],"length_m":100,
              "lanes":4,"window_s":10})"),
  };
}

// A source of per-frame track snapshots.
using TrackSource = std::function<TrackSnapshot(int64_t frame_index)>;

// Ground truth as a perfect detector and tracker: track ID = vehicle ID.
inline TrackSource TruthTracks(const TrafficScene& scene, bool true_classes) {
  return [&scene, true_classes](int64_t i) {
    TrackSnapshot s;
    s.frame_index = i;
    s.time_us = scene.FrameTime(i);
    for (const VehicleTruth& v : scene.Truth(i)) {
      if (!v.visible || v.box.w < 3 || v.box.h < 3) continue;
      Track t;
      t.id = v.id;
      t.box = v.box;
      t.object_class = true_classes ? v.object_class : ObjectClass::kUnknown;
      t.state = TrackState::kConfirmed;
      s.tracks.push_back(t);
    }
    return s;
  };
}

struct TrafficRulesResult {
  std::vector<Event> events;
  std::map<int64_t, double> speed_kmh;   // per track
  std::map<int64_t, int> track_vehicle;  // track -> ground-truth vehicle (majority of IoU >= 0.3 matches), 0 none
  int64_t frames = 0;
};

inline TrafficRulesResult RunTrafficRules(const TrafficScene& scene, const TrackSource& source) {
  TrafficRulesResult r;
  auto engine = rules::RuleEngine::Create("sim", scene.Calibration(), TrafficTestRules());
  EXPECT_TRUE(engine.ok()) << engine.status();
  if (!engine.ok()) return r;
  std::map<int64_t, std::map<int, int>> votes;
  auto collect = [&](const std::vector<rules::Measurement>& ms) {
    for (const rules::Measurement& m : ms) {
      if (m.kind == rules::MeasureKind::kSpeed) r.speed_kmh[m.track_id] = m.value;
    }
  };
  for (int64_t i = 0; i < scene.FrameCount(); ++i) {
    TrackSnapshot snap = source(i);
    std::vector<VehicleTruth> truth = scene.Truth(i);
    for (const Track& t : snap.tracks) {
      if (t.state != TrackState::kConfirmed) continue;
      int best = 0;
      float best_iou = 0.3f;
      for (const VehicleTruth& v : truth) {
        float iou = v.visible ? Iou(t.box, v.box) : 0.f;
        if (iou >= best_iou) {
          best_iou = iou;
          best = v.id;
        }
      }
      if (best != 0) ++votes[t.id][best];
    }
    (*engine)->Process(snap, &r.events);
    collect((*engine)->LastMeasurements());
    ++r.frames;
  }
  EXPECT_TRUE((*engine)->Finish().ok());
  collect((*engine)->LastMeasurements());
  for (const auto& [track, v] : votes) {
    r.track_vehicle[track] =
        std::max_element(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second < b.second; })->first;
  }
  return r;
}

// Checks the result against the scenario: every crossing vehicle counted once in the right direction, median speed
// error <= `max_median_speed_error`, and exactly one wrong-way, stopped, near-miss (and over-speed) event, each
// about the right vehicles.
inline void ExpectEventsAndSpeeds(const TrafficScene& scene, const TrafficRulesResult& r,
                                  double max_median_speed_error);

inline void ExpectTrafficResult(const TrafficScene& scene, const TrafficRulesResult& r,
                                double max_median_speed_error = 0.03) {
  auto vehicle_of = [&](int64_t track) {
    auto it = r.track_vehicle.find(track);
    return it == r.track_vehicle.end() ? 0 : it->second;
  };
  std::map<std::string, std::vector<const Event*>> by_type;
  for (const Event& e : r.events) by_type[e.type].push_back(&e);

  // Counts.
  std::map<int, std::vector<std::string>> counted;
  for (const Event* e : by_type["line_cross"]) counted[vehicle_of(e->track_id)].push_back(e->detail);
  int crossing = 0;
  for (const TrafficVehicle& v : scene.Scenario().vehicles) {
    int dir = TrafficScene::CrossingDirection(v, 20);
    if (dir == 0) continue;
    ++crossing;
    std::string expected = dir > 0 ? "direction=northbound" : "direction=southbound";
    EXPECT_EQ(counted[v.id], std::vector<std::string>{expected}) << "vehicle " << v.id;
  }
  EXPECT_EQ(static_cast<int>(by_type["line_cross"].size()), crossing);

  ExpectEventsAndSpeeds(scene, r, max_median_speed_error);
}

// The speed and event part of ExpectTrafficResult.
inline void ExpectEventsAndSpeeds(const TrafficScene& scene, const TrafficRulesResult& r,
                                  double max_median_speed_error) {
  auto vehicle_of = [&](int64_t track) {
    auto it = r.track_vehicle.find(track);
    return it == r.track_vehicle.end() ? 0 : it->second;
  };
  std::map<std::string, std::vector<const Event*>> by_type;
  for (const Event& e : r.events) by_type[e.type].push_back(&e);

  // Speeds of constant-speed vehicles.
  std::vector<double> errors;
  for (const auto& [track, kmh] : r.speed_kmh) {
    int vid = vehicle_of(track);
    for (const TrafficVehicle& v : scene.Scenario().vehicles) {
      double truth = TrafficScene::ConstantSpeed(v) * 3.6;
      if (v.id == vid && truth > 0) errors.push_back(std::abs(kmh - truth) / truth);
    }
  }
  ASSERT_GE(errors.size(), 10u);
  std::sort(errors.begin(), errors.end());
  double median = errors[errors.size() / 2];
  EXPECT_LE(median, max_median_speed_error);
  std::printf("median speed error %.2f %% over %zu vehicles (max %.2f %%)\n", median * 100, errors.size(),
              errors.back() * 100);

  // Events about the right vehicles, once each.
  auto vehicles_of = [&](const std::string& type) {
    std::vector<std::set<int>> out;
    for (const Event* e : by_type[type]) {
      std::set<int> ids{vehicle_of(e->track_id)};
      if (e->other_track_id != 0) ids.insert(vehicle_of(e->other_track_id));
      out.push_back(ids);
    }
    return out;
  };
  EXPECT_EQ(vehicles_of("wrong_way"), (std::vector<std::set<int>>{{21}}));
  EXPECT_EQ(vehicles_of("stopped"), (std::vector<std::set<int>>{{20}}));
  EXPECT_EQ(vehicles_of("near_miss"), (std::vector<std::set<int>>{{22, 23}}));
  EXPECT_EQ(vehicles_of("overspeed"), (std::vector<std::set<int>>{{6}}));
}

}  // namespace didban::sim

#endif  // DIDBAN_SIM_TRAFFIC_RULES_FIXTURE_H_
