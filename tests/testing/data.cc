#include "testing/data.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace didban::testing {

std::string DataDir() {
  const char* env = std::getenv("DIDBAN_DATA");
  if (env != nullptr && *env != '\0') return env;
  return DIDBAN_DATA_DIR;
}

std::string DataPathOrEmpty(const std::string& relative) {
  std::filesystem::path p = std::filesystem::path(DataDir()) / relative;
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) return "";
  return p.lexically_normal().string();
}

bool InCi() {
  const char* ci = std::getenv("CI");
  if (ci == nullptr) return false;
  std::string v = ci;
  return !(v.empty() || v == "0" || v == "false");
}

std::string MakeTempDir(const std::string& prefix) {
  std::filesystem::path base = std::filesystem::temp_directory_path();
  std::string tmpl = (base / (prefix + "-XXXXXX")).string();
  char* made = mkdtemp(tmpl.data());
  return made == nullptr ? std::string() : std::string(made);
}

}  // namespace didban::testing
