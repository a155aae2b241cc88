// `didban drone georef`: georeferences MOTChallenge pixel tracks from a drone video with its telemetry (DJI SRT,
// CSV or PX4 ULog) and a camera spec; writes tracks as CSV and GeoJSON and the flight path and frame footprints as
// GeoJSON and KML. Flags and wiring only; the work is in src/geo (telemetry_georef.h).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "app/command.h"
#include "core/mot_format.h"
#include "geo/camera_profiles.h"
#include "geo/control_points.h"
#include "geo/telemetry_georef.h"

namespace didban::app {
namespace {

struct GeorefFlags {
  std::string telemetry;
  std::string tracks;
  std::string camera;
  std::string camera_profile;
  std::string control_points;
  double yaw_deg = geo::kNoValue;
  double fps = 0;
  double ground_elevation_m = 0;
  double gimbal_pitch_deg = -90;
  double height_m = geo::kNoValue;
  int segment = geo::TelemetrySelection::kMatch;
  int frame_base = -1;
  bool bottom_centre = false;
  int footprint_step = 30;
  int64_t frames = 0;
  int64_t max_frame = MotLimits{}.max_frame;
  std::string out;
};

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "didban drone georef: %s\n", std::string(status.message()).c_str());
  return 1;
}

int RunGeoref(const GeorefFlags& f) {
  geo::TelemetryReadOptions read;
  read.selection.segment = f.segment;
  read.selection.video_frames = f.frames;
  read.selection.fps = f.fps;
  read.csv_frame_base = f.frame_base;
  auto telemetry = geo::ReadTelemetryFile(f.telemetry, read);
  if (!telemetry.ok()) return Fail(telemetry.status());
  for (const std::string& w : telemetry->warnings)
    std::fprintf(stderr, "didban drone georef: warning: %s\n", w.c_str());
  MotLimits limits;
  limits.max_frame = f.max_frame;
  auto rows = ReadMotFile(f.tracks, limits);
  if (!rows.ok()) return Fail(rows.status());
  auto spec = geo::ParseCameraSpec(f.camera);
  if (!spec.ok()) return Fail(spec.status());
  // A DJI SRT's first cues may name its camera by their layout and lens (geo::GuessCameraFromSrt).
  std::string srt_head;
  if (telemetry->format == "dji-srt") {
    auto text = ReadTextFile(f.telemetry);
    if (text.ok()) srt_head = text->substr(0, 4096);
  }
  auto camera = geo::ResolveCameraSpec(*spec, f.camera_profile, srt_head, *telemetry);
  if (!camera.ok()) return Fail(camera.status());
  geo::GeorefOptions o;
  o.camera = camera->spec;
  o.pose.yaw_deg = f.yaw_deg;
  o.pose.gimbal_pitch_deg = f.gimbal_pitch_deg;
  o.height_m = f.height_m;
  o.fps = f.fps;
  o.ground_elevation_m = f.ground_elevation_m;
  o.bottom_centre = f.bottom_centre;
  o.footprint_step = f.footprint_step;
  o.video_frames = f.frames;
  std::string residuals, fit_line;
  if (!f.control_points.empty()) {
    auto points = geo::ReadControlPointsFile(f.control_points);
    if (!points.ok()) return Fail(points.status());
    auto fit = geo::FitYawAndOffset(*telemetry, *points, o);
    if (!fit.ok()) return Fail(fit.status());
    geo::ApplyPoseFit(*fit, &o.pose);
    fit_line = geo::DescribePoseFit(*fit);
    residuals = geo::PoseFitResidualsCsv(*fit);
  }
  auto result = geo::GeorefTracks(*telemetry, *rows, o);
  if (!result.ok()) return Fail(result.status());
  std::error_code ec;
  std::filesystem::create_directories(f.out, ec);
  if (ec) return Fail(absl::InternalError(absl::StrCat(f.out, ": cannot create the directory: ", ec.message())));
  for (const auto& [name, text] : {std::pair<std::string, std::string>{"tracks.csv", geo::GeorefCsv(*result)},
                                   {"tracks.geojson", geo::GeorefTracksGeoJson(*result)},
                                   {"flight.geojson", geo::FlightGeoJson(*result)},
                                   {"flight.kml", geo::FlightKml(*result)}}) {
    absl::Status st = WriteTextFile(f.out + "/" + name, text);
    if (!st.ok()) return Fail(st);
  }
  if (!residuals.empty()) {
    absl::Status st = WriteTextFile(f.out + "/control_points.csv", residuals);
    if (!st.ok()) return Fail(st);
  }
  std::printf("camera: %s\n", camera->how.c_str());
  if (!fit_line.empty()) std::printf("control points: %s\n", fit_line.c_str());
  std::printf("georeferenced %zu of %zu rows (%d above the horizon), %zu telemetry samples (%s), %zu footprints\n",
              result->points.size(), rows->size(), result->skipped, telemetry->samples.size(),
              telemetry->format.c_str(), result->footprints.size());
  return 0;
}

// The `drone` group is shared with other drone commands: get it or create it.
void SetupDroneGeoref(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<GeorefFlags>();
  CLI::App* cmd =
      CommandGroup(root, "drone", "Drone video: telemetry, georeferencing, aerial analysis")
          ->add_subcommand("georef", "Georeference MOTChallenge pixel tracks with drone telemetry and a camera spec");
  cmd->add_option("--telemetry", flags->telemetry, "Telemetry: DJI .srt, .csv (DJI flight log or plain) or PX4 .ulg")
      ->required();
  cmd->add_option("--tracks", flags->tracks, "MOTChallenge tracks (frame,id,x,y,w,h,...) in video pixels")->required();
  cmd->add_option("--camera", flags->camera,
                  "Camera spec: width=PX,height=PX and hfov=DEG | sensor=WxH,focal=MM | focal35=MM with aspect=W:H of "
                  "the sensor | profile=NAME (docs/aerial.md)")
      ->required();
  cmd->add_option("--camera-profile", flags->camera_profile,
                  "Camera profile (sensor frame and lens): " + geo::CameraProfileNames() +
                      "; default: recognised from a DJI SRT where its layout and lens single one out");
  cmd->add_option("--control-points", flags->control_points,
                  "CSV frame,x,y,lat,lon of image points with known positions: fits the camera yaw (or its bias) "
                  "and a constant position offset (least squares; residuals in control_points.csv)");
  cmd->add_option("--yaw", flags->yaw_deg,
                  "Camera yaw: compass heading of the image top, clockwise from north, degrees (overrides the "
                  "telemetry)");
  cmd->add_option("--fps", flags->fps, "Video frame rate, for telemetry without frame numbers");
  cmd->add_option("--ground-elevation", flags->ground_elevation_m,
                  "Ground elevation relative to the take-off point, metres")
      ->capture_default_str();
  cmd->add_option("--gimbal-pitch", flags->gimbal_pitch_deg,
                  "Camera pitch when the telemetry has none, degrees (-90 = nadir)")
      ->capture_default_str();
  cmd->add_option("--height", flags->height_m,
                  "Flight height above the take-off point, metres, for telemetry without an altitude");
  cmd->add_option("--telemetry-segment", flags->segment,
                  "For a DJI SRT holding several recordings (its frame counter restarts): the video's recording, "
                  "1-based; 0 = the video is all of them joined (matched by time); default: the one recording whose "
                  "frame count and duration match --frames and --fps")
      ->check(CLI::Range(0, 1'000'000));
  cmd->add_option("--frame-base", flags->frame_base,
                  "First frame number of a CSV frame column: 0 or 1 (default: 0 when a row has frame 0, else 1)")
      ->check(CLI::Range(0, 1));
  cmd->add_flag("--bottom-centre", flags->bottom_centre,
                "Project the box bottom centre (oblique views) instead of the box centre");
  cmd->add_option("--footprint-step", flags->footprint_step, "A footprint every N frames")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--frames", flags->frames,
                  "Frames of the video: footprints are made for frames 1..N (default: the last frame of the tracks)")
      ->check(CLI::Range(int64_t{0}, int64_t{2147483647}));
  cmd->add_option("--max-frame", flags->max_frame, "Highest frame number accepted in --tracks (docs/security.md)")
      ->check(CLI::Range(int64_t{1}, int64_t{2147483647}))
      ->capture_default_str();
  cmd->add_option("--out", flags->out,
                  "Output directory (tracks.csv, tracks.geojson, flight.geojson, flight.kml, control_points.csv)")
      ->required();
  cmd->callback([flags, exit_code] { *exit_code = RunGeoref(*flags); });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(drone_georef, SetupDroneGeoref);

}  // namespace didban::app
