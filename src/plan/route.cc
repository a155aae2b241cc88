#include "plan/route.h"

#include <algorithm>
#include <cmath>
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
  for (size_t i = 0; i < ring.size(); ++i) {
    const json& p = ring[i];
    if (!p.is_array() || p.size() < 2 || !p[0].is_number() || !p[1].is_number()) {
      return error(absl::StrCat("position ", i, " of the outer ring is not [longitude, latitude]"));
    }
    geo::LatLon ll{p[1].get<double>(), p[0].get<double>(), 0};
    absl::Status st = geo::ValidateLatLon(ll.lat, ll.lon, absl::StrCat("position ", i, " of the outer ring"));
    if (!st.ok()) return error(std::string(st.message()));
    if (lls.empty() || lls.back().lat != ll.lat || lls.back().lon != ll.lon) lls.push_back(ll);
  }
  if (lls.size() > 1 && lls.front().lat == lls.back().lat && lls.front().lon == lls.back().lon) lls.pop_back();
  if (lls.size() < 3) {
    return error(absl::StrCat("the outer ring has ", lls.size(), " distinct positions; a polygon needs at least 3"));
  }
  Area area;
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
  double a = geo::PolygonArea(area.polygon);
  if (std::abs(a) < 1e-3) return error("the polygon has zero area");
  if (a < 0) std::reverse(area.polygon.begin(), area.polygon.end());
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
  Route r;
  r.kind = "perimeter";
  r.frame = area.frame;
  r.area = area.polygon;
  r.altitude_m = options.altitude_m;
  r.speed_mps = options.speed_mps;
  const auto& p = area.polygon;  // counter-clockwise: the outward normal of edge (dx, dy) is (dy, -dx)
  const size_t n = p.size();
  for (size_t i = 0; i < n; ++i) {
    const Point2& prev = p[(i + n - 1) % n];
    const Point2& cur = p[i];
    const Point2& next = p[(i + 1) % n];
    double l1 = std::hypot(cur.x - prev.x, cur.y - prev.y), l2 = std::hypot(next.x - cur.x, next.y - cur.y);
    Point2 n1{(cur.y - prev.y) / l1, -(cur.x - prev.x) / l1}, n2{(next.y - cur.y) / l2, -(next.x - cur.x) / l2};
    // Miter: the offset lines of both edges meet at cur + d * (n1 + n2) / (1 + n1.n2).
    double dot = n1.x * n2.x + n1.y * n2.y;
    double k = dot > -0.9 ? options.offset_m / (1 + dot) : options.offset_m;  // cap very sharp spikes
    r.waypoints.push_back({cur.x + k * (n1.x + n2.x), cur.y + k * (n1.y + n2.y)});
  }
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
  json items = json::array();
  for (size_t i = 0; i < route.waypoints.size(); ++i) {
    geo::LatLon ll = route.frame.ToLatLon(route.waypoints[i].x, route.waypoints[i].y);
    items.push_back({{"AMSLAltAboveTerrain", nullptr},
                     {"Altitude", route.altitude_m},
                     {"AltitudeMode", 1},
                     {"autoContinue", true},
                     {"command", 16},
                     {"doJumpId", i + 1},
                     {"frame", 3},
                     {"params", json::array({0, 0, 0, nullptr, ll.lat, ll.lon, route.altitude_m})},
                     {"type", "SimpleItem"}});
  }
  geo::LatLon home =
      route.waypoints.empty() ? route.frame.Anchor() : route.frame.ToLatLon(route.waypoints[0].x, route.waypoints[0].y);
  json plan = {{"fileType", "Plan"},
               {"geoFence", {{"circles", json::array()}, {"polygons", json::array()}, {"version", 2}}},
               {"groundStation", "QGroundControl"},
               {"mission",
                {{"cruiseSpeed", route.speed_mps},
                 {"firmwareType", 12},  // PX4
                 {"globalPlanAltitudeMode", 1},
                 {"hoverSpeed", 5},
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
                {"flight_time_s", route.flight_time_s}};
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
