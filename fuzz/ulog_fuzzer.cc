// Fuzz target: PX4 ULog (geo::ParseULog, geo::ULogToTelemetry), then what callers do with the telemetry.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/telemetry_checks.h"
#include "geo/telemetry_ulog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto log = didban::geo::ParseULog(std::string(reinterpret_cast<const char*>(data), size), "fuzz.ulg");
  if (!log.ok()) return 0;
  auto t = didban::geo::ULogToTelemetry(*log, "fuzz.ulg");
  if (t.ok()) didban::fuzz::ExerciseTelemetry(*t);
  return 0;
}
