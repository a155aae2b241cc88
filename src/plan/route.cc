#include "plan/route.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "core/mot_format.h"
#include "geo/footprint.h"

namespace didban::plan {
namespace {

using json = nlohmann::json;
constexpr double kDegToRad = M_PI / 180.0;

Point2 Rotate(const Point2& p, double c, double s) { return {c * p.x - s * p.y, s * p.x + c * p.y}; }

double Cross(const Point2& o, const Point2& a, const Point2& b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

std::vector<Point2> ConvexHull(std::vector<Point2> pts) {
  std::sort(pts.begin(), pts.end(),
            [](const Point2& a, const Point2& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  if (pts.size() < 3) return pts;
  std::vector<Point2> h(2 * pts.size());
  size_t k = 0;
  for (const Point2& p : pts) {
    while (k >= 2 && Cross(h[k - 2], h[k - 1], p) <= 0) --k;
    h[k++] = p;
  }
  for (size_t i = pts.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && Cross(h[k - 2], h[k - 1], pts[i]) <= 0) --k;
    h[k++] = pts[i];
  }
  h.resize(k - 1);
  return h;
}

// Direction (radians from east) of the hull edge across which the polygon is narrowest; ties go to the longer edge.
double MinimumWidthAngle(const std::vector<Point2>& polygon) {
  std::vector<Point2> hull = ConvexHull(polygon);
  double best_width = std::numeric_limits<double>::infinity(), best_len = 0, best_angle = 0;
  for (size_t i = 0; i < hull.size(); ++i) {
    const Point2& a = hull[i];
    const Point2& b = hull[(i + 1) % hull.size()];
    double len = std::hypot(b.x - a.x, b.y - a.y);
    if (len < 1e-9) continue;
    double width = 0;
    for (const Point2& p : hull) width = std::max(width, std::abs(Cross(a, b, p)) / len);
    if (width < best_width - 1e-6 || (width < best_width + 1e-6 && len > best_len)) {
      best_width = width;
      best_len = len;
      best_angle = std::atan2(b.y - a.y, b.x - a.x);
    }
  }
  return best_angle;
}

// Sutherland-Hodgman clip of a polygon to y >= lo (keep_above) or y <= hi.
std::vector<Point2> ClipY(const std::vector<Point2>& poly, double y, bool keep_above) {
  std::vector<Point2> out;
  auto inside = [&](const Point2& p) { return keep_above ? p.y >= y : p.y <= y; };
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point2& a = poly[i];
    const Point2& b = poly[(i + 1) % poly.size()];
    if (inside(a)) out.push_back(a);
    if (inside(a) != inside(b)) {
      double t = (y - a.y) / (b.y - a.y);
      out.push_back({a.x + t * (b.x - a.x), y});
    }
  }
  return out;
}

// Crossings of the horizontal line y with the polygon's edges (even-odd), sorted.
std::vector<double> RowCrossings(const std::vector<Point2>& poly, double y) {
  std::vector<double> xs;
  for (size_t i = 0; i < poly.size(); ++i) {
    const Point2& a = poly[i];
    const Point2& b = poly[(i + 1) % poly.size()];
    if ((a.y <= y) != (b.y <= y)) xs.push_back(a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x));
  }
  std::sort(xs.begin(), xs.end());
  return xs;
}

double Dot(const Point2& a, const Point2& b) { return a.x * b.x + a.y * b.y; }

// Whether p, known to be on the line through a and b, lies within the segment's bounding box.
bool OnSegment(const Point2& a, const Point2& b, const Point2& p) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

// Whether segments ab and cd cross or touch; *at is a point they share.
bool SegmentsMeet(const Point2& a, const Point2& b, const Point2& c, const Point2& d, Point2* at) {
  const double d1 = Cross(c, d, a), d2 = Cross(c, d, b), d3 = Cross(a, b, c), d4 = Cross(a, b, d);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    const double t = d1 / (d1 - d2);
    *at = {a.x + t * (b.x - a.x), a.y + t * (b.y - a.y)};
    return true;
  }
  if (d1 == 0 && OnSegment(c, d, a)) return *at = a, true;
  if (d2 == 0 && OnSegment(c, d, b)) return *at = b, true;
  if (d3 == 0 && OnSegment(a, b, c)) return *at = c, true;
  if (d4 == 0 && OnSegment(a, b, d)) return *at = d, true;
  return false;
}

// A pair of edges of the closed ring (edge k runs from vertex k to k + 1) that cross or touch, other than
// neighbours meeting at their shared vertex; neighbours count when the second folds back along the first.
// Edges are swept in order of their smallest x, so typical rings take O(n log n). Returns false when none.
bool FindCrossing(const std::vector<Point2>& ring, size_t* first, size_t* second, Point2* at) {
  const size_t n = ring.size();
  if (n < 3) return false;
  std::vector<size_t> order(n);
  for (size_t k = 0; k < n; ++k) order[k] = k;
  auto lo_x = [&](size_t k) { return std::min(ring[k].x, ring[(k + 1) % n].x); };
  auto hi_x = [&](size_t k) { return std::max(ring[k].x, ring[(k + 1) % n].x); };
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return lo_x(a) < lo_x(b) || (lo_x(a) == lo_x(b) && a < b); });
  bool found = false;
  for (size_t u = 0; u < n; ++u) {
    const size_t i = order[u];
    const Point2 &a = ring[i], &b = ring[(i + 1) % n];
    for (size_t v = u + 1; v < n && lo_x(order[v]) <= hi_x(i); ++v) {
      size_t e1 = std::min(i, order[v]), e2 = std::max(i, order[v]);
      if (found && (e1 > *first || (e1 == *first && e2 >= *second))) continue;  // keep the first pair in ring order
      const Point2 &c = ring[order[v]], &d = ring[(order[v] + 1) % n];
      if (std::max(c.y, d.y) < std::min(a.y, b.y) || std::max(a.y, b.y) < std::min(c.y, d.y)) continue;
      Point2 p{};
      const bool next = e2 == e1 + 1, wrap = e1 == 0 && e2 == n - 1;
      if (next || wrap) {
        // Neighbours share a vertex: they meet elsewhere only when the later one turns straight back.
        const size_t from = next ? e1 : e2, to = next ? e2 : e1;  // edge `to` starts where edge `from` ends
        const Point2 &p0 = ring[from], &p1 = ring[to], &p2 = ring[(to + 1) % n];
        const Point2 in{p1.x - p0.x, p1.y - p0.y}, out{p2.x - p1.x, p2.y - p1.y};
        if (Cross(p0, p1, p2) != 0 || Dot(in, out) >= 0) continue;
        p = std::hypot(out.x, out.y) < std::hypot(in.x, in.y) ? p2 : p0;
      } else if (!SegmentsMeet(a, b, c, d, &p)) {
        continue;
      }
      *first = e1, *second = e2, *at = p, found = true;
    }
  }
  return found;
}

// The ring offset by `d` metres (outward > 0 for a counter-clockwise ring) with mitred vertices; very sharp
// spikes are capped.
std::vector<Point2> OffsetRing(const std::vector<Point2>& p, double d) {
  const size_t n = p.size();
  std::vector<Point2> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const Point2& prev = p[(i + n - 1) % n];
    const Point2& cur = p[i];
    const Point2& next = p[(i + 1) % n];
    double l1 = std::hypot(cur.x - prev.x, cur.y - prev.y), l2 = std::hypot(next.x - cur.x, next.y - cur.y);
    Point2 n1{(cur.y - prev.y) / l1, -(cur.x - prev.x) / l1}, n2{(next.y - cur.y) / l2, -(next.x - cur.x) / l2};
    // Miter: the offset lines of both edges meet at cur + d * (n1 + n2) / (1 + n1.n2).
    double dot = Dot(n1, n2);
    double k = dot > -0.9 ? d / (1 + dot) : d;  // cap very sharp spikes
    out.push_back({cur.x + k * (n1.x + n2.x), cur.y + k * (n1.y + n2.y)});
  }
  return out;
}

// Why the ring offset by `d` is not a route around the area ("" when it is): an edge that turned back, or two
// edges that cross. `pos` names vertex k in the input.
std::string OffsetProblem(const std::vector<Point2>& ring, double d, const std::function<int(size_t)>& pos) {
  const std::vector<Point2> off = OffsetRing(ring, d);
  const size_t n = ring.size();
  for (size_t k = 0; k < n; ++k) {
    const Point2 e{ring[(k + 1) % n].x - ring[k].x, ring[(k + 1) % n].y - ring[k].y};
    const Point2 f{off[(k + 1) % n].x - off[k].x, off[(k + 1) % n].y - off[k].y};
    if (!(Dot(e, f) > 0)) {
      return absl::StrFormat("the route's edge along positions %d to %d vanishes", pos(k), pos((k + 1) % n));
    }
  }
  size_t i = 0, j = 0;
  Point2 at{};
  if (FindCrossing(off, &i, &j, &at)) {
    return absl::StrFormat("the route's edges along positions %d to %d and %d to %d cross", pos(i), pos((i + 1) % n),
                           pos(j), pos((j + 1) % n));
  }
  return "";
}

double PolylineLength(const std::vector<Point2>& pts) {
  double len = 0;
  for (size_t i = 1; i < pts.size(); ++i) len += std::hypot(pts[i].x - pts[i - 1].x, pts[i].y - pts[i - 1].y);
  return len;
}

absl::Status CheckFraction(double v, const char* what) {
  if (!(v >= 0 && v <= 0.95)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be in [0, 0.95], got ", v));
  }
  return absl::OkStatus();
}

absl::Status CheckPositive(double v, const char* what) {
  if (!(v > 0) || !std::isfinite(v))
    return absl::InvalidArgumentError(absl::StrCat(what, " must be positive, got ", v));
  return absl::OkStatus();
}

json LonLatArray(const geo::LatLon& ll) { return json::array({ll.lon, ll.lat}); }

json RingJson(const geo::LocalFrame& frame, const std::vector<Point2>& ring) {
  json coords = json::array();
  for (const Point2& p : ring) coords.push_back(LonLatArray(frame.ToLatLon(p.x, p.y)));
  if (!ring.empty()) coords.push_back(coords.front());
  return json::array({coords});
}

std::string KmlCoords(const geo::LocalFrame& frame, const std::vector<Point2>& pts, double alt, bool close) {
  std::string out;
  for (size_t i = 0; i < pts.size() + (close && !pts.empty() ? 1 : 0); ++i) {
    const Point2& p = pts[i % pts.size()];
    geo::LatLon ll = frame.ToLatLon(p.x, p.y);
    absl::StrAppend(&out, absl::StrFormat("%.8f,%.8f,%.2f ", ll.lon, ll.lat, alt));
  }
  return out;
}

}  // namespace

absl::StatusOr<Area> ParseAreaGeoJson(const std::string& text, const std::string& name, const PlanLimits& limits) {
  auto error = [&](const std::string& what) { return absl::InvalidArgumentError(absl::StrCat(name, ": ", what)); };
  if (static_cast<int64_t>(text.size()) > limits.max_bytes) {
    return absl::OutOfRangeError(absl::StrCat(name, ": ", text.size(), " bytes is above the limit of ",
                                              limits.max_bytes, " bytes for an area file"));
  }
  json doc;
  try {
    doc = json::parse(text);  // nlohmann refuses text that is not UTF-8 (parse_error 101)
  } catch (const json::exception& e) {
    return error(absl::StrCat("not valid JSON: ", e.what()));
  } catch (const std::exception& e) {  // std::bad_alloc and the like: never past this adapter
    return error(absl::StrCat("cannot read: ", e.what()));
  }
  // Find the first Polygon geometry (breadth first).
  const json* geom = nullptr;
  std::vector<const json*> todo{&doc};
  for (size_t next = 0; next < todo.size() && geom == nullptr; ++next) {
    const json* j = todo[next];
    if (!j->is_object() || !j->contains("type") || !(*j)["type"].is_string()) continue;
    std::string type = (*j)["type"];
    if (type == "Polygon") {
      geom = j;
    } else if (type == "MultiPolygon") {
      return error("MultiPolygon is not supported; give one Polygon");
    } else if (type == "Feature" && j->contains("geometry")) {
      todo.push_back(&(*j)["geometry"]);
    } else if (type == "FeatureCollection" && j->contains("features") && (*j)["features"].is_array()) {
      for (const json& f : (*j)["features"]) todo.push_back(&f);
    } else if (type == "GeometryCollection" && j->contains("geometries") && (*j)["geometries"].is_array()) {
      for (const json& g : (*j)["geometries"]) todo.push_back(&g);
    }
  }
  if (geom == nullptr) {
    return error("no Polygon found (expected a Polygon geometry, or a Feature or FeatureCollection holding one)");
  }
  if (!geom->contains("coordinates") || !(*geom)["coordinates"].is_array() || (*geom)["coordinates"].empty() ||
      !(*geom)["coordinates"][0].is_array()) {
    return error("Polygon coordinates must be an array of rings (arrays of [longitude, latitude] positions)");
  }
  const json& ring = (*geom)["coordinates"][0];
  if (static_cast<int64_t>(ring.size()) > limits.max_vertices) {
    return absl::OutOfRangeError(absl::StrCat(name, ": the outer ring has ", ring.size(),
                                              " positions, above the limit of ", limits.max_vertices));
  }
  std::vector<geo::LatLon> lls;
  std::vector<int> positions;  // index in `ring` of each of lls
  for (size_t i = 0; i < ring.size(); ++i) {
    const json& p = ring[i];
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number()) {
      return error(absl::StrCat("position ", i, " of the outer ring is not [longitude, latitude]"));
    }
    geo::LatLon ll{p[1].get<double>(), p[0].get<double>(), 0};
    absl::Status st = geo::ValidateLatLon(ll.lat, ll.lon, absl::StrCat("position ", i, " of the outer ring"));
    if (!st.ok()) return error(std::string(st.message()));
    if (lls.empty() || lls.back().lat != ll.lat || lls.back().lon != ll.lon) {
      lls.push_back(ll);
      positions.push_back(static_cast<int>(i));
    }
  }
  if (lls.size() > 1 && lls.front().lat == lls.back().lat && lls.front().lon == lls.back().lon) {
    lls.pop_back();
    positions.pop_back();
  }
  if (lls.size() < 3) {
    return error(absl::StrCat("the outer ring has ", lls.size(), " distinct positions; a polygon needs at least 3"));
  }
  Area area;
  area.name = name;
  area.positions = positions;
  area.frame = geo::LocalFrame(lls[0].lat, lls[0].lon);
  for (const geo::LatLon& ll : lls) area.polygon.push_back(area.frame.ToLocal(ll.lat, ll.lon));
  double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
  for (const Point2& p : area.polygon) {
    xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x), ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
  }
  if (xmax - xmin > limits.max_extent_m || ymax - ymin > limits.max_extent_m) {
    return absl::OutOfRangeError(absl::StrFormat(
        "%s: the outer ring spans %.1f km east-west and %.1f km north-south, above the limit of %.0f km", name,
        (xmax - xmin) / 1000, (ymax - ymin) / 1000, limits.max_extent_m / 1000));
  }
  size_t e1 = 0, e2 = 0;
  Point2 at{};
  if (FindCrossing(area.polygon, &e1, &e2, &at)) {
    const size_t n = area.polygon.size();
    const geo::LatLon ll = area.frame.ToLatLon(at.x, at.y);
    return error(absl::StrFormat(
        "the outer ring crosses or touches itself: its edge from position %d to %d meets its edge from position %d to "
        "%d at "
        "[%.6f, %.6f]; an area must be a simple polygon (draw it without crossing edges, or split it)",
        positions[e1], positions[(e1 + 1) % n], positions[e2], positions[(e2 + 1) % n], ll.lon, ll.lat));
  }
  double a = geo::PolygonArea(area.polygon);
  if (std::abs(a) < 1e-3) return error("the polygon has zero area");
  if (a < 0) {
    std::reverse(area.polygon.begin(), area.polygon.end());
    std::reverse(area.positions.begin(), area.positions.end());
  }
  return area;
}

absl::StatusOr<Area> ReadAreaGeoJson(const std::string& path, const PlanLimits& limits) {
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path, limits.max_bytes));
  return ParseAreaGeoJson(text, path, limits);
}

absl::Status SurveyOptions::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckPositive(altitude_m, "altitude"));
  DIDBAN_RETURN_IF_ERROR(CheckPositive(speed_mps, "speed"));
  DIDBAN_RETURN_IF_ERROR(CheckFraction(side_overlap, "side overlap"));
  DIDBAN_RETURN_IF_ERROR(CheckFraction(front_overlap, "front overlap"));
  if (max_photos < 1) return absl::InvalidArgumentError(absl::StrCat("the photo limit must be >= 1, got ", max_photos));
  return camera.Validate();
}

absl::Status PerimeterOptions::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckPositive(altitude_m, "altitude"));
  DIDBAN_RETURN_IF_ERROR(CheckPositive(speed_mps, "speed"));
  if (!std::isfinite(offset_m)) return absl::InvalidArgumentError("offset must be finite");
  return absl::OkStatus();
}

absl::StatusOr<Route> PlanSurvey(const Area& area, const SurveyOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_ASSIGN_OR_RETURN(double f_px, options.camera.FocalPx());
  Route r;
  r.kind = "survey";
  r.frame = area.frame;
  r.area = area.polygon;
  r.altitude_m = options.altitude_m;
  r.speed_mps = options.speed_mps;
  r.takeoff = options.takeoff;
  r.return_to_launch = options.return_to_launch;
  r.footprint_w_m = options.camera.width * options.altitude_m / f_px;
  r.footprint_h_m = options.camera.height * options.altitude_m / f_px;
  r.line_spacing_m = r.footprint_w_m * (1 - options.side_overlap);
  r.trigger_distance_m = r.footprint_h_m * (1 - options.front_overlap);
  double angle = std::isnan(options.angle_deg) ? MinimumWidthAngle(area.polygon) : options.angle_deg * kDegToRad;
  r.angle_deg = angle / kDegToRad;
  // Work in a frame whose x axis runs along the flight lines.
  const double c = std::cos(angle), s = std::sin(angle);
  std::vector<Point2> rot;
  for (const Point2& p : area.polygon) rot.push_back(Rotate(p, c, -s));
  double ymin = rot[0].y, ymax = rot[0].y;
  for (const Point2& p : rot) ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
  const double height = ymax - ymin, fw = r.footprint_w_m, fl = r.footprint_h_m;
  auto too_many = [&]() {
    return absl::OutOfRangeError(
        absl::StrFormat("the survey needs more than %d photos (lines %.1f m apart, a photo every %.1f m), above the "
                        "limit; fly higher, lower the overlap or raise --max-photos",
                        options.max_photos, r.line_spacing_m, r.trigger_distance_m));
  };
  // Counts are computed in double and checked before anything is allocated or cast from them.
  const double lines = height <= fw ? 1 : std::ceil((height - fw) / r.line_spacing_m - 1e-9) + 1;
  if (!(lines <= static_cast<double>(options.max_photos))) return too_many();
  const int n = static_cast<int>(lines);
  int64_t total_photos = 0;
  const double y0 = ymin + 0.5 * (height - (n - 1) * r.line_spacing_m);
  bool forward = true;
  for (int i = 0; i < n; ++i) {
    double y = y0 + i * r.line_spacing_m;
    // Extent along the line of the part of the polygon inside this line's footprint band.
    std::vector<Point2> band = ClipY(ClipY(rot, y - 0.5 * fw, true), y + 0.5 * fw, false);
    if (band.empty()) continue;
    double a = band[0].x, b = band[0].x;
    for (const Point2& p : band) a = std::min(a, p.x), b = std::max(b, p.x);
    const double line_photos = std::ceil((b - a) / r.trigger_distance_m - 1e-9) + 1;
    if (!(line_photos + static_cast<double>(total_photos) <= static_cast<double>(options.max_photos))) {
      return too_many();
    }
    const int photos = static_cast<int>(line_photos);
    total_photos += photos;
    double step = photos > 1 ? (b - a) / (photos - 1) : 0;
    for (int k = 0; k < photos; ++k) {
      double x = a + k * step;
      std::vector<Point2> fp = {{x - 0.5 * fl, y - 0.5 * fw},
                                {x + 0.5 * fl, y - 0.5 * fw},
                                {x + 0.5 * fl, y + 0.5 * fw},
                                {x - 0.5 * fl, y + 0.5 * fw}};
      for (Point2& q : fp) q = Rotate(q, c, s);
      r.footprints.push_back(fp);
    }
    Point2 start = Rotate({forward ? a : b, y}, c, s), end = Rotate({forward ? b : a, y}, c, s);
    r.waypoints.push_back(start);
    r.waypoints.push_back(end);
    forward = !forward;
    ++r.lines;
  }
  r.length_m = PolylineLength(r.waypoints);
  r.flight_time_s = r.length_m / r.speed_mps;
  return r;
}

absl::StatusOr<Route> PlanPerimeter(const Area& area, const PerimeterOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (area.polygon.size() < 3) return absl::InvalidArgumentError("the area has fewer than 3 vertices");
  auto pos = [&](size_t k) { return k < area.positions.size() ? area.positions[k] : static_cast<int>(k); };
  const std::string problem = OffsetProblem(area.polygon, options.offset_m, pos);
  if (!problem.empty()) {
    // The largest offset of this sign that still gives a route (bisection; a zero offset is the area itself).
    double ok = 0, bad = std::abs(options.offset_m);
    const double sign = options.offset_m < 0 ? -1 : 1;
    for (int it = 0; it < 60 && bad - ok > 0.01; ++it) {
      const double mid = 0.5 * (ok + bad);
      (OffsetProblem(area.polygon, sign * mid, pos).empty() ? ok : bad) = mid;
    }
    // The area's size across its narrowest direction and along it.
    const double angle = MinimumWidthAngle(area.polygon), c = std::cos(angle), s = std::sin(angle);
    double xmin = 0, xmax = 0, ymin = 0, ymax = 0;
    for (size_t k = 0; k < area.polygon.size(); ++k) {
      const Point2 q = Rotate(area.polygon[k], c, -s);
      if (k == 0) xmin = xmax = q.x, ymin = ymax = q.y;
      xmin = std::min(xmin, q.x), xmax = std::max(xmax, q.x), ymin = std::min(ymin, q.y), ymax = std::max(ymax, q.y);
    }
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s%s offset of %g m is larger than the area allows (%.1f m long, %.1f m across at its narrowest): %g m "
        "%s the boundary, %s; the largest %s offset for this area is %.1f m",
        area.name.empty() ? "" : area.name + ": ", options.offset_m < 0 ? "an inward" : "an outward",
        std::abs(options.offset_m), xmax - xmin, ymax - ymin, std::abs(options.offset_m),
        options.offset_m < 0 ? "inside" : "outside", problem, options.offset_m < 0 ? "inward" : "outward",
        std::floor(ok * 10) / 10));
  }
  Route r;
  r.kind = "perimeter";
  r.frame = area.frame;
  r.area = area.polygon;
  r.altitude_m = options.altitude_m;
  r.speed_mps = options.speed_mps;
  r.takeoff = options.takeoff;
  r.return_to_launch = options.return_to_launch;
  r.waypoints = OffsetRing(area.polygon, options.offset_m);
  r.waypoints.push_back(r.waypoints.front());
  r.length_m = PolylineLength(r.waypoints);
  r.flight_time_s = r.length_m / r.speed_mps;
  return r;
}

double CoverageFraction(const std::vector<Point2>& polygon, const std::vector<std::vector<Point2>>& footprints,
                        int cells) {
  if (polygon.size() < 3 || cells <= 0) return 0;
  double xmin = polygon[0].x, xmax = xmin, ymin = polygon[0].y, ymax = ymin;
  for (const Point2& p : polygon) {
    xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x), ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
  }
  const double cell = std::max(xmax - xmin, ymax - ymin) / cells;
  if (!(cell > 0)) return 0;
  const int cols = static_cast<int>(std::ceil((xmax - xmin) / cell)),
            rows = static_cast<int>(std::ceil((ymax - ymin) / cell));
  std::vector<uint8_t> covered(static_cast<size_t>(cols) * static_cast<size_t>(rows), 0);
  auto col_range = [&](double x0, double x1, int* c0, int* c1) {  // cells whose centres lie in [x0, x1)
    *c0 = std::max(0, static_cast<int>(std::ceil((x0 - xmin) / cell - 0.5)));
    *c1 = std::min(cols, static_cast<int>(std::ceil((x1 - xmin) / cell - 0.5)));
  };
  for (const auto& fp : footprints) {
    double fy0 = fp[0].y, fy1 = fp[0].y;
    for (const Point2& q : fp) fy0 = std::min(fy0, q.y), fy1 = std::max(fy1, q.y);
    int r0 = std::max(0, static_cast<int>(std::floor((fy0 - ymin) / cell - 0.5)));
    int r1 = std::min(rows - 1, static_cast<int>(std::ceil((fy1 - ymin) / cell - 0.5)));
    for (int row = r0; row <= r1; ++row) {
      std::vector<double> xs = RowCrossings(fp, ymin + (row + 0.5) * cell);
      for (size_t k = 0; k + 1 < xs.size(); k += 2) {
        int c0 = 0, c1 = 0;
        col_range(xs[k], xs[k + 1], &c0, &c1);
        for (int col = c0; col < c1; ++col)
          covered[static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(col)] = 1;
      }
    }
  }
  int64_t inside = 0, hit = 0;
  for (int row = 0; row < rows; ++row) {
    std::vector<double> xs = RowCrossings(polygon, ymin + (row + 0.5) * cell);
    for (size_t k = 0; k + 1 < xs.size(); k += 2) {
      int c0 = 0, c1 = 0;
      col_range(xs[k], xs[k + 1], &c0, &c1);
      for (int col = c0; col < c1; ++col) {
        ++inside;
        hit += covered[static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(col)];
      }
    }
  }
  return inside == 0 ? 0 : static_cast<double>(hit) / static_cast<double>(inside);
}

std::string ToQgcPlan(const Route& route) {
  geo::LatLon home =
      route.waypoints.empty() ? route.frame.Anchor() : route.frame.ToLatLon(route.waypoints[0].x, route.waypoints[0].y);
  json items = json::array();
  auto add = [&](int command, int frame, json params, bool altitude) {
    json item = {{"autoContinue", true}, {"command", command},          {"doJumpId", items.size() + 1},
                 {"frame", frame},       {"params", std::move(params)}, {"type", "SimpleItem"}};
    if (altitude) {  // QGroundControl's altitude keys: all three or none; AltitudeMode 1 = relative (frame 3)
      item["AMSLAltAboveTerrain"] = nullptr;
      item["Altitude"] = route.altitude_m;
      item["AltitudeMode"] = 1;
    }
    items.push_back(std::move(item));
  };
  constexpr int kFrameMission = 2, kFrameRelativeAlt = 3;
  // MAV_CMD_DO_CHANGE_SPEED: ground speed (1), m/s, no throttle change (-1), absolute (0): the form QGroundControl
  // writes for a multirotor's mission speed and reads back as the plan's flight speed.
  add(178, kFrameMission, json::array({1, route.speed_mps, -1, 0, 0, 0, 0}), false);
  if (route.takeoff) {
    add(22, kFrameRelativeAlt, json::array({0, 0, 0, nullptr, home.lat, home.lon, route.altitude_m}), true);
  }
  for (const Point2& p : route.waypoints) {
    geo::LatLon ll = route.frame.ToLatLon(p.x, p.y);
    add(16, kFrameRelativeAlt, json::array({0, 0, 0, nullptr, ll.lat, ll.lon, route.altitude_m}), true);
  }
  if (route.return_to_launch) add(20, kFrameMission, json::array({0, 0, 0, 0, 0, 0, 0}), false);
  json plan = {{"fileType", "Plan"},
               {"geoFence", {{"circles", json::array()}, {"polygons", json::array()}, {"version", 2}}},
               {"groundStation", "QGroundControl"},
               {"mission",
                {{"cruiseSpeed", route.speed_mps},
                 {"firmwareType", 12},  // PX4
                 {"globalPlanAltitudeMode", 1},
                 {"hoverSpeed", route.speed_mps},  // a multirotor's time estimate uses the hover speed
                 {"items", items},
                 {"plannedHomePosition", json::array({home.lat, home.lon, 0})},
                 {"vehicleType", 2},  // multirotor
                 {"version", 2}}},
               {"rallyPoints", {{"points", json::array()}, {"version", 2}}},
               {"version", 1}};
  return plan.dump(2) + "\n";
}

std::string ToKml(const Route& route) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n";
  absl::StrAppend(&out, "<name>didban ", route.kind, " route</name>\n");
  absl::StrAppend(&out, "<Placemark><name>area</name><Polygon><outerBoundaryIs><LinearRing><coordinates>",
                  KmlCoords(route.frame, route.area, 0, true),
                  "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>\n");
  absl::StrAppend(&out, "<Placemark><name>", route.kind,
                  "</name><LineString><altitudeMode>relativeToGround</altitudeMode><coordinates>",
                  KmlCoords(route.frame, route.waypoints, route.altitude_m, false),
                  "</coordinates></LineString></Placemark>\n");
  absl::StrAppend(&out, "</Document>\n</kml>\n");
  return out;
}

std::string ToGeoJson(const Route& route) {
  json features = json::array();
  features.push_back({{"type", "Feature"},
                      {"properties", {{"kind", "area"}}},
                      {"geometry", {{"type", "Polygon"}, {"coordinates", RingJson(route.frame, route.area)}}}});
  json line = json::array();
  for (const Point2& p : route.waypoints) {
    geo::LatLon ll = route.frame.ToLatLon(p.x, p.y);
    line.push_back({ll.lon, ll.lat, route.altitude_m});
  }
  json props = {{"kind", route.kind},
                {"altitude_m", route.altitude_m},
                {"speed_mps", route.speed_mps},
                {"length_m", route.length_m},
                {"flight_time_s", route.flight_time_s},
                {"takeoff", route.takeoff},
                {"return_to_launch", route.return_to_launch}};
  if (route.kind == "survey") {
    props["lines"] = route.lines;
    props["line_spacing_m"] = route.line_spacing_m;
    props["trigger_distance_m"] = route.trigger_distance_m;
    props["photos"] = route.footprints.size();
  }
  features.push_back(
      {{"type", "Feature"}, {"properties", props}, {"geometry", {{"type", "LineString"}, {"coordinates", line}}}});
  for (size_t i = 0; i < route.waypoints.size(); ++i) {
    geo::LatLon ll = route.frame.ToLatLon(route.waypoints[i].x, route.waypoints[i].y);
    features.push_back({{"type", "Feature"},
                        {"properties", {{"kind", "waypoint"}, {"index", i + 1}}},
                        {"geometry", {{"type", "Point"}, {"coordinates", {ll.lon, ll.lat, route.altitude_m}}}}});
  }
  for (const auto& fp : route.footprints) {
    features.push_back({{"type", "Feature"},
                        {"properties", {{"kind", "footprint"}}},
                        {"geometry", {{"type", "Polygon"}, {"coordinates", RingJson(route.frame, fp)}}}});
  }
  json doc = {{"type", "FeatureCollection"}, {"features", features}};
  return doc.dump() + "\n";
}

}  // namespace didban::plan
