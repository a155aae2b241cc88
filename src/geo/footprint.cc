#include "geo/footprint.h"

#include <algorithm>
#include <cmath>

namespace didban::geo {
namespace {

// Ground point of a ray from `o` along `d`, cut at max_range horizontally; nullopt for a horizontal-less ray.
std::optional<Point2> RayToGround(const cv::Vec3d& o, const cv::Vec3d& d, double ground_z, double max_range) {
  double horizontal = std::hypot(d[0], d[1]);
  if (d[2] < -1e-12) {
    double s = (ground_z - o[2]) / d[2];
    double dist = s * horizontal;
    if (dist <= max_range) return Point2{o[0] + s * d[0], o[1] + s * d[1]};
  }
  if (horizontal < 1e-12) return std::nullopt;
  return Point2{o[0] + d[0] / horizontal * max_range, o[1] + d[1] / horizontal * max_range};
}

}  // namespace

std::vector<Point2> GroundFootprint(const PinholeCamera& camera, double ground_z, const FootprintOptions& options) {
  std::vector<Point2> out;
  const cv::Vec3d o = camera.Center();
  if (camera.width <= 0 || camera.height <= 0 || o[2] <= ground_z) return out;
  const int n = std::max(1, options.points_per_edge);
  const double w = camera.width, h = camera.height;
  // Image border clockwise in pixels (x right, y down) = counter-clockwise on the ground seen from above.
  const Point2 corners[4] = {{0, 0}, {w, 0}, {w, h}, {0, h}};
  for (int e = 0; e < 4; ++e) {
    const Point2& a = corners[e];
    const Point2& b = corners[(e + 1) % 4];
    for (int k = 0; k < n; ++k) {
      double t = static_cast<double>(k) / n;
      Point2 px{a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t};
      auto g = RayToGround(o, camera.RayDirection(px), ground_z, options.max_range_m);
      if (g) out.push_back(*g);
    }
  }
  if (PolygonArea(out) < 0) std::reverse(out.begin(), out.end());
  return out;
}

double PolygonArea(const std::vector<Point2>& polygon) {
  double a = 0;
  for (size_t i = 0, n = polygon.size(); i < n; ++i) {
    const Point2& p = polygon[i];
    const Point2& q = polygon[(i + 1) % n];
    a += p.x * q.y - q.x * p.y;
  }
  return 0.5 * a;
}

std::vector<LatLon> ToLatLon(const LocalFrame& frame, const std::vector<Point2>& polygon) {
  std::vector<LatLon> out;
  out.reserve(polygon.size());
  for (const Point2& p : polygon) out.push_back(frame.ToLatLon(p.x, p.y));
  return out;
}

}  // namespace didban::geo
