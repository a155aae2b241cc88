#include "record/segment.h"

#include <cctype>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(kTimeFormat, name.substr(dash + 1), absl::UTCTimeZone(), &t, &error)) return std::nullopt;
  parsed.camera = name.substr(0, dash);
  parsed.origin_us = absl::ToUnixMicros(t);
  return parsed;
}

}  // namespace didban::record
