// A drone camera's pose over time (position from GNSS/barometer, gimbal attitude) and the pinhole camera it implies
// over a flat ground plane. Used by the aerial pipeline (georeferencing) and by the synthetic flights (rendering).
// Values only; the functions are pure and thread-safe.
#ifndef DIDBAN_DRONE_FLIGHT_POSE_H_
#define DIDBAN_DRONE_FLIGHT_POSE_H_

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/status.h"
#include "didban/time.h"
#include "geo/local_frame.h"
#include "geo/pinhole_camera.h"

namespace didban::drone {

// One telemetry sample: where the camera is and where it looks.
struct FlightPose {
  TimeUs time_us = 0;      // video time of the sample, microseconds from the first frame
  double lat = 0;          // degrees, WGS84
  double lon = 0;          // degrees, WGS84
  double rel_alt_m = 0;    // metres above the take-off point (the ground plane is assumed at take-off height)
  double abs_alt_m = 0;    // metres above sea level as the drone reports it (informative)
  double yaw_deg = 0;      // camera heading, degrees clockwise from north (top of the image points there)
  double pitch_deg = -90;  // gimbal pitch, degrees: -90 looks straight down (nadir), 0 at the horizon
  double roll_deg = 0;     // gimbal roll, degrees (clockwise seen from behind the camera)
};

// The camera's intrinsics from a horizontal field of view (no lens distortion: drone video is rectified in-camera).
struct CameraIntrinsics {
  int width = 1280;        // pixels
  int height = 720;        // pixels
  double hfov_deg = 73.7;  // horizontal field of view, degrees (DJI Mavic 3: 24 mm equivalent)

  absl::Status Validate() const;
  cv::Matx33d K() const;
};

// Parses "hfov=73.7[,width=1280,height=720]" (any subset, comma-separated key=value) over `base`.
// Errors name the bad key or value.
absl::StatusOr<CameraIntrinsics> ParseCameraSpec(const std::string& spec, CameraIntrinsics base);

// The pinhole camera (world = `frame`'s local ENU metres, ground plane z = 0 at take-off height) for a pose.
geo::PinholeCamera CameraFromPose(const FlightPose& pose, const CameraIntrinsics& intrinsics,
                                  const geo::LocalFrame& frame);

// Homography mapping ground-plane points (east, north metres, z = 0) to pixels for a camera.
cv::Matx33d GroundToImageHomography(const geo::PinholeCamera& camera);

// Linear interpolation of `poses` (sorted by time) at `time_us`, yaw along the shorter arc; clamps outside the
// range. `poses` must not be empty.
FlightPose InterpolatePose(const std::vector<FlightPose>& poses, TimeUs time_us);

// Wraps degrees into [-180, 180).
double WrapDegrees(double deg);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_FLIGHT_POSE_H_
