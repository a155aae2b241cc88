// A drone camera posed from telemetry: intrinsics from a camera spec (field of view, or focal length and sensor,
// or the 35 mm-equivalent focal length the telemetry prints) and the pose from position, altitude and gimbal
// attitude (DJI conventions: yaw from north clockwise, gimbal pitch -90 = nadir), as a geo::PinholeCamera in a
// local ENU frame. Values and pure functions; thread-safe.
#ifndef DIDBAN_GEO_DRONE_CAMERA_H_
#define DIDBAN_GEO_DRONE_CAMERA_H_

#include <string>

#include <opencv2/core.hpp>

#include "didban/status.h"
#include "geo/local_frame.h"
#include "geo/pinhole_camera.h"
#include "geo/telemetry_types.h"

namespace didban::geo {

// Intrinsics of a drone camera. One lens description is needed: hfov_deg, or focal_mm with sensor_w_mm, or
// focal35_mm; with none, the telemetry sample's focal length is used (35 mm-equivalent, or true with the sensor).
struct CameraSpec {
  int width = 0;                  // image width, pixels (required)
  int height = 0;                 // image height, pixels (required)
  double hfov_deg = kNoValue;     // horizontal field of view, degrees (0, 180)
  double sensor_w_mm = kNoValue;  // sensor width, mm
  double sensor_h_mm = kNoValue;  // sensor height, mm
  double focal_mm = kNoValue;     // true focal length, mm (needs the sensor width)
  double focal35_mm = kNoValue;   // 35 mm-equivalent focal length (diagonal 43.27 mm), mm

  absl::Status Validate() const;
  // Focal length in pixels for this spec, or from `sample`'s focal length when the spec has no lens. Errors say
  // what is missing.
  absl::StatusOr<double> FocalPx(const TelemetrySample* sample = nullptr) const;
};

// Parses `key=value,...` with keys width, height, hfov (degrees), sensor (WxH mm, e.g. 13.2x8.8), focal (mm),
// focal35 (mm). Example: "hfov=82.1,width=3840,height=2160". Errors name the key.
absl::StatusOr<CameraSpec> ParseCameraSpec(const std::string& spec);

// How a telemetry sample becomes a camera pose.
struct DronePoseOptions {
  enum class Altitude { kAuto = 0, kAboveTakeoff, kAbsolute };
  // kAuto: the height above take-off when the sample has it, else the absolute altitude.
  Altitude altitude = Altitude::kAuto;
  double takeoff_elevation_m = 0;  // elevation of the take-off point in the local frame (z up), metres
  double gimbal_pitch_deg = -90;   // camera pitch when the telemetry has none (-90 = nadir), degrees
  double yaw_deg = kNoValue;       // camera yaw overriding the telemetry (from north clockwise), degrees; NaN = use it
  double yaw_offset_deg = 0;       // added to the telemetry's yaw, degrees

  absl::Status Validate() const;
};

// Rotation world (ENU) -> camera (x right, y down, z forward) for a camera looking along yaw (from north
// clockwise), pitch (up positive, -90 = straight down) and roll (right side down positive), degrees.
cv::Matx33d CameraRotationFromYawPitchRoll(double yaw_deg, double pitch_deg, double roll_deg);

// The camera of one telemetry sample in `frame` (whose anchor fixes the ENU origin; z = elevation in metres).
// Camera yaw: options.yaw_deg, else the gimbal yaw, else the aircraft yaw (+ yaw_offset); pitch: the gimbal pitch,
// else options.gimbal_pitch_deg; roll: the gimbal roll, else 0. Errors: no position, no altitude, no yaw, no lens.
absl::StatusOr<PinholeCamera> CameraFromTelemetry(const TelemetrySample& sample, const CameraSpec& spec,
                                                  const LocalFrame& frame, const DronePoseOptions& options = {});

}  // namespace didban::geo

#endif  // DIDBAN_GEO_DRONE_CAMERA_H_
