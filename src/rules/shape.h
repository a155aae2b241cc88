// Geometry and parameter helpers shared by the rules: lines and polygons configured in pixels (`points`) or in
// ground metres (`ground`), class filters, and the plane geometry the rules need. Values; thread-safe.
#ifndef DIDBAN_RULES_SHAPE_H_
#define DIDBAN_RULES_SHAPE_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/geometry.h"
#include "didban/object_class.h"
#include "didban/status.h"
#include "geo/camera_calibration.h"
#include "rules/rule.h"

namespace didban::rules {

// A polyline or polygon in pixels or ground metres; after Resolve() both forms are filled when possible.
struct Shape {
  std::vector<Point2> points;  // as configured
  bool ground = false;         // true: `points` are ground metres (key `ground`), else analysis pixels (`points`)
  std::vector<Point2> pixels;  // for drawing; empty when ground-defined and uncalibrated
  std::vector<Point2> metres;  // ground form; empty when pixel-defined and uncalibrated

  // Reads `points` ([[x, y], ...] pixels) or `ground` ([[east, north], ...] metres) from `params`; exactly one must
  // be present with at least `min_points` points.
  static absl::StatusOr<Shape> Read(const nlohmann::json& params, size_t min_points);
  // Parses one list of points (used for lists of shapes); `field` names it in errors.
  static absl::StatusOr<std::vector<Point2>> ReadPoints(const nlohmann::json& value, const std::string& field);
  // Converts the configured points to the other form through the calibration (when calibrated). Errors when a
  // ground-defined shape must be drawn on an uncalibrated camera or a pixel lies above the horizon.
  absl::Status Resolve(const geo::CameraCalibration& calibration);
  // The track's position in this shape's own space (its pixel, or its ground position).
  std::optional<Point2> PositionOf(const TrackView& tv) const;
};

// Which object classes a rule considers: the listed ones, or road vehicles (IsVehicle) by default.
struct ClassFilter {
  std::vector<ObjectClass> classes;  // empty = the default
  bool all = false;                  // true: every class (near-miss default: all road users)

  bool Accepts(ObjectClass c) const;
  // Reads `classes` (a list of class names; "all" accepted) from params.
  static absl::StatusOr<ClassFilter> Read(const nlohmann::json& params, bool default_all);
};

double Cross(const Point2& o, const Point2& a, const Point2& b);  // (a - o) x (b - o)
bool SegmentsIntersect(const Point2& a, const Point2& b, const Point2& c, const Point2& d);
bool PointInPolygon(const std::vector<Point2>& polygon, const Point2& p);
double Distance(const Point2& a, const Point2& b);
double Norm(const Point2& v);
// Signed distance of p from the polyline's nearest segment: positive on the right-hand side when walking from the
// first to the last point as drawn on screen (pixels, y down) or on a map (ground, y north).
double SignedDistance(const std::vector<Point2>& polyline, const Point2& p, bool y_down);
Point2 Centroid(const std::vector<Point2>& points);

// Reads a number param that must be > 0 (or >= 0 when `allow_zero`).
absl::Status ReadPositive(const nlohmann::json& params, const std::string& key, double* out, bool allow_zero = false);

}  // namespace didban::rules

#endif  // DIDBAN_RULES_SHAPE_H_
