#include "geo/drone_camera.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "geo/camera_profiles.h"

namespace didban::geo {
namespace {

constexpr double kDegToRad = M_PI / 180.0;
constexpr double kRadToDeg = 180.0 / M_PI;

// Diagonal / width of a frame of aspect a (width / height).
double DiagonalOverWidth(double a) { return std::sqrt(1.0 + 1.0 / (a * a)); }

// "4:3", "3:2", "16:9" for those aspects, else "1.25:1".
std::string AspectText(double a) {
  for (auto [w, h] : {std::pair{4, 3}, {3, 2}, {16, 9}, {17, 9}, {1, 1}, {5, 4}}) {
    if (std::abs(a - static_cast<double>(w) / h) < 0.005) return absl::StrCat(w, ":", h);
  }
  return absl::StrFormat("%.3g:1", a);
}

// The lens as focal length / frame width, with where it came from; NaN with an empty source when there is none.
struct Lens {
  double focal_over_width = kNoValue;
  std::string source;
};

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
  if (HasValue(sensor_aspect) && !(sensor_aspect > 0.1 && sensor_aspect < 10)) {
    return absl::InvalidArgumentError("camera spec: aspect must be a width:height ratio in (0.1, 10), e.g. 4:3");
  }
  if (HasValue(dfov_deg) && (dfov_deg <= 0 || dfov_deg >= 180)) {
    return absl::InvalidArgumentError(absl::StrCat("camera spec: dfov must be in (0, 180) degrees, got ", dfov_deg));
  }
  if (!(crop >= 1 && crop <= 100)) {
    return absl::InvalidArgumentError(absl::StrCat("camera spec: crop must be in [1, 100], got ", crop));
  }
  return absl::OkStatus();
}

double CameraSpec::FrameAspect() const {
  if (HasValue(sensor_w_mm) && HasValue(sensor_h_mm) && sensor_h_mm > 0) return sensor_w_mm / sensor_h_mm;
  return sensor_aspect;
}

bool CameraSpec::HasLens() const {
  return HasValue(hfov_deg) || HasValue(focal_mm) || HasValue(focal35_mm) || HasValue(dfov_deg);
}

namespace {

// The lens of `spec` (or the sample's, or the profile's) for a frame of aspect `a`.
Lens LensOf(const CameraSpec& spec, const TelemetrySample* sample, double a) {
  Lens lens;
  const double dw = DiagonalOverWidth(a);
  if (HasValue(spec.focal_mm)) {
    return {spec.focal_mm / spec.sensor_w_mm, absl::StrFormat("lens %g mm (true focal length)", spec.focal_mm)};
  }
  if (HasValue(spec.focal35_mm)) {
    return {spec.focal35_mm * dw / kFullFrameDiagonalMm, absl::StrFormat("lens %g mm equivalent", spec.focal35_mm)};
  }
  if (HasValue(spec.dfov_deg)) {
    return {dw / (2 * std::tan(0.5 * spec.dfov_deg * kDegToRad)),
            absl::StrFormat("lens %g deg diagonal field of view", spec.dfov_deg)};
  }
  double zoom = 1.0;
  if (sample != nullptr && HasValue(sample->digital_zoom) && sample->digital_zoom > 0) zoom = sample->digital_zoom;
  const std::string zoom_text = zoom != 1.0 ? absl::StrFormat(", digital zoom %gx", zoom) : "";
  if (sample != nullptr) {
    if (HasValue(sample->focal_mm) && sample->focal_mm > 0 && HasValue(spec.sensor_w_mm)) {
      return {zoom * sample->focal_mm / spec.sensor_w_mm,
              absl::StrFormat("lens %g mm (telemetry true focal length%s)", sample->focal_mm, zoom_text)};
    }
    if (HasValue(sample->focal_35mm_mm) && sample->focal_35mm_mm > 0) {
      return {zoom * sample->focal_35mm_mm * dw / kFullFrameDiagonalMm,
              absl::StrFormat("lens %g mm equivalent (telemetry focal length%s)", sample->focal_35mm_mm, zoom_text)};
    }
  }
  if (HasValue(spec.profile_focal35_mm)) {
    return {zoom * spec.profile_focal35_mm * dw / kFullFrameDiagonalMm,
            absl::StrFormat("lens %g mm equivalent (profile%s)", spec.profile_focal35_mm, zoom_text)};
  }
  return lens;
}

}  // namespace

absl::StatusOr<double> CameraSpec::FocalPx(const TelemetrySample* sample) const {
  DIDBAN_RETURN_IF_ERROR(Validate());
  if (HasValue(hfov_deg)) return 0.5 * width / std::tan(0.5 * hfov_deg * kDegToRad);
  const double video_aspect = static_cast<double>(width) / height;
  const double a = HasValue(FrameAspect()) ? FrameAspect() : video_aspect;
  Lens lens = LensOf(*this, sample, a);
  if (!HasValue(lens.focal_over_width)) {
    return absl::InvalidArgumentError(
        "camera spec: no lens (give hfov=DEG, focal=MM with sensor=WxH, focal35=MM or a camera profile) and the "
        "telemetry has no focal length");
  }
  // Fraction of the frame's width the video shows: all of it when the video is wider than the frame (its top and
  // bottom are cropped), else the part that the frame's full height allows; then the further crop.
  const double visible = std::min(1.0, video_aspect / a) / crop;
  return width * lens.focal_over_width / visible;
}

absl::StatusOr<std::string> CameraSpec::Describe(const TelemetrySample* sample) const {
  DIDBAN_ASSIGN_OR_RETURN(double f, FocalPx(sample));
  const double hfov = 2 * std::atan(0.5 * width / f) * kRadToDeg;
  const double vfov = 2 * std::atan(0.5 * height / f) * kRadToDeg;
  const std::string fov = absl::StrFormat("hfov %.2f deg, vfov %.2f deg", hfov, vfov);
  const std::string who = profile.empty() ? "" : absl::StrCat("profile ", profile, ": ");
  if (HasValue(hfov_deg)) return absl::StrCat(who, width, "x", height, " video of the given ", fov);
  const double video_aspect = static_cast<double>(width) / height;
  std::string frame;
  double a = FrameAspect();
  if (HasValue(a)) {
    frame = absl::StrCat(AspectText(a), " sensor frame");
    if (HasValue(sensor_w_mm)) absl::StrAppend(&frame, absl::StrFormat(" %gx%g mm", sensor_w_mm, sensor_h_mm));
  } else {
    a = video_aspect;
    frame = "no sensor frame (the video taken as the whole frame)";
  }
  const double visible = std::min(1.0, video_aspect / a) / crop;
  return absl::StrCat(who, frame, ", ", LensOf(*this, sample, a).source, ", ", width, "x", height,
                      absl::StrFormat(" video = %.4g %% of the frame's width: ", 100 * visible), fov);
}

absl::StatusOr<CameraSpec> ParseCameraSpec(const std::string& spec) {
  CameraSpec out;
  // A profile fills its fields first, so that the other keys override them wherever they stand.
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::string item(absl::StripAsciiWhitespace(part));
    if (absl::AsciiStrToLower(item.substr(0, item.find('='))) != "profile" || item.find('=') == std::string::npos) {
      continue;
    }
    DIDBAN_RETURN_IF_ERROR(ApplyCameraProfile(item.substr(item.find('=') + 1), &out));
  }
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
    } else if (key == "dfov") {
      DIDBAN_ASSIGN_OR_RETURN(out.dfov_deg, SpecNumber(key, value));
    } else if (key == "crop") {
      DIDBAN_ASSIGN_OR_RETURN(out.crop, SpecNumber(key, value));
    } else if (key == "profile") {
      continue;  // applied above
    } else if (key == "aspect") {
      size_t colon = value.find(':');
      if (colon == std::string::npos) {
        DIDBAN_ASSIGN_OR_RETURN(out.sensor_aspect, SpecNumber(key, value));
      } else {
        DIDBAN_ASSIGN_OR_RETURN(double w, SpecNumber(key, value.substr(0, colon)));
        DIDBAN_ASSIGN_OR_RETURN(double h, SpecNumber(key, value.substr(colon + 1)));
        if (!(w > 0 && h > 0)) {
          return absl::InvalidArgumentError(
              absl::StrCat("camera spec: aspect: expected W:H with positive numbers (e.g. 4:3), got '", value, "'"));
        }
        out.sensor_aspect = w / h;
      }
      // An aspect given for the frame replaces a profile's sensor size.
      out.sensor_w_mm = out.sensor_h_mm = kNoValue;
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
          absl::StrCat("camera spec: unknown key '", key,
                       "' (expected width, height, hfov, sensor, aspect, focal, focal35, dfov, crop, profile)"));
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
  if (!std::isfinite(offset_east_m) || !std::isfinite(offset_north_m)) {
    return absl::InvalidArgumentError("position offset must be finite");
  }
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
  }
  yaw += options.yaw_offset_deg;
  double pitch = HasValue(sample.gimbal_pitch_deg) ? sample.gimbal_pitch_deg : options.gimbal_pitch_deg;
  double roll = HasValue(sample.gimbal_roll_deg) ? sample.gimbal_roll_deg : 0.0;
  DIDBAN_ASSIGN_OR_RETURN(double f, spec.FocalPx(&sample));
  PinholeCamera cam;
  cam.k = cv::Matx33d(f, 0, 0.5 * spec.width, 0, f, 0.5 * spec.height, 0, 0, 1);
  cam.width = spec.width;
  cam.height = spec.height;
  cam.r = CameraRotationFromYawPitchRoll(yaw, pitch, roll);
  Point2 en = frame.ToLocal(sample.lat, sample.lon);
  cv::Vec3d centre(en.x + options.offset_east_m, en.y + options.offset_north_m, z);
  cam.t = -(cam.r * centre);
  return cam;
}

}  // namespace didban::geo
