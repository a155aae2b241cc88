#include "geo/telemetry_types.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "core/mot_format.h"
#include "geo/telemetry_csv.h"
#include "geo/telemetry_srt.h"
#include "geo/telemetry_ulog.h"

namespace didban::geo {
namespace {

double Lerp(double a, double b, double w) {
  if (!HasValue(a)) return b;
  if (!HasValue(b)) return a;
  return a + (b - a) * w;
}

// Shortest-arc interpolation of angles in degrees; the result is wrapped into [-180, 180).
double LerpAngle(double a, double b, double w) {
  if (!HasValue(a)) return b;
  if (!HasValue(b)) return a;
  double d = std::remainder(b - a, 360.0);
  double v = std::remainder(a + d * w, 360.0);
  return v >= 180.0 ? v - 360.0 : v;
}

// Year, month, day of days since 1970-01-01 (inverse of DaysFromCivil).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2 ? 1 : 0);
}

// `2019-09-27 10:28:08.438` of µs since 1970 on the drone's clock.
std::string FormatWall(int64_t wall_us) {
  const int64_t day_us = 86'400'000'000;
  int64_t days = wall_us / day_us, rest = wall_us % day_us;
  if (rest < 0) rest += day_us, --days;
  int64_t y = 0;
  unsigned m = 0, d = 0;
  CivilFromDays(days, &y, &m, &d);
  const int64_t ms = rest / 1000;
  return absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d.%03d", y, m, d, ms / 3'600'000, ms / 60'000 % 60,
                         ms / 1000 % 60, ms % 1000);
}

std::string Seconds3(TimeUs t) { return absl::StrFormat("%.3f", UsToSeconds(t)); }

absl::Status SeveralRecordings(const Telemetry& telemetry, const std::string& what) {
  return absl::FailedPreconditionError(
      absl::StrCat(telemetry.source, ": ", what, ": the file holds ", telemetry.segments.size(),
                   " recordings (its frame counter restarts):\n", DescribeSegments(telemetry),
                   "choose the video's recording with --telemetry-segment N (0: the video is all of them joined)"));
}

}  // namespace

std::string SafeForMessage(std::string_view text, size_t max_chars) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == max_chars) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("\\x%02X", c);
    }
  }
  return out;
}

std::string DescribeSegments(const Telemetry& telemetry) {
  std::string out;
  for (size_t k = 0; k < telemetry.segments.size(); ++k) {
    const TelemetrySegment& g = telemetry.segments[k];
    absl::StrAppend(&out, "  ", k + 1, ": frames ", g.first_frame, "..", g.last_frame, " (", g.Frames(), "), ",
                    Seconds3(g.start_us), "..", Seconds3(g.end_us), " s");
    if (g.first_wall_us >= 0) absl::StrAppend(&out, ", recorded ", FormatWall(g.first_wall_us));
    absl::StrAppend(&out, ", lines ", g.first_line, "..", g.last_line, "\n");
  }
  return out;
}

absl::StatusOr<Telemetry> SelectTelemetrySegment(Telemetry telemetry, const TelemetrySelection& selection) {
  const auto& segs = telemetry.segments;
  if (segs.size() <= 1) {
    telemetry.segments.clear();
    return telemetry;
  }
  int chosen = selection.segment;
  if (chosen < TelemetrySelection::kMatch || chosen > static_cast<int>(segs.size())) {
    return absl::InvalidArgumentError(absl::StrCat(telemetry.source, ": there is no recording ", chosen, " (1..",
                                                   segs.size(), ", or 0 for all of them joined):\n",
                                                   DescribeSegments(telemetry)));
  }
  if (chosen == TelemetrySelection::kMatch) {
    TimeUs duration = selection.video_duration_us;
    if (duration <= 0 && selection.video_frames > 0 && selection.fps > 0) {
      duration = SecondsToUs(static_cast<double>(selection.video_frames) / selection.fps);
    }
    if (selection.video_frames <= 0 && duration <= 0) {
      return SeveralRecordings(telemetry, "cannot match the video without its frame count or duration (--frames)");
    }
    const TimeUs tolerance =
        std::max<TimeUs>(selection.fps > 0 ? SecondsToUs(3 / selection.fps) : 100'000, duration / 200);
    auto time_fits = [&](TimeUs span) { return duration <= 0 || std::abs(span - duration) <= tolerance; };
    std::vector<int> matches;
    for (size_t k = 0; k < segs.size(); ++k) {
      const bool counter_fits = selection.video_frames <= 0 || std::abs(segs[k].Frames() - selection.video_frames) <= 1;
      if (counter_fits && time_fits(segs[k].end_us - segs[k].start_us)) matches.push_back(static_cast<int>(k) + 1);
    }
    const std::string video =
        absl::StrCat("the video (", selection.video_frames > 0 ? absl::StrCat(selection.video_frames, " frames") : "",
                     selection.video_frames > 0 && duration > 0 ? ", " : "",
                     duration > 0 ? absl::StrCat(Seconds3(duration), " s") : "", ")");
    if (matches.size() == 1) {
      chosen = matches[0];
    } else if (matches.empty() && duration > 0 && time_fits(segs.back().end_us - segs.front().start_us)) {
      chosen = TelemetrySelection::kAll;
    } else if (matches.empty()) {
      return SeveralRecordings(telemetry, absl::StrCat(video, " matches none of its recordings"));
    } else {
      std::string list;
      for (int m : matches) absl::StrAppend(&list, list.empty() ? "" : ", ", m);
      return SeveralRecordings(telemetry, absl::StrCat(video, " matches recordings ", list));
    }
  }
  if (chosen == TelemetrySelection::kAll) {
    for (TelemetrySample& s : telemetry.samples) s.frame = -1;
    telemetry.frame_counter = false;
    telemetry.segments.clear();
    return telemetry;
  }
  const TelemetrySegment g = segs[static_cast<size_t>(chosen - 1)];
  std::vector<TelemetrySample> kept(telemetry.samples.begin() + static_cast<std::ptrdiff_t>(g.first),
                                    telemetry.samples.begin() + static_cast<std::ptrdiff_t>(g.first + g.count));
  for (TelemetrySample& s : kept) s.time_us -= g.start_us;
  telemetry.samples = std::move(kept);
  telemetry.segments.clear();
  return telemetry;
}

bool Telemetry::HasFrameNumbers() const {
  if (samples.empty()) return false;
  return std::all_of(samples.begin(), samples.end(), [](const TelemetrySample& s) { return s.frame >= 1; });
}

int Telemetry::FirstWithPosition() const {
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].HasPosition()) return static_cast<int>(i);
  }
  return -1;
}

TelemetrySample InterpolateSamples(const TelemetrySample& a, const TelemetrySample& b, TimeUs t) {
  double span = static_cast<double>(b.time_us - a.time_us);
  double w = span <= 0 ? 0.0 : std::clamp(static_cast<double>(t - a.time_us) / span, 0.0, 1.0);
  TelemetrySample s = w < 0.5 ? a : b;  // frame, wall time and line of the nearer sample
  s.time_us = t;
  s.lat = Lerp(a.lat, b.lat, w);
  s.lon = Lerp(a.lon, b.lon, w);
  s.rel_alt_m = Lerp(a.rel_alt_m, b.rel_alt_m, w);
  s.abs_alt_m = Lerp(a.abs_alt_m, b.abs_alt_m, w);
  s.yaw_deg = LerpAngle(a.yaw_deg, b.yaw_deg, w);
  s.pitch_deg = LerpAngle(a.pitch_deg, b.pitch_deg, w);
  s.roll_deg = LerpAngle(a.roll_deg, b.roll_deg, w);
  s.gimbal_yaw_deg = LerpAngle(a.gimbal_yaw_deg, b.gimbal_yaw_deg, w);
  s.gimbal_pitch_deg = LerpAngle(a.gimbal_pitch_deg, b.gimbal_pitch_deg, w);
  s.gimbal_roll_deg = LerpAngle(a.gimbal_roll_deg, b.gimbal_roll_deg, w);
  s.focal_mm = Lerp(a.focal_mm, b.focal_mm, w);
  s.focal_35mm_mm = Lerp(a.focal_35mm_mm, b.focal_35mm_mm, w);
  s.digital_zoom = Lerp(a.digital_zoom, b.digital_zoom, w);
  return s;
}

absl::StatusOr<TelemetrySample> PoseAtTime(const Telemetry& telemetry, TimeUs t, TimeUs max_gap_us) {
  const auto& s = telemetry.samples;
  if (s.empty()) return absl::NotFoundError(absl::StrCat(telemetry.source, ": no telemetry samples"));
  if (telemetry.segments.size() > 1) return SeveralRecordings(telemetry, "no pose by time");
  if (t <= s.front().time_us) {
    if (s.front().time_us - t > max_gap_us) {
      return absl::NotFoundError(absl::StrCat(telemetry.source, ": time ", UsToSeconds(t),
                                              " s is before the telemetry starts (", UsToSeconds(s.front().time_us),
                                              " s)"));
    }
    TelemetrySample out = s.front();
    out.time_us = t;
    return out;
  }
  if (t >= s.back().time_us) {
    if (t - s.back().time_us > max_gap_us) {
      return absl::NotFoundError(absl::StrCat(telemetry.source, ": time ", UsToSeconds(t),
                                              " s is after the telemetry ends (", UsToSeconds(s.back().time_us),
                                              " s)"));
    }
    TelemetrySample out = s.back();
    out.time_us = t;
    return out;
  }
  auto it = std::upper_bound(s.begin(), s.end(), t,
                             [](TimeUs v, const TelemetrySample& x) { return v < x.time_us; });  // first > t
  const TelemetrySample& b = *it;
  const TelemetrySample& a = *(it - 1);
  return InterpolateSamples(a, b, t);
}

absl::StatusOr<TelemetrySample> PoseAtFrame(const Telemetry& telemetry, int64_t frame, double fps) {
  const auto& s = telemetry.samples;
  if (s.empty()) return absl::NotFoundError(absl::StrCat(telemetry.source, ": no telemetry samples"));
  if (telemetry.segments.size() > 1) return SeveralRecordings(telemetry, "no pose by frame");
  if (telemetry.HasFrameNumbers()) {
    if (telemetry.frame_counter) frame += s.front().frame - 1;  // video frame 1 is the counter's first number
    auto it = std::lower_bound(s.begin(), s.end(), frame,
                               [](const TelemetrySample& x, int64_t f) { return x.frame < f; });  // first >= frame
    if (it != s.end() && it->frame == frame) return *it;
    if (it == s.begin() || it == s.end()) {
      return absl::NotFoundError(absl::StrCat(telemetry.source, ": frame ", frame,
                                              " is outside the telemetry's frames ", s.front().frame, "..",
                                              s.back().frame));
    }
    const TelemetrySample& b = *it;
    const TelemetrySample& a = *(it - 1);
    double w = static_cast<double>(frame - a.frame) / static_cast<double>(b.frame - a.frame);
    TimeUs t = a.time_us + static_cast<TimeUs>(std::llround(w * static_cast<double>(b.time_us - a.time_us)));
    TelemetrySample out = InterpolateSamples(a, b, t);
    out.frame = frame;
    return out;
  }
  if (!(fps > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(telemetry.source, ": telemetry has no frame numbers; a frame rate (fps) is needed"));
  }
  TimeUs t = SecondsToUs(static_cast<double>(frame - 1) / fps);
  DIDBAN_ASSIGN_OR_RETURN(TelemetrySample out, PoseAtTime(telemetry, t));
  out.frame = frame;
  return out;
}

absl::Status CheckTelemetryLimits(const Telemetry& telemetry, const TelemetryLimits& limits) {
  const auto& samples = telemetry.samples;
  if (static_cast<int64_t>(samples.size()) > limits.max_samples) {
    return absl::OutOfRangeError(
        absl::StrCat(telemetry.source, ": ", samples.size(), " samples is above the limit of ", limits.max_samples));
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    const TelemetrySample& s = samples[i];
    const std::string where =
        s.line > 0 ? absl::StrCat(telemetry.source, ":", s.line) : absl::StrCat(telemetry.source, ": sample ", i + 1);
    if (s.time_us > limits.max_abs_time_us || s.time_us < -limits.max_abs_time_us) {
      return absl::OutOfRangeError(absl::StrCat(where, ": time ", UsToSeconds(s.time_us), " s is beyond the limit of ",
                                                UsToSeconds(limits.max_abs_time_us), " s (",
                                                UsToSeconds(limits.max_abs_time_us) / 3600, " h) from the start"));
    }
    if (s.frame > limits.max_frame) {
      return absl::OutOfRangeError(
          absl::StrCat(where, ": frame ", s.frame, " is above the limit of ", limits.max_frame));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Telemetry> ReadTelemetryFile(const std::string& path, const TelemetryReadOptions& options) {
  std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".ulg")) return ReadULogTelemetry(path);
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  if (absl::EndsWith(lower, ".csv")) {
    CsvTelemetryOptions csv;
    csv.frame_base = options.csv_frame_base;
    return ParseTelemetryCsv(text, path, csv);
  }
  if (absl::EndsWith(lower, ".srt")) {
    DIDBAN_ASSIGN_OR_RETURN(Telemetry t, ParseDjiSrt(text, path));
    return SelectTelemetrySegment(std::move(t), options.selection);
  }
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": unknown telemetry format (expected a .srt, .csv or .ulg file)"));
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace didban::geo
