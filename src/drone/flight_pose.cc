#include "drone/flight_pose.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace didban::drone {
namespace {

constexpr double kDegToRad = M_PI / 180.0;

}  // namespace

absl::Status CameraIntrinsics::Validate() const {
  if (width <= 0 || height <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("camera: image size must be positive (", width, "x", height, ")"));
  }
  if (!(hfov_deg > 1 && hfov_deg < 170)) {
    return absl::InvalidArgumentError(absl::StrCat("camera: hfov must be in (1, 170) degrees (got ", hfov_deg, ")"));
  }
  return absl::OkStatus();
}

cv::Matx33d CameraIntrinsics::K() const {
  double f = 0.5 * width / std::tan(0.5 * hfov_deg * kDegToRad);
  return {f, 0, 0.5 * width, 0, f, 0.5 * height, 0, 0, 1};
}

absl::StatusOr<CameraIntrinsics> ParseCameraSpec(const std::string& spec, CameraIntrinsics base) {
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("--camera: expected key=value, got '", item, "'"));
    }
    std::string key = item.substr(0, eq);
    std::string value = item.substr(eq + 1);
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (value.empty() || end == nullptr || *end != '\0' || !std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat("--camera: ", key, ": not a number: '", value, "'"));
    }
    if (key == "hfov") {
      base.hfov_deg = v;
    } else if (key == "width") {
      base.width = static_cast<int>(v);
    } else if (key == "height") {
      base.height = static_cast<int>(v);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("--camera: unknown key '", key, "' (known: hfov, width, height)"));
    }
  }
  DIDBAN_RETURN_IF_ERROR(base.Validate());
  return base;
}

geo::PinholeCamera CameraFromPose(const FlightPose& pose, const CameraIntrinsics& intrinsics,
                                  const geo::LocalFrame& frame) {
  const double yaw = pose.yaw_deg * kDegToRad;
  const double pitch = pose.pitch_deg * kDegToRad;
  const double roll = pose.roll_deg * kDegToRad;
  // World ENU axes of the camera (x right, y down, z forward) before roll.
  const cv::Vec3d heading(std::sin(yaw), std::cos(yaw), 0);
  const cv::Vec3d right0(std::cos(yaw), -std::sin(yaw), 0);
  const cv::Vec3d up(0, 0, 1);
  const cv::Vec3d forward = std::cos(pitch) * heading + std::sin(pitch) * up;
  const cv::Vec3d down0 = forward.cross(right0);
  // Roll turns the image plane about the optical axis.
  const cv::Vec3d right = std::cos(roll) * right0 + std::sin(roll) * down0;
  const cv::Vec3d down = forward.cross(right);
  geo::PinholeCamera cam;
  cam.k = intrinsics.K();
  cam.r = cv::Matx33d(right[0], right[1], right[2], down[0], down[1], down[2], forward[0], forward[1], forward[2]);
  const Point2 local = frame.ToLocal(pose.lat, pose.lon);
  const cv::Vec3d centre(local.x, local.y, pose.rel_alt_m);
  cam.t = -(cam.r * centre);
  cam.width = intrinsics.width;
  cam.height = intrinsics.height;
  return cam;
}

cv::Matx33d GroundToImageHomography(const geo::PinholeCamera& camera) {
  const cv::Matx33d& r = camera.r;
  cv::Matx33d m(r(0, 0), r(0, 1), camera.t[0], r(1, 0), r(1, 1), camera.t[1], r(2, 0), r(2, 1), camera.t[2]);
  return camera.k * m;
}

double WrapDegrees(double deg) {
  double d = std::fmod(deg + 180.0, 360.0);
  if (d < 0) d += 360.0;
  return d - 180.0;
}

FlightPose InterpolatePose(const std::vector<FlightPose>& poses, TimeUs time_us) {
  if (time_us <= poses.front().time_us) return poses.front();
  if (time_us >= poses.back().time_us) return poses.back();
  auto it = std::upper_bound(poses.begin(), poses.end(), time_us,
                             [](TimeUs t, const FlightPose& p) { return t < p.time_us; });
  const FlightPose& b = *it;
  const FlightPose& a = *(it - 1);
  const double span = static_cast<double>(b.time_us - a.time_us);
  const double s = span <= 0 ? 0.0 : static_cast<double>(time_us - a.time_us) / span;
  auto lerp = [s](double x, double y) { return x + s * (y - x); };
  FlightPose out;
  out.time_us = time_us;
  out.lat = lerp(a.lat, b.lat);
  out.lon = lerp(a.lon, b.lon);
  out.rel_alt_m = lerp(a.rel_alt_m, b.rel_alt_m);
  out.abs_alt_m = lerp(a.abs_alt_m, b.abs_alt_m);
  out.yaw_deg = WrapDegrees(a.yaw_deg + s * WrapDegrees(b.yaw_deg - a.yaw_deg));
  out.pitch_deg = lerp(a.pitch_deg, b.pitch_deg);
  out.roll_deg = lerp(a.roll_deg, b.roll_deg);
  return out;
}

}  // namespace didban::drone
