// Tracker update time per frame on real detections: MOT17-02 YOLOX detections (600 frames, ~20 a frame, 30 fps).
// Run: ./build/bench/track_benchmark (the figure is "time per iteration" = one Update of one frame).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/mot_format.h"
#include "track/byte_tracker.h"

namespace didban::track {
namespace {

// Detections per frame (frames 1..N), read once.
const std::vector<Detections>& Mot17Frames() {
  static const std::vector<Detections>* frames = [] {
    auto* out = new std::vector<Detections>();
    auto rows = ReadMotFile(std::string(DIDBAN_DATA_DIR) + "/trackers/OC_SORT_CPP_testdata/MOT17-02_yolox_dets.txt");
    if (!rows.ok()) {
      std::fprintf(stderr, "%s\n", std::string(rows.status().message()).c_str());
      return out;
    }
    for (const MotRow& r : *rows) {
      if (static_cast<size_t>(r.frame) >= out->size()) out->resize(r.frame + 1);
      Detection d;
      d.box = r.box;
      d.score = r.score;
      (*out)[r.frame].push_back(d);
    }
    return out;
  }();
  return *frames;
}

// One iteration = one Update(). The tracker restarts after the last frame (outside the timing).
void RunSequence(benchmark::State& state, const ByteTrackerOptions& options) {
  const auto& frames = Mot17Frames();
  if (frames.size() < 2) {
    state.SkipWithError("MOT17-02 detections missing");
    return;
  }
  auto tracker = std::make_unique<ByteTracker>(options);
  size_t f = 1;
  int64_t tracks = 0;
  for (auto _ : state) {
    const auto& out = tracker->Update(SecondsToUs((f - 1) / 30.0), frames[f]);
    tracks += static_cast<int64_t>(out.size());
    benchmark::DoNotOptimize(out.data());
    if (++f == frames.size()) {
      state.PauseTiming();
      tracker = std::make_unique<ByteTracker>(options);
      f = 1;
      state.ResumeTiming();
    }
  }
  state.counters["tracks_per_frame"] =
      benchmark::Counter(static_cast<double>(tracks) / static_cast<double>(state.iterations()));
}

void BM_ByteTrackerDefaultMot17(benchmark::State& state) { RunSequence(state, ByteTrackerOptions::Default(30)); }
BENCHMARK(BM_ByteTrackerDefaultMot17);

void BM_ByteTrackerCompatibleMot17(benchmark::State& state) {
  RunSequence(state, ByteTrackerOptions::ByteTrackCompatible(30, 30));
}
BENCHMARK(BM_ByteTrackerCompatibleMot17);

}  // namespace
}  // namespace didban::track

BENCHMARK_MAIN();
