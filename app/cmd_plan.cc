// `didban plan survey|perimeter`: drone route planning over a GeoJSON polygon, exported as QGroundControl .plan,
// KML and GeoJSON. Flags and wiring only; the work is in src/plan.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <absl/strings/str_format.h>

#include "app/command.h"
#include "core/mot_format.h"
#include "plan/qgc_plan_check.h"
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
  bool takeoff = false;
  bool rtl = false;
  std::string out;
  std::vector<std::string> plans;  // `plan check`
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
  const std::string qgc = plan::ToQgcPlan(route);
  // What is written must load in QGroundControl; a failure here is a bug of the exporter, said before writing.
  auto check = plan::CheckQgcPlan(qgc);
  if (!check.ok())
    return absl::InternalError(absl::StrCat("the .plan does not pass the check: ", check.status().message()));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(base + ".plan", qgc));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(base + ".kml", plan::ToKml(route)));
  return WriteTextFile(base + ".geojson", plan::ToGeoJson(route));
}

// "mission: 13 items: speed 10.0 m/s, take-off to 100.0 m, 10 waypoints, return to launch"
void PrintMission(const plan::Route& route) {
  const size_t items = 1 + (route.takeoff ? 1 : 0) + route.waypoints.size() + (route.return_to_launch ? 1 : 0);
  std::string line = absl::StrFormat("mission: %d items: speed %.1f m/s", items, route.speed_mps);
  if (route.takeoff) absl::StrAppend(&line, absl::StrFormat(", take-off to %.1f m", route.altitude_m));
  absl::StrAppend(&line, ", ", route.waypoints.size(), " waypoints");
  if (route.return_to_launch) absl::StrAppend(&line, ", return to launch");
  std::printf("%s\n", line.c_str());
}

int RunCheck(const PlanFlags& f) {
  int rc = 0;
  for (const std::string& path : f.plans) {
    auto text = ReadTextFile(path, plan::PlanLimits{}.max_bytes);
    if (!text.ok()) {
      rc = Fail("check", text.status());
      continue;
    }
    auto summary = plan::CheckQgcPlan(*text);
    if (!summary.ok()) {
      rc = Fail("check", absl::InvalidArgumentError(absl::StrCat(path, ": ", summary.status().message())));
      continue;
    }
    std::printf(
        "%s", absl::StrFormat("%s: ok: %d items, %d waypoints, speed %.1f m/s (cruise %.1f, hover %.1f)%s%s\n", path,
                              summary->commands.size(), summary->waypoints, summary->speed_mps,
                              summary->cruise_speed_mps, summary->hover_speed_mps, summary->takeoff ? ", take-off" : "",
                              summary->return_to_launch ? ", return to launch" : "")
                  .c_str());
  }
  return rc;
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
  o.takeoff = f.takeoff;
  o.return_to_launch = f.rtl;
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
  PrintMission(*route);
  return 0;
}

int RunPerimeter(const PlanFlags& f) {
  auto area = plan::ReadAreaGeoJson(f.area);
  if (!area.ok()) return Fail("perimeter", area.status());
  plan::PerimeterOptions o;
  o.altitude_m = f.altitude_m;
  o.offset_m = f.offset_m;
  o.speed_mps = f.speed_mps;
  o.takeoff = f.takeoff;
  o.return_to_launch = f.rtl;
  auto route = plan::PlanPerimeter(*area, o);
  if (!route.ok()) return Fail("perimeter", route.status());
  absl::Status st = WriteExports(*route, f.out);
  if (!st.ok()) return Fail("perimeter", st);
  std::printf("%s", absl::StrFormat("perimeter: %d waypoints, length %.1f m, flight time %.1f s\n",
                                    route->waypoints.size(), route->length_m, route->flight_time_s)
                        .c_str());
  PrintMission(*route);
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
  survey->add_flag("--takeoff", flags->takeoff, "Start the mission with a take-off to --altitude");
  survey->add_flag("--rtl", flags->rtl, "End the mission with a return to launch");
  survey->add_option("--out", flags->out, "Output directory (survey.plan, survey.kml, survey.geojson)")->required();
  survey->callback([flags, exit_code] { *exit_code = RunSurvey(*flags); });

  CLI::App* perimeter = plan->add_subcommand("perimeter", "Route along the area's boundary");
  perimeter->add_option("--area", flags->area, "Area polygon (GeoJSON)")->required();
  perimeter->add_option("--altitude", flags->altitude_m, "Flight height above take-off, metres")->required();
  perimeter->add_option("--offset", flags->offset_m, "Distance outside (+) or inside (-) the boundary, metres")
      ->capture_default_str();
  perimeter->add_option("--speed", flags->speed_mps, "Cruise speed, m/s")->capture_default_str();
  perimeter->add_flag("--takeoff", flags->takeoff, "Start the mission with a take-off to --altitude");
  perimeter->add_flag("--rtl", flags->rtl, "End the mission with a return to launch");
  perimeter->add_option("--out", flags->out, "Output directory (perimeter.plan, .kml, .geojson)")->required();
  perimeter->callback([flags, exit_code] { *exit_code = RunPerimeter(*flags); });

  CLI::App* check = plan->add_subcommand(
      "check", "Check QGroundControl .plan files against the rules of QGroundControl's plan loader (docs/drone.md)");
  check->add_option("plans", flags->plans, "The .plan files")->required();
  check->callback([flags, exit_code] { *exit_code = RunCheck(*flags); });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(plan, SetupPlan);

}  // namespace didban::app
