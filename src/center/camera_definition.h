// Camera definitions as the API and the runtime overlay carry them: JSON objects with the keys of a site file's
// camera entry (name, uri, fps, analysis_width, detector, tracker, calibration, rules), parsed by the site-config
// reader so that the API accepts exactly what a site file accepts, and checked by building every component except
// the video source. Free functions; thread-safe.
#ifndef DIDBAN_CENTER_CAMERA_DEFINITION_H_
#define DIDBAN_CENTER_CAMERA_DEFINITION_H_

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "config/site_config.h"
#include "didban/stage.h"
#include "didban/status.h"

namespace didban::center {

// Parses one camera definition in the context of `site` (relative URIs and calibration files resolve against the
// site file's folder; lat/lon calibration points use the site's origin). Errors are InvalidArgument and name the
// field as "camera.<field>: ..." (e.g. "camera.detector.type: expected a string"), prefixed with `where` if given.
absl::StatusOr<config::CameraConfig> ParseCameraDefinition(const nlohmann::json& definition,
                                                           const config::SiteConfig& site,
                                                           const std::string& where = "");

// The definition of a camera read from the site file, as far as it can be written back: name, uri (as resolved),
// fps, analysis_width, detector, tracker, calibration (CameraConfig::calibration_json: homography points in metres,
// calibration files resolved) and rules.
nlohmann::json CameraDefinitionJson(const config::CameraConfig& camera);

// The camera's detector parameters: its spec without the spec's own `type` and `name` keys, and, when the camera is
// calibrated and the spec gives none, the image-to-ground homography of its calibration as the motion detector's
// `ground_homography` (for `gated`: under `motion`), so that the detector knows vehicle sizes in metres (issue 15;
// the detect stage does not depend on geo: this plain 3x3 matrix is all it gets). A pinhole calibration gives the
// homography of its ground plane fitted through its image (needs the image size).
nlohmann::json DetectorParams(const config::CameraConfig& camera);

// The camera's detector from DetectorParams.
// Errors name the camera and field.
absl::StatusOr<std::unique_ptr<Detector>> MakeDetector(const config::CameraConfig& camera);

// Builds the camera's detector, tracker options and rule engine and checks its source options, without opening the
// source: what the runtime does before it changes anything. Errors name the camera and the field.
absl::Status CheckCamera(const config::CameraConfig& camera);

}  // namespace didban::center

#endif  // DIDBAN_CENTER_CAMERA_DEFINITION_H_
