// Drone telemetry and planning: DJI SRT parsing (the 12318-cue Mavic 3 file), survey planning and coverage
// measurement, and georeferencing one pixel through a telemetry-posed camera.
#include <benchmark/benchmark.h>

#include "core/mot_format.h"
#include "geo/drone_camera.h"
#include "geo/telemetry_srt.h"
#include "plan/route.h"

namespace didban {
namespace {

void BM_ParseMavic3Srt(benchmark::State& state) {
  auto text = ReadTextFile(std::string(DIDBAN_DATA_DIR) + "/drone/dji_srt/MAVIC3.srt");
  if (!text.ok()) {
    state.SkipWithError("MAVIC3.srt missing");
    return;
  }
  for (auto _ : state) {
    auto t = geo::ParseDjiSrt(*text, "MAVIC3.srt");
    benchmark::DoNotOptimize(t);
  }
  state.SetItemsProcessed(state.iterations() * 12318);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text->size()));
}
BENCHMARK(BM_ParseMavic3Srt)->Unit(benchmark::kMillisecond);

plan::Area Square(double side_m) {
  plan::Area a;
  a.frame = geo::LocalFrame(47, 8);
  a.polygon = {{0, 0}, {side_m, 0}, {side_m, side_m}, {0, side_m}};
  return a;
}

void BM_PlanSurvey1km(benchmark::State& state) {
  plan::SurveyOptions o;
  o.altitude_m = 100;
  o.camera = *geo::ParseCameraSpec("hfov=90,width=4000,height=3000");
  plan::Area a = Square(1000);
  for (auto _ : state) {
    auto r = plan::PlanSurvey(a, o);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_PlanSurvey1km)->Unit(benchmark::kMicrosecond);

void BM_Coverage1000Cells(benchmark::State& state) {
  plan::SurveyOptions o;
  o.altitude_m = 100;
  o.camera = *geo::ParseCameraSpec("hfov=90,width=4000,height=3000");
  plan::Area a = Square(1000);
  auto r = plan::PlanSurvey(a, o);
  for (auto _ : state) benchmark::DoNotOptimize(plan::CoverageFraction(r->area, r->footprints));
  state.counters["photos"] = static_cast<double>(r->footprints.size());
}
BENCHMARK(BM_Coverage1000Cells)->Unit(benchmark::kMillisecond);

void BM_GeorefPixel(benchmark::State& state) {
  geo::TelemetrySample s;
  s.lat = 47;
  s.lon = 8;
  s.rel_alt_m = 100;
  s.gimbal_yaw_deg = 30;
  s.gimbal_pitch_deg = -60;
  geo::LocalFrame f(47, 8);
  auto spec = *geo::ParseCameraSpec("hfov=82.1,width=3840,height=2160");
  for (auto _ : state) {
    auto cam = geo::CameraFromTelemetry(s, spec, f);
    benchmark::DoNotOptimize(cam->PixelToGround({1000, 1500}, 0));
  }
}
BENCHMARK(BM_GeorefPixel);

}  // namespace
}  // namespace didban

BENCHMARK_MAIN();
