// Control points for drone georeferencing: image points of a video whose ground position the user knows (a
// crossroads, a building corner), read from a CSV, and the least-squares fit of a constant camera yaw correction and
// a constant position offset that carries them onto their coordinates. For telemetry without a yaw (DJI Mavic 3 SRT,
// Mini) the fitted correction is the camera yaw itself; with one, it is the yaw's bias. Pure functions; thread-safe.
#ifndef DIDBAN_GEO_CONTROL_POINTS_H_
#define DIDBAN_GEO_CONTROL_POINTS_H_

#include <string>
#include <string_view>
#include <vector>

#include "didban/status.h"
#include "geo/telemetry_georef.h"

namespace didban::geo {

struct ControlPoint {
  int line = 0;             // 1-based line in its file
  int64_t frame = 0;        // 1-based video frame
  double x = 0, y = 0;      // image point, pixels
  double lat = 0, lon = 0;  // its ground position, degrees WGS84
};

// Limits of a control-point file (docs/security.md): at most this many points.
inline constexpr int kMaxControlPoints = 10'000;

// Parses a control-point CSV: the header `frame,x,y,lat,lon` (any order, more columns ignored), then one point per
// line; blank lines and lines starting with '#' are skipped. Errors name the source, the line and the field:
// "cp.csv:3: lat: not a number: 'abc'", "cp.csv:4: lon: 200 is outside [-180, 180]", "cp.csv:2: expected 5 fields,
// got 4", "cp.csv:1: missing column 'lat' (the header needs frame, x, y, lat, lon)", "cp.csv: no control points".
absl::StatusOr<std::vector<ControlPoint>> ParseControlPoints(std::string_view text, const std::string& source);
absl::StatusOr<std::vector<ControlPoint>> ReadControlPointsFile(const std::string& path);

struct PoseFit {
  // Clockwise degrees added to the base yaw: the telemetry's yaw, or options.pose.yaw_deg when set; when neither
  // exists (yaw_from_telemetry false and no yaw_deg) the base is 0 and this is the camera yaw itself, in [-180, 180).
  double yaw_deg = 0;
  bool base_yaw_from_telemetry = false;
  double given_yaw_deg = kNoValue;               // options.pose.yaw_deg of the fit
  double offset_east_m = 0, offset_north_m = 0;  // added to the telemetry's positions
  struct Residual {
    int line = 0;
    int64_t frame = 0;
    double east_m = 0, north_m = 0;  // fitted ground point minus the control point's
    double metres = 0;
  };
  std::vector<Residual> residuals;  // one per control point, in file order
  double rms_m = 0, median_m = 0, max_m = 0;
  int max_line = 0;  // line of the largest residual
};

// Fits the yaw correction and position offset to `points` (at least 2, not all at one place) with the camera, pose
// and frame matching of `options` (GeorefTracks' rules), flat ground at options.ground_elevation_m: each point's
// pixel is projected to the ground with the base pose, and a 2-D rotation about each frame's camera nadir plus one
// translation is solved in closed form (least squares on the ground). Errors name the control point's line.
absl::StatusOr<PoseFit> FitYawAndOffset(const Telemetry& telemetry, const std::vector<ControlPoint>& points,
                                        const GeorefOptions& options);

// Applies a fit to pose options: the yaw correction (with base yaw 0 when the telemetry has none) and the offset.
void ApplyPoseFit(const PoseFit& fit, DronePoseOptions* pose);

// The fit as a report line: "yaw 91.23 deg (fitted; the telemetry has none), offset east 1.20 m north -0.40 m;
// residuals of 4 control points: rms 0.31 m, median 0.28 m, max 0.52 m (line 3)"; with a yaw in the telemetry,
// "yaw correction +2.10 deg (added to the telemetry's yaw), ...".
std::string DescribePoseFit(const PoseFit& fit);
// `line,frame,east_residual_m,north_residual_m,residual_m` with a header.
std::string PoseFitResidualsCsv(const PoseFit& fit);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_CONTROL_POINTS_H_
