// Decoding cost of the FFmpeg source: decode + BGR conversion per frame on the bundled 768x432 H.264 clip and on a
// 1280x720 H.264 clip made from it with ffmpeg, and the CPU time (user+sys) of decoding that clip with the source
// vs `ffmpeg -threads 1 -i CLIP -f null -` (decode only, no conversion).
//
//   ./build/bench/source_benchmark --benchmark_filter=Cpu
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include <benchmark/benchmark.h>

#include "source/ffmpeg_source.h"

namespace didban::source {
namespace {

std::string CarClip() { return std::string(DIDBAN_DATA_DIR) + "/video_fixed/intel_car-detection.mp4"; }

// A 1280x720 H.264 clip (the car video upscaled, 377 frames), made once per process in a temporary folder.
const std::string& Clip720() {
  static const std::string* path = [] {
    char tmpl[] = "/tmp/didban-bench-XXXXXX";
    const char* dir = mkdtemp(tmpl);
    auto* p = new std::string(std::string(dir != nullptr ? dir : "/tmp") + "/clip720.mp4");
    std::string cmd = "ffmpeg -nostdin -y -v error -i '" + CarClip() +
                      "' -an -vf scale=1280:720 -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p '" + *p + "'";
    if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "failed: %s\n", cmd.c_str());
    return p;
  }();
  return *path;
}

double CpuSeconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// Decodes the whole input; returns the number of frames.
int64_t DecodeAll(const std::string& path, const SourceOptions& options) {
  FfmpegSource source(path, options);
  if (!source.Open().ok()) return -1;
  int64_t n = 0;
  for (;;) {
    absl::StatusOr<FramePtr> f = source.Read();
    if (!f.ok() || *f == nullptr) break;
    benchmark::DoNotOptimize((*f)->image.data);
    ++n;
  }
  return n;
}

// Arguments: clip (0 = 768x432 car, 1 = 1280x720), max_width (0 = none), keep_full (0/1).
void BM_DecodeConvert(benchmark::State& state) {
  const std::string path = state.range(0) == 0 ? CarClip() : Clip720();
  SourceOptions options;
  options.max_width = static_cast<int>(state.range(1));
  options.keep_full = state.range(2) != 0;
  int64_t frames = 0;
  for (auto _ : state) frames += DecodeAll(path, options);
  state.counters["frames"] = static_cast<double>(frames) / static_cast<double>(state.iterations());
  state.counters["per_frame"] =
      benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodeConvert)
    ->ArgNames({"clip720", "max_width", "keep_full"})
    ->Args({0, 0, 1})
    ->Args({0, 384, 1})
    ->Args({1, 0, 1})
    ->Args({1, 640, 1})
    ->Args({1, 640, 0})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2);

// CPU time of one full decode of the 1280x720 clip by the source (argument: max_width; keep_full when 0) against
// `ffmpeg -threads 1 -i CLIP -f null -` and `... -pix_fmt bgr24 -f null -` (decode + the same conversion).
void BM_CpuVsFfmpeg(benchmark::State& state) {
  const std::string& clip = Clip720();
  SourceOptions options;
  options.max_width = static_cast<int>(state.range(0));
  options.keep_full = options.max_width == 0;
  double source_s = 0, ffmpeg_s = 0, ffmpeg_bgr_s = 0;
  int64_t frames = 0;
  for (auto _ : state) {
    double t0 = CpuSeconds(RUSAGE_SELF);
    frames = DecodeAll(clip, options);
    source_s += CpuSeconds(RUSAGE_SELF) - t0;
    double c0 = CpuSeconds(RUSAGE_CHILDREN);
    std::string cmd = "ffmpeg -nostdin -v error -threads 1 -i '" + clip + "' -f null -";
    if (std::system(cmd.c_str()) != 0) state.SkipWithError("ffmpeg failed");
    double c1 = CpuSeconds(RUSAGE_CHILDREN);
    ffmpeg_s += c1 - c0;
    cmd = "ffmpeg -nostdin -v error -threads 1 -i '" + clip + "' -pix_fmt bgr24 -f null -";
    if (std::system(cmd.c_str()) != 0) state.SkipWithError("ffmpeg failed");
    ffmpeg_bgr_s += CpuSeconds(RUSAGE_CHILDREN) - c1;
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["frames"] = static_cast<double>(frames);
  state.counters["source_cpu_s"] = source_s / n;
  state.counters["ffmpeg_cpu_s"] = ffmpeg_s / n;
  state.counters["ffmpeg_bgr_cpu_s"] = ffmpeg_bgr_s / n;
  state.counters["ratio"] = ffmpeg_s > 0 ? source_s / ffmpeg_s : 0;
}
BENCHMARK(BM_CpuVsFfmpeg)->ArgName("max_width")->Arg(0)->Arg(640)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace didban::source

BENCHMARK_MAIN();
