#include "detect/detectors.h"

#include "detect/dnn_detector.h"
#include "detect/gated_detector.h"
#include "detect/motion_detector.h"

namespace didban::detect {

namespace {

absl::StatusOr<std::unique_ptr<Detector>> MakeMotion(const nlohmann::json& params) {
  DIDBAN_ASSIGN_OR_RETURN(MotionOptions o, ParseMotionOptions(params, "motion"));
  return std::unique_ptr<Detector>(std::make_unique<MotionDetector>(o));
}

absl::StatusOr<std::unique_ptr<Detector>> MakeDnn(const nlohmann::json& params) {
  DIDBAN_ASSIGN_OR_RETURN(DnnOptions o, ParseDnnOptions(params, "dnn"));
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<DnnDetector> d, DnnDetector::Create(o));
  return std::unique_ptr<Detector>(std::move(d));
}

absl::StatusOr<std::unique_ptr<Detector>> MakeGated(const nlohmann::json& params) {
  DIDBAN_ASSIGN_OR_RETURN(GatedOptions o, ParseGatedOptions(params, "gated"));
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<GatedDetector> d, GatedDetector::Create(o));
  return std::unique_ptr<Detector>(std::move(d));
}

}  // namespace

Registry<Detector>& DetectorRegistry() {
  static Registry<Detector>* const registry = [] {
    auto* r = new Registry<Detector>("detector");
    r->Register("motion", MakeMotion);
    r->Register("dnn", MakeDnn);
    r->Register("gated", MakeGated);
    return r;
  }();
  return *registry;
}

absl::StatusOr<std::unique_ptr<Detector>> CreateDetector(const std::string& name, const nlohmann::json& params) {
  return DetectorRegistry().Create(name, params);
}

}  // namespace didban::detect
