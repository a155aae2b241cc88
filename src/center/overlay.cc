#include "center/overlay.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace didban::center {

nlohmann::json Overlay::ToJson() const {
  nlohmann::json p = nlohmann::json::object();
  for (const auto& [name, def] : put) p[name] = def;
  return {{"version", 1}, {"put", std::move(p)}, {"removed", removed}};
}

absl::StatusOr<Overlay> Overlay::FromJson(const nlohmann::json& j, const std::string& path) {
  auto bad = [&path](const std::string& what) { return absl::InvalidArgumentError(absl::StrCat(path, ": ", what)); };
  if (!j.is_object()) return bad("expected a JSON object");
  if (!j.contains("version") || j["version"] != 1) return bad("version: expected 1");
  for (const auto& [key, value] : j.items()) {
    if (key != "version" && key != "put" && key != "removed") return bad(absl::StrCat(key, ": unknown key"));
  }
  Overlay o;
  if (j.contains("put")) {
    if (!j["put"].is_object()) return bad("put: expected an object of camera definitions");
    for (const auto& [name, def] : j["put"].items()) {
      if (!def.is_object()) return bad(absl::StrCat("put.", name, ": expected a camera definition object"));
      o.put[name] = def;
    }
  }
  if (j.contains("removed")) {
    if (!j["removed"].is_array()) return bad("removed: expected a list of camera names");
    for (const auto& n : j["removed"]) {
      if (!n.is_string()) return bad("removed: expected a list of camera names");
      o.removed.insert(n.get<std::string>());
    }
  }
  return o;
}

std::string DefaultOverlayPath(const std::string& site_path) {
  std::filesystem::path p(site_path.empty() ? "site.yaml" : site_path);
  return (p.parent_path() / (p.stem().string() + ".runtime.json")).string();
}

absl::StatusOr<Overlay> LoadOverlay(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Overlay{};
  std::ifstream in(path);
  if (!in) return absl::PermissionDeniedError(absl::StrCat(path, ": cannot read"));
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  return Overlay::FromJson(j, path);
}

absl::Status SaveOverlay(const std::string& path, const Overlay& overlay) {
  const std::string tmp = path + ".tmp";
  const std::string text = overlay.ToJson().dump(2) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::PermissionDeniedError(absl::StrCat(tmp, ": cannot create: ", std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return absl::ResourceExhaustedError(absl::StrCat(tmp, ": write failed: ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  const int sync_err = errno;
  if (::close(fd) != 0 || !synced) {
    return absl::ResourceExhaustedError(
        absl::StrCat(tmp, ": cannot flush: ", std::strerror(synced ? errno : sync_err)));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot replace: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace didban::center
