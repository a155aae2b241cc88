// `didban drone analyze VIDEO --telemetry FILE [--camera SPEC] --out DIR [--no-video]`: moving objects in a drone
// video, tracked and georeferenced with the flight's telemetry.
#include <string>

#include <cstdio>

#include "app/command.h"
#include "detect/aerial_motion_detector.h"
#include "detect/detectors.h"
#include "drone/drone_analyze.h"
#include "geo/camera_profiles.h"

namespace didban::app {
namespace {

// The `drone` group is shared with other drone subcommands: get it, or create it.
void SetupDroneAnalyze(CLI::App& root, int* exit_code) {
  // The drone stage's detector, also for `didban analyze --detector aerial` (every command is set up at start).
  detect::RegisterAerialDetector(detect::DetectorRegistry());
  CLI::App* cmd =
      CommandGroup(root, "drone", "Drone video: telemetry, georeferencing, aerial analysis")
          ->add_subcommand("analyze",
                           "Detect moving objects in a drone video despite camera motion, track them, georeference "
                           "them with the flight's "
                           "telemetry (DJI SRT, DJI flight-log CSV, plain CSV or PX4 ULog), and write tracks.csv "
                           "(frame,time,id,lat,lon,x,y,class), tracks.geojson, flight.kml, "
                           "flight.geojson (path and frame footprints) and annotated.mp4");
  auto req = std::make_shared<drone::DroneAnalyzeRequest>();
  cmd->add_option("video", req->video, "Drone video file")->required();
  cmd->add_option("--telemetry", req->telemetry,
                  "Telemetry of the video: .srt (every DJI SRT format), .csv (DJI flight log or plain CSV), .ulg "
                  "(PX4 ULog)")
      ->required();
  cmd->add_option("--camera", req->camera_spec,
                  "Camera model (docs/aerial.md): comma-separated profile=NAME, sensor=WxH (mm) or aspect=W:H of the "
                  "sensor frame, one lens: focal=MM (with sensor), focal35=MM, dfov=DEG or the video's own hfov=DEG, "
                  "and crop=X; width/height default to the video's, the lens to the telemetry's focal length");
  cmd->add_option("--camera-profile", req->camera_profile,
                  "Camera profile (sensor frame and lens): " + geo::CameraProfileNames() +
                      "; default: recognised from a DJI SRT where its layout and lens single out one");
  cmd->add_option("--out", req->out_dir, "Output folder (created if missing)")->required();
  cmd->add_option("--detector-params", req->detector_params,
                  "Aerial detector options as a JSON object of its keys (docs/aerial.md), e.g. "
                  "'{\"diff_threshold\": 25}'");
  cmd->add_option("--motion-gate", req->motion_gate_px,
                  "Ground displacement in pixels before a track is reported (0: report every confirmed track; "
                  "default 0)")
      ->check(CLI::Range(0.0, 1000.0));
  auto no_video = std::make_shared<bool>(false);
  cmd->add_flag("--no-video", *no_video, "Do not write annotated.mp4");
  cmd->add_option("--footprint-every", req->footprint_every, "Frames between footprints in the flight files")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--telemetry-segment", req->telemetry_segment,
                  "Which recording of a telemetry file that holds several (a DJI SRT whose frame counter restarts): "
                  "N (1-based), 0 for all of them joined; default: the one the video matches by frame count and "
                  "duration")
      ->check(CLI::Range(0, 1000000));
  cmd->callback([req, exit_code, no_video] {
    req->write_video = !*no_video;
    auto summary = drone::RunDroneAnalyze(*req);
    if (summary.ok()) {
      for (const std::string& w : summary->warnings) std::fprintf(stderr, "drone analyze: warning: %s\n", w.c_str());
    }
    if (!summary.ok()) {
      std::fprintf(stderr, "drone analyze: %s\n", std::string(summary.status().message()).c_str());
      *exit_code = 1;
      return;
    }
    std::printf("camera: %s\n", summary->camera.c_str());
    std::printf("frames %lld, tracks %lld, track points %lld, %.1f ms/frame\n", static_cast<long long>(summary->frames),
                static_cast<long long>(summary->tracks), static_cast<long long>(summary->track_points),
                summary->ms_per_frame);
    *exit_code = 0;
  });
}

}  // namespace
}  // namespace didban::app

DIDBAN_REGISTER_COMMAND(drone_analyze, didban::app::SetupDroneAnalyze);
