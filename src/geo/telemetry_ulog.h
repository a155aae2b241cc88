// PX4 ULog flight logs (https://docs.px4.io/main/en/dev_log/ulog_file_format.html), read with our own parser of the
// binary format: header, 'F' formats, 'I' info, 'M' multi-info, 'P' parameters, 'A' subscriptions, 'D' data, 'L'
// logged strings, 'S' sync, 'O' dropouts. Stateless functions; thread-safe.
#ifndef DIDBAN_GEO_TELEMETRY_ULOG_H_
#define DIDBAN_GEO_TELEMETRY_ULOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "didban/status.h"
#include "geo/telemetry_types.h"

namespace didban::geo {

// One field of a ULog message format: `type name` or `type[n] name`.
struct ULogField {
  std::string type;  // int8_t ... double, bool, char, or a nested format name
  std::string name;
  int array_size = 0;  // 0 = scalar
  int offset = 0;      // bytes from the start of the message body (after msg_id)
  int size = 0;        // bytes in total (element size x count)
};

struct ULogFormat {
  std::string name;
  std::vector<ULogField> fields;
  int size = 0;  // bytes of one message body (without padding fields stripped)
};

// A logged string ('L' message).
struct ULogMessage {
  uint64_t timestamp_us = 0;
  int level = 0;  // '0'..'7' syslog level as a number (3 = error)
  std::string text;
};

// The parts of a ULog file that telemetry needs, plus what tests check against the published dumps.
struct ULogFile {
  uint64_t start_timestamp_us = 0;  // from the file header
  std::map<std::string, ULogFormat> formats;
  std::map<std::string, std::string> info;  // 'I' string values (sys_name, ver_hw, ...)
  // Subscriptions by msg_id: format name and multi id.
  struct Subscription {
    std::string format;
    int multi_id = 0;
  };
  std::map<uint16_t, Subscription> subscriptions;
  // Data messages per (format name, multi id), in file order: raw bodies without the msg_id.
  std::map<std::pair<std::string, int>, std::vector<std::string>> data;
  std::vector<ULogMessage> messages;
  int dropouts = 0;
  uint64_t dropout_ms = 0;
  uint64_t last_timestamp_us = 0;  // largest data timestamp seen
  // A file that ends inside a record (a log cut while writing: power loss, a crash): the byte offset where that
  // record starts, its type and declared body size and the bytes of it present; cut_at is -1 when the file ends on
  // a record boundary.
  int64_t cut_at = -1;
  char cut_type = 0;        // 0 when the cut falls inside the record's 3-byte header
  int cut_size = 0;         // declared body size (0 when the header is cut)
  int64_t cut_present = 0;  // bytes of the record present (header included)

  // Reads a numeric field (scalar or element `index` of an array) of a data body as double; NaN if not present.
  double Value(const std::string& format, const std::string& body, const std::string& field, int index = 0) const;
};

// Largest ULog file ReadULogTelemetry reads (docs/security.md): 1 GiB. Formats are limited to one message body
// (65535 bytes) and data timestamps to [0, 2^53] µs; the telemetry to TelemetryLimits.
inline constexpr int64_t kMaxULogBytes = int64_t{1} << 30;

// Parses the bytes of a ULog file; errors name `name` and the byte offset. A file that ends inside a record is read
// up to its last complete record and says where it was cut (ULogFile::cut_at).
absl::StatusOr<ULogFile> ParseULog(const std::string& bytes, const std::string& name);

// Telemetry from a ULog file: one sample per vehicle_attitude message (quaternion -> yaw/pitch/roll, yaw from north
// clockwise), with position from vehicle_global_position (lat, lon, alt) interpolated at its time when logged,
// gimbal orientation from mount_orientation / gimbal_device_attitude_status when logged. Time from the log's first
// sample. Position falls back to vehicle_local_position (with a valid reference) and then vehicle_gps_position.
// Errors name the file. A log cut mid-record gives a warning (Telemetry::warnings), not an error: every record
// before the cut is complete and checked, the telemetry ends at the last of them (poses later than that are refused
// by PoseAtTime), and the log of a flight that ended in a power loss or crash is the one most worth reading:
// "f.ulg: the log is cut at byte 299990, inside a 'D' record of 45 bytes (29 present); its last complete data
// timestamp is 180.123456 s on the log's clock, 67.500000 s into the telemetry, where the telemetry ends".
absl::StatusOr<Telemetry> ULogToTelemetry(const ULogFile& log, const std::string& name);
absl::StatusOr<Telemetry> ReadULogTelemetry(const std::string& path);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_TELEMETRY_ULOG_H_
