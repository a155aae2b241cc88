#include "geo/telemetry_ulog.h"

namespace didban::geo {

double ULogFile::Value(const std::string&, const std::string&, const std::string&, int) const { return kNoValue; }

absl::StatusOr<ULogFile> ParseULog(const std::string&, const std::string& name) {
  return absl::UnimplementedError(absl::StrCat(name, ": ULog reading is not implemented yet"));
}

absl::StatusOr<Telemetry> ULogToTelemetry(const ULogFile&, const std::string& name) {
  return absl::UnimplementedError(absl::StrCat(name, ": ULog reading is not implemented yet"));
}

absl::StatusOr<Telemetry> ReadULogTelemetry(const std::string& path) {
  return absl::UnimplementedError(absl::StrCat(path, ": ULog reading is not implemented yet"));
}

}  // namespace didban::geo
