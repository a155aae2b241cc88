#include "geo/telemetry_csv.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"

namespace didban::geo {
namespace {

constexpr double kFeetToM = 0.3048;

// Which sample field a column fills, and the factor to its unit.
enum class Field {
  kTimeS,
  kTimeMs,
  kTimeUs,
  kFrame,
  kLat,
  kLon,
  kRelAlt,
  kAbsAlt,
  kYaw,
  kPitch,
  kRoll,
  kGimbalYaw,
  kGimbalPitch,
  kGimbalRoll,
  kFocal,
  kFocal35,
  kZoom,
  kIsVideo
};

struct ColumnKind {
  Field field;
  double scale;
  bool dji;  // a DJI flight-log name
};

const std::map<std::string, ColumnKind>& ColumnNames() {
  static const auto* names = new std::map<std::string, ColumnKind>{
      {"time_s", {Field::kTimeS, 1, false}},
      {"time_ms", {Field::kTimeMs, 1, false}},
      {"time(millisecond)", {Field::kTimeMs, 1, true}},
      {"time_us", {Field::kTimeUs, 1, false}},
      {"frame", {Field::kFrame, 1, false}},
      {"lat", {Field::kLat, 1, false}},
      {"latitude", {Field::kLat, 1, false}},
      {"lon", {Field::kLon, 1, false}},
      {"lng", {Field::kLon, 1, false}},
      {"longitude", {Field::kLon, 1, false}},
      {"alt_m", {Field::kRelAlt, 1, false}},
      {"rel_alt_m", {Field::kRelAlt, 1, false}},
      {"height_above_takeoff(m)", {Field::kRelAlt, 1, true}},
      {"height_above_takeoff(meters)", {Field::kRelAlt, 1, true}},
      {"height_above_takeoff(feet)", {Field::kRelAlt, kFeetToM, true}},
      {"abs_alt_m", {Field::kAbsAlt, 1, false}},
      {"altitude(m)", {Field::kAbsAlt, 1, true}},
      {"altitude(meters)", {Field::kAbsAlt, 1, true}},
      {"altitude(feet)", {Field::kAbsAlt, kFeetToM, true}},
      {"altitude_above_sealevel(m)", {Field::kAbsAlt, 1, true}},
      {"altitude_above_sealevel(meters)", {Field::kAbsAlt, 1, true}},
      {"altitude_above_sealevel(feet)", {Field::kAbsAlt, kFeetToM, true}},
      {"yaw_deg", {Field::kYaw, 1, false}},
      {"compass_heading(degrees)", {Field::kYaw, 1, true}},
      {"yaw(degrees)", {Field::kYaw, 1, true}},
      {"pitch_deg", {Field::kPitch, 1, false}},
      {"pitch(degrees)", {Field::kPitch, 1, true}},
      {"roll_deg", {Field::kRoll, 1, false}},
      {"roll(degrees)", {Field::kRoll, 1, true}},
      {"gimbal_yaw_deg", {Field::kGimbalYaw, 1, false}},
      {"gimbal_heading(degrees)", {Field::kGimbalYaw, 1, true}},
      {"gimbal_yaw(degrees)", {Field::kGimbalYaw, 1, true}},
      {"gimbal_pitch_deg", {Field::kGimbalPitch, 1, false}},
      {"gimbal_pitch(degrees)", {Field::kGimbalPitch, 1, true}},
      {"gimbal_roll_deg", {Field::kGimbalRoll, 1, false}},
      {"gimbal_roll(degrees)", {Field::kGimbalRoll, 1, true}},
      {"focal_mm", {Field::kFocal, 1, false}},
      {"focal35_mm", {Field::kFocal35, 1, false}},
      {"zoom", {Field::kZoom, 1, false}},
      {"isvideo", {Field::kIsVideo, 1, true}},
  };
  return *names;
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  for (auto& s : out) absl::StripAsciiWhitespace(&s);
  return out;
}

// A sample's 1-based video frame number as a cell, empty when unknown (or when several recordings share the
// counter).
std::string VideoFrame(const Telemetry& t, const TelemetrySample& s) {
  if (s.frame < 0 || t.segments.size() > 1) return {};
  const int64_t f = t.frame_counter ? s.frame - t.samples.front().frame + 1 : s.frame;
  return f >= 1 ? absl::StrCat(f) : std::string();
}

std::string Cell(double v, int precision) {
  return HasValue(v) ? absl::StrFormat("%.*f", precision, v) : std::string();
}

}  // namespace

absl::StatusOr<Telemetry> ParseTelemetryCsv(const std::string& text, const std::string& name,
                                            const CsvTelemetryOptions& options) {
  if (options.frame_base < -1 || options.frame_base > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the frame base must be 0 or 1 (or -1: decided per file), got ", options.frame_base));
  }
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  auto error = [&](int l, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(name, ":", l, ": ", what));
  };
  // Header.
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    header = SplitCsvLine(line);
  }
  if (header.empty()) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file (expected a CSV header)"));
  std::vector<std::optional<ColumnKind>> kinds;
  std::map<Field, bool> seen;
  bool dji = false;
  for (const std::string& h : header) {
    auto it = ColumnNames().find(absl::AsciiStrToLower(h));
    if (it == ColumnNames().end() || seen[it->second.field]) {
      kinds.emplace_back();
      continue;
    }
    kinds.emplace_back(it->second);
    seen[it->second.field] = true;
    dji = dji || it->second.dji;
  }
  int header_line = line_no;
  if (!seen[Field::kTimeS] && !seen[Field::kTimeMs] && !seen[Field::kTimeUs]) {
    return error(header_line, "missing time column (time_s, time_ms, time(millisecond) or time_us)");
  }
  if (!seen[Field::kLat] || !seen[Field::kLon]) {
    return error(header_line, "missing latitude/longitude columns (lat, lon or latitude, longitude)");
  }
  Telemetry t;
  t.source = name;
  t.format = dji ? "dji-csv" : "csv";
  const TelemetryLimits limits;
  std::vector<int> is_video;
  int64_t last_frame = -1, min_frame = -1;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<std::string> cells = SplitCsvLine(line);
    if (cells.size() != header.size()) {
      return error(line_no, absl::StrCat("expected ", header.size(), " columns, got ", cells.size()));
    }
    TelemetrySample s;
    s.line = line_no;
    int video = -1;
    double time = kNoValue;
    for (size_t c = 0; c < cells.size(); ++c) {
      if (!kinds[c] || cells[c].empty()) continue;
      const ColumnKind& k = *kinds[c];
      errno = 0;
      char* end = nullptr;
      double v = std::strtod(cells[c].c_str(), &end);
      if (end == cells[c].c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
        if (k.field == Field::kIsVideo) continue;  // some exports write True/False; treated below as absent
        return error(line_no, absl::StrCat("column '", SafeForMessage(header[c]), "': not a number: '",
                                           SafeForMessage(cells[c]), "'"));
      }
      v *= k.scale;
      switch (k.field) {
        case Field::kTimeS:
          time = v * 1e6;
          break;
        case Field::kTimeMs:
          time = v * 1e3;
          break;
        case Field::kTimeUs:
          time = v;
          break;
        case Field::kFrame:
          if (std::fabs(v) > static_cast<double>(limits.max_frame)) {  // checked before the cast to integer
            return absl::OutOfRangeError(absl::StrCat(name, ":", line_no, ": column '", SafeForMessage(header[c]),
                                                      "': frame ", SafeForMessage(cells[c]), " is above the limit of ",
                                                      limits.max_frame));
          }
          if (v < 0 || v != std::floor(v)) {
            return error(line_no, absl::StrCat("column '", SafeForMessage(header[c]), "': frame ",
                                               SafeForMessage(cells[c]), " is not a frame number (0, 1, 2...)"));
          }
          s.frame = static_cast<int64_t>(std::llround(v));
          break;
        case Field::kLat:
          s.lat = v;
          break;
        case Field::kLon:
          s.lon = v;
          break;
        case Field::kRelAlt:
          s.rel_alt_m = v;
          break;
        case Field::kAbsAlt:
          s.abs_alt_m = v;
          break;
        case Field::kYaw:
          s.yaw_deg = v;
          break;
        case Field::kPitch:
          s.pitch_deg = v;
          break;
        case Field::kRoll:
          s.roll_deg = v;
          break;
        case Field::kGimbalYaw:
          s.gimbal_yaw_deg = v;
          break;
        case Field::kGimbalPitch:
          s.gimbal_pitch_deg = v;
          break;
        case Field::kGimbalRoll:
          s.gimbal_roll_deg = v;
          break;
        case Field::kFocal:
          s.focal_mm = v;
          break;
        case Field::kFocal35:
          s.focal_35mm_mm = v;
          break;
        case Field::kZoom:
          s.digital_zoom = v;
          break;
        case Field::kIsVideo:
          video = v != 0 ? 1 : 0;
          break;
      }
    }
    if (!HasValue(time)) return error(line_no, "missing time");
    if (std::fabs(time) > static_cast<double>(limits.max_abs_time_us)) {  // checked before the cast to integer µs
      return absl::OutOfRangeError(absl::StrCat(name, ":", line_no, ": time ", time / 1e6, " s is beyond the limit of ",
                                                UsToSeconds(limits.max_abs_time_us), " s (",
                                                UsToSeconds(limits.max_abs_time_us) / 3600, " h) from the start"));
    }
    s.time_us = static_cast<TimeUs>(std::llround(time));
    if (!s.HasPosition()) return error(line_no, "missing latitude/longitude");
    if (s.lat < -90 || s.lat > 90 || s.lon < -180 || s.lon > 180) {
      return error(line_no, absl::StrCat("latitude/longitude out of range (", s.lat, ", ", s.lon, ")"));
    }
    if (!t.samples.empty() && s.time_us < t.samples.back().time_us) {
      return error(line_no, absl::StrCat("time goes backwards (", UsToSeconds(s.time_us), " s after ",
                                         UsToSeconds(t.samples.back().time_us), " s)"));
    }
    if (s.frame >= 0 && last_frame >= 0 && s.frame < last_frame) {
      return error(line_no,
                   absl::StrCat("frame goes backwards (", s.frame, " after ", last_frame, "): one recording per file"));
    }
    if (s.frame >= 0) last_frame = s.frame;
    min_frame = s.frame >= 0 && (min_frame < 0 || s.frame < min_frame) ? s.frame : min_frame;
    t.samples.push_back(s);
    is_video.push_back(video);
  }
  if (t.samples.empty()) return error(header_line, "no data rows after the header");
  // Frame numbers to 1-based video frames.
  const int base = options.frame_base >= 0 ? options.frame_base : (min_frame == 0 ? 0 : 1);
  if (base == 1 && min_frame == 0) {
    return error(header_line, "the frame column has frame 0 but was given as 1-based (frame base 1)");
  }
  if (base == 0) {
    for (TelemetrySample& s : t.samples) s.frame += s.frame >= 0 ? 1 : 0;
  }
  // Keep the first recording (isVideo = 1 run) when the log marks one.
  size_t first = 0, last = t.samples.size();
  auto start = std::find(is_video.begin(), is_video.end(), 1);
  if (start != is_video.end()) {
    first = static_cast<size_t>(start - is_video.begin());
    last = first;
    while (last < is_video.size() && is_video[last] == 1) ++last;
  }
  // Several recordings in one flight log: say which one is used (a pose from another would be wrong).
  std::vector<std::pair<int, int>> runs;  // first and last line of each isVideo = 1 run
  for (size_t i = 0; i < is_video.size(); ++i) {
    if (is_video[i] != 1) continue;
    if (i == 0 || is_video[i - 1] != 1) runs.emplace_back(t.samples[i].line, t.samples[i].line);
    runs.back().second = t.samples[i].line;
  }
  if (runs.size() > 1) {
    std::string lines;
    for (size_t r = 0; r < runs.size() && r < 10; ++r) {
      absl::StrAppend(&lines, r == 0 ? "" : ", ", runs[r].first, "..", runs[r].second);
    }
    if (runs.size() > 10) absl::StrAppend(&lines, ", ...");
    t.warnings.push_back(absl::StrCat(
        name, ": the flight log holds ", runs.size(), " recordings (rows with isVideo = 1 on lines ", lines,
        "); the first is used, its line ", runs[0].first,
        " being the video's start: for a video of another recording, give the log cut to that recording's rows"));
  }
  std::vector<TelemetrySample> kept(t.samples.begin() + static_cast<std::ptrdiff_t>(first),
                                    t.samples.begin() + static_cast<std::ptrdiff_t>(last));
  TimeUs t0 = kept.front().time_us;
  if (start != is_video.end() || dji) {  // DJI log time is flight time, not video time
    for (auto& s : kept) s.time_us -= t0;
  }
  t.samples = std::move(kept);
  DIDBAN_RETURN_IF_ERROR(CheckTelemetryLimits(t, limits));
  return t;
}

std::string FormatTelemetryCsv(const Telemetry& telemetry) {
  std::string out =
      "time_s,frame,lat,lon,alt_m,abs_alt_m,yaw_deg,pitch_deg,roll_deg,gimbal_yaw_deg,gimbal_pitch_deg,"
      "gimbal_roll_deg,focal_mm,focal35_mm\n";
  for (const TelemetrySample& s : telemetry.samples) {
    absl::StrAppend(&out, absl::StrFormat("%.6f", UsToSeconds(s.time_us)), ",", VideoFrame(telemetry, s), ",",
                    Cell(s.lat, 8), ",", Cell(s.lon, 8), ",", Cell(s.rel_alt_m, 3), ",", Cell(s.abs_alt_m, 3), ",",
                    Cell(s.yaw_deg, 3), ",", Cell(s.pitch_deg, 3), ",", Cell(s.roll_deg, 3), ",",
                    Cell(s.gimbal_yaw_deg, 3), ",", Cell(s.gimbal_pitch_deg, 3), ",", Cell(s.gimbal_roll_deg, 3), ",",
                    Cell(s.focal_mm, 3), ",", Cell(s.focal_35mm_mm, 3), "\n");
  }
  return out;
}

}  // namespace didban::geo
