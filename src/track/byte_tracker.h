// ByteTrack-class multi-object tracker: two-stage association (high-score, then low-score detections), a Kalman
// filter over (cx, cy, w/h, h), exact min-cost assignment, tentative/confirmed/lost/removed states, and ageing by
// timestamps. Optional observation-centric re-update and recovery (OC-SORT) for long occlusions.
#ifndef DIDBAN_TRACK_BYTE_TRACKER_H_
#define DIDBAN_TRACK_BYTE_TRACKER_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/stage.h"
#include "didban/status.h"
#include "track/assignment.h"
#include "track/kalman_xyah.h"

namespace didban::track {

// Parameters of ByteTracker. Times are seconds; scores are detector confidences in [0, 1]; costs are 1 - IoU (plus
// the optional centre-distance term), so a match needs cost < its limit.
struct ByteTrackerOptions {
  // Nominal frames per second of the input. Only sets the Kalman step (velocities are per frame period) and derives
  // time defaults in the presets; ageing itself uses timestamps. Default 30.
  double frame_rate = 30;

  // --- detections
  float high_score = 0.5f;   // detections with score >= this take part in the first association (ByteTrack 0.5)
  float low_score = 0.1f;    // detections in [low_score, high_score) take part in the second association only
  float birth_score = 0.8f;  // an unmatched high detection starts a track only if its score >= this (ByteTrack 0.6)

  // --- association (cost limits; a pair matches only with cost < limit)
  float match_high = 0.9f;         // first association: confirmed and lost tracks vs high detections (ByteTrack 0.8)
  float match_low = 0.5f;          // second association: still-unmatched tracked tracks vs low detections
  float match_unconfirmed = 0.7f;  // tentative tracks vs the high detections left over
  float match_recovery = 0.0f;     // OC-SORT recovery: unmatched tracks' last observed box vs leftover high
                                   // detections; 0 turns the step off
  float centre_distance_weight = 1.f;   // adds w * (centre distance / enclosing-box diagonal)^2 to 1 - IoU (DIoU;
                                        // ByteTrack: 0)
  bool fuse_score = false;              // first association cost 1 - IoU * score (ByteTrack's MOT20 setting)
  bool iou_pixel_inclusive = false;     // areas as (w + 1) * (h + 1), the pixel-index convention of ByteTrack's C++
  bool associate_predicted_box = true;  // match against the Kalman prediction; false: against the last updated box
                                        // (what the official ByteTrack C++ code does)

  // --- track life
  int confirm_hits = 2;            // matched detections (birth included) that confirm a tentative track
  double tentative_max_gap_s = 0;  // a tentative track unmatched for longer than this is dropped (0: at its first miss)
  bool confirm_first_update = true;  // tracks born in the very first update are confirmed at once (ByteTrack)
  bool predict_tentative = true;     // run the Kalman prediction for tentative tracks too (ByteTrack: false)
  double max_lost_s = 2.0;           // a lost track is removed once unmatched for longer than this (track_buffer)
  float duplicate_iou = 0.85f;  // a tracked and a lost track overlapping more (IoU) than this: the shorter-lived one
                                // is dropped; 1 turns it off
  bool observation_centric_reupdate = true;  // OC-SORT ORU: when a lost track is found again, replay the filter
                                             // along a straight line from its last observation

  // --- what Update() reports
  bool report_filtered_box = false;  // the Kalman box (ByteTrack) instead of the matched detection's box
  double report_lost_s = 0;          // also report lost tracks (predicted box, state kLost) this long after their
                                     // last match; 0: never

  KalmanXyahNoise noise{1.f / 20, 1.f / 80};  // Kalman noise weights (ByteTrack: 1/20, 1/160)

  // didban's tuned defaults (the member initialisers above) for a stream at `fps` frames per second (fps <= 0: 30).
  static ByteTrackerOptions Default(double fps);
  // The official ByteTrack C++ behaviour (ByteTrack-cpp / ByteTrack ncnn deploy), with its frame-based track_buffer
  // expressed in seconds at `fps`: reproduces its output exactly on frames at that rate.
  static ByteTrackerOptions ByteTrackCompatible(double fps, int track_buffer = 30);

  absl::Status Validate() const;

  // Reads {"preset": "default"|"bytetrack", <any field above by name>, "std_weight_position", "std_weight_velocity"}
  // starting from the preset at `fps` ("frame_rate" in params overrides fps). Errors name the field.
  static absl::StatusOr<ByteTrackerOptions> FromJson(const nlohmann::json& params, double fps);
};

// The tracker. One instance per camera; thread-compatible. Update() returns a reference to a vector owned by the
// tracker that stays unchanged until the next Update() (copy it to publish it to other threads).
class ByteTracker final : public Tracker {
 public:
  explicit ByteTracker(ByteTrackerOptions options);

  // Predict, associate high, associate low, recover, handle unconfirmed, spawn, retire, publish.
  const std::vector<Track>& Update(TimeUs time_us, const Detections& detections) override;
  const std::vector<Track>& Removed() const override { return removed_; }

  const ByteTrackerOptions& options() const { return options_; }
  // Live tracks of every state (tentative, confirmed, lost), by ID.
  size_t LiveTrackCount() const { return tracks_.size(); }

  // --- The steps of Update(), in order; public so that tests can drive and inspect them one at a time.
  // Starts an update: checks time, splits detections by score, clears the per-update lists.
  void BeginUpdate(TimeUs time_us, const Detections& detections);
  // Moves every confirmed and lost track (and tentative ones if predict_tentative) to the update time.
  void Predict();
  // Confirmed and lost tracks vs high detections; unmatched lost tracks stay lost.
  void AssociateHigh();
  // Tracks that were matched last time and not yet now vs low detections; those left unmatched become lost.
  void AssociateLow();
  // OC-SORT recovery: unmatched tracks by their last observed box vs the high detections left (if enabled).
  void Recover();
  // Tentative tracks vs the high detections left; confirms them after confirm_hits, drops them when stale.
  void AssociateUnconfirmed();
  // Starts a tentative track for each high detection left with score >= birth_score.
  void Spawn();
  // Removes lost tracks past max_lost_s and duplicates of tracked ones; fills Removed().
  void Retire();
  // Builds the reported tracks.
  const std::vector<Track>& Publish();

  // Matches made by the last association step, as (track ID, detection index in the Update input).
  const std::vector<std::pair<int64_t, int>>& LastMatchesForTest() const { return step_matches_; }
  // Every live track, reported as a Track (any state), for tests.
  std::vector<Track> LiveTracksForTest() const;

 private:
  enum class Phase : int { kTentative, kTracked, kLost };
  struct Record {
    int64_t id = 0;
    Phase phase = Phase::kTentative;
    bool confirmed = false;
    KalmanXyah kf;
    KalmanXyah kf_at_observation;  // the filter right after the last matched detection (for ORU)
    TimeUs kf_time_us = 0;         // time the filter state refers to
    Box filtered_box;              // the Kalman box after the last update (ByteTrack's rect)
    Box observed_box;              // the last matched detection
    float score = 0;
    TimeUs first_seen_us = 0;
    TimeUs last_seen_us = 0;
    int hits = 0;
    std::array<int, 9> class_votes{};
    bool matched_now = false;
  };

  void BeginStep();
  Box AssociationBox(const Record& r) const;
  // Fills cost_ for tracks `rows` (indices into tracks_) vs detections `cols` (indices into dets_) and solves.
  void Match(const std::vector<int>& rows, const std::vector<int>& cols, float limit, bool fuse, bool by_observation);
  void ApplyMatch(Record& r, int det);
  void ReUpdateAlongGap(Record& r, const Box& box);
  float Cost(const Box& track_box, const Box& det_box) const;
  Track ToTrack(const Record& r, TrackState state) const;
  double StepsBetween(TimeUs from, TimeUs to) const;

  ByteTrackerOptions options_;
  double frame_period_us_;
  int64_t next_id_ = 1;
  bool first_update_ = true;
  TimeUs time_us_ = 0;
  bool has_time_ = false;
  const Detections* dets_ = nullptr;

  std::vector<Record> tracks_;  // sorted by ID
  std::vector<Track> output_;
  std::vector<Track> removed_;

  // Per-update work lists, reused (no allocation once warm).
  std::vector<int> high_, low_;             // detection indices
  std::vector<int> pool_, remain_tracked_;  // track indices
  std::vector<int> leftover_high_, scratch_;
  std::vector<char> det_used_;
  std::vector<float> cost_;
  std::vector<Box> lost_boxes_;
  std::vector<std::pair<int, int>> matches_;
  std::vector<std::pair<int64_t, int>> step_matches_;
  std::vector<char> drop_;
  LinearAssigner assigner_;
};

}  // namespace didban::track

#endif  // DIDBAN_TRACK_BYTE_TRACKER_H_
