#include "record/segment.h"

#include <array>
#include <cctype>
#include <charconv>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace didban::record {
namespace {

constexpr char kTimeFormat[] = "%Y%m%dT%H%M%E6SZ";
constexpr char kPart[] = ".part";
constexpr char kMp4[] = ".mp4";

}  // namespace

std::string SafeCameraName(const std::string& camera) {
  std::string out = camera.empty() ? "camera" : camera;
  for (char& c : out) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) c = '_';
  }
  return out;
}

std::string SegmentFileName(const std::string& camera, TimeUs origin_us) {
  return absl::StrCat(SafeCameraName(camera), "-",
                      absl::FormatTime(kTimeFormat, absl::FromUnixMicros(origin_us), absl::UTCTimeZone()), kMp4);
}

std::optional<ParsedSegmentName> ParseSegmentFileName(const std::string& file_name) {
  ParsedSegmentName parsed;
  std::string name = file_name;
  if (absl::EndsWith(name, kPart)) {
    parsed.open = true;
    name.resize(name.size() - sizeof(kPart) + 1);
  }
  if (!absl::EndsWith(name, kMp4)) return std::nullopt;
  name.resize(name.size() - sizeof(kMp4) + 1);
  size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0) return std::nullopt;
  // YYYYMMDDTHHMMSS.ffffffZ, fixed widths (absl::ParseTime's %Y would take every digit).
  const std::string t = name.substr(dash + 1);
  if (t.size() != 23 || t[8] != 'T' || t[15] != '.' || t[22] != 'Z') return std::nullopt;
  auto number = [&t](size_t pos, size_t len, int64_t* out) {
    const char* end = t.data() + pos + len;
    auto [p, ec] = std::from_chars(t.data() + pos, end, *out);
    return ec == std::errc() && p == end;
  };
  std::array<int64_t, 7> f{};  // year month day hour minute second micros
  if (!number(0, 4, &f[0]) || !number(4, 2, &f[1]) || !number(6, 2, &f[2]) || !number(9, 2, &f[3]) ||
      !number(11, 2, &f[4]) || !number(13, 2, &f[5]) || !number(16, 6, &f[6])) {
    return std::nullopt;
  }
  absl::CivilSecond civil(f[0], static_cast<int>(f[1]), static_cast<int>(f[2]), static_cast<int>(f[3]),
                          static_cast<int>(f[4]), static_cast<int>(f[5]));
  if (civil.month() != f[1] || civil.day() != f[2] || civil.hour() != f[3] || civil.minute() != f[4] ||
      civil.second() != f[5]) {
    return std::nullopt;  // out of range fields were normalised
  }
  parsed.camera = name.substr(0, dash);
  parsed.origin_us = absl::ToUnixMicros(absl::FromCivil(civil, absl::UTCTimeZone())) + f[6];
  return parsed;
}

}  // namespace didban::record
