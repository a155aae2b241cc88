// One camera's traffic rules: prepares each frame's tracks once (ground positions through the calibration,
// trajectories, smoothed velocities), runs every rule, evicts per-track state when tracks end, and feeds events
// and measurements to its IntervalStats. A didban::FrameSink. Thread-compatible.
#ifndef DIDBAN_RULES_RULE_ENGINE_H_
#define DIDBAN_RULES_RULE_ENGINE_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "didban/stage.h"
#include "geo/camera_calibration.h"
#include "rules/interval_stats.h"
#include "rules/rule.h"

namespace didban::rules {

struct RuleEngineOptions {
  TimeUs track_timeout_us = 2 * kUsPerSecond;  // a track absent from the snapshots this long has ended, µs
  double velocity_window_s = 1.0;              // least-squares window of the shared ground velocity, seconds
  double min_velocity_span_s = 0.4;            // the velocity needs samples spanning at least this, seconds
  double trajectory_horizon_s = 5.0;           // ground history kept per track, seconds
  size_t max_tracks = 4096;                    // per-track state beyond this evicts the stalest track
  float border_px = 2;  // boxes this close to the image border are clipped: their ground points do not enter the
                        // trajectories (speeds), pixels
  IntervalStatsOptions stats;

  absl::Status Validate() const;
};

class RuleEngine final : public FrameSink {
 public:
  // Builds the rules from their specs through RuleRegistry(); errors are prefixed with the spec's `where`.
  // Rule names must be unique within the camera (an unnamed rule is named after its type).
  static absl::StatusOr<std::unique_ptr<RuleEngine>> Create(std::string camera, geo::CameraCalibration calibration,
                                                            const std::vector<RuleSpec>& specs,
                                                            RuleEngineOptions options = {});
  // From a config::CameraConfig (or anything with name, calibration and rules of {type, name, params, where}),
  // without rules/ depending on config/.
  template <typename CameraConfigT>
  static absl::StatusOr<std::unique_ptr<RuleEngine>> FromCamera(const CameraConfigT& camera,
                                                                RuleEngineOptions options = {}) {
    std::vector<RuleSpec> specs;
    for (const auto& r : camera.rules) specs.push_back({r.type, r.name, r.params, r.where});
    return Create(camera.name, camera.calibration, specs, options);
  }

  // FrameSink: runs the rules on the snapshot (the frame itself is not needed); events get the camera name.
  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) override;
  // Ends every track (flushing per-vehicle measurements such as speeds).
  absl::Status Finish() override;

  // The same without a frame. Tracks in state kRemoved are evicted after this frame's rules ran.
  void Process(const TrackSnapshot& snapshot, std::vector<Event>* events);
  // Ends one track now (e.g. from Tracker::Removed()).
  void EndTrack(int64_t track_id, TimeUs time_us, std::vector<Event>* events);

  // The analysed image size (set from each frame by Consume, else from a pinhole calibration); 0 = unknown.
  void SetImageSize(int width, int height) {
    width_ = width;
    height_ = height;
  }

  const std::string& Camera() const { return camera_; }
  const geo::CameraCalibration& Calibration() const { return calibration_; }
  const std::vector<std::unique_ptr<Rule>>& Rules() const { return rules_; }
  const Rule* FindRule(const std::string& name) const;
  IntervalStats& Stats() { return stats_; }
  const IntervalStats& Stats() const { return stats_; }
  // Measurements of the last Process/Finish call (also fed to Stats()).
  const std::vector<Measurement>& LastMeasurements() const { return measurements_; }
  size_t TrackedCount() const { return tracks_.size(); }

 private:
  RuleEngine(std::string camera, geo::CameraCalibration calibration, RuleEngineOptions options)
      : camera_(std::move(camera)), calibration_(std::move(calibration)), o_(options), stats_(options.stats) {}

  struct TrackState {
    TimeUs last_seen_us = 0;
    Trajectory trajectory;
  };
  FrameInput Prepare(const TrackSnapshot& snapshot);
  void EvictStale(TimeUs now_us, RuleOutput* out);
  void Evict(int64_t id, TimeUs time_us, RuleOutput* out);
  void Publish(std::vector<Event>* events, size_t first_new);

  std::string camera_;
  geo::CameraCalibration calibration_;
  RuleEngineOptions o_;
  std::vector<std::unique_ptr<Rule>> rules_;
  std::unordered_map<int64_t, TrackState> tracks_;
  IntervalStats stats_;
  std::vector<Measurement> measurements_;
  TimeUs last_time_us_ = 0;
  int width_ = 0, height_ = 0;
};

}  // namespace didban::rules

#endif  // DIDBAN_RULES_RULE_ENGINE_H_
