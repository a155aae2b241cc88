#include "center/camera_definition.h"

#include <iomanip>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "detect/detectors.h"
#include "rules/rule_engine.h"
#include "source/source_options.h"
#include "track/byte_tracker.h"

namespace didban::center {
namespace {

constexpr char kParsedField[] = "cameras[0]";

// "site.yaml:4:3: cameras[0].detector.type: bad" -> "camera.detector.type: bad" (the YAML text is ours, so its
// file, line and column mean nothing to the client).
std::string RenameField(const std::string& text) {
  size_t at = text.find(kParsedField);
  if (at == std::string::npos) return text;
  return absl::StrCat("camera", text.substr(at + sizeof(kParsedField) - 1));
}

std::string Prefixed(const std::string& where, const std::string& message) {
  return where.empty() ? message : absl::StrCat(where, ": ", message);
}

}  // namespace

absl::StatusOr<config::CameraConfig> ParseCameraDefinition(const nlohmann::json& definition,
                                                           const config::SiteConfig& site, const std::string& where) {
  if (!definition.is_object()) {
    return absl::InvalidArgumentError(Prefixed(where, "camera: expected a JSON object"));
  }
  // JSON is YAML: the site-config reader parses the definition as the one camera of a site with this site's origin.
  std::ostringstream yaml;
  yaml << std::setprecision(17);
  if (site.origin) {
    yaml << "site: {origin: {lat: " << site.origin->lat << ", lon: " << site.origin->lon
         << ", alt: " << site.origin->alt << "}}\n";
  }
  yaml << "cameras:\n  - " << definition.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  const std::string path = site.path.empty() ? std::string("site.yaml") : site.path;
  absl::StatusOr<config::SiteConfig> parsed = config::ParseSiteConfig(yaml.str(), path);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(Prefixed(where, RenameField(std::string(parsed.status().message()))));
  }
  if (parsed->cameras.size() != 1) return absl::InvalidArgumentError(Prefixed(where, "camera: expected one camera"));
  config::CameraConfig cam = std::move(parsed->cameras[0]);
  cam.where = Prefixed(where, "camera");
  cam.detector.where = Prefixed(where, RenameField(cam.detector.where));
  for (config::Spec& r : cam.rules) r.where = Prefixed(where, RenameField(r.where));
  if (cam.uri.empty()) return absl::InvalidArgumentError(Prefixed(where, "camera.uri: missing"));
  return cam;
}

nlohmann::json CameraDefinitionJson(const config::CameraConfig& camera) {
  nlohmann::json j = {{"name", camera.name}, {"uri", camera.uri}};
  if (camera.fps > 0) j["fps"] = camera.fps;
  if (camera.analysis_width > 0) j["analysis_width"] = camera.analysis_width;
  if (!camera.owner.empty()) j["owner"] = camera.owner;
  nlohmann::json detector = camera.detector.params.is_object() ? camera.detector.params : nlohmann::json::object();
  detector["type"] = camera.detector.type;
  j["detector"] = std::move(detector);
  if (!camera.tracker.is_null()) j["tracker"] = camera.tracker;
  // The calibration as given (metres, resolved files), so that clients (the web UI's map and editor) see it and a
  // definition sent back as it stands keeps it.
  if (!camera.calibration_json.is_null()) j["calibration"] = camera.calibration_json;
  if (!camera.rules.empty()) {
    nlohmann::json rules = nlohmann::json::array();
    for (const config::Spec& r : camera.rules) rules.push_back(r.params);
    j["rules"] = std::move(rules);
  }
  if (!camera.recording.json.is_null()) j["recording"] = camera.recording.json;
  if (!camera.privacy_masks.is_null()) j["privacy_masks"] = camera.privacy_masks;
  // Listed so that a definition sent back as it stands keeps the camera's masked recording.
  if (camera.masked_recording) j["masked_recording"] = true;
  return j;
}

namespace {

// The calibration's image-to-ground homography, when it has one (a pinhole's is fitted on a grid of its image).
std::optional<cv::Matx33d> ImageToGround(const geo::CameraCalibration& calibration) {
  if (calibration.homography) return calibration.homography->ImageToGround();
  if (!calibration.pinhole || calibration.pinhole->width <= 0 || calibration.pinhole->height <= 0) return std::nullopt;
  std::vector<geo::PointPair> pairs;
  const double w = calibration.pinhole->width;
  const double h = calibration.pinhole->height;
  for (int i = 0; i <= 4; ++i) {
    for (int j = 0; j <= 4; ++j) {
      Point2 pixel{w * (0.1 + 0.2 * i), h * (0.5 + 0.1 * j)};
      if (std::optional<Point2> g = calibration.PixelToGround(pixel)) pairs.push_back({pixel, *g});
    }
  }
  if (pairs.size() < 4) return std::nullopt;
  absl::StatusOr<geo::GroundHomography> fit = geo::GroundHomography::Fit(pairs);
  if (!fit.ok()) return std::nullopt;
  return fit->ImageToGround();
}

}  // namespace

nlohmann::json DetectorParams(const config::CameraConfig& camera) {
  nlohmann::json params = camera.detector.params.is_object() ? camera.detector.params : nlohmann::json::object();
  params.erase("type");
  params.erase("name");
  nlohmann::json* motion = nullptr;
  if (camera.detector.type == "motion") motion = &params;
  if (camera.detector.type == "gated") {
    if (!params.contains("motion") || params["motion"].is_null()) params["motion"] = nlohmann::json::object();
    if (params["motion"].is_object()) motion = &params["motion"];
  }
  if (motion != nullptr && !motion->contains("ground_homography")) {
    if (std::optional<cv::Matx33d> h = ImageToGround(camera.calibration)) {
      nlohmann::json rows = nlohmann::json::array();
      for (int r = 0; r < 3; ++r) rows.push_back({(*h)(r, 0), (*h)(r, 1), (*h)(r, 2)});
      (*motion)["ground_homography"] = std::move(rows);
    }
  }
  return params;
}

absl::StatusOr<std::unique_ptr<Detector>> MakeDetector(const config::CameraConfig& camera) {
  nlohmann::json params = DetectorParams(camera);
  absl::StatusOr<std::unique_ptr<Detector>> detector = detect::CreateDetector(camera.detector.type, params);
  if (!detector.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        camera.detector.where.empty() ? absl::StrCat("camera ", camera.name, ": detector") : camera.detector.where,
        ": ", detector.status().message()));
  }
  return detector;
}

absl::Status CheckCamera(const config::CameraConfig& camera) {
  const std::string who = absl::StrCat("camera ", camera.name);
  if (camera.uri.empty()) return absl::InvalidArgumentError(absl::StrCat(who, ": uri: missing"));
  source::SourceOptions so;
  so.camera = camera.name;
  so.max_width = camera.analysis_width;
  if (absl::Status s = so.Validate(); !s.ok()) return absl::InvalidArgumentError(absl::StrCat(who, ": ", s.message()));
  DIDBAN_RETURN_IF_ERROR(MakeDetector(camera).status());
  absl::StatusOr<track::ByteTrackerOptions> topt =
      track::ByteTrackerOptions::FromJson(camera.tracker, camera.fps > 0 ? camera.fps : 25);
  if (!topt.ok()) return absl::InvalidArgumentError(absl::StrCat(who, ": tracker: ", topt.status().message()));
  if (!camera.rules.empty()) {
    absl::StatusOr<std::unique_ptr<rules::RuleEngine>> engine = rules::RuleEngine::FromCamera(camera);
    if (!engine.ok()) return absl::InvalidArgumentError(std::string(engine.status().message()));
  }
  return absl::OkStatus();
}

}  // namespace didban::center
