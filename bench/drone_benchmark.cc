// Aerial moving-object detection speed on 1280x720 synthetic drone frames (100 m, nadir, 25 fps). Real time needs
// under 40 ms per frame. Run with: ./build/bench/drone_benchmark (OpenCV limited to 2 threads).
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>

#include "detect/aerial_motion_detector.h"
#include "drone/aerial_analyzer.h"
#include "sim/drone_flight.h"

namespace {

const std::vector<cv::Mat>& Frames() {
  static const auto* frames = [] {
    auto* out = new std::vector<cv::Mat>();
    didban::sim::DroneFlightOptions o;
    o.seconds = 4;
    auto flight = didban::sim::DroneFlight::Create(o);
    if (!flight.ok()) return out;
    for (int i = 0; i < (*flight)->FrameCount(); ++i) out->push_back((*flight)->Render(i, nullptr));
    return out;
  }();
  return *frames;
}

// Detector alone: ego-motion, background model, motion check, blobs.
void BM_AerialDetector720p(benchmark::State& state) {
  cv::setNumThreads(2);
  const auto& frames = Frames();
  auto detector = std::make_unique<didban::detect::AerialMotionDetector>(didban::detect::AerialMotionOptions());
  size_t i = 0;
  int64_t boxes = 0;
  for (auto _ : state) {
    if (i == frames.size()) {
      state.PauseTiming();
      detector = std::make_unique<didban::detect::AerialMotionDetector>(didban::detect::AerialMotionOptions());
      i = 0;
      state.ResumeTiming();
    }
    didban::Frame f;
    f.index = static_cast<int64_t>(i);
    f.pts_us = static_cast<int64_t>(i) * 40000;
    f.image = frames[i++];
    auto d = detector->Detect(f);
    boxes += d.ok() ? static_cast<int64_t>(d->size()) : 0;
  }
  state.counters["boxes_per_frame"] = benchmark::Counter(static_cast<double>(boxes) / state.iterations());
}
BENCHMARK(BM_AerialDetector720p)->Unit(benchmark::kMillisecond)->MinTime(3.0);

// Whole analyzer per frame: detector, stabilised tracking, georeferencing.
void BM_AerialAnalyzer720p(benchmark::State& state) {
  cv::setNumThreads(2);
  const auto& frames = Frames();
  didban::sim::DroneFlightOptions o;
  o.seconds = 4;
  auto flight = didban::sim::DroneFlight::Create(o);
  didban::drone::AerialAnalyzerOptions ao;
  ao.camera = o.camera;
  auto make = [&] { return std::move(didban::drone::AerialAnalyzer::Create(ao, (*flight)->TelemetryPoses()).value()); };
  auto analyzer = make();
  size_t i = 0;
  for (auto _ : state) {
    if (i == frames.size()) {
      state.PauseTiming();
      analyzer = make();
      i = 0;
      state.ResumeTiming();
    }
    didban::Frame f;
    f.index = static_cast<int64_t>(i);
    f.pts_us = static_cast<int64_t>(i) * 40000;
    f.image = frames[i++];
    benchmark::DoNotOptimize(analyzer->Process(f));
  }
}
BENCHMARK(BM_AerialAnalyzer720p)->Unit(benchmark::kMillisecond)->MinTime(3.0);

}  // namespace

BENCHMARK_MAIN();
