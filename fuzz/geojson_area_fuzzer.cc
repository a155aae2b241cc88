// Fuzz target: GeoJSON survey areas (plan::ParseAreaGeoJson), then a perimeter route around the area read and
// a survey route over it (with the photo limit lowered, so that one input stays fast).
#include <cstddef>
#include <cstdint>
#include <string>

#include "plan/route.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto area = didban::plan::ParseAreaGeoJson(std::string(reinterpret_cast<const char*>(data), size), "fuzz.geojson");
  if (!area.ok()) return 0;
  didban::plan::PerimeterOptions perimeter;
  perimeter.altitude_m = 50;
  perimeter.offset_m = 10;
  (void)didban::plan::PlanPerimeter(*area, perimeter);
  didban::plan::SurveyOptions survey;
  survey.altitude_m = 100;
  survey.camera.width = 4000;
  survey.camera.height = 3000;
  survey.camera.hfov_deg = 80;
  survey.max_photos = 5000;
  (void)didban::plan::PlanSurvey(*area, survey);
  return 0;
}
