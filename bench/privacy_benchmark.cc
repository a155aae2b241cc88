// The masked re-encode's cost per camera: decode a 720p25 clip, fill privacy-mask polygons (and blur boxes), encode
// H.264 (libx264, veryfast, CRF 23, one thread: what ExportMaskedClip and a masked live view do per camera). Reports
// CPU seconds per second of video (cpu_s_per_video_s; 1.0 = one core busy for one camera in real time).
//   DIDBAN_MASK_INPUT=flight.mp4 build/bench/privacy_benchmark
// Without DIDBAN_MASK_INPUT the input is `didban sim drone`'s 1280x720 25 fps flight, which the caller makes first
// (docs/performance.md).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "record/privacy_mask.h"

namespace didban::record {
namespace {

void BM_MaskedReencode(benchmark::State& state, bool blur) {
  const char* in = std::getenv("DIDBAN_MASK_INPUT");
  if (in == nullptr || !std::filesystem::exists(in)) {
    state.SkipWithError("set DIDBAN_MASK_INPUT to a video (e.g. didban sim drone's flight.mp4)");
    return;
  }
  MaskedExportOptions o;
  // Two polygons covering about 15 % of a 1280x720 frame (a window and a doorway, say).
  o.mask.polygons.push_back({{100, 80}, {420, 80}, {420, 300}, {100, 300}});
  o.mask.polygons.push_back({{900, 400}, {1100, 380}, {1150, 650}, {880, 700}});
  if (blur) {
    o.blur_boxes = [](TimeUs) {
      return std::vector<Box>{Box{500, 300, 60, 120}, Box{640, 320, 50, 110}, Box{300, 500, 140, 80}};
    };
  }
  const std::string out = (std::filesystem::temp_directory_path() / "didban_mask_bench.mp4").string();
  double cpu = 0, video = 0;
  for (auto _ : state) {
    absl::StatusOr<MaskedExport> r = ReencodeMasked(in, 0, out, o);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    cpu += r->cpu_seconds;
    video += r->video_seconds;
    state.counters["frames"] = static_cast<double>(r->clip.frames);
    state.counters["encoder_is_x264"] = r->encoder == "libx264" ? 1 : 0;
  }
  state.counters["cpu_s_per_video_s"] = cpu / video;
  state.counters["video_s"] = video / static_cast<double>(state.iterations());
  std::error_code ec;
  std::filesystem::remove(out, ec);
}

BENCHMARK_CAPTURE(BM_MaskedReencode, mask, false)->Iterations(2)->Unit(benchmark::kSecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_MaskedReencode, mask_and_blur, true)->Iterations(2)->Unit(benchmark::kSecond)->UseRealTime();

}  // namespace
}  // namespace didban::record

BENCHMARK_MAIN();
