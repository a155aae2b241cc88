// Drone flight telemetry as a time series of samples (position, aircraft and gimbal attitude, focal length), read
// from DJI SRT subtitles, DJI flight-log CSV, PX4 ULog or a plain CSV (telemetry_srt.h, telemetry_csv.h,
// telemetry_ulog.h), and the pose at any video time or frame (linear position, shortest-arc angles).
// Values only; thread-safe when not mutated.
#ifndef DIDBAN_GEO_TELEMETRY_TYPES_H_
#define DIDBAN_GEO_TELEMETRY_TYPES_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "didban/status.h"
#include "didban/time.h"

namespace didban::geo {

constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();
// True when a telemetry field was present (fields that a format lacks are NaN).
inline bool HasValue(double v) { return !std::isnan(v); }

// One telemetry record. Absent fields are NaN (HasValue() is false).
struct TelemetrySample {
  TimeUs time_us = 0;           // from the start of the video (or of the log), microseconds
  int64_t frame = -1;           // the video frame number the record belongs to (1-based), -1 when unknown
  int64_t wall_us = -1;         // the date/time printed in the record, µs since 1970-01-01 (drone's clock), -1 if none
  int line = 0;                 // 1-based line of the record in its file (0 for binary inputs)
  double lat = kNoValue;        // degrees WGS84
  double lon = kNoValue;        // degrees WGS84
  double rel_alt_m = kNoValue;  // height above the take-off point, metres
  double abs_alt_m = kNoValue;  // altitude as the drone reports it (above sea level / ellipsoid), metres
  // Aircraft attitude, degrees: yaw from true north clockwise, pitch nose-up positive, roll right-wing-down positive.
  double yaw_deg = kNoValue, pitch_deg = kNoValue, roll_deg = kNoValue;
  // Gimbal (camera) attitude in the same earth frame (DJI convention: pitch -90 = nadir, yaw from north clockwise).
  double gimbal_yaw_deg = kNoValue, gimbal_pitch_deg = kNoValue, gimbal_roll_deg = kNoValue;
  double focal_mm = kNoValue;       // true focal length, mm
  double focal_35mm_mm = kNoValue;  // 35 mm-equivalent focal length, mm (DJI SRT focal_len)
  double digital_zoom = kNoValue;   // digital zoom ratio (1 = none)

  bool HasPosition() const { return HasValue(lat) && HasValue(lon); }
};

// A whole telemetry file: samples in non-decreasing time.
struct Telemetry {
  std::string source;  // the file it came from
  std::string format;  // "dji-srt", "dji-csv", "px4-ulog", "csv"
  std::vector<TelemetrySample> samples;
  // The take-off (home) point when the file gives it; home_alt_m is NaN when unknown.
  std::optional<double> home_lat, home_lon;
  double home_alt_m = kNoValue;

  // True when every sample carries a frame number.
  bool HasFrameNumbers() const;
  // Index of the first sample with a position, or -1.
  int FirstWithPosition() const;
};

// Limits of the telemetry readers (docs/security.md). Every parser (SRT, CSV, ULog) checks what it read with
// CheckTelemetryLimits before returning, so that no later step sizes work from a hostile time or frame number.
struct TelemetryLimits {
  TimeUs max_abs_time_us = 86'400'000'000;  // largest |time| of a sample from the start of the video or log (24 h)
  int64_t max_frame = 100'000'000;          // largest frame number (DJI FrameCnt, a CSV frame column)
  int64_t max_samples = 10'000'000;         // samples in one file
};

// OutOfRange naming the source, the sample's line (or its index for binary logs), the field and the limit:
// "tel.csv:3: time 100000 s is beyond the limit of 86400 s (24 h) from the start".
absl::Status CheckTelemetryLimits(const Telemetry& telemetry, const TelemetryLimits& limits = {});

// Interpolates two samples at `t` in [a.time_us, b.time_us]: positions, altitudes, focal lengths linearly; angles
// along the shortest arc (yaw wraps into [-180, 180)); a field absent from either side is taken from the other.
TelemetrySample InterpolateSamples(const TelemetrySample& a, const TelemetrySample& b, TimeUs t);

// The pose at video time `t`. Times before the first or after the last sample are clamped to them when within
// `max_gap_us`, otherwise NotFound. Errors name the telemetry source.
absl::StatusOr<TelemetrySample> PoseAtTime(const Telemetry& telemetry, TimeUs t, TimeUs max_gap_us = 2'000'000);

// The pose of video frame `frame` (1-based): when every sample carries a frame number, by frame numbers, video
// frame 1 being the first sample's number (DJI FrameCnt may start above 1), interpolated between the neighbouring
// numbered samples (the result keeps the telemetry's numbering); else at time (frame - 1) / fps. fps <= 0 with
// unnumbered telemetry is InvalidArgument.
absl::StatusOr<TelemetrySample> PoseAtFrame(const Telemetry& telemetry, int64_t frame, double fps);

// Reads a telemetry file, choosing the parser by content and extension: .srt (DJI SRT), .ulg (PX4 ULog),
// .csv (DJI flight-log CSV or the plain CSV, by header).
absl::StatusOr<Telemetry> ReadTelemetryFile(const std::string& path);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_TELEMETRY_TYPES_H_
