// DJI SRT subtitle telemetry (the per-frame or per-second cues DJI drones write beside their videos). Stateless
// functions; thread-safe.
//
// Formats read (see docs/drone.md for examples): bracketed fields `[latitude: 3.41] [longitude: -3.37]
// [rel_alt: -2.4 abs_alt: 0.4] [focal_len: 24.00]` (Mavic 3, Mavic 2, Air 2/2S, Mini 3: also `longtitude`,
// `altitude`, `gb_yaw/gb_pitch/gb_roll`, `dzoom_ratio`), comma-separated `GPS (lon, lat, n), HOME (lon, lat, alt),
// H 85.80m, F.PRY (p°, r°, y°), G.PRY (p°, r°, y°)` (Phantom 4 RTK/Pro, Mavic Mini), and the old
// `HOME(lon,lat) date / GPS(lon,lat,n) BAROMETER:1.9` or `Hb:1.9` lines (Mavic Pro), `GPS(lat,lon,altM)
// BAROMETER:0.3M` (Matrice 300), and cues without a timing line (time from their date).
#ifndef DIDBAN_GEO_TELEMETRY_SRT_H_
#define DIDBAN_GEO_TELEMETRY_SRT_H_

#include <string>

#include "didban/status.h"
#include "geo/telemetry_types.h"

namespace didban::geo {

// How the two numbers of a `GPS(...)` / `HOME(...)` tuple are ordered.
enum class SrtCoordinateOrder {
  kAuto = 0,  // decide per file (below)
  kLatLon,
  kLonLat,
};

struct SrtOptions {
  // kAuto decides once per file: a tuple whose first number exceeds 90 in magnitude means (lon, lat), whose second
  // does means (lat, lon) (both in one file is an error); otherwise a GPS tuple whose third number has a metre unit
  // (`GPS(36.61,-6.11,0.0M)`, Matrice 300 style) means (lat, lon); otherwise (lon, lat), the order of every DJI
  // consumer format with `GPS (a, b, n)` / `HOME(a, b)`.
  SrtCoordinateOrder order = SrtCoordinateOrder::kAuto;
};

// Parses the text of a DJI SRT file. `name` (the file) prefixes every error: "name:LINE: what is wrong". Samples get
// the cue's start time (or, for cues without a timing line, the time since the first cue's date), the cue's
// FrameCnt when present, and every field above that is present. A cue that is truncated (an index with no
// telemetry, a `[` or `(` without its closing bracket, a `<font>` without `</font>`), a number that does not parse,
// a latitude/longitude out of range or time going backwards is an error; text from the file in messages is escaped
// and cut (SafeForMessage). Where FrameCnt restarts (the subtitles of several recordings joined into one file), the
// recordings are listed in Telemetry::segments and poses are refused until SelectTelemetrySegment picks one.
absl::StatusOr<Telemetry> ParseDjiSrt(const std::string& text, const std::string& name, const SrtOptions& options = {});

}  // namespace didban::geo

#endif  // DIDBAN_GEO_TELEMETRY_SRT_H_
