// `didban track`: runs the multi-object tracker over MOTChallenge detections and writes MOTChallenge results.
#include <cstdio>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/command.h"
#include "core/mot_format.h"
#include "track/byte_tracker.h"
#include "track/mot_runner.h"

namespace didban::app {
namespace {

struct TrackFlags {
  std::string det;
  std::string out;
  double fps = 30;
  std::string preset = "default";
  std::string params = "{}";
  int64_t max_frame = MotLimits{}.max_frame;
};

// One line on stderr, as every failing command does.
void Fail(const std::string& message) { std::fprintf(stderr, "didban track: %s\n", message.c_str()); }

int RunTrack(const TrackFlags& f) {
  nlohmann::json params;
  try {
    params = nlohmann::json::parse(f.params);
  } catch (const nlohmann::json::exception& e) {
    Fail(std::string("--params: not JSON: ") + e.what());
    return 2;
  }
  if (!params.is_object()) {
    Fail("--params: expected a JSON object");
    return 2;
  }
  if (!params.contains("preset")) params["preset"] = f.preset;
  auto options = track::ByteTrackerOptions::FromJson(params, f.fps);
  if (!options.ok()) {
    Fail(std::string(options.status().message()));
    return 2;
  }
  MotLimits limits;
  limits.max_frame = f.max_frame;
  auto dets = ReadMotFile(f.det, limits);
  if (!dets.ok()) {
    Fail(std::string(dets.status().message()));
    return 1;
  }
  track::ByteTracker tracker(*options);
  auto rows = track::TrackMotDetections(*dets, options->frame_rate, tracker);
  if (!rows.ok()) {
    Fail(std::string(rows.status().message()));
    return 1;
  }
  if (absl::Status s = WriteMotFile(f.out, *rows); !s.ok()) {
    Fail(std::string(s.message()));
    return 1;
  }
  spdlog::info("tracked {} detections into {} rows -> {}", dets->size(), rows->size(), f.out);
  return 0;
}

void SetupTrack(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<TrackFlags>();
  CLI::App* cmd = root.add_subcommand(
      "track",
      "Track objects in MOTChallenge detections (frame,-1,x,y,w,h,score,...) and write MOTChallenge results "
      "(frame,id,x,y,w,h,score,-1,-1,-1). Frame N is at time (N-1)/fps; ageing uses that time.");
  cmd->add_option("--det", flags->det, "Detections file (MOTChallenge text)")->required();
  cmd->add_option("--out", flags->out, "Results file to write")->required();
  cmd->add_option("--fps", flags->fps, "Frame rate of the sequence, frames per second")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--preset", flags->preset,
                  "Parameter set: 'default' (didban's tuned tracker) or 'bytetrack' (the official ByteTrack C++ "
                  "behaviour)")
      ->capture_default_str()
      ->check(CLI::IsMember({"default", "bytetrack"}));
  cmd->add_option("--params", flags->params,
                  "Tracker parameters as a JSON object overriding the preset, e.g. '{\"max_lost_s\": 2}' (see "
                  "docs/tracking.md)")
      ->capture_default_str();
  cmd->add_option("--max-frame", flags->max_frame,
                  "Highest frame number accepted; the tracker steps through every frame up to the last one "
                  "(docs/security.md)")
      ->check(CLI::Range(int64_t{1}, int64_t{2147483647}))
      ->capture_default_str();
  cmd->callback([flags, exit_code] { *exit_code = RunTrack(*flags); });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(track, SetupTrack);

}  // namespace didban::app
