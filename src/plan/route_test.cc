#include "plan/route.h"

#include <cmath>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "geo/footprint.h"
#include "plan/qgc_plan_check.h"

namespace didban::plan {
namespace {

using json = nlohmann::json;

// A GeoJSON Feature with a polygon given in metres about (47.0, 8.0).
std::string PolygonGeoJson(const std::vector<Point2>& local) {
  geo::LocalFrame f(47.0, 8.0);
  json ring = json::array();
  for (const Point2& p : local) {
    geo::LatLon ll = f.ToLatLon(p.x, p.y);
    ring.push_back({ll.lon, ll.lat});
  }
  ring.push_back(ring.front());
  json doc = {{"type", "FeatureCollection"},
              {"features",
               {{{"type", "Feature"},
                 {"properties", json::object()},
                 {"geometry", {{"type", "Polygon"}, {"coordinates", {ring}}}}}}}};
  return doc.dump();
}

// The route's QGroundControl plan, which must pass the loader's rules (every plan the tests make goes through here).
json CheckedPlan(const Route& route) {
  const std::string text = ToQgcPlan(route);
  auto summary = CheckQgcPlan(text);
  EXPECT_TRUE(summary.ok()) << summary.status();
  if (summary.ok()) {
    EXPECT_EQ(summary->waypoints, static_cast<int>(route.waypoints.size()));
    EXPECT_EQ(summary->speed_mps, route.speed_mps);
    EXPECT_EQ(summary->cruise_speed_mps, route.speed_mps);
    EXPECT_EQ(summary->hover_speed_mps, route.speed_mps);
    EXPECT_EQ(summary->takeoff, route.takeoff);
    EXPECT_EQ(summary->return_to_launch, route.return_to_launch);
  }
  return json::parse(text);
}

SurveyOptions Options(double side, double front) {
  SurveyOptions o;
  o.altitude_m = 100;
  o.camera = *geo::ParseCameraSpec("hfov=90,width=4000,height=3000");  // 200 m x 150 m footprint at 100 m
  o.side_overlap = side;
  o.front_overlap = front;
  o.speed_mps = 10;
  return o;
}

struct Shape {
  const char* name;
  std::vector<Point2> pts;
};

TEST(SurveyTest, CoversConvexAndConcaveAreasAtTheRequestedOverlap) {
  const Shape shapes[] = {
      {"rectangle", {{0, 0}, {1000, 0}, {1000, 600}, {0, 600}}},
      {"rotated", {{0, 0}, {866, 500}, {566, 1020}, {-300, 520}}},
      {"triangle", {{0, 0}, {1200, 100}, {300, 900}}},
      {"L", {{0, 0}, {900, 0}, {900, 300}, {300, 300}, {300, 1000}, {0, 1000}}},
      {"U", {{0, 0}, {1000, 0}, {1000, 800}, {700, 800}, {700, 250}, {300, 250}, {300, 800}, {0, 800}}},
  };
  for (const Shape& s : shapes) {
    for (double overlap : {0.0, 0.3, 0.7}) {
      SCOPED_TRACE(absl::StrCat(s.name, " overlap ", overlap));
      auto area = ParseAreaGeoJson(PolygonGeoJson(s.pts), "a.geojson");
      ASSERT_TRUE(area.ok()) << area.status();
      auto route = PlanSurvey(*area, Options(overlap, overlap));
      ASSERT_TRUE(route.ok()) << route.status();
      EXPECT_GE(CoverageFraction(route->area, route->footprints), 0.99);
      EXPECT_EQ(route->waypoints.size(), 2u * static_cast<size_t>(route->lines));
      EXPECT_NEAR(route->line_spacing_m, 200 * (1 - overlap), 1e-9);
      EXPECT_NEAR(route->trigger_distance_m, 150 * (1 - overlap), 1e-9);
      EXPECT_NEAR(route->flight_time_s, route->length_m / 10, 1e-9);
      CheckedPlan(*route);
    }
  }
}

TEST(SurveyTest, RectangleHasKnownLinesAndLengthAlongItsLongSide) {
  auto area = ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {1000, 0}, {1000, 600}, {0, 600}}), "r.geojson");
  ASSERT_TRUE(area.ok()) << area.status();
  auto route = PlanSurvey(*area, Options(0.5, 0.5));
  ASSERT_TRUE(route.ok()) << route.status();
  // Lines run east-west (along the 1000 m side); 600 m across with a 200 m footprint every 100 m: 5 lines.
  EXPECT_NEAR(std::remainder(route->angle_deg, 180.0), 0.0, 1e-6);
  EXPECT_EQ(route->lines, 5);
  // 5 lines of 1000 m and 4 turns of 100 m.
  EXPECT_NEAR(route->length_m, 5400, 0.5);
  EXPECT_NEAR(CoverageFraction(route->area, route->footprints), 1.0, 1e-12);
  // A rectangle rotated by 30 degrees: lines along 30 degrees.
  std::vector<Point2> rot;
  for (Point2 p : {Point2{0, 0}, Point2{1000, 0}, Point2{1000, 600}, Point2{0, 600}}) {
    double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
    rot.push_back({c * p.x - s * p.y, s * p.x + c * p.y});
  }
  auto rarea = ParseAreaGeoJson(PolygonGeoJson(rot), "r.geojson");
  auto rroute = PlanSurvey(*rarea, Options(0.5, 0.5));
  ASSERT_TRUE(rroute.ok());
  EXPECT_NEAR(std::remainder(rroute->angle_deg - 30, 180.0), 0.0, 0.01);
  EXPECT_EQ(rroute->lines, 5);
}

TEST(SurveyTest, CoverageDropsWithoutEnoughLines) {
  std::vector<Point2> square = {{0, 0}, {100, 0}, {100, 100}, {0, 100}};
  std::vector<std::vector<Point2>> half = {{{0, 0}, {100, 0}, {100, 50}, {0, 50}}};
  EXPECT_NEAR(CoverageFraction(square, half), 0.5, 1e-9);
  EXPECT_EQ(CoverageFraction(square, {}), 0.0);
}

TEST(PerimeterTest, OffsetRectangle) {
  auto area = ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {400, 0}, {400, 200}, {0, 200}}), "p.geojson");
  ASSERT_TRUE(area.ok());
  PerimeterOptions o;
  o.altitude_m = 60;
  o.offset_m = 10;
  o.speed_mps = 8;
  auto route = PlanPerimeter(*area, o);
  ASSERT_TRUE(route.ok()) << route.status();
  ASSERT_EQ(route->waypoints.size(), 5u);  // closed
  EXPECT_NEAR(route->length_m, 2 * (420 + 220), 0.05);
  EXPECT_NEAR(route->flight_time_s, 1280 / 8.0, 0.01);
  CheckedPlan(*route);
  o.offset_m = -10;
  auto inner = PlanPerimeter(*area, o);
  ASSERT_TRUE(inner.ok()) << inner.status();
  EXPECT_NEAR(inner->length_m, 2 * (380 + 180), 0.05);
  CheckedPlan(*inner);
}

TEST(PerimeterTest, OffsetLargerThanTheAreaIsRefused) {
  auto area = ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {400, 0}, {400, 200}, {0, 200}}), "p.geojson");
  ASSERT_TRUE(area.ok());
  PerimeterOptions o;
  o.altitude_m = 60;
  o.offset_m = -99;  // 200 m across: an inward offset below 100 m still leaves a route
  EXPECT_TRUE(PlanPerimeter(*area, o).ok());
  o.offset_m = -150;
  EXPECT_EQ(PlanPerimeter(*area, o).status().message(),
            "p.geojson: an inward offset of 150 m is larger than the area allows (400.0 m long, 200.0 m across at its "
            "narrowest): 150 m inside the boundary, the route's edge along positions 1 to 2 vanishes; the largest "
            "inward offset for this area is 99.9 m");
  // A U whose gap is 100 m wide: 60 m outward closes the gap and the route would cross itself.
  auto u = ParseAreaGeoJson(
      PolygonGeoJson({{0, 0}, {500, 0}, {500, 400}, {300, 400}, {300, 100}, {200, 100}, {200, 400}, {0, 400}}),
      "u.geojson");
  ASSERT_TRUE(u.ok()) << u.status();
  o.offset_m = 40;
  EXPECT_TRUE(PlanPerimeter(*u, o).ok());
  o.offset_m = 60;
  EXPECT_EQ(std::string(PlanPerimeter(*u, o).status().message()),
            "u.geojson: an outward offset of 60 m is larger than the area allows (500.0 m long, 400.0 m across at its "
            "narrowest): 60 m outside the boundary, the route's edge along positions 4 to 5 vanishes; the largest "
            "outward offset for this area is 49.9 m");  // the notch's 100 m bottom closes at 50 m
}

TEST(AreaGeoJsonTest, SelfIntersectingRingIsRefusedNamingTheEdges) {
  auto Msg = [](const absl::StatusOr<Area>& a) { return std::string(a.status().message()); };
  // A bow-tie: the edges 0-1 and 2-3 cross in the middle.
  EXPECT_EQ(Msg(ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {100, 100}, {100, 0}, {0, 100}}), "bowtie.geojson")),
            "bowtie.geojson: the outer ring crosses or touches itself: its edge from position 0 to 1 meets its edge "
            "from position 2 to 3 at [8.000657, 47.000450]; an area must be a simple polygon (draw it without "
            "crossing edges, or split it)");
  // A ring that touches itself at a vertex (two squares sharing a corner).
  EXPECT_EQ(
      Msg(ParseAreaGeoJson(
          PolygonGeoJson({{0, 0}, {100, 0}, {100, 100}, {200, 100}, {200, 200}, {100, 200}, {100, 100}, {0, 100}}),
          "touch.geojson")),
      "touch.geojson: the outer ring crosses or touches itself: its edge from position 1 to 2 meets its edge from "
      "position 5 to 6 at [8.001315, 47.000900]; an area must be a simple polygon (draw it without crossing edges, or "
      "split it)");
  // A spike that folds back on its own edge.
  EXPECT_EQ(Msg(ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {100, 0}, {100, 100}, {100, 50}, {0, 100}}), "spike.geojson")),
            "spike.geojson: the outer ring crosses or touches itself: its edge from position 1 to 2 meets its edge "
            "from position 3 to 4 at [8.001315, 47.000450]; an area must be a simple polygon (draw it without "
            "crossing edges, or split it)");
  // A ring written clockwise is fine (it is turned counter-clockwise), and so is a concave one.
  EXPECT_TRUE(ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {0, 100}, {100, 100}, {100, 0}}), "cw.geojson").ok());
}

TEST(QgcPlanTest, SpeedTakeoffAndReturnItems) {
  auto area = ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {400, 0}, {400, 200}, {0, 200}}), "p.geojson");
  ASSERT_TRUE(area.ok());
  PerimeterOptions o;
  o.altitude_m = 60;
  o.offset_m = 10;
  o.speed_mps = 7.5;
  o.takeoff = true;
  o.return_to_launch = true;
  auto route = PlanPerimeter(*area, o);
  ASSERT_TRUE(route.ok()) << route.status();
  json plan = CheckedPlan(*route);
  EXPECT_EQ(plan["mission"]["cruiseSpeed"], 7.5);
  EXPECT_EQ(plan["mission"]["hoverSpeed"], 7.5);
  const json& items = plan["mission"]["items"];
  ASSERT_EQ(items.size(), 1u + 1u + 5u + 1u);
  EXPECT_EQ(items[0]["command"], 178);
  EXPECT_EQ(items[0]["frame"], 2);
  EXPECT_EQ(items[0]["params"], json::parse("[1, 7.5, -1, 0, 0, 0, 0]"));
  EXPECT_FALSE(items[0].contains("AltitudeMode"));
  EXPECT_EQ(items[1]["command"], 22);
  EXPECT_EQ(items[1]["frame"], 3);
  EXPECT_EQ(items[1]["AltitudeMode"], 1);
  EXPECT_EQ(items[1]["params"][6], 60.0);
  const json& home = plan["mission"]["plannedHomePosition"];
  EXPECT_EQ(items[1]["params"][4], home[0]);
  EXPECT_EQ(items[1]["params"][5], home[1]);
  for (size_t i = 2; i < 7; ++i) EXPECT_EQ(items[i]["command"], 16);
  EXPECT_EQ(items[7]["command"], 20);
  EXPECT_EQ(items[7]["frame"], 2);
  EXPECT_EQ(items[7]["params"], json::parse("[0, 0, 0, 0, 0, 0, 0]"));
  for (size_t i = 0; i < items.size(); ++i) EXPECT_EQ(items[i]["doJumpId"], i + 1);
  json gj = json::parse(ToGeoJson(*route));
  EXPECT_EQ(gj["features"][1]["properties"]["speed_mps"], 7.5);
  EXPECT_EQ(gj["features"][1]["properties"]["takeoff"], true);
  EXPECT_EQ(gj["features"][1]["properties"]["return_to_launch"], true);
}

TEST(QgcPlanTest, Structure) {
  auto area = ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {1000, 0}, {1000, 600}, {0, 600}}), "r.geojson");
  auto route = PlanSurvey(*area, Options(0.5, 0.5));
  ASSERT_TRUE(route.ok());
  json plan = CheckedPlan(*route);
  EXPECT_EQ(plan["fileType"], "Plan");
  EXPECT_EQ(plan["version"], 1);
  EXPECT_EQ(plan["groundStation"], "QGroundControl");
  EXPECT_EQ(plan["mission"]["version"], 2);
  EXPECT_EQ(plan["mission"]["cruiseSpeed"], 10.0);
  EXPECT_EQ(plan["mission"]["hoverSpeed"], 10.0);
  const json& all = plan["mission"]["items"];
  ASSERT_EQ(all.size(), 11u);  // the speed change, then the waypoints
  EXPECT_EQ(all[0]["command"], 178);
  EXPECT_EQ(all[0]["params"][1], 10.0);
  const json items(std::vector<json>(all.begin() + 1, all.end()));
  for (size_t i = 0; i < items.size(); ++i) {
    EXPECT_EQ(items[i]["type"], "SimpleItem");
    EXPECT_EQ(items[i]["command"], 16);
    EXPECT_EQ(items[i]["frame"], 3);
    EXPECT_EQ(items[i]["doJumpId"], i + 2);
    EXPECT_EQ(items[i]["autoContinue"], true);
    ASSERT_EQ(items[i]["params"].size(), 7u);
    EXPECT_TRUE(items[i]["params"][3].is_null());
    EXPECT_EQ(items[i]["params"][6], 100.0);
  }
  const json& home = plan["mission"]["plannedHomePosition"];
  ASSERT_EQ(home.size(), 3u);
  EXPECT_EQ(home[0], items[0]["params"][4]);
  EXPECT_EQ(home[1], items[0]["params"][5]);
  EXPECT_TRUE(plan["geoFence"]["polygons"].is_array());
  EXPECT_TRUE(plan["rallyPoints"]["points"].is_array());
  json gj = json::parse(ToGeoJson(*route));
  EXPECT_EQ(gj["features"].size(), 1 + 1 + 10 + route->footprints.size());
  EXPECT_NE(ToKml(*route).find("<LineString>"), std::string::npos);
}

TEST(AreaGeoJsonTest, ExactErrors) {
  auto msg = [](const std::string& text) {
    return std::string(ParseAreaGeoJson(text, "a.geojson").status().message());
  };
  EXPECT_EQ(msg("{\"type\": \"Point\", \"coordinates\": [1, 2]}"),
            "a.geojson: no Polygon found (expected a Polygon geometry, or a Feature or FeatureCollection holding one)");
  EXPECT_EQ(msg("{\"type\": \"MultiPolygon\", \"coordinates\": []}"),
            "a.geojson: MultiPolygon is not supported; give one Polygon");
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"coordinates\": 5}"),
            "a.geojson: Polygon coordinates must be an array of rings (arrays of [longitude, latitude] positions)");
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"coordinates\": [[[8, 47], [8.1, \"x\"], [8, 47.1]]]}"),
            "a.geojson: position 1 of the outer ring is not [longitude, latitude]");
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"coordinates\": [[[8, 47], [8.1, 97], [8, 47.1]]]}"),
            "a.geojson: position 1 of the outer ring: latitude/longitude out of range (97, 8.1)");
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"coordinates\": [[[8, 47], [8.1, 47], [8, 47]]]}"),
            "a.geojson: the outer ring has 2 distinct positions; a polygon needs at least 3");
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"coordinates\": [[[8, 47], [8, 47.1], [8, 47.2]]]}"),
            "a.geojson: the polygon has zero area");
  EXPECT_EQ(msg("{\"type\": ").rfind("a.geojson: not valid JSON: ", 0), 0u);
  SurveyOptions o = Options(0.5, 0.5);
  o.side_overlap = 1;
  EXPECT_EQ(o.Validate().message(), "side overlap must be in [0, 0.95], got 1");
  o = Options(0.5, 0.5);
  o.altitude_m = 0;
  EXPECT_EQ(o.Validate().message(), "altitude must be positive, got 0");
}

TEST(AreaGeoJsonTest, LimitsOfSizeVerticesAndExtent) {
  auto msg = [](const std::string& text, const PlanLimits& limits = {}) {
    return std::string(ParseAreaGeoJson(text, "a.geojson", limits).status().message());
  };
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"coordinates\": [[[51.4, 35.7], [51.405, 35.7], [51.405, 35.704], "
                "[51.4, 75.704], [51.4, 35.7]]]}"),
            "a.geojson: the outer ring spans 0.5 km east-west and 4099.6 km north-south, above the limit of 100 km");
  const std::string square = PolygonGeoJson({{0, 0}, {100, 0}, {100, 100}, {0, 100}});
  EXPECT_EQ(msg(square, {.max_vertices = 4}), "a.geojson: the outer ring has 5 positions, above the limit of 4");
  EXPECT_EQ(msg(square, {.max_bytes = 10}),
            absl::StrCat("a.geojson: ", square.size(), " bytes is above the limit of 10 bytes for an area file"));
  EXPECT_EQ(msg("{\"type\": \"Polygon\", \"name\": \"la\xB4\"}").rfind("a.geojson: not valid JSON: ", 0), 0u);
}

TEST(SurveyTest, TooManyPhotosIsRefusedBeforePlanning) {
  auto area = ParseAreaGeoJson(PolygonGeoJson({{0, 0}, {50000, 0}, {50000, 50000}, {0, 50000}}), "a.geojson");
  ASSERT_TRUE(area.ok()) << area.status();
  SurveyOptions o = Options(0.9, 0.9);
  o.altitude_m = 1;
  EXPECT_EQ(PlanSurvey(*area, o).status().message(),
            "the survey needs more than 100000 photos (lines 0.2 m apart, a photo every 0.1 m), above the limit; fly "
            "higher, lower the overlap or raise --max-photos");
  o = Options(0.5, 0.5);
  o.max_photos = 10;
  EXPECT_EQ(PlanSurvey(*area, o).status().code(), absl::StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace didban::plan
