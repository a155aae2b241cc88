#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "fuse/multiview_detection.h"
#include "fuse/wildtrack.h"

namespace didban::fuse {
namespace {

// One WILDTRACK frame per iteration (the protocol's seed-0 detections of the first 200 annotated frames, 7 views,
// about 25 boxes per view), cycling through the frames. Argument 0: the greedy search alone (no pair re-detection,
// no joint re-assignment); 1: the defaults.
void BM_MultiViewDetectionWildtrackFrame(benchmark::State& state) {
  const std::string root = std::string(DIDBAN_DATA_DIR) + "/multicam/WILDTRACK";
  auto frames = LoadWildtrackAnnotations(root, 200);
  auto cals = LoadWildtrackCalibrations(root);
  if (!frames.ok() || !cals.ok() || frames->empty()) {
    state.SkipWithError("WILDTRACK data missing");
    return;
  }
  std::vector<const geo::CameraCalibration*> cams;
  for (const auto& c : *cals) cams.push_back(&c);
  const WildtrackSet set = MakeWildtrackDetections(*frames, 0);
  std::vector<std::vector<std::vector<Box>>> boxes(frames->size(), std::vector<std::vector<Box>>(kWildtrackViews));
  for (int v = 0; v < kWildtrackViews; ++v) {
    for (const MotRow& r : set.detections[v]) boxes[r.frame - 1][v].push_back(r.box);
  }
  MultiViewDetectionOptions options;
  options.roi = {-3, -9, 9, 27};
  if (state.range(0) == 0) {
    options.polish_iterations = 0;
    options.redetect_pair_m = 0;
  }
  size_t k = 0;
  int64_t people = 0;
  for (auto _ : state) {
    auto hyps = DetectPeopleMultiView(cams, boxes[k], options);
    people += hyps.ok() ? static_cast<int64_t>(hyps->size()) : 0;
    benchmark::DoNotOptimize(hyps);
    k = (k + 1) % boxes.size();
  }
  state.counters["people_per_frame"] =
      benchmark::Counter(static_cast<double>(people) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_MultiViewDetectionWildtrackFrame)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace didban::fuse

BENCHMARK_MAIN();
