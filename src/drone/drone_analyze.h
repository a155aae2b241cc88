// `didban drone analyze` as a function: decodes a drone video (source::OpenSource), runs the aerial analyzer on every
// frame with the telemetry's poses, and writes the results into a folder. One call per video; not thread-safe.
#ifndef DIDBAN_DRONE_DRONE_ANALYZE_H_
#define DIDBAN_DRONE_DRONE_ANALYZE_H_

#include <string>
#include <string_view>
#include <vector>

#include "didban/status.h"
#include "drone/aerial_analyzer.h"
#include "geo/camera_profiles.h"
#include "geo/telemetry_types.h"

namespace didban::drone {

struct DroneAnalyzeRequest {
  std::string video;            // path of the video file
  std::string telemetry;        // DJI SRT (any format geo::ParseDjiSrt reads), DJI/plain CSV or PX4 ULog file
  std::string camera_spec;      // geo::ParseCameraSpec keys (profile=NAME, sensor/aspect, focal/focal35/dfov, hfov,
                                // crop); width/height default to the video's, the lens to the telemetry's focal length
  std::string camera_profile;   // geo camera profile (camera_profiles.h), "" = recognised from a DJI SRT if possible
  std::string out_dir;          // created if missing
  std::string detector_params;  // JSON object of detect::AerialMotionOptions keys over the defaults, "" = defaults
  double motion_gate_px = -1;   // MotionGateOptions::min_displacement_px, pixels (0 = off); < 0 = the default
  bool write_video = true;      // annotated.mp4
  int footprint_every = 25;     // frames between footprints in flight.kml / flight.geojson
  // Which recording of a telemetry file holding several (a DJI SRT whose frame counter restarts): the one the video
  // matches by frame count and duration (kMatch), all joined (kAll, 0) or the 1-based number (geo::TelemetrySelection).
  int telemetry_segment = geo::TelemetrySelection::kMatch;
};

struct DroneAnalyzeSummary {
  int64_t frames = 0;
  int64_t tracks = 0;                 // distinct track ids reported
  int64_t track_points = 0;           // rows in tracks.csv
  double ms_per_frame = 0;            // analysis time (decode and writing excluded)
  std::string camera;                 // how the camera was resolved (geo::ResolvedCamera::how)
  std::vector<std::string> warnings;  // the telemetry reader's (e.g. a ULog cut mid-record)
};

// The camera spec of `request` for a video of `width` x `height` and its telemetry, resolved as `didban drone georef`
// does (geo::ResolveCameraSpec): a profile given or recognised from the DJI SRT (`srt_text`, its first cues; may be
// empty) supplies the sensor frame. Refused, with a message naming the options, when the spec's size differs from
// the video's, when a 35 mm-equivalent focal length has no sensor frame, or when nothing gives a lens.
absl::StatusOr<geo::ResolvedCamera> ResolveAnalyzeCamera(const DroneAnalyzeRequest& request, int width, int height,
                                                         const geo::Telemetry& telemetry, std::string_view srt_text);

// Writes tracks.csv, tracks.geojson, flight.kml, flight.geojson and (unless disabled) annotated.mp4.
absl::StatusOr<DroneAnalyzeSummary> RunDroneAnalyze(const DroneAnalyzeRequest& request);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_DRONE_ANALYZE_H_
