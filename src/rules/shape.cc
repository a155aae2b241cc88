#include "rules/shape.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/params.h"

namespace didban::rules {

absl::StatusOr<std::vector<Point2>> Shape::ReadPoints(const nlohmann::json& value, const std::string& field) {
  if (!value.is_array()) return absl::InvalidArgumentError(absl::StrCat(field, ": expected a list of [x, y] points"));
  std::vector<Point2> pts;
  for (size_t i = 0; i < value.size(); ++i) {
    const nlohmann::json& p = value[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
      return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: expected [x, y] numbers, got ", p.dump()));
    }
    pts.push_back({p[0].get<double>(), p[1].get<double>()});
  }
  return pts;
}

absl::StatusOr<Shape> Shape::Read(const nlohmann::json& params, size_t min_points) {
  bool has_px = params.is_object() && params.contains("points");
  bool has_ground = params.is_object() && params.contains("ground");
  if (has_px == has_ground) {
    return absl::InvalidArgumentError("needs exactly one of points (pixels) or ground (metres)");
  }
  Shape s;
  s.ground = has_ground;
  const char* key = has_ground ? "ground" : "points";
  DIDBAN_ASSIGN_OR_RETURN(s.points, ReadPoints(params[key], key));
  if (s.points.size() < min_points) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": needs at least ", min_points, " points, got ", s.points.size()));
  }
  return s;
}

absl::Status Shape::Resolve(const geo::CameraCalibration& calibration) {
  pixels.clear();
  metres.clear();
  if (ground) {
    metres = points;
    if (!calibration.Calibrated()) return absl::FailedPreconditionError("ground points need a calibrated camera");
    for (const Point2& g : points) {
      std::optional<Point2> px = calibration.GroundToPixel(g);
      if (!px) return absl::InvalidArgumentError(absl::StrCat("ground point (", g.x, ", ", g.y, ") is not visible"));
      pixels.push_back(*px);
    }
    return absl::OkStatus();
  }
  pixels = points;
  if (!calibration.Calibrated()) return absl::OkStatus();
  for (const Point2& p : points) {
    std::optional<Point2> g = calibration.PixelToGround(p);
    if (!g) {
      metres.clear();  // a point above the horizon: no ground form
      return absl::OkStatus();
    }
    metres.push_back(*g);
  }
  return absl::OkStatus();
}

std::optional<Point2> Shape::PositionOf(const TrackView& tv) const {
  if (ground) return tv.ground;
  return tv.pixel;
}

bool ClassFilter::Accepts(ObjectClass c) const {
  if (all) return true;
  if (classes.empty()) return IsVehicle(c);
  return std::find(classes.begin(), classes.end(), c) != classes.end();
}

absl::StatusOr<ClassFilter> ClassFilter::Read(const nlohmann::json& params, bool default_all) {
  ClassFilter f;
  f.all = default_all;
  if (!params.is_object() || !params.contains("classes")) return f;
  const nlohmann::json& v = params["classes"];
  if (!v.is_array()) return absl::InvalidArgumentError("classes: expected a list of class names");
  f.all = false;
  for (const auto& n : v) {
    if (!n.is_string()) return absl::InvalidArgumentError(absl::StrCat("classes: expected names, got ", n.dump()));
    std::string name = n.get<std::string>();
    if (name == "all") {
      f.all = true;
      continue;
    }
    ObjectClass c = ObjectClassFromName(name);
    if (c == ObjectClass::kOther && name != "other") {
      return absl::InvalidArgumentError(absl::StrCat("classes: unknown class '", name, "'"));
    }
    f.classes.push_back(c);
  }
  return f;
}

double Cross(const Point2& o, const Point2& a, const Point2& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

bool SegmentsIntersect(const Point2& a, const Point2& b, const Point2& c, const Point2& d) {
  double d1 = Cross(c, d, a), d2 = Cross(c, d, b), d3 = Cross(a, b, c), d4 = Cross(a, b, d);
  return ((d1 > 0) != (d2 > 0) || d1 == 0 || d2 == 0) && ((d3 > 0) != (d4 > 0) || d3 == 0 || d4 == 0) &&
         !(d1 == 0 && d2 == 0);
}

bool PointInPolygon(const std::vector<Point2>& poly, const Point2& p) {
  bool inside = false;
  for (size_t i = 0, j = poly.size() - 1; i < poly.size(); j = i++) {
    const Point2& a = poly[i];
    const Point2& b = poly[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

double Distance(const Point2& a, const Point2& b) { return std::hypot(a.x - b.x, a.y - b.y); }
double Norm(const Point2& v) { return std::hypot(v.x, v.y); }

double SignedDistance(const std::vector<Point2>& line, const Point2& p, bool y_down) {
  double best = std::numeric_limits<double>::infinity();
  double signed_best = 0;
  for (size_t i = 0; i + 1 < line.size(); ++i) {
    const Point2& a = line[i];
    const Point2& b = line[i + 1];
    double len = Distance(a, b);
    if (len <= 0) continue;
    double t = std::clamp(((p.x - a.x) * (b.x - a.x) + (p.y - a.y) * (b.y - a.y)) / (len * len), 0.0, 1.0);
    Point2 q{a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
    double d = Distance(p, q);
    if (d < best) {
      best = d;
      double cross = Cross(a, b, p);
      // Right-hand side: cross > 0 with y down (screen), cross < 0 with y up (map).
      bool right = y_down ? cross > 0 : cross < 0;
      signed_best = right ? d : -d;
    }
  }
  return signed_best;
}

Point2 Centroid(const std::vector<Point2>& points) {
  Point2 c;
  for (const Point2& p : points) {
    c.x += p.x;
    c.y += p.y;
  }
  if (!points.empty()) {
    c.x /= static_cast<double>(points.size());
    c.y /= static_cast<double>(points.size());
  }
  return c;
}

absl::Status ReadPositive(const nlohmann::json& params, const std::string& key, double* out, bool allow_zero) {
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, key, out));
  if (!std::isfinite(*out) || *out < 0 || (!allow_zero && *out == 0)) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": must be ", allow_zero ? ">= 0" : "> 0", ", got ", *out));
  }
  return absl::OkStatus();
}

}  // namespace didban::rules
