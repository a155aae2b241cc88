// The runtime overlay: camera changes made through the API, kept in a JSON file beside the site file so that they
// survive a restart without rewriting the operator's YAML. The overlay says which site-file cameras were removed and
// holds the full definition of every camera added or replaced. Written atomically (temporary file, fsync, rename).
#ifndef DIDBAN_CENTER_OVERLAY_H_
#define DIDBAN_CENTER_OVERLAY_H_

#include <map>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "didban/status.h"

namespace didban::center {

struct Overlay {
  std::map<std::string, nlohmann::json> put;  // camera name -> definition (added, or replacing the site file's)
  std::set<std::string> removed;              // site-file cameras removed (applied before `put`)

  nlohmann::json ToJson() const;  // {"version": 1, "put": {...}, "removed": [...]}
  // Errors name `path` and the key.
  static absl::StatusOr<Overlay> FromJson(const nlohmann::json& j, const std::string& path);
};

// The overlay file of a site: "<folder>/<site file stem>.runtime.json".
std::string DefaultOverlayPath(const std::string& site_path);
// An absent file is an empty overlay.
absl::StatusOr<Overlay> LoadOverlay(const std::string& path);
// Writes `path` atomically: the old or the new content survives a crash, never a mix.
absl::Status SaveOverlay(const std::string& path, const Overlay& overlay);

}  // namespace didban::center

#endif  // DIDBAN_CENTER_OVERLAY_H_
