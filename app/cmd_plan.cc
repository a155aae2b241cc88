// `didban plan survey|perimeter`: drone route planning over a GeoJSON polygon, exported as QGroundControl .plan,
// KML and GeoJSON. Flags and wiring only; the work is in src/plan.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include <absl/strings/str_format.h>

#include "app/command.h"
#include "core/mot_format.h"
#include "plan/route.h"

namespace didban::app {
namespace {

struct PlanFlags {
  std::string area;
  double altitude_m = 0;
  std::string camera;
  double overlap_pct = 70;
  double front_overlap_pct = -1;
  double speed_mps = 10;
  double angle_deg = geo::kNoValue;
  double offset_m = 0;
  int64_t max_photos = plan::PlanLimits{}.max_photos;
  std::string out;
};

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "didban plan %s: %s\n", what.c_str(), std::string(status.message()).c_str());
  return 1;
}

absl::Status WriteExports(const plan::Route& route, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot create the directory: ", ec.message()));
  const std::string base = dir + "/" + route.kind;
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(base + ".plan", plan::ToQgcPlan(route)));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(base + ".kml", plan::ToKml(route)));
  return WriteTextFile(base + ".geojson", plan::ToGeoJson(route));
}

int RunSurvey(const PlanFlags& f) {
  auto area = plan::ReadAreaGeoJson(f.area);
  if (!area.ok()) return Fail("survey", area.status());
  auto camera = geo::ParseCameraSpec(f.camera);
  if (!camera.ok()) return Fail("survey", camera.status());
  plan::SurveyOptions o;
  o.altitude_m = f.altitude_m;
  o.camera = *camera;
  o.side_overlap = f.overlap_pct / 100.0;
  o.front_overlap = (f.front_overlap_pct >= 0 ? f.front_overlap_pct : f.overlap_pct) / 100.0;
  o.speed_mps = f.speed_mps;
  o.angle_deg = f.angle_deg;
  o.max_photos = f.max_photos;
  auto route = plan::PlanSurvey(*area, o);
  if (!route.ok()) return Fail("survey", route.status());
  absl::Status st = WriteExports(*route, f.out);
  if (!st.ok()) return Fail("survey", st);
  double coverage = plan::CoverageFraction(route->area, route->footprints);
  std::printf("%s", absl::StrFormat("survey: %d lines, %d waypoints, %d photos, line spacing %.1f m, trigger distance "
                                    "%.1f m, direction %.1f deg\n",
                                    route->lines, route->waypoints.size(), route->footprints.size(),
                                    route->line_spacing_m, route->trigger_distance_m, route->angle_deg)
                        .c_str());
  std::printf("%s", absl::StrFormat("coverage %.2f %%, length %.1f m, flight time %.1f s\n", 100 * coverage,
                                    route->length_m, route->flight_time_s)
                        .c_str());
  return 0;
}

int RunPerimeter(const PlanFlags& f) {
  auto area = plan::ReadAreaGeoJson(f.area);
  if (!area.ok()) return Fail("perimeter", area.status());
  plan::PerimeterOptions o;
  o.altitude_m = f.altitude_m;
  o.offset_m = f.offset_m;
  o.speed_mps = f.speed_mps;
  auto route = plan::PlanPerimeter(*area, o);
  if (!route.ok()) return Fail("perimeter", route.status());
  absl::Status st = WriteExports(*route, f.out);
  if (!st.ok()) return Fail("perimeter", st);
  std::printf("%s", absl::StrFormat("perimeter: %d waypoints, length %.1f m, flight time %.1f s\n",
                                    route->waypoints.size(), route->length_m, route->flight_time_s)
                        .c_str());
  return 0;
}

void SetupPlan(CLI::App& root, int* exit_code) {
  CLI::App* plan = root.add_subcommand("plan", "Plan drone routes over an area (QGroundControl .plan, KML, GeoJSON)");
  plan->require_subcommand(1);
  auto flags = std::make_shared<PlanFlags>();

  CLI::App* survey = plan->add_subcommand(
      "survey", "Lawnmower survey whose photo footprints cover the area with the requested overlap");
  survey->add_option("--area", flags->area, "Area polygon (GeoJSON Polygon, Feature or FeatureCollection)")->required();
  survey->add_option("--altitude", flags->altitude_m, "Flight height above take-off, metres")->required();
  survey->add_option("--camera", flags->camera, "Camera spec, e.g. hfov=82.1,width=3840,height=2160 (docs/drone.md)")
      ->required();
  survey->add_option("--overlap", flags->overlap_pct, "Side (and front) overlap, percent [0, 95]")
      ->capture_default_str();
  survey->add_option("--front-overlap", flags->front_overlap_pct, "Front overlap, percent (default: --overlap)");
  survey->add_option("--speed", flags->speed_mps, "Cruise speed, m/s")->capture_default_str();
  survey->add_option("--angle", flags->angle_deg,
                     "Flight-line direction, degrees from east counter-clockwise (default: minimum width)");
  survey
      ->add_option("--max-photos", flags->max_photos,
                   "Refuse a survey that needs more photos than this (docs/security.md)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  survey->add_option("--out", flags->out, "Output directory (survey.plan, survey.kml, survey.geojson)")->required();
  survey->callback([flags, exit_code] { *exit_code = RunSurvey(*flags); });

  CLI::App* perimeter = plan->add_subcommand("perimeter", "Route along the area's boundary");
  perimeter->add_option("--area", flags->area, "Area polygon (GeoJSON)")->required();
  perimeter->add_option("--altitude", flags->altitude_m, "Flight height above take-off, metres")->required();
  perimeter->add_option("--offset", flags->offset_m, "Distance outside (+) or inside (-) the boundary, metres")
      ->capture_default_str();
  perimeter->add_option("--speed", flags->speed_mps, "Cruise speed, m/s")->capture_default_str();
  perimeter->add_option("--out", flags->out, "Output directory (perimeter.plan, .kml, .geojson)")->required();
  perimeter->callback([flags, exit_code] { *exit_code = RunPerimeter(*flags); });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(plan, SetupPlan);

}  // namespace didban::app
