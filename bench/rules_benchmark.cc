// Cost of a camera's traffic rules per frame: every built-in rule together (2 lines, speed, 2 wrong-way zones,
// stopped, near-miss with a conflict area, zone, congestion) over ~20 moving tracks on the synthetic road.
#include <benchmark/benchmark.h>

#include <vector>

#include "rules/rule_engine.h"
#include "sim/traffic_scene.h"

namespace didban {
namespace {

std::vector<rules::RuleSpec> AllRules() {
  auto spec = [](const char* json) {
    nlohmann::json p = nlohmann::json::parse(json);
    return rules::RuleSpec{p["type"], p.value("name", ""), p, "bench"};
  };
  return {
      spec(R"({"type":"line","name":"count30","ground":[[-8,30],[8,30]],"in":"southbound","out":"northbound"})"),
      spec(R"({"type":"line","name":"count60","ground":[[-8,60],[8,60]]})"),
      spec(R"({"type":"speed","name":"speed","ground":[[-8,15],[8,15],[8,90],[-8,90]],"limit_kmh":94})"),
      spec(R"({"type":"wrong_way","name":"nb","ground":[[0,5],[7.5,5],[7.5,120],[0,120]],"heading_deg":0})"),
      spec(R"({"type":"wrong_way","name":"sb","ground":[[-7.5,5],[0,5],[0,120],[-7.5,120]],"heading_deg":180})"),
      spec(R"({"type":"stopped","name":"incident","ground":[[-7.5,5],[7.5,5],[7.5,120],[-7.5,120]],"after_s":5})"),
      spec(R"({"type":"near_miss","name":"nm","ttc_s":1.5,"conflict_areas_ground":[[[-7,40],[7,40],[7,50],[-7,50]]]})"),
      spec(R"({"type":"zone","name":"all","ground":[[-7.5,5],[7.5,5],[7.5,120],[-7.5,120]],"dwell_s":30})"),
      spec(R"({"type":"congestion","name":"los","ground":[[-7.5,5],[7.5,5],[7.5,105],[-7.5,105]],"length_m":100,
              "lanes":4})"),
  };
}

// 20 vehicles on 4 lanes at 15-30 m/s, wrapping around a 100 m stretch; 25 frames/s.
std::vector<TrackSnapshot> Snapshots(const geo::CameraCalibration& cal, int frames) {
  std::vector<TrackSnapshot> out;
  const double lanes[4] = {-5.25, -1.75, 1.75, 5.25};
  for (int f = 0; f < frames; ++f) {
    TrackSnapshot s;
    s.frame_index = f;
    s.time_us = SecondsToUs(f / 25.0);
    for (int i = 0; i < 20; ++i) {
      double speed = 15 + (i % 7) * 2.5;
      bool north = lanes[i % 4] > 0;
      double along = std::fmod(i * 23.0 + speed * f / 25.0, 100.0);
      Point2 g{lanes[i % 4], 10 + (north ? along : 100 - along)};
      std::optional<Point2> px = cal.GroundToPixel(g);
      Track t;
      t.id = 1 + i + 20 * static_cast<int64_t>((i * 23.0 + speed * f / 25.0) / 100.0);  // new ID per lap
      t.box = {static_cast<float>(px->x - 15), static_cast<float>(px->y - 20), 30, 20};
      t.state = TrackState::kConfirmed;
      t.object_class = ObjectClass::kCar;
      s.tracks.push_back(t);
    }
    out.push_back(std::move(s));
  }
  return out;
}

// range(0) = -1: every rule; else only AllRules()[range(0)] (the per-rule breakdown).
void BM_RulesPerFrame20Tracks(benchmark::State& state) {
  sim::TrafficCamera cam;
  geo::CameraCalibration cal;
  cal.pinhole = sim::MakeTrafficCamera(cam);
  std::vector<rules::RuleSpec> specs = AllRules();
  if (state.range(0) >= 0) {
    specs = {specs[state.range(0)]};
    state.SetLabel(specs[0].name);
  } else {
    state.SetLabel("all");
  }
  auto engine = rules::RuleEngine::Create("bench", cal, specs);
  if (!engine.ok()) {
    state.SkipWithError(std::string(engine.status().message()).c_str());
    return;
  }
  std::vector<TrackSnapshot> snaps = Snapshots(cal, 2500);
  std::vector<Event> events;
  size_t i = 0;
  for (auto _ : state) {
    TrackSnapshot& s = snaps[i % snaps.size()];
    if (i > 0 && i % snaps.size() == 0) {  // keep time increasing across laps of the recording
      for (TrackSnapshot& x : snaps) x.time_us += SecondsToUs(100.0);
    }
    events.clear();
    (*engine)->Process(s, &events);
    benchmark::DoNotOptimize(events.data());
    ++i;
  }
  state.counters["tracks"] = 20;
}
BENCHMARK(BM_RulesPerFrame20Tracks)->DenseRange(-1, 8);

}  // namespace
}  // namespace didban

BENCHMARK_MAIN();
