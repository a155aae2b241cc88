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

// Intrinsics of a drone camera, modelled as a sensor frame, a lens and the video's crop of the frame.
//
// The sensor frame is the camera's full still-photo frame (sensor_w_mm x sensor_h_mm, or only its aspect). The lens
// is given for that frame: a true focal length (with the sensor width), a 35 mm-equivalent focal length (which by
// definition scales the frame's DIAGONAL to 43.27 mm) or the frame's diagonal field of view, as spec sheets print
// them. The video is a centred crop of the frame: the largest rectangle of the video's aspect (a 16:9 video of a
// 4:3 or 3:2 sensor uses its full width and crops top and bottom), divided again by `crop` for cameras whose video
// modes crop further. A measured hfov of the video itself (hfov_deg) bypasses the model.
//
// With no sensor frame (no profile, sensor or aspect), the video is taken to be the whole frame: right for cameras
// whose video is their full frame, but 8.9 % (4:3 sensor) or 4.8 % (3:2) too wide on the ground for a 16:9 DJI
// video; `didban drone georef` refuses that case (camera_profiles.h).
// One lens description is needed: hfov_deg, focal_mm with sensor_w_mm, focal35_mm or dfov_deg; with none, the
// telemetry sample's focal length is used (35 mm-equivalent, or true with the sensor), else the profile's lens.
struct CameraSpec {
  int width = 0;                         // image width, pixels (required)
  int height = 0;                        // image height, pixels (required)
  double hfov_deg = kNoValue;            // horizontal field of view of the video itself, degrees (0, 180)
  double sensor_w_mm = kNoValue;         // sensor frame width, mm
  double sensor_h_mm = kNoValue;         // sensor frame height, mm
  double focal_mm = kNoValue;            // true focal length, mm (needs the sensor width)
  double focal35_mm = kNoValue;          // 35 mm-equivalent focal length of the sensor frame (diagonal 43.27 mm), mm
  double sensor_aspect = kNoValue;       // width / height of the sensor frame when its size is not given (aspect=4:3)
  double dfov_deg = kNoValue;            // diagonal field of view of the sensor frame, degrees (0, 180)
  double crop = 1;                       // further crop of the video beyond the largest centred fit (>= 1)
  std::string profile;                   // camera profile name (camera_profiles.h), "" when none
  double profile_focal35_mm = kNoValue;  // the profile's documented lens: used when the telemetry has no focal length

  absl::Status Validate() const;
  // Width / height of the sensor frame (sensor size, else sensor_aspect), NaN when unknown.
  double FrameAspect() const;
  // True when the spec itself describes the lens (hfov, focal, focal35 or dfov), not the telemetry or the profile.
  bool HasLens() const;
  // Focal length in pixels for this spec, or from `sample`'s focal length when the spec has no lens, else the
  // profile's lens; the sample's digital zoom multiplies a telemetry or profile lens. Errors say what is missing.
  absl::StatusOr<double> FocalPx(const TelemetrySample* sample = nullptr) const;
  // One line saying where the lens and frame come from and the resulting fields of view, e.g. "profile mavic3: 4:3
  // sensor frame 17.3x13 mm, lens 24 mm equivalent (telemetry focal length), 3840x2160 video = 100 % of the frame's
  // width: hfov 71.64 deg, vfov 43.88 deg".
  absl::StatusOr<std::string> Describe(const TelemetrySample* sample = nullptr) const;
};

// Diagonal 43.2666 mm of a 36 x 24 mm frame, the reference of 35 mm-equivalent focal lengths.
inline constexpr double kFullFrameDiagonalMm = 43.2666;

// Parses `key=value,...` with keys width, height, hfov (degrees, of the video), sensor (WxH mm, e.g. 13.2x8.8),
// aspect (of the sensor frame: W:H or a ratio, e.g. 4:3), focal (mm), focal35 (mm), dfov (degrees, of the sensor
// frame), crop (>= 1) and profile (a camera profile name, camera_profiles.h: fills the sensor and its lens; other
// keys override). Example: "hfov=82.1,width=3840,height=2160", "profile=mavic3,width=3840,height=2160". Errors name
// the key.
absl::StatusOr<CameraSpec> ParseCameraSpec(const std::string& spec);

// How a telemetry sample becomes a camera pose.
struct DronePoseOptions {
  enum class Altitude { kAuto = 0, kAboveTakeoff, kAbsolute };
  // kAuto: the height above take-off when the sample has it, else the absolute altitude.
  Altitude altitude = Altitude::kAuto;
  double takeoff_elevation_m = 0;  // elevation of the take-off point in the local frame (z up), metres
  double gimbal_pitch_deg = -90;   // camera pitch when the telemetry has none (-90 = nadir), degrees
  double yaw_deg = kNoValue;       // camera yaw overriding the telemetry (from north clockwise), degrees; NaN = use it
  double yaw_offset_deg = 0;       // added to the telemetry's yaw (or to yaw_deg), degrees
  // Constant correction of the telemetry's position (e.g. fitted from control points), metres east and north.
  double offset_east_m = 0, offset_north_m = 0;

  absl::Status Validate() const;
};

// Rotation world (ENU) -> camera (x right, y down, z forward) for a camera looking along yaw (from north
// clockwise), pitch (up positive, -90 = straight down) and roll (right side down positive), degrees.
cv::Matx33d CameraRotationFromYawPitchRoll(double yaw_deg, double pitch_deg, double roll_deg);

// The camera of one telemetry sample in `frame` (whose anchor fixes the ENU origin; z = elevation in metres).
// Camera yaw (the compass heading of the image top, clockwise from north: docs/aerial.md "Conventions"):
// options.yaw_deg, else the gimbal yaw, else the aircraft yaw, plus yaw_offset; pitch: the gimbal pitch, else
// options.gimbal_pitch_deg; roll: the gimbal roll, else 0; position plus the offset. Errors: no position, no
// altitude, no yaw, no lens.
absl::StatusOr<PinholeCamera> CameraFromTelemetry(const TelemetrySample& sample, const CameraSpec& spec,
                                                  const LocalFrame& frame, const DronePoseOptions& options = {});

}  // namespace didban::geo

#endif  // DIDBAN_GEO_DRONE_CAMERA_H_
