// Fuzz target: GeoJSON survey areas (plan::ParseAreaGeoJson), then a perimeter route around the area read.
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
  return 0;
}
