// Tracking-metric speed: real MOT15 files and a synthetic crowded sequence.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/mot_format.h"
#include "eval/mot_inputs.h"
#include "eval/mot_metrics.h"

namespace {

void BM_EvaluateMotFilesTudStadtmitte(benchmark::State& state) {
  const std::string dir = std::string(DIDBAN_DATA_DIR) + "/mot/MOT15/TUD-Stadtmitte/";
  for (auto _ : state) {
    auto m = didban::eval::EvaluateMotFiles(dir + "gt/gt.txt", dir + "res_motmetrics/test.txt");
    if (!m.ok()) {
      state.SkipWithError(std::string(m.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(m->hota.hota_mean);
  }
}
BENCHMARK(BM_EvaluateMotFilesTudStadtmitte)->Unit(benchmark::kMillisecond);

// `objects` people walking for `frames` frames; the "tracker" jitters boxes, drops 5 %, adds 5 % clutter and
// renumbers an object every 100 frames.
void BM_EvaluateSynthetic(benchmark::State& state) {
  const int frames = static_cast<int>(state.range(0));
  const int objects = static_cast<int>(state.range(1));
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> jitter(-3.f, 3.f);
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  std::vector<didban::MotRow> gt;
  std::vector<didban::MotRow> res;
  for (int f = 1; f <= frames; ++f) {
    for (int o = 0; o < objects; ++o) {
      didban::Box box{static_cast<float>((o * 37 + f) % 1800), static_cast<float>((o * 53) % 900), 40.f, 100.f};
      gt.push_back({f, o + 1, box, 1.f});
      if (unit(rng) < 0.05f) continue;
      didban::Box moved{box.x + jitter(rng), box.y + jitter(rng), box.w + jitter(rng), box.h + jitter(rng)};
      res.push_back({f, o + 1 + 1000 * (f / 100), moved, 1.f});
    }
    for (int c = 0; c < objects / 20; ++c) {
      res.push_back({f, 900000 + f * 100 + c, {unit(rng) * 1800, unit(rng) * 900, 40.f, 100.f}, 1.f});
    }
  }
  for (auto _ : state) {
    auto m = didban::eval::EvaluateBoxes(gt, res);
    benchmark::DoNotOptimize(m->clear.mota);
  }
  state.counters["boxes"] = static_cast<double>(gt.size() + res.size());
}
BENCHMARK(BM_EvaluateSynthetic)->Args({500, 20})->Args({1000, 60})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
