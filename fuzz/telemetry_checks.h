// Shared by the telemetry fuzz targets: what a caller does with parsed telemetry (poses at times and frames, the CSV
// form), so that values the parsers let through are exercised too.
#ifndef DIDBAN_FUZZ_TELEMETRY_CHECKS_H_
#define DIDBAN_FUZZ_TELEMETRY_CHECKS_H_

#include "geo/telemetry_csv.h"
#include "geo/telemetry_types.h"

namespace didban::fuzz {

inline void ExerciseTelemetry(const geo::Telemetry& t) {
  if (t.samples.empty()) return;
  const TimeUs first = t.samples.front().time_us, last = t.samples.back().time_us;
  for (TimeUs at : {first, last, first / 2 + last / 2}) (void)geo::PoseAtTime(t, at);
  (void)geo::PoseAtFrame(t, 1, 30.0);
  (void)geo::PoseAtFrame(t, 2, 30.0);
  (void)t.HasFrameNumbers();
  (void)t.FirstWithPosition();
  // The CSV form (rows without a position are not read back: the plain CSV needs one on every row).
  (void)geo::ParseTelemetryCsv(geo::FormatTelemetryCsv(t), "written.csv");
}

}  // namespace didban::fuzz

#endif  // DIDBAN_FUZZ_TELEMETRY_CHECKS_H_
