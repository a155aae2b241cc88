#include "geo/telemetry_types.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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

}  // namespace

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
  if (telemetry.HasFrameNumbers()) {
    frame += s.front().frame - 1;  // video frame 1 is the first sample's frame number
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

absl::StatusOr<Telemetry> ReadTelemetryFile(const std::string& path) {
  std::string lower = absl::AsciiStrToLower(path);
  if (absl::EndsWith(lower, ".ulg")) return ReadULogTelemetry(path);
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  if (absl::EndsWith(lower, ".csv")) return ParseTelemetryCsv(text, path);
  if (absl::EndsWith(lower, ".srt")) return ParseDjiSrt(text, path);
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
