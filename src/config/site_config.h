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

// How a camera is recorded: `recording:` at the top of the site file gives every camera's defaults, and `recording:`
// under a camera overrides them key by key. Durations are seconds or strings with a unit ("90s", "15m", "36h", "7d",
// "2w"); sizes are bytes or strings with a unit ("500MB", "2GiB", "1.5T"; k/M/G/T are powers of 1000, Ki/Mi/Gi/Ti of
// 1024).
enum class RecordingMode {
  kContinuous,  // every packet is recorded
  kEvents,      // only around events: [t - pre_s, t + post_s]
  kOff,         // not recorded
};
const char* RecordingModeName(RecordingMode mode);  // "continuous", "events", "off"

// The keys given in one `recording:` mapping (unset: inherited).
struct RecordingOverrides {
  std::optional<RecordingMode> mode;
  std::optional<double> segment_s;   // segments are cut at the first keyframe this long after their start, s, [1, 3600]
  std::optional<double> max_age_s;   // `max_age`: segments older than this are deleted, s; 0 = no limit
  std::optional<int64_t> max_bytes;  // the camera's recordings are kept under this many bytes; 0 = no limit
  std::optional<double> pre_s;       // event clips and event-only recording: seconds before an event, [0, 600]
  std::optional<double> post_s;      // ... and after it, [0, 600]
  nlohmann::json json;               // the mapping as written (null when absent), to write a definition back
};

// A camera's recording with every key resolved (ResolveRecording).
struct RecordingSettings {
  RecordingMode mode = RecordingMode::kContinuous;
  double segment_s = 60;  // seconds
  double max_age_s = 0;   // seconds; 0 = no limit
  int64_t max_bytes = 0;  // bytes; 0 = no limit
  double pre_s = 5;       // seconds
  double post_s = 5;      // seconds

  bool operator==(const RecordingSettings&) const = default;
};

// The site-wide `recording:` section: the cameras' defaults and the node's free-disk floor.
struct SiteRecordingConfig {
  RecordingOverrides defaults;
  int64_t min_free_bytes = 0;   // retention deletes the oldest segments of any camera to keep this much free; 0 = none
  double min_free_percent = 0;  // ... or this share of the disk, percent [0, 90]; the larger floor applies
  double retention_every_s = 60;  // `check_every_s`: retention runs at start and this often, seconds, [1, 3600]
  std::string where;              // file:line of the section ("" when absent)
};

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
  // The `calibration:` mapping as a definition carries it back: homography latlon points as local metres (`ground`),
  // calibration files resolved against the site file's folder; null when absent.
  nlohmann::json calibration_json;
  std::vector<Spec> rules;
  RecordingOverrides recording;  // the camera's own `recording:` keys
  // `privacy_masks:` polygons filled black wherever a pixel leaves the server, [[[x, y], ...], ...] in pixels of the
  // full-resolution frame (record::ParsePrivacyMask); null = none.
  nlohmann::json privacy_masks;
  // `masked_recording: true`: the camera is recorded from its decoded frames with the masks filled, re-encoded
  // (H.264), so nothing unmasked is stored; needs privacy_masks (refused without). false: recorded by stream copy.
  bool masked_recording = false;
  std::string owner;  // who the camera belongs to (`owner:`, a name); access grants by owner use it; "" = none
  std::string where;  // file:line of the camera's entry
};

struct SiteConfig {
  std::string name;
  std::optional<geo::LatLon> origin;  // anchor of the local ENU frame; required for lat/lon calibration points
  std::vector<CameraConfig> cameras;
  SiteRecordingConfig recording;  // the `recording:` section
  nlohmann::json sections;        // other top-level sections (fusion, drone, ...) as JSON, keyed by name
  std::string path;               // the file it came from

  const CameraConfig* FindCamera(const std::string& name) const;
  absl::Status Validate() const;
};

// The top-level keys a site file may have: `site`, `cameras`, `recording` and the sections that commands read from
// SiteConfig::sections (fusion, fusion_batch, sources). Any other key is refused (a typo such as `camras:` would
// otherwise drop every camera silently); a new section is added here.
inline constexpr const char* kSiteTopLevelKeys[] = {"cameras",   "fusion", "fusion_batch",
                                                    "recording", "site",   "sources"};

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

// The camera's recording: its own keys over the site's defaults over RecordingSettings' defaults.
RecordingSettings ResolveRecording(const SiteRecordingConfig& site, const RecordingOverrides& camera);

// "7d" -> 604800, "36h", "15m", "90s", "2w", or a plain number of seconds; error names what is wrong.
absl::StatusOr<double> ParseDurationSeconds(const std::string& text);
// "500MB" -> 500000000, "2GiB" -> 2147483648, "1.5T", or a plain number of bytes; error names what is wrong.
absl::StatusOr<int64_t> ParseByteSize(const std::string& text);

}  // namespace didban::config

#endif  // DIDBAN_CONFIG_SITE_CONFIG_H_
