#include "geo/drone_camera.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace didban::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kFullFrameDiagonalMm = 43.2666;  // diagonal of a 36 x 24 mm frame

absl::StatusOr<double> SpecNumber(const std::string& key, const std::string& value) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    return absl::InvalidArgumentError(absl::StrCat("camera spec: ", key, ": not a number: '", value, "'"));
  }
  return v;
}

}  // namespace

absl::Status CameraSpec::Validate() const {
  if (width <= 0 || height <= 0) {
    return absl::InvalidArgumentError("camera spec: width and height (pixels) are required and must be positive");
  }
  if (HasValue(hfov_deg) && (hfov_deg <= 0 || hfov_deg >= 180)) {
    return absl::InvalidArgumentError(absl::StrCat("camera spec: hfov must be in (0, 180) degrees, got ", hfov_deg));
  }
  if (HasValue(focal_mm) && (focal_mm <= 0 || !HasValue(sensor_w_mm))) {
    return absl::InvalidArgumentError("camera spec: focal needs a positive value and the sensor size (sensor=WxH mm)");
  }
  if (HasValue(sensor_w_mm) && (sensor_w_mm <= 0 || !(sensor_h_mm > 0))) {
    return absl::InvalidArgumentError("camera spec: sensor size must be positive (sensor=WxH mm)");
  }
  if (HasValue(focal35_mm) && focal35_mm <= 0) {
    return absl::InvalidArgumentError("camera spec: focal35 must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<double> CameraSpec::FocalPx(const TelemetrySample* sample) const {
  DIDBAN_RETURN_IF_ERROR(Validate());
  const double diagonal_px = std::hypot(static_cast<double>(width), static_cast<double>(height));
  if (HasValue(hfov_deg)) return 0.5 * width / std::tan(0.5 * hfov_deg * kDegToRad);
  if (HasValue(focal_mm)) return focal_mm * width / sensor_w_mm;
  if (HasValue(focal35_mm)) return focal35_mm * diagonal_px / kFullFrameDiagonalMm;
  if (sample != nullptr) {
    double zoom = HasValue(sample->digital_zoom) && sample->digital_zoom > 0 ? sample->digital_zoom : 1.0;
    if (HasValue(sample->focal_mm) && sample->focal_mm > 0 && HasValue(sensor_w_mm)) {
      return zoom * sample->focal_mm * width / sensor_w_mm;
    }
    if (HasValue(sample->focal_35mm_mm) && sample->focal_35mm_mm > 0) {
      return zoom * sample->focal_35mm_mm * diagonal_px / kFullFrameDiagonalMm;
    }
  }
  return absl::InvalidArgumentError(
      "camera spec: no lens (give hfov=DEG, focal=MM with sensor=WxH, or focal35=MM) and the telemetry has no focal "
      "length");
}

absl::StatusOr<CameraSpec> ParseCameraSpec(const std::string& spec) {
  CameraSpec out;
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::string item(absl::StripAsciiWhitespace(part));
    size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("camera spec: expected key=value, got '", item, "'"));
    }
    std::string key = absl::AsciiStrToLower(item.substr(0, eq));
    std::string value = item.substr(eq + 1);
    if (key == "width" || key == "height") {
      DIDBAN_ASSIGN_OR_RETURN(double v, SpecNumber(key, value));
      if (v != std::floor(v) || v <= 0 || v > 100000) {
        return absl::InvalidArgumentError(
            absl::StrCat("camera spec: ", key, ": expected a positive integer, got '", value, "'"));
      }
      (key == "width" ? out.width : out.height) = static_cast<int>(v);
    } else if (key == "hfov") {
      DIDBAN_ASSIGN_OR_RETURN(out.hfov_deg, SpecNumber(key, value));
    } else if (key == "focal") {
      DIDBAN_ASSIGN_OR_RETURN(out.focal_mm, SpecNumber(key, value));
    } else if (key == "focal35") {
      DIDBAN_ASSIGN_OR_RETURN(out.focal35_mm, SpecNumber(key, value));
    } else if (key == "sensor") {
      size_t x = absl::AsciiStrToLower(value).find('x');
      if (x == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("camera spec: sensor: expected WxH in mm (e.g. 13.2x8.8), got '", value, "'"));
      }
      DIDBAN_ASSIGN_OR_RETURN(out.sensor_w_mm, SpecNumber(key, value.substr(0, x)));
      DIDBAN_ASSIGN_OR_RETURN(out.sensor_h_mm, SpecNumber(key, value.substr(x + 1)));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("camera spec: unknown key '", key, "' (expected width, height, hfov, sensor, focal, focal35)"));
    }
  }
  DIDBAN_RETURN_IF_ERROR(out.Validate());
  return out;
}

absl::Status DronePoseOptions::Validate() const {
  if (!std::isfinite(takeoff_elevation_m)) return absl::InvalidArgumentError("takeoff elevation must be finite");
  if (!(gimbal_pitch_deg >= -180 && gimbal_pitch_deg <= 180)) {
    return absl::InvalidArgumentError("gimbal pitch must be in [-180, 180] degrees");
  }
  if (!std::isfinite(yaw_offset_deg)) return absl::InvalidArgumentError("yaw offset must be finite");
  return absl::OkStatus();
}

cv::Matx33d CameraRotationFromYawPitchRoll(double yaw_deg, double pitch_deg, double roll_deg) {
  const double y = yaw_deg * kDegToRad, p = pitch_deg * kDegToRad, r = roll_deg * kDegToRad;
  cv::Vec3d forward(std::sin(y) * std::cos(p), std::cos(y) * std::cos(p), std::sin(p));
  cv::Vec3d right(std::cos(y), -std::sin(y), 0);
  cv::Vec3d down = forward.cross(right);
  cv::Vec3d right_r = std::cos(r) * right + std::sin(r) * down;
  cv::Vec3d down_r = -std::sin(r) * right + std::cos(r) * down;
  return {right_r[0], right_r[1], right_r[2], down_r[0], down_r[1], down_r[2], forward[0], forward[1], forward[2]};
}

absl::StatusOr<PinholeCamera> CameraFromTelemetry(const TelemetrySample& sample, const CameraSpec& spec,
                                                  const LocalFrame& frame, const DronePoseOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  const std::string where = absl::StrCat("telemetry at ", UsToSeconds(sample.time_us), " s");
  if (!sample.HasPosition()) return absl::InvalidArgumentError(absl::StrCat(where, ": no position"));
  double z = kNoValue;
  using Alt = DronePoseOptions::Altitude;
  if (options.altitude != Alt::kAbsolute && HasValue(sample.rel_alt_m)) {
    z = options.takeoff_elevation_m + sample.rel_alt_m;
  } else if (options.altitude != Alt::kAboveTakeoff && HasValue(sample.abs_alt_m)) {
    z = sample.abs_alt_m;
  }
  if (!HasValue(z)) return absl::InvalidArgumentError(absl::StrCat(where, ": no altitude of the requested kind"));
  double yaw = options.yaw_deg;
  if (!HasValue(yaw)) {
    yaw = HasValue(sample.gimbal_yaw_deg) ? sample.gimbal_yaw_deg : sample.yaw_deg;
    if (!HasValue(yaw)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": no yaw in the telemetry (give the camera yaw)"));
    }
    yaw += options.yaw_offset_deg;
  }
  double pitch = HasValue(sample.gimbal_pitch_deg) ? sample.gimbal_pitch_deg : options.gimbal_pitch_deg;
  double roll = HasValue(sample.gimbal_roll_deg) ? sample.gimbal_roll_deg : 0.0;
  DIDBAN_ASSIGN_OR_RETURN(double f, spec.FocalPx(&sample));
  PinholeCamera cam;
  cam.k = cv::Matx33d(f, 0, 0.5 * spec.width, 0, f, 0.5 * spec.height, 0, 0, 1);
  cam.width = spec.width;
  cam.height = spec.height;
  cam.r = CameraRotationFromYawPitchRoll(yaw, pitch, roll);
  Point2 en = frame.ToLocal(sample.lat, sample.lon);
  cv::Vec3d centre(en.x, en.y, z);
  cam.t = -(cam.r * centre);
  return cam;
}

}  // namespace didban::geo
