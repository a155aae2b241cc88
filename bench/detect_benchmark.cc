// Detector costs: motion per frame at three resolutions, DNN per inference, the motion-gated DNN on a whole clip,
// and decoding with and without the motion detector (the detector's share of an `analyze` run).
//   ./build/bench/detect_benchmark --benchmark_filter=Motion
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "detect/dnn_detector.h"
#include "detect/gated_detector.h"
#include "detect/motion_detector.h"

namespace didban::detect {
namespace {

const std::string kData = DIDBAN_DATA_DIR;

std::vector<cv::Mat> ReadFrames(const std::string& path, int max_frames, cv::Size size = {}) {
  std::vector<cv::Mat> frames;
  cv::VideoCapture cap(path);
  cv::Mat img;
  while (static_cast<int>(frames.size()) < max_frames && cap.read(img)) {
    if (size.area() > 0 && img.size() != size) cv::resize(img, img, size, 0, 0, cv::INTER_LINEAR);
    frames.push_back(img.clone());
  }
  return frames;
}

// Motion detector per frame on real frames (warm-up done before timing), timestamps 40 ms apart.
void RunMotion(benchmark::State& state, const std::vector<cv::Mat>& frames, const MotionOptions& options) {
  if (frames.empty()) {
    state.SkipWithError("test material missing");
    return;
  }
  MotionDetector m(options);
  TimeUs t = 0;
  size_t i = 0;
  Frame f;
  auto step = [&] {
    f.image = frames[i++ % frames.size()];
    f.pts_us = (t += 40'000);
    benchmark::DoNotOptimize(m.Detect(f));
  };
  while (m.WarmingUp()) step();
  for (auto _ : state) step();
  state.SetItemsProcessed(state.iterations());
}

void BM_Motion320x240(benchmark::State& state) {
  static const auto* frames = new std::vector<cv::Mat>(ReadFrames(kData + "/video_fixed/bgslibrary_video02.avi", 300));
  RunMotion(state, *frames, MotionOptions{});
}
BENCHMARK(BM_Motion320x240);

void BM_Motion768x432(benchmark::State& state) {
  static const auto* frames = new std::vector<cv::Mat>(ReadFrames(kData + "/video_fixed/intel_car-detection.mp4", 300));
  RunMotion(state, *frames, MotionOptions{});
}
BENCHMARK(BM_Motion768x432);

void BM_Motion1280x720(benchmark::State& state) {
  static const auto* frames =
      new std::vector<cv::Mat>(ReadFrames(kData + "/video_fixed/intel_car-detection.mp4", 300, cv::Size(1280, 720)));
  RunMotion(state, *frames, MotionOptions{});
}
BENCHMARK(BM_Motion1280x720);

void BM_MotionMog2_320x240(benchmark::State& state) {
  static const auto* frames = new std::vector<cv::Mat>(ReadFrames(kData + "/video_fixed/bgslibrary_video02.avi", 300));
  MotionOptions o;
  o.model = "mog2";
  RunMotion(state, *frames, o);
}
BENCHMARK(BM_MotionMog2_320x240);

// Decoding alone and decoding + motion on the 320x240 clip (OpenCV's FFmpeg backend), per frame.
void DecodeClip(benchmark::State& state, bool with_motion) {
  const std::string path = kData + "/video_fixed/bgslibrary_video02.avi";
  int64_t frames = 0;
  for (auto _ : state) {
    cv::VideoCapture cap(path);
    if (!cap.isOpened()) {
      state.SkipWithError("test material missing");
      return;
    }
    MotionDetector m(MotionOptions{});
    Frame f;
    cv::Mat img;
    for (int i = 0; cap.read(img); ++i, ++frames) {
      if (!with_motion) continue;
      f.image = img;
      f.pts_us = i * 40'000;
      benchmark::DoNotOptimize(m.Detect(f));
    }
  }
  state.SetItemsProcessed(frames);
}
void BM_Decode320x240(benchmark::State& state) { DecodeClip(state, false); }
void BM_DecodeAndMotion320x240(benchmark::State& state) { DecodeClip(state, true); }
BENCHMARK(BM_Decode320x240)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeAndMotion320x240)->Unit(benchmark::kMillisecond);

void RunDnn(benchmark::State& state, DnnOptions options) {
  cv::Mat image = cv::imread(kData + "/models/FastestDet/3.jpg");
  auto d = DnnDetector::Create(options);
  if (!d.ok() || image.empty()) {
    state.SkipWithError("model or image missing");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize((*d)->DetectImage(image));
  state.SetItemsProcessed(state.iterations());
}

void BM_FastestDet(benchmark::State& state) {
  DnnOptions o;
  o.model = kData + "/models/FastestDet/FastestDet.onnx";
  o.threads = static_cast<int>(state.range(0));
  RunDnn(state, o);
}
BENCHMARK(BM_FastestDet)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_Yolox(benchmark::State& state) {
  DnnOptions o;
  o.model = kData + "/models/yolox_nano/yolox_nano.onnx";
  o.threads = static_cast<int>(state.range(0));
  RunDnn(state, o);
}
BENCHMARK(BM_Yolox)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_YoloFastest(benchmark::State& state) {
  DnnOptions o;
  o.model = kData + "/models/yolo-fastest-1.1_darknet/yolo-fastest-1.1.weights";
  o.config = kData + "/models/yolo-fastest-1.1_darknet/yolo-fastest-1.1.cfg";
  o.threads = static_cast<int>(state.range(0));
  RunDnn(state, o);
}
BENCHMARK(BM_YoloFastest)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

// The whole intel clip (377 frames, 30.16 s at 12.5 fps) through the gated detector with FastestDet on 2 threads;
// real_time_factor = clip duration / wall time.
void BM_GatedIntelClip(benchmark::State& state) {
  static const auto* frames =
      new std::vector<cv::Mat>(ReadFrames(kData + "/video_fixed/intel_car-detection.mp4", 1000));
  if (frames->empty()) {
    state.SkipWithError("test material missing");
    return;
  }
  GatedOptions o;
  o.dnn.model = kData + "/models/FastestDet/FastestDet.onnx";
  o.dnn.threads = 2;
  o.dnn.classes = {"car", "bus", "truck", "cell phone"};
  o.dnn.relabel = {{"cell phone", "car"}};
  o.detect_hz = static_cast<double>(state.range(0));
  int64_t runs = 0;
  for (auto _ : state) {
    auto g = GatedDetector::Create(o);
    if (!g.ok()) {
      state.SkipWithError("model missing");
      return;
    }
    Frame f;
    for (size_t i = 0; i < frames->size(); ++i) {
      f.image = (*frames)[i];
      f.pts_us = static_cast<TimeUs>(i) * 80'000;
      benchmark::DoNotOptimize((*g)->Detect(f));
    }
    runs += (*g)->dnn_runs();
  }
  double clip_s = static_cast<double>(frames->size()) / 12.5;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames->size()));
  state.counters["dnn_runs"] = benchmark::Counter(static_cast<double>(runs) / static_cast<double>(state.iterations()));
  state.counters["real_time_factor"] =
      benchmark::Counter(clip_s * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GatedIntelClip)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace didban::detect

BENCHMARK_MAIN();
