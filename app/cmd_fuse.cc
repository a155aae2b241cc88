// `didban fuse`: fuses per-camera tracks (MOTChallenge, one file per camera) of a calibrated site into global
// ground tracks (CSV and GeoJSON).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "app/command.h"
#include "config/site_config.h"
#include "core/mot_format.h"
#include "eval/mot_inputs.h"
#include "fuse/batch_fuser.h"
#include "fuse/fixed_lag_fuser.h"
#include "fuse/fuse_io.h"
#include "fuse/fuser.h"

namespace didban::app {
namespace {

struct FuseFlags {
  std::string site;
  std::vector<std::string> tracks;
  double fps = 0;
  std::string out;
  std::string gt;
  double threshold_m = 0.5;
  bool batch = false;
  bool streaming = false;
  double live_lag_s = -1;     // >= 0: the fixed-lag live fuser at this lag
  double live_window_s = -1;  // its window (default: the site's fusion.window_s, at least the lag)
};

int Fail(const std::string& message) {
  std::cerr << "didban fuse: " << message << "\n";
  return 1;
}

int RunFuse(const FuseFlags& f) {
  absl::StatusOr<config::SiteConfig> site = config::LoadSiteConfig(f.site);
  if (!site.ok()) return Fail(std::string(site.status().message()));
  fuse::FuserOptions options;
  if (site->sections.contains("fusion")) {
    auto o = fuse::FuserOptions::FromJson(site->sections["fusion"], f.site + ": fusion");
    if (!o.ok()) return Fail(std::string(o.status().message()));
    options = *o;
  }
  // Batch (offline) mode: --batch, or a `fusion_batch:` section in the site; --streaming forces the live fuser.
  fuse::BatchFuserOptions batch_options;
  bool batch = f.batch;
  if (site->sections.contains("fusion_batch")) {
    auto o = fuse::BatchFuserOptions::FromJson(site->sections["fusion_batch"], f.site + ": fusion_batch");
    if (!o.ok()) return Fail(std::string(o.status().message()));
    batch_options = *o;
    batch = true;
  }
  if (f.streaming) batch = false;
  struct Input {
    const config::CameraConfig* camera;
    std::vector<MotRow> rows;
  };
  std::vector<Input> inputs;
  double fps = f.fps;
  int last_frame = 0;
  for (const std::string& spec : f.tracks) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      std::cerr << "didban fuse: --tracks expects CAMERA=FILE, got '" << spec << "'\n";
      return 2;
    }
    std::string name = spec.substr(0, eq);
    const config::CameraConfig* cam = site->FindCamera(name);
    if (cam == nullptr) return Fail("camera '" + name + "' is not in " + f.site);
    if (!cam->calibration.Calibrated()) return Fail("camera '" + name + "' has no calibration in " + f.site);
    for (const Input& in : inputs) {
      if (in.camera == cam) return Fail("camera '" + name + "' given twice");
    }
    absl::StatusOr<std::vector<MotRow>> rows = ReadMotFile(spec.substr(eq + 1));
    if (!rows.ok()) return Fail(std::string(rows.status().message()));
    for (const MotRow& r : *rows) last_frame = std::max(last_frame, r.frame);
    if (fps <= 0) fps = cam->fps;
    inputs.push_back({cam, std::move(*rows)});
  }
  if (!(fps > 0)) {
    std::cerr << "didban fuse: --fps is needed (the site gives no fps for these cameras)\n";
    return 2;
  }
  std::vector<fuse::CameraFrame> frames;
  int unprojected = 0;
  for (const Input& in : inputs) {
    std::vector<fuse::CameraFrame> cf =
        fuse::FramesFromMot(in.camera->name, in.camera->calibration, in.rows, fps, last_frame, {}, &unprojected);
    frames.insert(frames.end(), cf.begin(), cf.end());
  }
  absl::StatusOr<std::vector<fuse::FusedStep>> steps;
  fuse::FuserStats live_stats;
  if (f.live_lag_s >= 0) {
    // The live runtime's fixed-lag fuser on the files: frames pushed in time order, polled after each.
    fuse::FuserOptions lo = options;
    lo.mode = "fixed_lag";
    lo.lag_s = f.live_lag_s;
    if (f.live_window_s > 0) lo.window_s = f.live_window_s;
    lo.window_s = std::max(lo.window_s, lo.lag_s);
    const bool own = site->sections.contains("fusion") && site->sections["fusion"].contains("fixed_lag");
    if (!own && site->sections.contains("fusion_batch")) {
      lo.fixed_lag = site->sections["fusion_batch"];
    }
    if (absl::Status st = lo.Validate(); !st.ok()) return Fail(absl::StrCat(f.site, ": fusion: ", st.message()));
    std::vector<fuse::BatchCamera> cameras;
    cameras.reserve(inputs.size());
    for (const Input& in : inputs) cameras.push_back({in.camera->name, in.camera->calibration});
    std::unique_ptr<fuse::LiveFuser> live = fuse::MakeLiveFuser(lo, std::move(cameras));
    std::stable_sort(frames.begin(), frames.end(),
                     [](const fuse::CameraFrame& a, const fuse::CameraFrame& b) { return a.time < b.time; });
    std::vector<fuse::FusedStep> out;
    for (const fuse::CameraFrame& cf : frames) {
      if (absl::Status st = live->PushFrame(cf); !st.ok()) return Fail(std::string(st.message()));
      for (fuse::FusedStep& s : live->Poll()) out.push_back(std::move(s));
    }
    for (fuse::FusedStep& s : live->Flush()) out.push_back(std::move(s));
    if (const auto* fl = dynamic_cast<const fuse::FixedLagFuser*>(live.get()); fl != nullptr && !fl->LastError().ok()) {
      return Fail(absl::StrCat(f.site, ": ", fl->LastError().message()));
    }
    live_stats = live->Stats();
    steps = std::move(out);
  } else if (batch) {
    std::vector<fuse::BatchCamera> cameras;
    cameras.reserve(inputs.size());
    for (const Input& in : inputs) cameras.push_back({in.camera->name, in.camera->calibration});
    steps = fuse::FuseBatch(options, batch_options, cameras, std::move(frames));
  } else {
    steps = fuse::FuseAll(options, std::move(frames));
  }
  if (!steps.ok()) return Fail(absl::StrCat(f.site, ": ", steps.status().message()));
  std::error_code ec;
  std::filesystem::create_directories(f.out, ec);
  if (ec) return Fail(f.out + ": cannot create directory: " + ec.message());
  std::optional<geo::LocalFrame> frame;
  if (site->origin) frame.emplace(site->origin->lat, site->origin->lon, site->origin->alt);
  const std::string csv = f.out + "/global_tracks.csv";
  absl::Status st = WriteTextFile(csv, fuse::FormatFusedCsv(*steps, fps, frame ? &*frame : nullptr));
  if (!st.ok()) return Fail(std::string(st.message()));
  if (frame) {
    st = WriteTextFile(f.out + "/global_tracks.geojson", fuse::FormatFusedGeoJson(*steps, *frame));
    if (!st.ok()) return Fail(std::string(st.message()));
  }
  std::vector<eval::GroundRow> rows = fuse::FusedGroundRows(*steps, fps);
  std::map<int64_t, int> ids;
  for (const eval::GroundRow& r : rows) ++ids[r.id];
  std::printf("fused %zu cameras over %d frames: %zu global tracks, %zu rows -> %s%s\n", inputs.size(), last_frame,
              ids.size(), rows.size(), csv.c_str(),
              frame ? " (+ global_tracks.geojson)" : " (no site origin: no GeoJSON)");
  if (unprojected > 0) std::printf("%d boxes did not reach the ground and were skipped\n", unprojected);
  if (f.live_lag_s >= 0) {
    const int64_t corrections = live_stats.merges + live_stats.splits + live_stats.swaps;
    std::printf("fixed lag %.2f s: %lld corrections after emission (%lld merges, %lld splits, %lld swaps)\n",
                f.live_lag_s, static_cast<long long>(corrections), static_cast<long long>(live_stats.merges),
                static_cast<long long>(live_stats.splits), static_cast<long long>(live_stats.swaps));
  }
  if (!f.gt.empty()) {
    absl::StatusOr<std::string> text = ReadTextFile(f.gt);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    absl::StatusOr<std::vector<eval::GroundRow>> gt = eval::ParseGroundCsv(*text, f.gt);
    if (!gt.ok()) return Fail(std::string(gt.status().message()));
    absl::StatusOr<eval::MotMetrics> m = eval::EvaluateGround(*gt, rows, f.threshold_m);
    if (!m.ok()) return Fail(absl::StrCat(f.gt, ": ", m.status().message()));
    const eval::ClearMetrics& c = m->clear;
    std::printf(
        "at %.2f m: MODA %.4f MOTA %.4f IDF1 %.4f precision %.4f recall %.4f (TP %lld FP %lld FN %lld IDSW %lld)\n",
        f.threshold_m, c.moda, c.mota, m->identity.idf1, c.precision, c.recall, static_cast<long long>(c.tp),
        static_cast<long long>(c.fp), static_cast<long long>(c.fn), static_cast<long long>(c.idsw));
  }
  return 0;
}

void Setup(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<FuseFlags>();
  CLI::App* cmd = root.add_subcommand(
      "fuse",
      "Fuse per-camera tracks of overlapping calibrated cameras into global ground tracks.\n"
      "Inputs are MOTChallenge files (frame,id,x,y,w,h,...) per camera; each box's bottom centre is projected to the\n"
      "site's ground with a covariance and associated across cameras (constant-velocity Kalman, Hungarian gating).\n"
      "Fusion settings come from the site's `fusion:` section (see docs/multicam.md). Writes DIR/global_tracks.csv\n"
      "(frame,time,id,x,y,lat,lon,cameras) and, when the site has an origin, DIR/global_tracks.geojson.");
  cmd->add_option("--site", flags->site, "Site YAML with the cameras' calibrations")->required();
  cmd->add_option("--tracks", flags->tracks, "CAMERA=FILE, one per camera (MOTChallenge tracks or detections)")
      ->required();
  cmd->add_option("--fps", flags->fps, "Frame rate of the track files, frames/s (default: the site's camera fps)");
  cmd->add_option("--out", flags->out, "Output directory")->required();
  cmd->add_option("--gt", flags->gt, "Ground truth CSV (frame,id,x,y metres) to score against");
  cmd->add_option("--threshold", flags->threshold_m, "Match distance for --gt, metres (default 0.5)");
  cmd->add_flag("--batch", flags->batch,
                "Offline fusion over the whole input: per-step multi-view consensus, then linking over the sequence\n"
                "(also chosen by a `fusion_batch:` section in the site)");
  auto* streaming = cmd->add_flag("--streaming", flags->streaming,
                                  "Use the streaming (live) fuser even when the site has a `fusion_batch:` section");
  streaming->excludes("--batch");
  auto* live = cmd->add_option("--live-lag", flags->live_lag_s,
                               "Run the live runtime's fixed-lag fuser on the files: each step is emitted once it is\n"
                               "S seconds old (batch consensus + junction linker over a sliding window; settings from\n"
                               "`fusion:` (window_s, fixed_lag:) or else `fusion_batch:`)");
  live->check(CLI::NonNegativeNumber)->excludes(streaming)->excludes("--batch");
  cmd->add_option("--live-window", flags->live_window_s, "With --live-lag: the window, seconds (at least the lag)")
      ->check(CLI::PositiveNumber)
      ->needs(live);
  cmd->callback([flags, exit_code] { *exit_code = RunFuse(*flags); });
}

}  // namespace
}  // namespace didban::app

DIDBAN_REGISTER_COMMAND(fuse, didban::app::Setup);
