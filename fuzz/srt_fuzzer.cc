// Fuzz target: DJI SRT telemetry (geo::ParseDjiSrt), in each coordinate order, then what callers do with it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/telemetry_checks.h"
#include "geo/telemetry_srt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  using didban::geo::SrtCoordinateOrder;
  for (SrtCoordinateOrder order : {SrtCoordinateOrder::kAuto, SrtCoordinateOrder::kLatLon}) {
    auto t = didban::geo::ParseDjiSrt(text, "fuzz.srt", {order});
    if (t.ok()) didban::fuzz::ExerciseTelemetry(*t);
  }
  return 0;
}
