#include "geo/control_points.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/mot_format.h"

namespace didban::geo {
namespace {

constexpr double kRadToDeg = 180.0 / M_PI;

double WrapDegrees(double d) {
  d = std::fmod(d + 180.0, 360.0);
  if (d < 0) d += 360.0;
  return d - 180.0;
}

absl::StatusOr<double> Number(const std::string& where, const std::string& field, absl::string_view cell) {
  std::string value(absl::StripAsciiWhitespace(cell));
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", field, ": not a number: '", SafeForMessage(value), "'"));
  }
  return v;
}

absl::Status Range(const std::string& where, const std::string& field, double v, double lo, double hi) {
  if (v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", field, ": ", v, " is outside [", lo, ", ", hi, "]"));
  }
  return absl::OkStatus();
}

// Drops the sign of values that print as zero with 3 decimals.
double Tidy(double v) { return std::abs(v) < 0.0005 ? 0.0 : v; }

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace

absl::StatusOr<std::vector<ControlPoint>> ParseControlPoints(std::string_view text, const std::string& source) {
  static const char* const kColumns[] = {"frame", "x", "y", "lat", "lon"};
  std::vector<ControlPoint> out;
  std::map<std::string, int> column;
  size_t fields = 0;
  int line_no = 0;
  bool header = false;
  const absl::string_view all(text.data(), text.size());
  for (absl::string_view raw : absl::StrSplit(all, '\n')) {
    ++line_no;
    absl::string_view line = absl::StripAsciiWhitespace(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = absl::StrCat(source, ":", line_no);
    std::vector<absl::string_view> cells = absl::StrSplit(line, ',');
    if (!header) {
      for (size_t i = 0; i < cells.size(); ++i) {
        column[absl::AsciiStrToLower(absl::StripAsciiWhitespace(cells[i]))] = static_cast<int>(i);
      }
      for (const char* c : kColumns) {
        if (!column.count(c)) {
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": missing column '", c, "' (the header needs frame, x, y, lat, lon)"));
        }
      }
      fields = cells.size();
      header = true;
      continue;
    }
    if (cells.size() != fields) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": expected ", fields, " fields, got ", cells.size()));
    }
    if (static_cast<int>(out.size()) >= kMaxControlPoints) {
      return absl::OutOfRangeError(absl::StrCat(where, ": more than ", kMaxControlPoints, " control points"));
    }
    ControlPoint p;
    p.line = line_no;
    DIDBAN_ASSIGN_OR_RETURN(double frame, Number(where, "frame", cells[column["frame"]]));
    if (frame != std::floor(frame) || frame < 1 || frame > 2147483647.0) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": frame: expected a video frame number >= 1, got '",
                       SafeForMessage(std::string(absl::StripAsciiWhitespace(cells[column["frame"]]))), "'"));
    }
    p.frame = static_cast<int64_t>(frame);
    DIDBAN_ASSIGN_OR_RETURN(p.x, Number(where, "x", cells[column["x"]]));
    DIDBAN_ASSIGN_OR_RETURN(p.y, Number(where, "y", cells[column["y"]]));
    DIDBAN_RETURN_IF_ERROR(Range(where, "x", p.x, -100000, 100000));
    DIDBAN_RETURN_IF_ERROR(Range(where, "y", p.y, -100000, 100000));
    DIDBAN_ASSIGN_OR_RETURN(p.lat, Number(where, "lat", cells[column["lat"]]));
    DIDBAN_RETURN_IF_ERROR(Range(where, "lat", p.lat, -90, 90));
    DIDBAN_ASSIGN_OR_RETURN(p.lon, Number(where, "lon", cells[column["lon"]]));
    DIDBAN_RETURN_IF_ERROR(Range(where, "lon", p.lon, -180, 180));
    out.push_back(p);
  }
  if (!header) return absl::InvalidArgumentError(absl::StrCat(source, ": no header (frame,x,y,lat,lon)"));
  if (out.empty()) return absl::InvalidArgumentError(absl::StrCat(source, ": no control points"));
  return out;
}

absl::StatusOr<std::vector<ControlPoint>> ReadControlPointsFile(const std::string& path) {
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, int64_t{16} << 20));
  return ParseControlPoints(text, path);
}

absl::StatusOr<PoseFit> FitYawAndOffset(const Telemetry& given, const std::vector<ControlPoint>& points,
                                        const GeorefOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  const std::string source = given.source;
  if (points.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "control points: ", points.size(), " given; at least 2 are needed to fit the yaw and the position offset"));
  }
  // The same telemetry and local frame as GeorefTracks.
  Telemetry telemetry = given;
  if (HasValue(options.height_m)) {
    for (TelemetrySample& s : telemetry.samples) {
      if (!HasValue(s.rel_alt_m) && !HasValue(s.abs_alt_m)) s.rel_alt_m = options.height_m;
    }
  }
  const int first = telemetry.FirstWithPosition();
  if (first < 0) return absl::InvalidArgumentError(absl::StrCat(source, ": the telemetry has no positions"));
  const LocalFrame frame = telemetry.home_lat && telemetry.home_lon
                               ? LocalFrame(*telemetry.home_lat, *telemetry.home_lon)
                               : LocalFrame(telemetry.samples[first].lat, telemetry.samples[first].lon);
  bool any_yaw = false;
  for (const TelemetrySample& s : telemetry.samples) {
    any_yaw = any_yaw || HasValue(s.yaw_deg) || HasValue(s.gimbal_yaw_deg);
  }
  PoseFit fit;
  fit.base_yaw_from_telemetry = any_yaw && !HasValue(options.pose.yaw_deg);
  fit.given_yaw_deg = options.pose.yaw_deg;
  DronePoseOptions base = options.pose;
  if (!any_yaw && !HasValue(base.yaw_deg)) base.yaw_deg = 0;
  base.yaw_offset_deg = 0;
  base.offset_east_m = base.offset_north_m = 0;
  // a: ground point minus camera nadir with the base pose; b: control point minus camera nadir.
  std::vector<Point2> a, b;
  for (const ControlPoint& p : points) {
    const std::string where = absl::StrCat("control point at line ", p.line, " (frame ", p.frame, ")");
    auto pose = PoseAtFrame(telemetry, p.frame, options.fps);
    if (!pose.ok()) return absl::Status(pose.status().code(), absl::StrCat(where, ": ", pose.status().message()));
    auto cam = CameraFromTelemetry(*pose, options.camera, frame, base);
    if (!cam.ok()) return absl::Status(cam.status().code(), absl::StrCat(where, ": ", cam.status().message()));
    auto g = cam->PixelToGround({p.x, p.y}, options.ground_elevation_m);
    if (!g) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": pixel (", p.x, ", ", p.y, ") does not reach the ground (above the horizon)"));
    }
    const cv::Vec3d c = cam->Center();
    const Point2 t = frame.ToLocal(p.lat, p.lon);
    a.push_back({(*g)[0] - c[0], (*g)[1] - c[1]});
    b.push_back({t.x - c[0], t.y - c[1]});
  }
  const double n = static_cast<double>(a.size());
  Point2 ma{0, 0}, mb{0, 0};
  for (size_t i = 0; i < a.size(); ++i) {
    ma.x += a[i].x / n, ma.y += a[i].y / n;
    mb.x += b[i].x / n, mb.y += b[i].y / n;
  }
  double dot = 0, cross = 0, spread = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double ax = a[i].x - ma.x, ay = a[i].y - ma.y, bx = b[i].x - mb.x, by = b[i].y - mb.y;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
    spread += ax * ax + ay * ay;
  }
  if (spread < 1.0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "control points: their image points all fall within a metre of one another on the ground; the yaw needs "
        "points spread across the image (lines ",
        points.front().line, "..", points.back().line, ")"));
  }
  // Counter-clockwise rotation theta (ENU) and translation d with b ~ R(theta) a + d. Turning the camera's heading
  // clockwise by psi turns its ground points clockwise about the nadir, R(-psi): the yaw correction is -theta.
  const double theta = std::atan2(cross, dot);
  const double ct = std::cos(theta), st = std::sin(theta);
  const Point2 d{mb.x - (ct * ma.x - st * ma.y), mb.y - (st * ma.x + ct * ma.y)};
  fit.yaw_deg = WrapDegrees(-theta * kRadToDeg);
  fit.offset_east_m = d.x;
  fit.offset_north_m = d.y;
  std::vector<double> lengths;
  double sum2 = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    PoseFit::Residual r;
    r.line = points[i].line;
    r.frame = points[i].frame;
    r.east_m = ct * a[i].x - st * a[i].y + d.x - b[i].x;
    r.north_m = st * a[i].x + ct * a[i].y + d.y - b[i].y;
    r.metres = std::hypot(r.east_m, r.north_m);
    lengths.push_back(r.metres);
    sum2 += r.metres * r.metres;
    if (r.metres >= fit.max_m) fit.max_m = r.metres, fit.max_line = r.line;
    fit.residuals.push_back(r);
  }
  fit.rms_m = std::sqrt(sum2 / n);
  fit.median_m = Median(lengths);
  return fit;
}

void ApplyPoseFit(const PoseFit& fit, DronePoseOptions* pose) {
  if (!fit.base_yaw_from_telemetry && !HasValue(pose->yaw_deg)) pose->yaw_deg = 0;
  pose->yaw_offset_deg += fit.yaw_deg;
  pose->offset_east_m += fit.offset_east_m;
  pose->offset_north_m += fit.offset_north_m;
}

std::string DescribePoseFit(const PoseFit& fit) {
  std::string yaw;
  if (fit.base_yaw_from_telemetry) {
    yaw = absl::StrFormat("yaw correction %+.2f deg (added to the telemetry's yaw)", fit.yaw_deg);
  } else if (HasValue(fit.given_yaw_deg)) {
    yaw = absl::StrFormat("yaw %.2f deg (the given %g %+.2f)", WrapDegrees(fit.given_yaw_deg + fit.yaw_deg),
                          fit.given_yaw_deg, fit.yaw_deg);
  } else {
    yaw = absl::StrFormat("yaw %.2f deg (fitted; the telemetry has none)", fit.yaw_deg);
  }
  return absl::StrFormat(
      "%s, offset east %.2f m north %.2f m; residuals of %d control points: rms %.2f m, median %.2f m, max %.2f m "
      "(line %d)",
      yaw, fit.offset_east_m, fit.offset_north_m, static_cast<int>(fit.residuals.size()), fit.rms_m, fit.median_m,
      fit.max_m, fit.max_line);
}

std::string PoseFitResidualsCsv(const PoseFit& fit) {
  std::string out = "line,frame,east_residual_m,north_residual_m,residual_m\n";
  for (const PoseFit::Residual& r : fit.residuals) {
    absl::StrAppend(&out, absl::StrFormat("%d,%d,%.3f,%.3f,%.3f\n", r.line, r.frame, Tidy(r.east_m), Tidy(r.north_m),
                                          Tidy(r.metres)));
  }
  return out;
}

}  // namespace didban::geo
