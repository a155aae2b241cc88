// Drone routes over an area: the area polygon read from GeoJSON, boustrophedon (lawnmower) survey routes whose image
// footprints cover the area with a requested overlap, perimeter routes, coverage measurement, and exports
// (QGroundControl .plan, KML, GeoJSON). Values and pure functions; thread-safe.
#ifndef DIDBAN_PLAN_ROUTE_H_
#define DIDBAN_PLAN_ROUTE_H_

#include <string>
#include <vector>

#include "didban/geometry.h"
#include "didban/status.h"
#include "geo/drone_camera.h"
#include "geo/local_frame.h"

namespace didban::plan {

// A polygon area in a local ENU frame anchored at its first vertex.
struct Area {
  geo::LocalFrame frame{0, 0};
  std::vector<Point2> polygon;  // local metres, counter-clockwise, not closed
  std::string name;             // the input (file) that errors about the area name; may be empty
  std::vector<int> positions;   // 0-based index of each vertex in the input's outer ring; empty = vertex index
};

// Limits of the planner (docs/security.md), checked before anything is sized from the input. A request beyond them
// is OutOfRange with a message naming the file or option and the limit.
struct PlanLimits {
  int64_t max_bytes = 16 << 20;   // largest GeoJSON area file, bytes (16 MiB)
  int64_t max_vertices = 10'000;  // positions in the area's outer ring
  double max_extent_m = 100'000;  // largest side of the area's bounding box in its local frame, metres (100 km)
  int64_t max_photos = 100'000;   // photos (footprints) of one survey; `--max-photos` raises it
};

// Reads the first Polygon of a GeoJSON text (a Polygon geometry, a Feature or a FeatureCollection); holes are
// ignored. `name` (the file) prefixes errors, which name the problem: not JSON, no Polygon, MultiPolygon, a position
// that is not [longitude, latitude], out-of-range values, fewer than 3 distinct vertices, zero area, a ring that
// crosses or touches itself (naming both edges by their positions and where they meet), more vertices or a larger
// extent than `limits`.
absl::StatusOr<Area> ParseAreaGeoJson(const std::string& text, const std::string& name, const PlanLimits& limits = {});
absl::StatusOr<Area> ReadAreaGeoJson(const std::string& path, const PlanLimits& limits = {});

struct SurveyOptions {
  double altitude_m = 0;             // flight height above take-off (= ground), metres (> 0)
  geo::CameraSpec camera;            // the nadir camera; its image width lies across the flight lines
  double side_overlap = 0.7;         // overlap of neighbouring lines' footprints, fraction [0, 0.95]
  double front_overlap = 0.8;        // overlap of consecutive photos along a line, fraction [0, 0.95]
  double speed_mps = 10;             // cruise speed, m/s (> 0)
  double angle_deg = geo::kNoValue;  // flight-line direction (from east, counter-clockwise); NaN = along the
                                     // polygon's minimum-width direction
  int64_t max_photos = PlanLimits{}.max_photos;  // a survey needing more photos is refused before it is planned
  bool takeoff = false;                          // start the mission with a take-off to `altitude_m`
  bool return_to_launch = false;                 // end it with a return to launch

  absl::Status Validate() const;
};

struct PerimeterOptions {
  double altitude_m = 0;          // flight height above take-off, metres (> 0)
  double offset_m = 0;            // distance outside (> 0) or inside (< 0) the boundary, metres
  double speed_mps = 10;          // cruise speed, m/s (> 0)
  bool takeoff = false;           // start the mission with a take-off to `altitude_m`
  bool return_to_launch = false;  // end it with a return to launch

  absl::Status Validate() const;
};

// A planned route in the area's local frame.
struct Route {
  std::string kind;  // "survey" or "perimeter"
  geo::LocalFrame frame{0, 0};
  std::vector<Point2> area;       // the area polygon, local metres
  std::vector<Point2> waypoints;  // local metres, in flight order
  double altitude_m = 0;          // above take-off
  double speed_mps = 0;
  double length_m = 0;            // along the waypoints
  double flight_time_s = 0;       // length / speed
  bool takeoff = false;           // the mission starts with a take-off (at the first waypoint)
  bool return_to_launch = false;  // the mission ends with a return to launch
  // Survey only.
  int lines = 0;
  double line_spacing_m = 0;
  double trigger_distance_m = 0;                // distance between photos along a line
  double footprint_w_m = 0, footprint_h_m = 0;  // one photo's footprint across / along the lines
  double angle_deg = 0;                         // flight-line direction from east, counter-clockwise
  std::vector<std::vector<Point2>> footprints;  // every photo's footprint, local metres
};

absl::StatusOr<Route> PlanSurvey(const Area& area, const SurveyOptions& options);
// The boundary offset by mitred vertices. An offset the area cannot take is refused, naming the area, its size and
// the largest offset of that sign it allows: inward, an edge of the offset route vanishes (turns back); outward
// around a concave area, the route crosses itself.
absl::StatusOr<Route> PlanPerimeter(const Area& area, const PerimeterOptions& options);

// Fraction [0, 1] of the polygon covered by the union of the footprints, measured on a raster of `cells` cells
// along the polygon's larger bounding-box side.
double CoverageFraction(const std::vector<Point2>& polygon, const std::vector<std::vector<Point2>>& footprints,
                        int cells = 1000);

// Exports. QGroundControl .plan (JSON, fileType "Plan", version 1; mission cruiseSpeed and hoverSpeed = the route's
// speed; items: MAV_CMD_DO_CHANGE_SPEED (178) to the route's ground speed, MAV_CMD_NAV_TAKEOFF (22) when asked, one
// MAV_CMD_NAV_WAYPOINT (16) per waypoint at relative altitude (frame 3, AltitudeMode 1), MAV_CMD_NAV_RETURN_TO_LAUNCH
// (20) when asked; it passes CheckQgcPlan()); KML (area polygon and route line); GeoJSON FeatureCollection (area,
// route with its figures, speed, take-off and return as properties, waypoints, footprints).
std::string ToQgcPlan(const Route& route);
std::string ToKml(const Route& route);
std::string ToGeoJson(const Route& route);

}  // namespace didban::plan

#endif  // DIDBAN_PLAN_ROUTE_H_
