// The traffic-rule interface: a rule consumes each frame's tracks (with their ground positions and smoothed ground
// velocities prepared once by the RuleEngine) and raises didban::Event values and measurements for statistics.
// Rules are chosen by name from the site config through RuleRegistry().
#ifndef DIDBAN_RULES_RULE_H_
#define DIDBAN_RULES_RULE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/event.h"
#include "didban/registry.h"
#include "didban/status.h"
#include "didban/track.h"
#include "geo/camera_calibration.h"
#include "rules/trajectory.h"

namespace didban::rules {

// One track as rules see it in one frame. Points into engine-owned data valid for the call only.
struct TrackView {
  const Track* track = nullptr;
  int64_t id = 0;
  ObjectClass object_class = ObjectClass::kUnknown;
  Point2 pixel;                    // reference pixel (bottom centre by default), analysis pixels
  std::optional<Point2> ground;    // ground position, local metres; nullopt when uncalibrated or above the horizon
  std::optional<Point2> velocity;  // smoothed ground velocity, m/s (least squares over the engine's window)
  const Trajectory* trajectory = nullptr;  // ground history; null when uncalibrated
};

// Everything a rule sees in one frame: only tracks matched in this update (confirmed), never predictions.
struct FrameInput {
  TimeUs time_us = 0;
  int64_t frame_index = 0;
  std::vector<TrackView> tracks;
};

// A per-frame or per-vehicle quantity for statistics (not an operator event).
enum class MeasureKind : int {
  kSpeed = 0,  // one per vehicle (mean of its valid speed estimates), km/h, at the end of its track
  kOccupancy,  // one per frame per zone: tracks inside
  kDensity,    // one per frame per congestion zone: vehicles/km/lane
};

struct Measurement {
  TimeUs time_us = 0;
  std::string rule;
  MeasureKind kind = MeasureKind::kSpeed;
  int64_t track_id = 0;
  ObjectClass object_class = ObjectClass::kUnknown;
  double value = 0;
};

// Where rules write: operator events and measurements (both appended).
struct RuleOutput {
  std::vector<Event>* events = nullptr;
  std::vector<Measurement>* measurements = nullptr;
};

// The camera a rule is bound to.
struct RuleContext {
  std::string camera;
  std::string name;                    // the rule's name (the spec's name, else its type)
  geo::CameraCalibration calibration;  // may be uncalibrated
};

// Pixel geometry and text a rule wants drawn (see RulesAnnotator).
struct RuleDrawing {
  struct Shape {
    std::vector<Point2> pixels;  // analysis pixels
    bool closed = false;         // polygon (zone) or polyline (line)
  };
  std::vector<Shape> shapes;
  std::string label;                                          // e.g. "north-count in 12 / out 9"
  std::vector<std::pair<int64_t, std::string>> track_labels;  // e.g. {7, "54 km/h"}
};

// A configured traffic rule. Thread-compatible (one instance per camera, called from one thread).
class Rule {
 public:
  virtual ~Rule() = default;

  // Binds the rule to its camera: converts its geometry between pixels and ground. Called once before Process.
  absl::Status Bind(RuleContext context) {
    context_ = std::move(context);
    return OnBind();
  }
  // Consumes one frame.
  virtual void Process(const FrameInput& input, RuleOutput* out) = 0;
  // The track ended (retired by the tracker or absent longer than the engine's timeout): drop its state.
  virtual void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) = 0;
  virtual std::string_view Type() const = 0;
  virtual RuleDrawing Drawing() const = 0;

  const std::string& Name() const { return context_.name; }
  const RuleContext& Context() const { return context_; }

 protected:
  virtual absl::Status OnBind() = 0;
  // An event about `tv` stamped with this rule's camera and name.
  Event MakeEvent(TimeUs time_us, std::string type, const TrackView* tv) const;

 private:
  RuleContext context_;
};

// A rule as configured: mirrors config::Spec (rules may not depend on config/, which comes later in the dataflow).
struct RuleSpec {
  std::string type;       // registry name: line, zone, speed, wrong_way, stopped, congestion, near_miss
  std::string name;       // the user's name; the type when empty
  nlohmann::json params;  // the whole mapping (may include type and name)
  std::string where;      // "site.yaml:31:9: cameras[0].rules[2]", prefixed to errors
};

// The rules known by name: line, zone, speed, wrong_way, stopped, congestion, near_miss (registered on first use;
// more may be registered by the application). Thread-safe.
Registry<Rule>& RuleRegistry();

}  // namespace didban::rules

#endif  // DIDBAN_RULES_RULE_H_
