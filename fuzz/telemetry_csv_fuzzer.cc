// Fuzz target: CSV telemetry, DJI flight-log and plain (geo::ParseTelemetryCsv), then what callers do with it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/telemetry_checks.h"
#include "geo/telemetry_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = didban::geo::ParseTelemetryCsv(std::string(reinterpret_cast<const char*>(data), size), "fuzz.csv");
  if (t.ok()) didban::fuzz::ExerciseTelemetry(*t);
  return 0;
}
