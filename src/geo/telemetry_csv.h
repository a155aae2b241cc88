// Telemetry from CSV: the plain didban CSV and DJI flight-log exports (Airdata-style column names). Stateless;
// thread-safe.
//
// The first line is a header; columns are matched by name, case-insensitively, ignoring surrounding spaces and
// quotes; unknown columns are ignored; empty cells are absent values. Accepted columns (first name = plain CSV):
//   time:    time_s (s) | time_ms, time(millisecond) (ms) | time_us (µs)                        [required]
//   frame:   frame (video frame number, 1-based, or 0-based: CsvTelemetryOptions::frame_base; frames may not
//            decrease)
//   lat/lon: lat, latitude | lon, lng, longitude (degrees)                                     [required]
//   height above take-off: alt_m, rel_alt_m, height_above_takeoff(m) | height_above_takeoff(feet)
//   altitude above sea level: abs_alt_m, altitude(m), altitude_above_sealevel(m) | altitude(feet),
//            altitude_above_sealevel(feet)
//   aircraft: yaw_deg, compass_heading(degrees), yaw(degrees) | pitch_deg, pitch(degrees) | roll_deg, roll(degrees)
//   gimbal:   gimbal_yaw_deg, gimbal_heading(degrees), gimbal_yaw(degrees) | gimbal_pitch_deg, gimbal_pitch(degrees)
//            | gimbal_roll_deg, gimbal_roll(degrees)
//   lens:     focal_mm | focal35_mm | zoom
//   isvideo:  (DJI logs) when present with some 1s, only the first run of rows with isVideo = 1 is kept and time
//            starts at 0 on its first row (the video start); otherwise time starts at the first row.
#ifndef DIDBAN_GEO_TELEMETRY_CSV_H_
#define DIDBAN_GEO_TELEMETRY_CSV_H_

#include <string>

#include "didban/status.h"
#include "geo/telemetry_types.h"

namespace didban::geo {

struct CsvTelemetryOptions {
  // The number of the video's first frame in the frame column: 0 or 1; -1 decides per file: 0 when a row has
  // frame 0, else 1. Samples carry 1-based video frame numbers either way.
  int frame_base = -1;
};

// Parses CSV telemetry text; `name` (the file) prefixes errors: "name:LINE: column 'lat': not a number: 'x'" (text
// from the file in messages is escaped and cut: SafeForMessage). Format "dji-csv" when a DJI column name (with a
// unit in parentheses) is present, else "csv".
absl::StatusOr<Telemetry> ParseTelemetryCsv(const std::string& text, const std::string& name,
                                            const CsvTelemetryOptions& options = {});

// Writes telemetry as the plain CSV (frame: the 1-based video frame;
// time_s,frame,lat,lon,alt_m,abs_alt_m,yaw_deg,pitch_deg,roll_deg,
// gimbal_yaw_deg,gimbal_pitch_deg,gimbal_roll_deg,focal_mm,focal35_mm); absent values are empty cells.
std::string FormatTelemetryCsv(const Telemetry& telemetry);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_TELEMETRY_CSV_H_
