// Multi-camera fusion on the ground plane: per-camera observations (ground positions with covariance, optionally
// carrying the camera's local track id) are associated into global tracks with a constant-velocity Kalman state.
//
// Per time step: predict every global track; per camera, gate (Mahalanobis) and assign that camera's observations to
// tracks (Hungarian; at most one observation per camera per track; an existing (camera, local id) -> global id link
// lowers the cost and widens the gate, so hand-offs keep their ids); update each track with all its observations
// (one Kalman update per camera); cluster the unassociated observations across cameras (at most one per camera per
// cluster) into new tracks, confirmed at once when two cameras agree, else after `confirm_hits` steps; retire tracks
// unseen for `retire_after_s`.
//
// Streaming: PushFrame() per camera frame (also when it has no observations), Poll() returns the steps that are
// complete: a step at time T is processed once every live camera has reported a frame at or after T, or once the
// newest data is `max_lag_s` past T (a lagging camera's late observations are then dropped and counted). A camera
// that has not reported for `camera_timeout_s` of data time is dead: it no longer holds steps back and its links
// expire; it comes back on its next frame. IDs are allocated per instance from 1.
#ifndef DIDBAN_FUSE_FUSER_H_
#define DIDBAN_FUSE_FUSER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "didban/geometry.h"
#include "didban/status.h"
#include "didban/time.h"
#include "geo/ground_projection.h"

namespace didban::fuse {

struct FuserOptions {
  double step_s = 0.1;             // observations are grouped into steps of this length (rounded), seconds; 0 = exact
  double accel_sigma = 2.0;        // process noise: white acceleration, m/s^2
  double init_speed_sigma = 1.5;   // initial velocity uncertainty, m/s
  double gate_chi2 = 13.8;         // Mahalanobis gate (2 dof; 13.8 = 99.9 %)
  double linked_gate_chi2 = 40;    // gate for an observation whose (camera, local id) is linked to the track
  double link_bonus = 8;           // cost reduction for a linked pair (cost = d^2 + ln det S - bonus)
  double merge_gate_chi2 = 9.2;    // gate for merging new observations of different cameras into one new track
  int min_cameras_to_confirm = 2;  // a new track seen by this many cameras at birth is confirmed at once
  int confirm_hits = 2;            // otherwise it is confirmed after this many steps with observations
  double min_birth_separation_m = 0.5;  // single-camera births closer than this to an updated track are dropped
  double retire_after_s = 2.0;          // confirmed tracks unseen this long are retired, seconds
  double report_coast_s = 0;            // confirmed tracks unseen up to this long are still reported, seconds
  double max_lag_s = 1.0;               // a step waits at most this long (data time) for a lagging camera, seconds
  double camera_timeout_s = 3.0;        // a camera silent this long (data time) is dead, seconds
  double link_timeout_s = 3.0;          // a (camera, local id) link unused this long expires, seconds
  bool use_links = true;                // use local track ids for hand-off stability
  int max_tracks = 10000;               // bound on live global tracks
  int max_pending_steps = 1000;         // bound on buffered steps; beyond it the oldest is processed at once
  // Ground region of interest (metres, local frame); observations outside are dropped. Empty when min >= max.
  double roi_min_x = 0, roi_min_y = 0, roi_max_x = 0, roi_max_y = 0;

  absl::Status Validate() const;
  // Reads keys of the same names from a JSON mapping (unknown keys are errors naming `where`).
  static absl::StatusOr<FuserOptions> FromJson(const nlohmann::json& params, const std::string& where);
};

// One object seen by one camera: its ground point, the camera's local track id (-1 for plain detections) and,
// when known, its image box (pixels; empty when w <= 0), which the batch fuser's box-model consensus uses.
struct CameraObservation {
  int64_t local_id = -1;
  geo::GroundPoint ground;
  Box box;
};

// Everything one camera saw in one frame.
struct CameraFrame {
  std::string camera;
  TimeUs time = 0;
  std::vector<CameraObservation> observations;
};

struct Contribution {
  std::string camera;
  int64_t local_id = -1;
};

// One global track at one step.
struct FusedTrack {
  int64_t id = 0;
  Point2 position;                    // metres, local frame
  Point2 velocity;                    // m/s
  Eigen::Matrix2d covariance;         // position covariance, m^2
  std::vector<Contribution> cameras;  // observations fused at this step (sorted by camera); empty when coasting
};

struct FusedStep {
  TimeUs time = 0;
  std::vector<FusedTrack> tracks;  // confirmed tracks, by id
};

struct FuserStats {
  int64_t steps = 0;
  int64_t observations = 0;
  int64_t late_dropped = 0;    // observations that arrived for a step already processed
  int64_t outside_roi = 0;     // observations outside the region of interest
  int64_t tracks_created = 0;  // confirmed global tracks
  int64_t cameras_lost = 0;    // times a camera was declared dead
};

// The streaming fuser. Thread-compatible (one owner calls Push/Poll/Flush); LatestStep() is thread-safe and returns
// an immutable snapshot of the last processed step for readers on other threads.
class Fuser {
 public:
  explicit Fuser(FuserOptions options);
  Fuser(const Fuser&) = delete;
  Fuser& operator=(const Fuser&) = delete;
  ~Fuser();

  // Buffers one camera frame. Frames of one camera must come in time order (an older frame is InvalidArgument).
  absl::Status PushFrame(const CameraFrame& frame);
  // Processes and returns every step that is complete (see the file comment).
  std::vector<FusedStep> Poll();
  // Processes every buffered step (end of input).
  std::vector<FusedStep> Flush();

  std::shared_ptr<const FusedStep> LatestStep() const;
  const FuserStats& Stats() const { return stats_; }
  const FuserOptions& Options() const { return options_; }
  // Cameras currently live (reported within camera_timeout_s of the newest data).
  std::vector<std::string> LiveCameras() const;

 private:
  struct Impl;
  // Processes the pending steps that are complete (Poll), or all of them (Flush), and publishes the newest.
  std::vector<FusedStep> Drain(bool all);

  FuserOptions options_;
  FuserStats stats_;
  std::unique_ptr<Impl> impl_;
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const FusedStep> latest_;
};

// Batch helper: pushes all frames (any order; sorted by time here) and flushes.
absl::StatusOr<std::vector<FusedStep>> FuseAll(const FuserOptions& options, std::vector<CameraFrame> frames);

// "C1:12;C3:4" (local ids < 0 are written as the camera alone).
std::string FormatContributions(const std::vector<Contribution>& cameras);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_FUSER_H_
