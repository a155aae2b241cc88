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
#include <string_view>
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
  int64_t frame = -1;           // frame number (Telemetry::frame_counter says which kind), -1 when unknown
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

// One recording of a telemetry file that holds several: a DJI SRT whose frame counter (FrameCnt) restarts, as when
// the subtitles of several recordings are joined into one file.
struct TelemetrySegment {
  size_t first = 0, count = 0;                    // its samples: [first, first + count)
  int64_t first_frame = -1, last_frame = -1;      // its counter range
  TimeUs start_us = 0, end_us = 0;                // cue times: the first cue's start, the last cue's end
  int64_t first_wall_us = -1, last_wall_us = -1;  // the dates printed in its first and last cues, -1 if none
  int first_line = 0, last_line = 0;              // lines of its first and last cue

  int64_t Frames() const { return last_frame - first_frame + 1; }
};

// A whole telemetry file: samples in non-decreasing time.
struct Telemetry {
  std::string source;  // the file it came from
  std::string format;  // "dji-srt", "dji-csv", "px4-ulog", "csv"
  std::vector<TelemetrySample> samples;
  // The take-off (home) point when the file gives it; home_alt_m is NaN when unknown.
  std::optional<double> home_lat, home_lon;
  double home_alt_m = kNoValue;
  // How sample.frame numbers frames. true: a recorder's counter (DJI FrameCnt), video frame 1 being the first
  // sample's number; false: the video frame number itself, 1-based (a CSV frame column, read 0- or 1-based).
  bool frame_counter = false;
  // The recordings when the file holds more than one (its frame counter restarts); empty for one recording. Poses
  // (PoseAtTime, PoseAtFrame) are refused while there are several: SelectTelemetrySegment chooses first.
  std::vector<TelemetrySegment> segments;
  // What the reader noticed without refusing the file (a ULog cut mid-record); commands print them to stderr.
  std::vector<std::string> warnings;

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

// The pose at video time `t` (FailedPrecondition naming the recordings when the telemetry holds several). Times before
// the first or after the last sample are clamped to them when within `max_gap_us`, otherwise NotFound. Errors name the
// telemetry source.
absl::StatusOr<TelemetrySample> PoseAtTime(const Telemetry& telemetry, TimeUs t, TimeUs max_gap_us = 2'000'000);

// The pose of video frame `frame` (1-based): when every sample carries a frame number, by frame numbers (for a
// frame counter, video frame 1 being the first sample's number: DJI FrameCnt may start above 1), interpolated
// between the neighbouring numbered samples (the result keeps the telemetry's numbering); else at time
// (frame - 1) / fps. fps <= 0 with unnumbered telemetry is InvalidArgument; several recordings FailedPrecondition.
absl::StatusOr<TelemetrySample> PoseAtFrame(const Telemetry& telemetry, int64_t frame, double fps);

// Which recording of a file with several (Telemetry::segments) goes with the video.
struct TelemetrySelection {
  static constexpr int kMatch = -1;  // the one recording that the video matches (below)
  static constexpr int kAll = 0;     // the video is all the recordings joined: matched by cue time, not counter
  int segment = kMatch;              // kMatch, kAll or a recording's 1-based number
  // What is known of the video, for kMatch: a recording matches when its counter range has the video's frame count
  // (within 1) and its cue times span the video's duration (within 3 frames, or 0.1 s without a frame rate, or
  // 0.5 % when more); the video is all of them joined when none matches and the whole file spans its duration.
  int64_t video_frames = 0;      // 0 = unknown
  double fps = 0;                // 0 = unknown
  TimeUs video_duration_us = 0;  // 0 = video_frames / fps when both are known, else unknown
};

// The telemetry of the chosen recording: its samples with times from its first cue and its counter, or for kAll
// every sample with times as in the file and without frame numbers (so frames are matched by time). Telemetry of
// one recording is returned as it is. When no single recording matches (or the number is out of range), an error
// that lists every recording (counter range, cue times, date, lines) and names --telemetry-segment.
absl::StatusOr<Telemetry> SelectTelemetrySegment(Telemetry telemetry, const TelemetrySelection& selection);

// The recordings of `telemetry` as message lines: "  1: frames 218..820 (603), 0.000..24.160 s, recorded
// 2019-09-27 10:28:08.438, lines 2..3219".
std::string DescribeSegments(const Telemetry& telemetry);

struct TelemetryReadOptions {
  TelemetrySelection selection;
  int csv_frame_base = -1;  // a CSV frame column's first frame: 0, 1, or -1 = 0 when a row has frame 0, else 1
};

// Reads a telemetry file, choosing the parser by content and extension: .srt (DJI SRT), .ulg (PX4 ULog),
// .csv (DJI flight-log CSV or the plain CSV, by header), then SelectTelemetrySegment.
absl::StatusOr<Telemetry> ReadTelemetryFile(const std::string& path, const TelemetryReadOptions& options = {});

// Text from an input file made safe for a message: printable ASCII kept, a quote or backslash escaped with a
// backslash, any other byte as \xNN; cut after `max_chars` characters of the input with "..." appended.
std::string SafeForMessage(std::string_view text, size_t max_chars = 40);

// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_TELEMETRY_TYPES_H_
