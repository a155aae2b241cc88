// Detectors by name: "motion", "dnn" and "gated", each made from a JSON params object.
#ifndef DIDBAN_DETECT_DETECTORS_H_
#define DIDBAN_DETECT_DETECTORS_H_

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "didban/registry.h"
#include "didban/stage.h"

namespace didban::detect {

// The process-wide detector registry with the built-in detectors registered ("dnn", "gated", "motion"). Other
// modules may Register() more. Thread-safe.
Registry<Detector>& DetectorRegistry();

// DetectorRegistry().Create(name, params): e.g. CreateDetector("motion", {{"process_width", 320}}).
// Unknown names give "unknown detector 'foo' (known: dnn, gated, motion)".
absl::StatusOr<std::unique_ptr<Detector>> CreateDetector(const std::string& name,
                                                         const nlohmann::json& params = nlohmann::json::object());

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_DETECTORS_H_
