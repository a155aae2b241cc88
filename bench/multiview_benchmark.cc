#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "eval/mot_inputs.h"
#include "fuse/fixed_lag_fuser.h"
#include "fuse/fuse_io.h"
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

// Resident set size of this process, MiB (0 when /proc is not there).
double ResidentMiB() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  int64_t pages = 0, resident = 0;
  const int n = std::fscanf(f, "%" SCNd64 " %" SCNd64, &pages, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0) : 0;
}

// A synthetic crowd in the WILDTRACK site: `people` walkers (a fifth standing, the others at 0.8-1.6 m/s with a
// heading that wanders by N(0, 0.3 rad) per step, reflected at the edges of the annotated 12 m x 36 m area), seen by
// the 7 real calibrations: a person's box in a view is the box model's prediction (1.8 m x 0.5 m), kept when its
// bottom centre is inside the image and it is over 20 px tall, clipped to the image. The protocol's noise
// (MakeWildtrackDetections: 20 % dropped, 3 % edge jitter, 0.5 false boxes per view and frame) is added after.
std::vector<WildtrackFrame> SyntheticCrowd(const std::vector<geo::CameraCalibration>& cals, int people, int steps,
                                           uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  std::normal_distribution<double> turn(0, 0.3);
  struct Walker {
    double x, y, heading, speed;
  };
  std::vector<Walker> w;
  for (int i = 0; i < people; ++i) {
    const double speed = unit(rng) < 0.2 ? 0.0 : 0.8 + 0.8 * unit(rng);
    w.push_back({-3 + 12 * unit(rng), -9 + 36 * unit(rng), 2 * std::numbers::pi * unit(rng), speed});
  }
  MultiViewDetectionOptions mo;
  std::vector<WildtrackFrame> frames;
  for (int k = 0; k < steps; ++k) {
    WildtrackFrame f;
    f.annotation_frame = 5 * k;
    for (int i = 0; i < people; ++i) {
      Walker& p = w[static_cast<size_t>(i)];
      if (k > 0) {
        p.heading += turn(rng);
        p.x += 0.5 * p.speed * std::cos(p.heading);
        p.y += 0.5 * p.speed * std::sin(p.heading);
        if (p.x < -3 || p.x > 9) {
          p.x = std::clamp(p.x, -3.0, 9.0);
          p.heading = std::numbers::pi - p.heading;
        }
        if (p.y < -9 || p.y > 27) {
          p.y = std::clamp(p.y, -9.0, 27.0);
          p.heading = -p.heading;
        }
      }
      WildtrackPerson person;
      person.person_id = i + 1;
      const auto gx = std::clamp<int64_t>(std::llround((p.x + 3) / 0.025), 0, 479);
      const auto gy = std::clamp<int64_t>(std::llround((p.y + 9) / 0.025), 0, 1439);
      person.position_id = gy * 480 + gx;
      const Point2 g = WildtrackGround(person.position_id);
      for (int v = 0; v < kWildtrackViews; ++v) {
        std::optional<Box> b = PredictPersonBox(cals[static_cast<size_t>(v)], g, mo);
        if (!b || b->h < 20) continue;
        const double u = b->x + 0.5 * b->w;
        if (u < 0 || u >= kWildtrackWidth || b->Bottom() <= 0 || b->Bottom() > kWildtrackHeight) continue;
        const float x0 = std::max(0.f, b->x), y0 = std::max(0.f, b->y);
        const float x1 = std::min(static_cast<float>(kWildtrackWidth), b->Right());
        const float y1 = std::min(static_cast<float>(kWildtrackHeight), b->Bottom());
        person.boxes[static_cast<size_t>(v)] = Box::FromTlbr(x0, y0, x1, y1);
      }
      f.people.push_back(person);
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

// Live fusion cost (issue 14's CPU target): the fixed-lag fuser (box model, junction linker with detector feedback,
// lag 2 s, window 8 s, 0.5 s steps) on 7 WILDTRACK views of a synthetic crowd of `people` (argument), 400 steps
// (200 s). One iteration = one step: the 7 views' frames pushed and the fuser polled, so CPU per iteration / 0.5 s
// is the share of one core at 2 steps/s. Counters: the most steps the window held (consensus kept), emitted history
// and pending steps (memory bounded by the window), people per emitted step, MODA and IDF1 at 0.5 m (low on this
// crowd, IDF1 about 0.3, not investigated: this is a cost benchmark).
void BM_FixedLagCrowd(benchmark::State& state) {
  const std::string root = std::string(DIDBAN_DATA_DIR) + "/multicam/WILDTRACK";
  auto cals = LoadWildtrackCalibrations(root);
  if (!cals.ok()) {
    state.SkipWithError("WILDTRACK calibrations missing");
    return;
  }
  const int people = static_cast<int>(state.range(0));
  constexpr int kSteps = 400;
  const WildtrackSet set = MakeWildtrackDetections(SyntheticCrowd(*cals, people, kSteps, 1), 1);
  std::vector<BatchCamera> cameras;
  std::vector<std::vector<CameraFrame>> per_step(kSteps);
  for (int v = 0; v < kWildtrackViews; ++v) {
    cameras.push_back({WildtrackViewName(v), (*cals)[static_cast<size_t>(v)]});
    auto f = FramesFromMot(WildtrackViewName(v), (*cals)[static_cast<size_t>(v)], set.detections[v], kWildtrackFps,
                           kSteps, {}, nullptr);
    for (size_t k = 0; k < f.size(); ++k) per_step[k].push_back(std::move(f[k]));
  }
  FuserOptions fo = WildtrackFuserOptions();
  fo.mode = "fixed_lag";
  fo.lag_s = 2;
  fo.window_s = 8;
  BatchFuserOptions bo;
  bo.consensus = "box_model";
  bo.linker = "junction";
  bo.image_width = kWildtrackWidth;
  bo.image_height = kWildtrackHeight;
  auto fuser = std::make_unique<FixedLagFuser>(fo, bo, cameras);
  std::vector<FusedStep> out;
  out.reserve(per_step.size());
  size_t k = 0, max_window = 0, max_history = 0, max_pending = 0;
  double rss_at_100 = 0;
  for (auto _ : state) {
    if (k == per_step.size()) {
      state.PauseTiming();
      fuser = std::make_unique<FixedLagFuser>(fo, bo, cameras);
      k = 0;
      out.clear();
      state.ResumeTiming();
    }
    for (const CameraFrame& f : per_step[k]) benchmark::DoNotOptimize(fuser->PushFrame(f));
    for (FusedStep& s : fuser->Poll()) out.push_back(std::move(s));
    max_window = std::max(max_window, fuser->WindowSteps());
    max_history = std::max(max_history, fuser->HistorySteps());
    max_pending = std::max(max_pending, fuser->PendingSteps());
    ++k;
    if (k == 100) rss_at_100 = ResidentMiB();
  }
  // Memory bounded by the window: the resident size after 400 steps against after 100 (the output kept by this
  // benchmark, about 40 rows a step, is reserved up front).
  if (rss_at_100 > 0) state.counters["rss_growth_mib_100_to_400"] = ResidentMiB() - rss_at_100;
  for (FusedStep& s : fuser->Flush()) out.push_back(std::move(s));
  size_t rows = 0;
  for (const FusedStep& s : out) rows += s.tracks.size();
  state.counters["window_steps_max"] = static_cast<double>(max_window);
  state.counters["history_steps_max"] = static_cast<double>(max_history);
  state.counters["pending_steps_max"] = static_cast<double>(max_pending);
  state.counters["people_per_step"] = out.empty() ? 0.0 : static_cast<double>(rows) / static_cast<double>(out.size());
  if (k == per_step.size()) {
    absl::StatusOr<eval::MotMetrics> m = eval::EvaluateGround(set.truth, FusedGroundRows(out, kWildtrackFps), 0.5);
    if (m.ok()) {
      state.counters["moda"] = m->clear.moda;
      state.counters["idf1"] = m->identity.idf1;
    }
  }
}
BENCHMARK(BM_FixedLagCrowd)->Arg(24)->Arg(40)->Iterations(400)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace didban::fuse

BENCHMARK_MAIN();
