// Fusion step cost: 7 cameras x 40 objects at 10 Hz, each object seen by 4 cameras with local track ids (or as
// plain detections), ground noise 0.2 m. One iteration = 7 camera frames pushed + one fused step polled.
#include <cmath>
#include <random>

#include <benchmark/benchmark.h>

#include "fuse/fuser.h"

namespace didban::fuse {
namespace {

constexpr int kCameras = 7;
constexpr int kObjects = 40;
constexpr double kFps = 10;

void BM_FuseStep(benchmark::State& state) {
  const bool with_ids = state.range(0) != 0;
  FuserOptions o;
  o.step_s = 1.0 / kFps;
  Fuser fuser(o);
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 0.2);
  std::vector<CameraFrame> frames(kCameras);
  for (int c = 0; c < kCameras; ++c) frames[c].camera = "C" + std::to_string(c + 1);
  int64_t k = 0;
  int64_t tracks = 0;
  for (auto _ : state) {
    const double t = static_cast<double>(k) / kFps;
    for (int c = 0; c < kCameras; ++c) {
      CameraFrame& f = frames[c];
      f.time = SecondsToUs(t);
      f.observations.clear();
      for (int i = 0; i < kObjects; ++i) {
        if ((i + c) % kCameras >= 4) continue;
        // Objects on concentric circles of a 60 m square, walking at about 1.5 m/s.
        const double r = 5 + 0.6 * i, w = 1.5 / r, a = w * t + i;
        CameraObservation ob;
        ob.local_id = with_ids ? i + 1 : -1;
        ob.ground.position = {r * std::cos(a) + noise(rng), r * std::sin(a) + noise(rng)};
        ob.ground.covariance = Eigen::Matrix2d::Identity() * 0.04;
        f.observations.push_back(ob);
      }
      benchmark::DoNotOptimize(fuser.PushFrame(f));
    }
    for (const FusedStep& s : fuser.Poll()) tracks = static_cast<int64_t>(s.tracks.size());
    ++k;
  }
  state.counters["tracks"] = static_cast<double>(tracks);
  state.counters["created"] = static_cast<double>(fuser.Stats().tracks_created);
}
BENCHMARK(BM_FuseStep)->Arg(1)->Arg(0)->ArgName("local_ids")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace didban::fuse

BENCHMARK_MAIN();
