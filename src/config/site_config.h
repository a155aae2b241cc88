// The site configuration: one YAML file describing a site's anchor, its cameras, their calibrations, detectors,
// trackers and rules. YAML is read here and only here; components receive typed structs or JSON parameter objects
// (`Spec::params`) that they parse into their own typed options, and errors carry `Spec::where` (file:line and
// field path) so a user can find the bad line.
#ifndef DIDBAN_CONFIG_SITE_CONFIG_H_
#define DIDBAN_CONFIG_SITE_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/status.h"
#include "geo/camera_calibration.h"
#include "geo/local_frame.h"

namespace didban::config {

// A pluggable component chosen by name (detector, rule ...), with its parameters.
struct Spec {
  std::string type;       // registry name, e.g. "motion", "line"
  std::string name;       // the user's name for this instance (rules), may be empty
  nlohmann::json params;  // the whole mapping, converted from YAML (includes `type` and `name`)
  std::string where;      // "site.yaml:31:9 cameras[0].rules[2]" for error messages
};

struct CameraConfig {
  std::string name;                    // unique within the site; [A-Za-z0-9_.-]+
  std::string uri;                     // file path (resolved against the site file's folder), rtsp://, http(s)://
  double fps = 0;                      // override of the stream's frame rate, frames/s; 0 = from the stream
  int analysis_width = 0;              // analyse frames downscaled to this width, pixels; 0 = full size
  Spec detector;                       // default {type: motion}
  nlohmann::json tracker;              // tracker parameters (mapping), may be null
  geo::CameraCalibration calibration;  // uncalibrated when absent
  std::vector<Spec> rules;
  // `privacy_masks:` polygons filled black wherever a pixel leaves the server, [[[x, y], ...], ...] in pixels of the
  // full-resolution frame (record::ParsePrivacyMask); null = none. `masked_recording: true` is refused (not built).
  nlohmann::json privacy_masks;
  std::string where;  // file:line of the camera's entry
};

struct SiteConfig {
  std::string name;
  std::optional<geo::LatLon> origin;  // anchor of the local ENU frame; required for lat/lon calibration points
  std::vector<CameraConfig> cameras;
  nlohmann::json sections;  // other top-level sections (fusion, drone, ...) as JSON, keyed by name
  std::string path;         // the file it came from

  const CameraConfig* FindCamera(const std::string& name) const;
  absl::Status Validate() const;
};

// The top-level keys a site file may have: `site`, `cameras` and the sections that commands read from
// SiteConfig::sections (fusion, fusion_batch). Any other key is refused (a typo such as `camras:` would otherwise
// drop every camera silently); a new section is added here.
inline constexpr const char* kSiteTopLevelKeys[] = {"cameras", "fusion", "fusion_batch", "site"};

// Limits of the site YAML reader (docs/security.md), checked on the text and on the YAML event stream before any
// node is built or converted to JSON.
struct SiteLimits {
  int64_t max_bytes = 1 << 20;  // largest site file, bytes (1 MiB)
  int64_t max_nodes = 100'000;  // YAML nodes in the document with every alias expanded (YAML "billion laughs")
  int max_depth = 64;           // nesting of mappings and sequences
};

// Parses YAML text; `path` names the file in errors and is the base for relative URIs and calibration files.
// Refused with a message naming the file, line and column: text that is not UTF-8, YAML beyond `limits`, an alias
// to a node that contains it, unknown keys at the top, in `site`, in a camera or in its calibration (components
// refuse unknown keys in their own parameter mappings).
absl::StatusOr<SiteConfig> ParseSiteConfig(const std::string& yaml_text, const std::string& path,
                                           const SiteLimits& limits = {});
absl::StatusOr<SiteConfig> LoadSiteConfig(const std::string& path, const SiteLimits& limits = {});

}  // namespace didban::config

#endif  // DIDBAN_CONFIG_SITE_CONFIG_H_
