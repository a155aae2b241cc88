#include "geo/telemetry_srt.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"

namespace didban::geo {
namespace {

// The two numbers of a GPS(...) or HOME(...) tuple before their order is known.
struct RawPair {
  bool present = false;
  double a = 0, b = 0;
  double third = kNoValue;    // third number when present
  bool third_metres = false;  // the third number carries a metre unit (`0.0M`)
  int line = 0;
};

struct Cue {
  TelemetrySample sample;
  TimeUs end_us = 0;  // the timing line's end (or the start without one)
  bool has_timing = false;
  RawPair gps, home;
  double home_alt_m = kNoValue;
  int first_line = 0;
  bool font_open = false;
};

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool IsAlpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// A number with an optional unit suffix (m, M, ms, m/s, °).
absl::StatusOr<double> ParseNumber(std::string_view token, const std::string& key, bool* metres = nullptr) {
  std::string s(token);
  errno = 0;
  char* end = nullptr;
  double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
  if (s.empty() || end == s.c_str() || errno == ERANGE || !std::isfinite(v) || IsAlpha(s[0])) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": not a number: '", SafeForMessage(s), "'"));
  }
  std::string_view rest(end);
  if (!rest.empty() && rest != "m" && rest != "M" && rest != "ms" && rest != "m/s" && rest != "\xC2\xB0") {
    return absl::InvalidArgumentError(absl::StrCat(key, ": not a number: '", SafeForMessage(s), "'"));
  }
  if (metres != nullptr) *metres = rest == "m" || rest == "M";
  return v;
}

absl::StatusOr<int64_t> ParseInteger(std::string_view token, const std::string& key) {
  std::string s(token);
  if (s.empty() || !std::all_of(s.begin(), s.end(), IsDigit)) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": not an integer: '", SafeForMessage(s), "'"));
  }
  return std::strtoll(s.c_str(), nullptr, 10);
}

// Reads `n` digits at s[*i] (exactly n when exact, else 1..n) into *v.
bool ReadDigits(std::string_view s, size_t* i, int n, bool exact, int64_t* v) {
  int count = 0;
  *v = 0;
  while (*i < s.size() && count < n && IsDigit(s[*i])) {
    *v = *v * 10 + (s[*i] - '0');
    ++*i;
    ++count;
  }
  return exact ? count == n : count > 0;
}

// Parses `YYYY-MM-DD HH:MM:SS[.fff][,fff[,uuu]...]` or with '.' date separators at s[*i]; advances *i.
bool ParseDateTime(std::string_view s, size_t* i, int64_t* wall_us) {
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  size_t p = *i;
  if (!ReadDigits(s, &p, 4, true, &y) || p >= s.size() || (s[p] != '-' && s[p] != '.')) return false;
  char sep = s[p++];
  if (!ReadDigits(s, &p, 2, false, &mo) || p >= s.size() || s[p++] != sep) return false;
  if (!ReadDigits(s, &p, 2, false, &d)) return false;
  while (p < s.size() && IsSpace(s[p])) ++p;
  if (!ReadDigits(s, &p, 2, false, &h) || p >= s.size() || s[p++] != ':') return false;
  if (!ReadDigits(s, &p, 2, true, &mi) || p >= s.size() || s[p++] != ':') return false;
  if (!ReadDigits(s, &p, 2, true, &se)) return false;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return false;
  int64_t us = 0;
  // Fraction: `.373` (ms) or `,774,808` (ms, µs); anything after the second group is ignored.
  for (int group = 0; group < 2 && p + 1 < s.size() && (s[p] == '.' || s[p] == ',') && IsDigit(s[p + 1]); ++group) {
    ++p;
    size_t start = p;
    int64_t v = 0;
    ReadDigits(s, &p, 9, false, &v);
    auto digits = static_cast<int>(p - start);
    double scale = (group == 0 ? 1e6 : 1e3) / std::pow(10.0, digits);
    us += static_cast<int64_t>(std::llround(static_cast<double>(v) * scale));
  }
  while (p < s.size() && (s[p] == ',' || IsDigit(s[p]))) ++p;
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  *wall_us = ((days * 24 + h) * 60 + mi) * 60 * 1'000'000 + se * 1'000'000 + us;
  *i = p;
  return true;
}

// `HH:MM:SS,mmm` -> µs.
bool ParseSrtClock(std::string_view s, TimeUs* out) {
  size_t p = 0;
  while (p < s.size() && IsSpace(s[p])) ++p;
  int64_t h = 0, m = 0, sec = 0, ms = 0;
  if (!ReadDigits(s, &p, 3, false, &h) || p >= s.size() || s[p++] != ':') return false;
  if (!ReadDigits(s, &p, 2, true, &m) || p >= s.size() || s[p++] != ':') return false;
  if (!ReadDigits(s, &p, 2, true, &sec) || p >= s.size() || (s[p] != ',' && s[p] != '.')) return false;
  ++p;
  if (!ReadDigits(s, &p, 3, true, &ms)) return false;
  while (p < s.size() && IsSpace(s[p])) ++p;
  // Minutes and seconds are not range-checked: the Matrice 300 writes `00:00:60,000` for one minute.
  if (p != s.size()) return false;
  *out = ((h * 60 + m) * 60 + sec) * 1'000'000 + ms * 1000;
  return true;
}

std::vector<std::string_view> SplitTuple(std::string_view body) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    if (i == body.size() || body[i] == ',') {
      std::string_view item = body.substr(start, i - start);
      while (!item.empty() && IsSpace(item.front())) item.remove_prefix(1);
      while (!item.empty() && IsSpace(item.back())) item.remove_suffix(1);
      out.push_back(item);
      start = i + 1;
    }
  }
  return out;
}

// Parses the cues of one file.
class SrtParser {
 public:
  SrtParser(const std::string& name, const SrtOptions& options) : name_(name), options_(options) {}

  absl::StatusOr<Telemetry> Parse(const std::string& text) {
    SplitLines(text);
    size_t i = 0;
    while (i < lines_.size()) {
      if (IsBlank(lines_[i])) {
        ++i;
        continue;
      }
      size_t end = i;
      while (end < lines_.size() && !IsBlank(lines_[end])) ++end;
      DIDBAN_RETURN_IF_ERROR(ParseCue(i, end));
      i = end;
    }
    return Finish();
  }

 private:
  static bool IsBlank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return IsSpace(c); });
  }

  void SplitLines(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (lines_.empty() && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte-order mark
      lines_.push_back(line);
    }
  }

  absl::Status Error(int line, const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ":", line, ": ", what));
  }

  absl::Status ParseCue(size_t begin, size_t end) {
    Cue cue;
    cue.first_line = static_cast<int>(begin) + 1;
    cue.sample.line = cue.first_line;
    std::string index = lines_[begin];
    absl::StripAsciiWhitespace(&index);
    if (index.empty() || !std::all_of(index.begin(), index.end(), IsDigit)) {
      return Error(cue.first_line, absl::StrCat("expected a subtitle cue number, got '", SafeForMessage(index), "'"));
    }
    size_t payload = begin + 1;
    if (payload < end && lines_[payload].find("-->") != std::string::npos) {
      const std::string& t = lines_[payload];
      size_t arrow = t.find("-->");
      TimeUs start = 0, stop = 0;
      if (!ParseSrtClock(std::string_view(t).substr(0, arrow), &start) ||
          !ParseSrtClock(std::string_view(t).substr(arrow + 3), &stop)) {
        return Error(static_cast<int>(payload) + 1, absl::StrCat("bad cue timing '", SafeForMessage(t, 60), "'"));
      }
      cue.has_timing = true;
      cue.sample.time_us = start;
      cue.end_us = stop;
      ++payload;
    }
    if (payload >= end) {
      return Error(static_cast<int>(end), absl::StrCat("truncated cue ", index, ": no telemetry"));
    }
    for (size_t l = payload; l < end; ++l) {
      absl::Status st = ParseLine(lines_[l], &cue);
      if (!st.ok()) return Error(static_cast<int>(l) + 1, std::string(st.message()));
    }
    if (cue.font_open) {
      return Error(static_cast<int>(end), absl::StrCat("truncated cue ", index, ": '<font' without '</font>'"));
    }
    if (!cue.has_timing && cue.sample.wall_us < 0) {
      return Error(cue.first_line, absl::StrCat("cue ", index, " has neither a timing line nor a date"));
    }
    cues_.push_back(cue);
    return absl::OkStatus();
  }

  // One payload line: <font> tags, [key: value ...] groups, KEY(a, b, c) tuples, KEY:value and `H 17.3m` items,
  // and a date/time.
  absl::Status ParseLine(std::string_view s, Cue* cue) {
    size_t i = 0;
    while (i < s.size()) {
      char c = s[i];
      if (c == '<') {
        size_t close = s.find('>', i);
        if (close == std::string_view::npos) return absl::InvalidArgumentError("unterminated '<'");
        std::string_view tag = s.substr(i, close - i + 1);
        if (tag.rfind("<font", 0) == 0) cue->font_open = true;
        if (tag.rfind("</font", 0) == 0) cue->font_open = false;
        i = close + 1;
      } else if (c == '[') {
        size_t close = s.find(']', i);
        if (close == std::string_view::npos) return absl::InvalidArgumentError("unterminated '['");
        DIDBAN_RETURN_IF_ERROR(ParseBracket(s.substr(i + 1, close - i - 1), cue));
        i = close + 1;
      } else if (IsDigit(c) && i + 4 < s.size() && IsDigit(s[i + 1]) && IsDigit(s[i + 2]) && IsDigit(s[i + 3]) &&
                 (s[i + 4] == '-' || s[i + 4] == '.') && (i == 0 || !IsDigit(s[i - 1]))) {
        int64_t wall = 0;
        if (!ParseDateTime(s, &i, &wall)) {
          return absl::InvalidArgumentError(absl::StrCat("bad date/time '", SafeForMessage(s.substr(i)), "'"));
        }
        cue->sample.wall_us = wall;
      } else if (IsAlpha(c)) {
        DIDBAN_RETURN_IF_ERROR(ParseItem(s, &i, cue));
      } else {
        ++i;
      }
    }
    return absl::OkStatus();
  }

  // A word at s[*i] and what follows it: `(tuple)`, `: value` or ` value`.
  absl::Status ParseItem(std::string_view s, size_t* i, Cue* cue) {
    size_t start = *i;
    while (*i < s.size() && (IsAlpha(s[*i]) || IsDigit(s[*i]) || s[*i] == '_' || s[*i] == '.' || s[*i] == '/')) ++*i;
    std::string key = absl::AsciiStrToLower(std::string(s.substr(start, *i - start)));
    size_t p = *i;
    while (p < s.size() && IsSpace(s[p])) ++p;
    if (p < s.size() && s[p] == '(') {
      size_t close = s.find(')', p);
      if (close == std::string_view::npos)
        return absl::InvalidArgumentError(absl::StrCat("unterminated '(' after ", SafeForMessage(key)));
      DIDBAN_RETURN_IF_ERROR(HandleTuple(key, SplitTuple(s.substr(p + 1, close - p - 1)), cue));
      *i = close + 1;
      return absl::OkStatus();
    }
    if (p < s.size() && s[p] == ':') {
      ++p;
      while (p < s.size() && IsSpace(s[p])) ++p;
    } else if (p > *i && p < s.size() && (IsDigit(s[p]) || s[p] == '-' || s[p] == '+' || s[p] == '.')) {
      // `H 85.80m`: a word, a space, a number.
    } else {
      return absl::OkStatus();
    }
    size_t vstart = p;
    while (p < s.size() && !IsSpace(s[p]) && s[p] != ',' && s[p] != '[' && s[p] != '<') ++p;
    *i = p;
    return HandleValue(key, s.substr(vstart, p - vstart), cue);
  }

  // `[key: value key2: value2]`; the separators may be spaces or commas.
  absl::Status ParseBracket(std::string_view body, Cue* cue) {
    size_t i = 0;
    while (i < body.size()) {
      if (!IsAlpha(body[i])) {
        ++i;
        continue;
      }
      size_t start = i;
      while (i < body.size() && (IsAlpha(body[i]) || IsDigit(body[i]) || body[i] == '_' || body[i] == '.')) ++i;
      std::string key = absl::AsciiStrToLower(std::string(body.substr(start, i - start)));
      while (i < body.size() && IsSpace(body[i])) ++i;
      if (i >= body.size() || body[i] != ':') continue;
      ++i;
      while (i < body.size() && IsSpace(body[i])) ++i;
      size_t vstart = i;
      while (i < body.size() && !IsSpace(body[i]) && body[i] != ',') ++i;
      DIDBAN_RETURN_IF_ERROR(HandleValue(key, body.substr(vstart, i - vstart), cue));
    }
    return absl::OkStatus();
  }

  absl::Status HandleValue(const std::string& key, std::string_view value, Cue* cue) {
    TelemetrySample& s = cue->sample;
    if (key == "framecnt") {
      DIDBAN_ASSIGN_OR_RETURN(s.frame, ParseInteger(value, key));
    } else if (key == "latitude") {
      DIDBAN_ASSIGN_OR_RETURN(s.lat, ParseNumber(value, key));
    } else if (key == "longitude" || key == "longtitude") {
      DIDBAN_ASSIGN_OR_RETURN(s.lon, ParseNumber(value, key));
    } else if (key == "rel_alt" || key == "barometer" || key == "hb" || key == "h") {
      DIDBAN_ASSIGN_OR_RETURN(s.rel_alt_m, ParseNumber(value, key));
    } else if (key == "abs_alt" || key == "altitude") {
      DIDBAN_ASSIGN_OR_RETURN(s.abs_alt_m, ParseNumber(value, key));
    } else if (key == "focal_len") {
      DIDBAN_ASSIGN_OR_RETURN(double f, ParseNumber(value, key));
      // Older firmware prints tenths of a millimetre without a decimal point (`240` = 24 mm).
      bool tenths = value.find('.') == std::string_view::npos && f >= 100;
      s.focal_35mm_mm = tenths ? f / 10.0 : f;
    } else if (key == "dzoom_ratio" || key == "dzoom") {
      DIDBAN_ASSIGN_OR_RETURN(double z, ParseNumber(value, key));
      s.digital_zoom = z >= 100 ? z / 10000.0 : z;  // `dzoom_ratio: 10000` = 1x
    } else if (key == "gb_yaw") {
      DIDBAN_ASSIGN_OR_RETURN(s.gimbal_yaw_deg, ParseNumber(value, key));
    } else if (key == "gb_pitch") {
      DIDBAN_ASSIGN_OR_RETURN(s.gimbal_pitch_deg, ParseNumber(value, key));
    } else if (key == "gb_roll") {
      DIDBAN_ASSIGN_OR_RETURN(s.gimbal_roll_deg, ParseNumber(value, key));
    }
    return absl::OkStatus();
  }

  absl::Status HandleTuple(const std::string& key, const std::vector<std::string_view>& items, Cue* cue) {
    if (key == "gps" || key == "home") {
      if (items.size() < 2) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": expected at least 2 numbers, got ", items.size()));
      }
      RawPair& pair = key == "gps" ? cue->gps : cue->home;
      DIDBAN_ASSIGN_OR_RETURN(pair.a, ParseNumber(items[0], key));
      DIDBAN_ASSIGN_OR_RETURN(pair.b, ParseNumber(items[1], key));
      if (items.size() >= 3) {
        DIDBAN_ASSIGN_OR_RETURN(pair.third, ParseNumber(items[2], key, &pair.third_metres));
      }
      pair.present = true;
    } else if (key == "f.pry" || key == "g.pry") {
      if (items.size() != 3) {
        return absl::InvalidArgumentError(absl::StrCat(key, ": expected 3 angles, got ", items.size()));
      }
      double v[3];
      for (int k = 0; k < 3; ++k) {
        DIDBAN_ASSIGN_OR_RETURN(v[k], ParseNumber(items[k], key));
      }
      TelemetrySample& s = cue->sample;
      if (key == "f.pry") {
        s.pitch_deg = v[0], s.roll_deg = v[1], s.yaw_deg = v[2];
      } else {
        s.gimbal_pitch_deg = v[0], s.gimbal_roll_deg = v[1], s.gimbal_yaw_deg = v[2];
      }
    }
    return absl::OkStatus();
  }

  // Decides the order of GPS/HOME tuples for the whole file (see SrtOptions).
  absl::StatusOr<bool> TuplesAreLonLat() const {
    if (options_.order != SrtCoordinateOrder::kAuto) return options_.order == SrtCoordinateOrder::kLonLat;
    int lonlat_line = 0, latlon_line = 0;
    bool metres_third = false;
    for (const Cue& c : cues_) {
      for (const RawPair* p : {&c.gps, &c.home}) {
        if (!p->present) continue;
        if (std::abs(p->a) > 90 && lonlat_line == 0) lonlat_line = c.first_line;
        if (std::abs(p->b) > 90 && latlon_line == 0) latlon_line = c.first_line;
      }
      if (c.gps.present && c.gps.third_metres) metres_third = true;
    }
    if (lonlat_line > 0 && latlon_line > 0) {
      return Error(latlon_line, absl::StrCat("GPS coordinates in both orders: line ", lonlat_line,
                                             " has a first number beyond 90 degrees, this cue a second one"));
    }
    if (lonlat_line > 0) return true;
    if (latlon_line > 0) return false;
    return !metres_third;
  }

  absl::StatusOr<Telemetry> Finish() {
    Telemetry t;
    t.source = name_;
    t.format = "dji-srt";
    t.frame_counter = true;
    if (cues_.empty()) return absl::InvalidArgumentError(absl::StrCat(name_, ": no subtitle cues"));
    DIDBAN_ASSIGN_OR_RETURN(bool lonlat, TuplesAreLonLat());
    int64_t first_wall = cues_.front().sample.wall_us;
    bool any_position = false;
    for (Cue& c : cues_) {
      TelemetrySample& s = c.sample;
      if (c.gps.present) {
        s.lat = lonlat ? c.gps.b : c.gps.a;
        s.lon = lonlat ? c.gps.a : c.gps.b;
        if (c.gps.third_metres) s.abs_alt_m = c.gps.third;
      }
      if (c.home.present && !t.home_lat) {
        t.home_lat = lonlat ? c.home.b : c.home.a;
        t.home_lon = lonlat ? c.home.a : c.home.b;
        if (c.home.third_metres) t.home_alt_m = c.home.third;
      }
      if (s.HasPosition()) {
        absl::Status st = ValidateLatLonAt(s.lat, s.lon, c.first_line);
        if (!st.ok()) return st;
        any_position = true;
      }
      if (!c.has_timing) {
        if (first_wall < 0) return Error(c.first_line, "cue without timing line after cues without a date");
        s.time_us = s.wall_us - first_wall;
        c.end_us = s.time_us;
      }
    }
    for (size_t k = 0; k < cues_.size(); ++k) {
      const Cue& c = cues_[k];
      if (any_position && !c.sample.HasPosition()) {
        return Error(c.first_line, "cue has no position while other cues have one (truncated cue?)");
      }
      if (k > 0 && c.sample.time_us < cues_[k - 1].sample.time_us) {
        return Error(c.first_line, absl::StrCat("time goes backwards (", UsToSeconds(c.sample.time_us), " s after ",
                                                UsToSeconds(cues_[k - 1].sample.time_us), " s)"));
      }
      t.samples.push_back(c.sample);
    }
    FindSegments(&t);
    return t;
  }

  // Splits the cues where the frame counter restarts (a number not above the previous one): the subtitles of
  // several recordings joined into one file. One recording leaves t->segments empty.
  void FindSegments(Telemetry* t) const {
    std::vector<size_t> starts{0};
    for (size_t k = 1; k < cues_.size(); ++k) {
      const int64_t prev = cues_[k - 1].sample.frame, cur = cues_[k].sample.frame;
      if (prev >= 0 && cur >= 0 && cur <= prev) starts.push_back(k);
    }
    if (starts.size() < 2) return;
    starts.push_back(cues_.size());
    for (size_t i = 0; i + 1 < starts.size(); ++i) {
      const Cue& a = cues_[starts[i]];
      const Cue& b = cues_[starts[i + 1] - 1];
      TelemetrySegment g;
      g.first = starts[i];
      g.count = starts[i + 1] - starts[i];
      g.first_frame = a.sample.frame;
      g.last_frame = b.sample.frame;
      g.start_us = a.sample.time_us;
      g.end_us = std::max(b.end_us, b.sample.time_us);
      g.first_wall_us = a.sample.wall_us;
      g.last_wall_us = b.sample.wall_us;
      g.first_line = a.first_line;
      g.last_line = b.first_line;
      t->segments.push_back(g);
    }
  }

  absl::Status ValidateLatLonAt(double lat, double lon, int line) const {
    if (lat < -90 || lat > 90 || lon < -180 || lon > 180) {
      return Error(line, absl::StrCat("latitude/longitude out of range (", lat, ", ", lon, ")"));
    }
    return absl::OkStatus();
  }

  std::string name_;
  SrtOptions options_;
  std::vector<std::string> lines_;
  std::vector<Cue> cues_;
};

}  // namespace

absl::StatusOr<Telemetry> ParseDjiSrt(const std::string& text, const std::string& name, const SrtOptions& options) {
  SrtParser parser(name, options);
  DIDBAN_ASSIGN_OR_RETURN(Telemetry t, parser.Parse(text));
  DIDBAN_RETURN_IF_ERROR(CheckTelemetryLimits(t));
  return t;
}

}  // namespace didban::geo
