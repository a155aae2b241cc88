#include "drone/srt_telemetry.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "geo/local_frame.h"

namespace didban::drone {
namespace {

std::string SrtTime(TimeUs us) {
  const int64_t ms = us / 1000;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld,%03lld", static_cast<long long>(ms / 3600000),
                static_cast<long long>(ms / 60000 % 60), static_cast<long long>(ms / 1000 % 60),
                static_cast<long long>(ms % 1000));
  return buf;
}

double Or(double v, double fallback) { return geo::HasValue(v) ? v : fallback; }

bool HasHeading(const geo::TelemetrySample& s) { return geo::HasValue(s.gimbal_yaw_deg) || geo::HasValue(s.yaw_deg); }

}  // namespace

std::string FormatDjiSrt(const std::vector<geo::TelemetrySample>& samples, TimeUs frame_us,
                         const std::string& start_time, double focal35_mm) {
  std::string out;
  for (size_t i = 0; i < samples.size(); ++i) {
    const geo::TelemetrySample& p = samples[i];
    const TimeUs end = i + 1 < samples.size() ? samples[i + 1].time_us : p.time_us + frame_us;
    const TimeUs diff_ms = i == 0 ? 0 : (p.time_us - samples[i - 1].time_us) / 1000;
    char body[512];
    std::snprintf(body, sizeof(body),
                  "<font size=\"28\">FrameCnt: %zu, DiffTime: %lldms\n%s.%03lld\n[iso: 100] [shutter: 1/1000.0] "
                  "[fnum: 2.8] [ev: 0] [ct: 5500] [color_md : default] [focal_len: %.2f] [latitude: %.7f] "
                  "[longitude: %.7f] [rel_alt: %.3f abs_alt: %.3f] [gb_yaw: %.1f gb_pitch: %.1f gb_roll: %.1f] "
                  "</font>\n",
                  i + 1, static_cast<long long>(diff_ms), start_time.c_str(),
                  static_cast<long long>(p.time_us / 1000 % 1000), focal35_mm, p.lat, p.lon, Or(p.rel_alt_m, 0),
                  Or(p.abs_alt_m, 0), Or(p.gimbal_yaw_deg, Or(p.yaw_deg, 0)), Or(p.gimbal_pitch_deg, -90),
                  Or(p.gimbal_roll_deg, 0));
    absl::StrAppend(&out, i + 1, "\n", SrtTime(p.time_us), " --> ", SrtTime(end), "\n", body, "\n");
  }
  return out;
}

void FillYawFromCourse(geo::Telemetry* telemetry, TimeUs span_us) {
  std::vector<geo::TelemetrySample>& s = telemetry->samples;
  const int first = telemetry->FirstWithPosition();
  if (first < 0) return;
  const geo::LocalFrame frame(s[first].lat, s[first].lon);
  std::vector<Point2> en;
  en.reserve(s.size());
  for (const geo::TelemetrySample& p : s) en.push_back(p.HasPosition() ? frame.ToLocal(p.lat, p.lon) : Point2{});
  double last = 0;
  size_t j = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    geo::TelemetrySample& p = s[i];
    if (HasHeading(p)) {
      last = Or(p.gimbal_yaw_deg, p.yaw_deg);
      continue;
    }
    if (j < i) j = i;
    while (j + 1 < s.size() && s[j + 1].time_us <= p.time_us + span_us) ++j;
    size_t a = i;
    while (a > 0 && s[a - 1].time_us >= p.time_us - span_us) --a;
    if (s[a].HasPosition() && s[j].HasPosition()) {
      const double de = en[j].x - en[a].x;
      const double dn = en[j].y - en[a].y;
      if (std::hypot(de, dn) > 0.5) last = std::atan2(de, dn) * 180.0 / M_PI;
    }
    p.gimbal_yaw_deg = last;
  }
}

}  // namespace didban::drone
