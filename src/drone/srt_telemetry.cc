#include "drone/srt_telemetry.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

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

// Finds "key" followed by optional spaces, ':' and a number in `line`; true when found and numeric.
bool FindNumber(const std::string& line, const std::string& key, double* out) {
  size_t pos = 0;
  while ((pos = line.find(key, pos)) != std::string::npos) {
    size_t p = pos + key.size();
    while (p < line.size() && line[p] == ' ') ++p;
    if (p < line.size() && line[p] == ':') {
      ++p;
      const char* start = line.c_str() + p;
      char* end = nullptr;
      double v = std::strtod(start, &end);
      if (end != start && std::isfinite(v)) {
        *out = v;
        return true;
      }
    }
    pos += key.size();
  }
  return false;
}

// Parses "HH:MM:SS,mmm" at the start of `s`.
bool ParseSrtTime(const std::string& s, TimeUs* out) {
  int h = 0, m = 0, sec = 0, ms = 0;
  if (std::sscanf(s.c_str(), "%d:%d:%d,%d", &h, &m, &sec, &ms) != 4) return false;
  *out = ((static_cast<TimeUs>(h) * 60 + m) * 60 + sec) * kUsPerSecond + static_cast<TimeUs>(ms) * 1000;
  return true;
}

}  // namespace

std::string FormatDjiSrt(const std::vector<FlightPose>& poses, TimeUs frame_us, const std::string& start_time) {
  std::string out;
  for (size_t i = 0; i < poses.size(); ++i) {
    const FlightPose& p = poses[i];
    const TimeUs end = i + 1 < poses.size() ? poses[i + 1].time_us : p.time_us + frame_us;
    const TimeUs diff_ms = i == 0 ? 0 : (p.time_us - poses[i - 1].time_us) / 1000;
    char body[512];
    std::snprintf(body, sizeof(body),
                  "<font size=\"28\">FrameCnt: %zu, DiffTime: %lldms\n%s.%03lld\n[iso: 100] [shutter: 1/1000.0] "
                  "[fnum: 2.8] [ev: 0] [ct: 5500] [color_md : default] [focal_len: 24.00] [latitude: %.7f] "
                  "[longitude: %.7f] [rel_alt: %.3f abs_alt: %.3f] [gb_yaw: %.1f gb_pitch: %.1f gb_roll: %.1f] "
                  "</font>\n",
                  i + 1, static_cast<long long>(diff_ms), start_time.c_str(),
                  static_cast<long long>(p.time_us / 1000 % 1000), p.lat, p.lon, p.rel_alt_m, p.abs_alt_m, p.yaw_deg,
                  p.pitch_deg, p.roll_deg);
    absl::StrAppend(&out, i + 1, "\n", SrtTime(p.time_us), " --> ", SrtTime(end), "\n", body, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<FlightPose>> ParseDjiSrt(const std::string& text, const std::string& name) {
  std::vector<FlightPose> poses;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  bool have_time = false;
  int block_line = 0;
  FlightPose cur;
  bool have_lat = false, have_lon = false, have_alt = false;
  auto flush = [&]() -> absl::Status {
    if (!have_time) return absl::OkStatus();
    if (!have_lat || !have_lon) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", block_line, ": subtitle block without [latitude: ] and [longitude: ]"));
    }
    if (!have_alt) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", block_line, ": subtitle block without [rel_alt: ] or [altitude: ]"));
    }
    DIDBAN_RETURN_IF_ERROR(geo::ValidateLatLon(cur.lat, cur.lon, absl::StrCat(name, ":", block_line)));
    if (!poses.empty() && cur.time_us < poses.back().time_us) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", block_line, ": time goes backwards"));
    }
    poses.push_back(cur);
    return absl::OkStatus();
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t arrow = line.find("-->");
    if (arrow != std::string::npos) {
      DIDBAN_RETURN_IF_ERROR(flush());
      cur = FlightPose();
      cur.yaw_deg = std::numeric_limits<double>::quiet_NaN();
      have_lat = have_lon = have_alt = false;
      if (!ParseSrtTime(line, &cur.time_us)) {
        return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": bad subtitle time '", line, "'"));
      }
      have_time = true;
      block_line = line_no;
      continue;
    }
    if (!have_time) continue;
    double v = 0;
    if (FindNumber(line, "[latitude", &v)) {
      cur.lat = v;
      have_lat = true;
    }
    if (FindNumber(line, "[longitude", &v)) {
      cur.lon = v;
      have_lon = true;
    }
    // Mavic 3 style [rel_alt: ..], else Air 2S / Mini style [altitude: ..].
    if (FindNumber(line, "[rel_alt", &v) || FindNumber(line, "[altitude", &v)) {
      cur.rel_alt_m = v;
      have_alt = true;
    }
    if (FindNumber(line, "abs_alt", &v)) cur.abs_alt_m = v;
    if (FindNumber(line, "gb_yaw", &v)) cur.yaw_deg = v;
    if (FindNumber(line, "gb_pitch", &v)) cur.pitch_deg = v;
    if (FindNumber(line, "gb_roll", &v)) cur.roll_deg = v;
  }
  DIDBAN_RETURN_IF_ERROR(flush());
  if (poses.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": no telemetry blocks"));
  return poses;
}

void FillYawFromCourse(std::vector<FlightPose>* poses, TimeUs span_us) {
  if (poses->empty()) return;
  const geo::LocalFrame frame(poses->front().lat, poses->front().lon);
  std::vector<Point2> en;
  en.reserve(poses->size());
  for (const FlightPose& p : *poses) en.push_back(frame.ToLocal(p.lat, p.lon));
  double last = 0;
  size_t j = 0;
  for (size_t i = 0; i < poses->size(); ++i) {
    FlightPose& p = (*poses)[i];
    if (!std::isnan(p.yaw_deg)) {
      last = p.yaw_deg;
      continue;
    }
    if (j < i) j = i;
    while (j + 1 < poses->size() && (*poses)[j + 1].time_us <= p.time_us + span_us) ++j;
    size_t a = i;
    while (a > 0 && (*poses)[a - 1].time_us >= p.time_us - span_us) --a;
    const double de = en[j].x - en[a].x;
    const double dn = en[j].y - en[a].y;
    if (std::hypot(de, dn) > 0.5) last = std::atan2(de, dn) * 180.0 / M_PI;
    p.yaw_deg = last;
  }
}

}  // namespace didban::drone
