#include "geo/telemetry_ulog.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/mot_format.h"
#include "geo/local_frame.h"

namespace didban::geo {
namespace {

constexpr char kMagic[] = {'U', 'L', 'o', 'g', 0x01, 0x12, 0x35};
constexpr int kMaxMessageBytes = 65535;  // a ULog message body's size is a uint16
constexpr double kRadToDeg = 180.0 / M_PI;

int BasicTypeSize(const std::string& type) {
  if (type == "int8_t" || type == "uint8_t" || type == "char" || type == "bool") return 1;
  if (type == "int16_t" || type == "uint16_t") return 2;
  if (type == "int32_t" || type == "uint32_t" || type == "float") return 4;
  if (type == "int64_t" || type == "uint64_t" || type == "double") return 8;
  return 0;
}

template <typename T>
T ReadLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // ULog is little-endian, as is every platform we build for
  return v;
}

double ReadBasic(const std::string& type, const char* p) {
  if (type == "int8_t") return ReadLe<int8_t>(p);
  if (type == "uint8_t" || type == "char" || type == "bool") return ReadLe<uint8_t>(p);
  if (type == "int16_t") return ReadLe<int16_t>(p);
  if (type == "uint16_t") return ReadLe<uint16_t>(p);
  if (type == "int32_t") return ReadLe<int32_t>(p);
  if (type == "uint32_t") return ReadLe<uint32_t>(p);
  if (type == "float") return ReadLe<float>(p);
  if (type == "int64_t") return static_cast<double>(ReadLe<int64_t>(p));
  if (type == "uint64_t") return static_cast<double>(ReadLe<uint64_t>(p));
  if (type == "double") return ReadLe<double>(p);
  return kNoValue;
}

// Parses "name:type field;type[n] field;..." (sizes of nested types resolved later).
absl::StatusOr<ULogFormat> ParseFormat(const std::string& text) {
  ULogFormat f;
  size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    return absl::InvalidArgumentError(absl::StrCat("format without a name: '", SafeForMessage(text), "'"));
  }
  f.name = text.substr(0, colon);
  for (absl::string_view item : absl::StrSplit(text.substr(colon + 1), ';', absl::SkipEmpty())) {
    std::string s(item);
    size_t space = s.find(' ');
    if (space == std::string::npos)
      return absl::InvalidArgumentError(
          absl::StrCat("bad field '", SafeForMessage(s), "' in ", SafeForMessage(f.name)));
    ULogField field;
    field.type = s.substr(0, space);
    field.name = s.substr(space + 1);
    size_t bracket = field.type.find('[');
    if (bracket != std::string::npos) {
      int n = 0;
      std::string count = field.type.substr(bracket + 1, field.type.size() - bracket - 2);
      if (!absl::SimpleAtoi(count, &n) || n <= 0 || n > kMaxMessageBytes || field.type.back() != ']') {
        return absl::InvalidArgumentError(
            absl::StrCat("bad array type '", SafeForMessage(field.type), "' in ", SafeForMessage(f.name)));
      }
      field.array_size = n;
      field.type = field.type.substr(0, bracket);
    }
    f.fields.push_back(field);
  }
  return f;
}

// Resolves field offsets and sizes (nested formats first, recursively).
absl::Status ResolveFormat(std::map<std::string, ULogFormat>* formats, const std::string& name, int depth) {
  if (depth > 16) return absl::InvalidArgumentError(absl::StrCat("format nesting too deep at ", SafeForMessage(name)));
  ULogFormat& f = (*formats)[name];
  if (f.size > 0) return absl::OkStatus();
  int64_t offset = 0;
  for (ULogField& field : f.fields) {
    int64_t elem = BasicTypeSize(field.type);
    if (elem == 0) {
      auto it = formats->find(field.type);
      if (it == formats->end()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown type '", SafeForMessage(field.type), "' in format ", SafeForMessage(name)));
      }
      DIDBAN_RETURN_IF_ERROR(ResolveFormat(formats, field.type, depth + 1));
      elem = (*formats)[field.type].size;
    }
    const int64_t size = elem * std::max(1, field.array_size);
    // Sizes stay within one message body, so that offsets cannot overflow and a format cannot claim more data
    // than a message can carry.
    if (offset + size > kMaxMessageBytes) {
      return absl::OutOfRangeError(absl::StrCat("format ", SafeForMessage(name), " is larger than a ULog message (",
                                                kMaxMessageBytes, " bytes) at field ", SafeForMessage(field.name)));
    }
    field.offset = static_cast<int>(offset);
    field.size = static_cast<int>(size);
    offset += size;
  }
  (*formats)[name].size = static_cast<int>(offset);
  return absl::OkStatus();
}

// Roll, pitch, yaw (degrees) of a Hamilton quaternion (w, x, y, z) rotating body FRD into earth NED.
void QuaternionToEuler(double w, double x, double y, double z, double* roll, double* pitch, double* yaw) {
  *roll = std::atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y)) * kRadToDeg;
  *pitch = std::asin(std::clamp(2 * (w * y - z * x), -1.0, 1.0)) * kRadToDeg;
  *yaw = std::atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z)) * kRadToDeg;
}

// Camera yaw (compass heading of the image top), pitch and roll (the geo::CameraRotationFromYawPitchRoll angles,
// degrees) of a gimbal quaternion (w, x, y, z) rotating the camera's FRD frame (x along the optical axis) into NED.
// Unlike the ZYX Euler angles, the yaw stays defined at nadir (pitch -90, where ZYX yaw and roll are one angle): it
// is the heading of the optical axis plus the image's up direction, which points along the image top at nadir and
// along the axis at the horizon.
void GimbalAnglesFromQuaternion(double w, double x, double y, double z, double* roll, double* pitch, double* yaw) {
  // Columns of the rotation matrix: the camera's forward, right and down axes in NED.
  const double fx = 1 - 2 * (y * y + z * z), fy = 2 * (x * y + w * z), fz = 2 * (x * z - w * y);
  const double rx = 2 * (x * y - w * z), ry = 1 - 2 * (x * x + z * z), rz = 2 * (y * z + w * x);
  const double dx = 2 * (x * z + w * y), dy = 2 * (y * z - w * x);
  *pitch = std::asin(std::clamp(-fz, -1.0, 1.0)) * kRadToDeg;
  const double psi = std::atan2(fy - dy, fx - dx);  // forward + up (= -down), horizontal part
  *yaw = psi * kRadToDeg;
  // Roll about the optical axis: the actual right axis against the model's right (-sin, cos, 0) and down
  // (cos psi sin theta, sin psi sin theta, cos theta) for this yaw and pitch.
  const double theta = *pitch / kRadToDeg;
  const double right_dot = -std::sin(psi) * rx + std::cos(psi) * ry;
  const double down_dot =
      std::cos(psi) * std::sin(theta) * rx + std::sin(psi) * std::sin(theta) * ry + std::cos(theta) * rz;
  *roll = std::atan2(down_dot, right_dot) * kRadToDeg;
}

double WrapYaw(double d) {
  d = std::fmod(d + 180.0, 360.0);
  if (d < 0) d += 360.0;
  return d - 180.0;
}

// A data message's `timestamp` (µs) when present and in [0, 2^53] (exact in a double); nullopt otherwise.
std::optional<TimeUs> TimestampUs(const ULogFile& log, const std::string& format, const std::string& body) {
  const double v = log.Value(format, body, "timestamp");
  if (!(v >= 0 && v <= 9007199254740992.0)) return std::nullopt;
  return static_cast<TimeUs>(v);
}

// The error for a data message whose timestamp TimestampUs refused: a corrupt log is refused, not half-read.
absl::Status BadTimestamp(const ULogFile& log, const std::string& name, const std::string& format,
                          const std::vector<std::string>& series, const std::string& body) {
  const double v = log.Value(format, body, "timestamp");
  const size_t index = static_cast<size_t>(&body - series.data()) + 1;
  return absl::OutOfRangeError(
      absl::StrCat(name, ": ", format, " message ", index, ": timestamp ",
                   HasValue(v) ? absl::StrFormat("%.6g", v) : std::string("(missing)"),
                   " us is beyond the limit of 2^53 us (the log's clock counts microseconds since boot)"));
}

}  // namespace

double ULogFile::Value(const std::string& format, const std::string& body, const std::string& field, int index) const {
  auto it = formats.find(format);
  if (it == formats.end()) return kNoValue;
  for (const ULogField& f : it->second.fields) {
    if (f.name != field) continue;
    int elem = BasicTypeSize(f.type);
    if (elem == 0 || index < 0 || index >= std::max(1, f.array_size)) return kNoValue;
    size_t at = static_cast<size_t>(f.offset) + static_cast<size_t>(index) * static_cast<size_t>(elem);
    if (at + static_cast<size_t>(elem) > body.size()) return kNoValue;
    return ReadBasic(f.type, body.data() + at);
  }
  return kNoValue;
}

absl::StatusOr<ULogFile> ParseULog(const std::string& bytes, const std::string& name) {
  auto error = [&](size_t offset, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": byte ", offset, ": ", what));
  };
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": not a ULog file (bad magic)"));
  }
  ULogFile log;
  log.start_timestamp_us = ReadLe<uint64_t>(bytes.data() + 8);
  size_t pos = 16;
  bool in_definitions = true;
  while (pos + 3 <= bytes.size()) {
    const size_t at = pos;
    const auto size = ReadLe<uint16_t>(bytes.data() + pos);
    const char type = bytes[pos + 2];
    pos += 3;
    if (pos + size > bytes.size()) {  // a log cut while writing: keep what is complete, say where
      log.cut_at = static_cast<int64_t>(at);
      log.cut_type = type;
      log.cut_size = size;
      log.cut_present = static_cast<int64_t>(bytes.size() - at);
      pos = at;
      break;
    }
    const char* p = bytes.data() + pos;
    std::string body(p, size);
    pos += size;
    switch (type) {
      case 'F': {
        auto f = ParseFormat(body);
        if (!f.ok()) return error(at, std::string(f.status().message()));
        log.formats[f->name] = *f;
        break;
      }
      case 'I': {
        if (size < 1 || 1u + static_cast<uint8_t>(p[0]) > size) return error(at, "truncated info message");
        std::string key(p + 1, static_cast<uint8_t>(p[0]));
        std::string value = body.substr(1 + key.size());
        size_t space = key.find(' ');
        std::string key_type = key.substr(0, space);
        std::string key_name = space == std::string::npos ? key : key.substr(space + 1);
        if (key_type.rfind("char[", 0) == 0) log.info[key_name] = value;
        break;
      }
      case 'A': {
        if (size < 3) return error(at, "truncated subscription message");
        ULogFile::Subscription s{std::string(p + 3, size - 3), static_cast<uint8_t>(p[0])};
        if (in_definitions) {
          for (auto& [n, f] : log.formats) {
            absl::Status st = ResolveFormat(&log.formats, n, 0);
            if (!st.ok()) return error(at, std::string(st.message()));
          }
          in_definitions = false;
        }
        if (!log.formats.count(s.format))
          return error(at, absl::StrCat("subscription to unknown format '", SafeForMessage(s.format), "'"));
        log.subscriptions[ReadLe<uint16_t>(p + 1)] = s;
        break;
      }
      case 'D': {
        if (size < 2) return error(at, "truncated data message");
        auto it = log.subscriptions.find(ReadLe<uint16_t>(p));
        if (it == log.subscriptions.end())
          return error(at, absl::StrCat("data for unknown msg_id ", ReadLe<uint16_t>(p)));
        std::string data = body.substr(2);
        if (data.size() >= 8) log.last_timestamp_us = std::max(log.last_timestamp_us, ReadLe<uint64_t>(data.data()));
        log.data[{it->second.format, it->second.multi_id}].push_back(std::move(data));
        break;
      }
      case 'L': {
        if (size < 9) return error(at, "truncated logging message");
        ULogMessage m;
        m.level = p[0] >= '0' && p[0] <= '7' ? p[0] - '0' : static_cast<uint8_t>(p[0]);
        m.timestamp_us = ReadLe<uint64_t>(p + 1);
        m.text = body.substr(9);
        log.messages.push_back(m);
        break;
      }
      case 'C': {
        if (size < 11) return error(at, "truncated tagged logging message");
        ULogMessage m;
        m.level = p[0] >= '0' && p[0] <= '7' ? p[0] - '0' : static_cast<uint8_t>(p[0]);
        m.timestamp_us = ReadLe<uint64_t>(p + 3);
        m.text = body.substr(11);
        log.messages.push_back(m);
        break;
      }
      case 'O': {
        if (size < 2) return error(at, "truncated dropout message");
        ++log.dropouts;
        log.dropout_ms += ReadLe<uint16_t>(p);
        break;
      }
      default:  // 'B' flags, 'M' multi info, 'P'/'Q' parameters, 'R' unsubscribe, 'S' sync, unknown: skipped
        break;
    }
  }
  if (log.cut_at < 0 && pos < bytes.size()) {  // fewer bytes left than a record header
    log.cut_at = static_cast<int64_t>(pos);
    log.cut_present = static_cast<int64_t>(bytes.size() - pos);
  }
  if (in_definitions) {
    for (auto& [n, f] : log.formats) DIDBAN_RETURN_IF_ERROR(ResolveFormat(&log.formats, n, 0));
  }
  return log;
}

absl::StatusOr<Telemetry> ULogToTelemetry(const ULogFile& log, const std::string& name) {
  auto series = [&](const std::string& format) -> const std::vector<std::string>* {
    auto it = log.data.find({format, 0});
    return it == log.data.end() || it->second.empty() ? nullptr : &it->second;
  };
  // Position series: vehicle_global_position, else vehicle_local_position with a valid reference.
  auto empty = [&] {
    Telemetry t;
    t.source = name;
    t.format = "px4-ulog";
    return t;
  };
  Telemetry pos = empty();
  if (const auto* g = series("vehicle_global_position")) {
    for (const std::string& b : *g) {
      TelemetrySample s;
      const std::optional<TimeUs> time = TimestampUs(log, "vehicle_global_position", b);
      if (!time) return BadTimestamp(log, name, "vehicle_global_position", *g, b);
      s.time_us = *time;
      s.lat = log.Value("vehicle_global_position", b, "lat");
      s.lon = log.Value("vehicle_global_position", b, "lon");
      s.abs_alt_m = log.Value("vehicle_global_position", b, "alt");
      if (s.HasPosition() && std::abs(s.lat) <= 90 && std::abs(s.lon) <= 180) pos.samples.push_back(s);
    }
  }
  if (const auto* l = series("vehicle_local_position")) {
    const std::string f = "vehicle_local_position";
    bool use_xy = pos.samples.empty();
    for (const std::string& b : *l) {
      double ref_lat = log.Value(f, b, "ref_lat"), ref_lon = log.Value(f, b, "ref_lon");
      double x = log.Value(f, b, "x"), y = log.Value(f, b, "y"), z = log.Value(f, b, "z");
      bool ref_ok = HasValue(ref_lat) && HasValue(ref_lon) && (ref_lat != 0 || ref_lon != 0) &&
                    std::abs(ref_lat) <= 90 && std::abs(ref_lon) <= 180;
      if (!use_xy || !ref_ok || !HasValue(x) || !HasValue(y)) continue;
      TelemetrySample s;
      const std::optional<TimeUs> time = TimestampUs(log, f, b);
      if (!time) return BadTimestamp(log, name, f, *l, b);
      s.time_us = *time;
      LatLon ll = LocalFrame(ref_lat, ref_lon).ToLatLon(y, x);  // NED x north, y east
      s.lat = ll.lat;
      s.lon = ll.lon;
      s.rel_alt_m = HasValue(z) ? -z : kNoValue;
      if (!pos.home_lat) pos.home_lat = ref_lat, pos.home_lon = ref_lon;
      pos.samples.push_back(s);
    }
  }
  if (pos.samples.empty()) {
    if (const auto* g = series("vehicle_gps_position")) {
      // Older PX4: lat/lon int32 in 1e-7 degrees and alt int32 in mm; newer: double degrees and float metres.
      const std::string f = "vehicle_gps_position";
      const ULogFormat& fmt = log.formats.at(f);
      bool scaled = std::any_of(fmt.fields.begin(), fmt.fields.end(),
                                [](const ULogField& x) { return x.name == "lat" && x.type == "int32_t"; });
      for (const std::string& b : *g) {
        TelemetrySample s;
        const std::optional<TimeUs> time = TimestampUs(log, f, b);
        if (!time) return BadTimestamp(log, name, f, *g, b);
        s.time_us = *time;
        s.lat = log.Value(f, b, "lat") * (scaled ? 1e-7 : 1.0);
        s.lon = log.Value(f, b, "lon") * (scaled ? 1e-7 : 1.0);
        s.abs_alt_m = log.Value(f, b, "alt") * (scaled ? 1e-3 : 1.0);
        bool fix = log.Value(f, b, "fix_type") >= 2 || !HasValue(log.Value(f, b, "fix_type"));
        if (fix && s.HasPosition() && (s.lat != 0 || s.lon != 0) && std::abs(s.lat) <= 90) pos.samples.push_back(s);
      }
    }
  }
  // Gimbal series: mount_orientation (Euler, radians) or gimbal_device_attitude_status (quaternion).
  Telemetry gimbal = empty();
  if (const auto* m = series("mount_orientation")) {
    for (const std::string& b : *m) {
      TelemetrySample s;
      const std::optional<TimeUs> time = TimestampUs(log, "mount_orientation", b);
      if (!time) return BadTimestamp(log, name, "mount_orientation", *m, b);
      s.time_us = *time;
      s.gimbal_roll_deg = log.Value("mount_orientation", b, "attitude_euler_angle", 0) * kRadToDeg;
      s.gimbal_pitch_deg = log.Value("mount_orientation", b, "attitude_euler_angle", 1) * kRadToDeg;
      // PX4's mount_orientation yaw is relative to the vehicle (its MAVLink stream adds the vehicle heading for
      // yaw_absolute): made absolute below.
      s.gimbal_yaw_deg = log.Value("mount_orientation", b, "attitude_euler_angle", 2) * kRadToDeg;
      s.yaw_deg = 1;  // marks a yaw in the vehicle frame
      gimbal.samples.push_back(s);
    }
  } else if (const auto* d = series("gimbal_device_attitude_status")) {
    const std::string f = "gimbal_device_attitude_status";
    for (const std::string& b : *d) {
      TelemetrySample s;
      const std::optional<TimeUs> time = TimestampUs(log, f, b);
      if (!time) return BadTimestamp(log, name, f, *d, b);
      s.time_us = *time;
      GimbalAnglesFromQuaternion(log.Value(f, b, "q", 0), log.Value(f, b, "q", 1), log.Value(f, b, "q", 2),
                                 log.Value(f, b, "q", 3), &s.gimbal_roll_deg, &s.gimbal_pitch_deg, &s.gimbal_yaw_deg);
      // MAVLink GIMBAL_DEVICE_ATTITUDE_STATUS: the yaw is in the earth frame with YAW_IN_EARTH_FRAME (64), in the
      // vehicle frame with YAW_IN_VEHICLE_FRAME (32); with neither, in the earth frame only with YAW_LOCK (16).
      const double flags_value = log.Value(f, b, "device_flags");
      const int flags = HasValue(flags_value) ? static_cast<int>(flags_value) : 0;
      const bool earth = (flags & 64) != 0 || ((flags & (32 | 64)) == 0 && (flags & 16) != 0);
      s.yaw_deg = earth ? kNoValue : 1;  // marks a yaw in the vehicle frame
      gimbal.samples.push_back(s);
    }
  }
  // Base series: attitude, else position.
  Telemetry out = empty();
  out.home_lat = pos.home_lat;
  out.home_lon = pos.home_lon;
  if (const auto* a = series("vehicle_attitude")) {
    for (const std::string& b : *a) {
      TelemetrySample s;
      const std::optional<TimeUs> time = TimestampUs(log, "vehicle_attitude", b);
      if (!time) return BadTimestamp(log, name, "vehicle_attitude", *a, b);
      s.time_us = *time;
      QuaternionToEuler(log.Value("vehicle_attitude", b, "q", 0), log.Value("vehicle_attitude", b, "q", 1),
                        log.Value("vehicle_attitude", b, "q", 2), log.Value("vehicle_attitude", b, "q", 3), &s.roll_deg,
                        &s.pitch_deg, &s.yaw_deg);
      out.samples.push_back(s);
    }
  } else {
    out.samples = pos.samples;
  }
  if (out.samples.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": no vehicle_attitude, vehicle_global_position or vehicle_local_position data"));
  }
  auto by_time = [](const TelemetrySample& x, const TelemetrySample& y) { return x.time_us < y.time_us; };
  std::stable_sort(out.samples.begin(), out.samples.end(), by_time);
  std::stable_sort(pos.samples.begin(), pos.samples.end(), by_time);
  std::stable_sort(gimbal.samples.begin(), gimbal.samples.end(), by_time);
  constexpr TimeUs kMaxGapUs = 1'000'000;
  for (TelemetrySample& s : out.samples) {
    if (!s.HasPosition() && !pos.samples.empty()) {
      auto p = PoseAtTime(pos, s.time_us, kMaxGapUs);
      if (p.ok()) s.lat = p->lat, s.lon = p->lon, s.abs_alt_m = p->abs_alt_m, s.rel_alt_m = p->rel_alt_m;
    }
    if (!gimbal.samples.empty()) {
      auto gp = PoseAtTime(gimbal, s.time_us, kMaxGapUs);
      if (gp.ok()) {
        s.gimbal_pitch_deg = gp->gimbal_pitch_deg;
        s.gimbal_roll_deg = gp->gimbal_roll_deg;
        // One convention for every reader: gimbal yaw is the camera's compass heading. A yaw in the vehicle frame
        // gets the vehicle's heading added, and without one it is dropped rather than taken as a heading.
        const bool vehicle_frame = HasValue(gp->yaw_deg);
        s.gimbal_yaw_deg = !vehicle_frame        ? gp->gimbal_yaw_deg
                           : HasValue(s.yaw_deg) ? WrapYaw(s.yaw_deg + gp->gimbal_yaw_deg)
                                                 : kNoValue;
      }
    }
  }
  const TimeUs t0 = out.samples.front().time_us;
  for (TelemetrySample& s : out.samples) s.time_us -= t0;
  DIDBAN_RETURN_IF_ERROR(CheckTelemetryLimits(out));
  if (log.cut_at >= 0) {
    const std::string record =
        log.cut_type == 0 ? std::string("inside a record header")
                          : absl::StrCat("inside a '", SafeForMessage(std::string(1, log.cut_type)), "' record of ",
                                         log.cut_size + 3, " bytes (", log.cut_present, " present)");
    out.warnings.push_back(absl::StrFormat(
        "%s: the log is cut at byte %d, %s; its last complete data timestamp is %.6f s on the log's clock, %.6f s "
        "into the telemetry, where the telemetry ends",
        name, log.cut_at, record, static_cast<double>(log.last_timestamp_us) / 1e6,
        UsToSeconds(out.samples.back().time_us)));
  }
  return out;
}

absl::StatusOr<Telemetry> ReadULogTelemetry(const std::string& path) {
  if (!std::ifstream(path, std::ios::binary)) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  DIDBAN_ASSIGN_OR_RETURN(std::string bytes, ReadTextFile(path, kMaxULogBytes));
  DIDBAN_ASSIGN_OR_RETURN(ULogFile log, ParseULog(bytes, path));
  return ULogToTelemetry(log, path);
}

}  // namespace didban::geo
