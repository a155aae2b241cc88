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
  // The live runtime's fuser (MakeLiveFuser, fixed_lag_fuser.h): "fixed_lag" (the batch consensus and junction
  // linker over a sliding window, each step shown once it is lag_s old; people: the box model is a standing person
  // and the linker's motion model a walker) or "streaming" (this Fuser, one step late; any object, e.g. vehicles).
  std::string mode = "streaming";
  double lag_s = 2.0;     // fixed_lag: a step is emitted once the newest complete step is this much later, seconds
  double window_s = 8.0;  // fixed_lag: the linker's window (emitted history + lag), seconds; >= lag_s
  double fixed_lag_step_s = 0.5;  // fixed_lag: its step (one frame per camera per step), seconds; 0 = step_s
  // fixed_lag: a window track that continues no emitted id is shown once it has this many detections (at most the
  // junction linker's min_hits; a track continuing an emitted id is kept whatever its count). Chosen on seeds 0-4.
  int fixed_lag_birth_hits = 3;
  // fixed_lag: a window track's overlap with an emitted id counts each emitted step with weight
  // exp(-age / fixed_lag_recency_s), age = time before the newest emitted step (0 = every step counts 1).
  double fixed_lag_recency_s = 0;
  // fixed_lag: the batch fuser's options (BatchFuserOptions keys: consensus, box_model, junction, image_size, ...)
  // as given under `fixed_lag:`; the linker is always the junction linker. Validated by FromJson.
  nlohmann::json fixed_lag = nlohmann::json::object();

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

// A correction the fixed-lag fuser (fixed_lag_fuser.h) made after emission, at the step it is emitted with: the person
// emitted as `from_id` at the previous step continues as `to_id`. kind "merge": from_id ends (its person was also
// to_id's); "split": to_id is new (from_id's history belongs to two people, from_id stays with the other); "swap":
// both ids continue, exchanged. Emitted steps are never rewritten: this is how the ground view shows a late fix.
struct FusionNotice {
  std::string kind;
  int64_t from_id = 0;
  int64_t to_id = 0;
};

struct FusedStep {
  TimeUs time = 0;
  std::vector<FusedTrack> tracks;     // confirmed tracks, by id
  std::vector<FusionNotice> notices;  // fixed-lag corrections made at this step (empty from the streaming fuser)
};

struct FuserStats {
  int64_t steps = 0;
  int64_t observations = 0;
  int64_t late_dropped = 0;    // observations that arrived for a step already processed
  int64_t outside_roi = 0;     // observations outside the region of interest
  int64_t tracks_created = 0;  // confirmed global tracks
  int64_t cameras_lost = 0;    // times a camera was declared dead
  // Fixed-lag fuser only: corrections after emission (FusionNotice kinds) and the linker runs over its window.
  int64_t merges = 0;
  int64_t splits = 0;
  int64_t swaps = 0;
  int64_t window_runs = 0;
};

// What the live runtime drives (one per group of overlapping cameras): the streaming Fuser or the FixedLagFuser
// (fixed_lag_fuser.h; MakeLiveFuser there picks one from FuserOptions::mode). Thread-compatible, LatestStep()
// thread-safe.
class LiveFuser {
 public:
  virtual ~LiveFuser() = default;
  // Buffers one camera frame (frames of one camera in time order; an older one is InvalidArgument).
  virtual absl::Status PushFrame(const CameraFrame& frame) = 0;
  // The steps that are ready to show, oldest first; each is returned once and never changes afterwards.
  virtual std::vector<FusedStep> Poll() = 0;
  // Everything still buffered (end of input).
  virtual std::vector<FusedStep> Flush() = 0;
  virtual std::shared_ptr<const FusedStep> LatestStep() const = 0;
  virtual const FuserStats& Stats() const = 0;
};

// The streaming fuser. Thread-compatible (one owner calls Push/Poll/Flush); LatestStep() is thread-safe and returns
// an immutable snapshot of the last processed step for readers on other threads.
class Fuser final : public LiveFuser {
 public:
  explicit Fuser(FuserOptions options);
  Fuser(const Fuser&) = delete;
  Fuser& operator=(const Fuser&) = delete;
  ~Fuser() override;

  // Buffers one camera frame. Frames of one camera must come in time order (an older frame is InvalidArgument).
  absl::Status PushFrame(const CameraFrame& frame) override;
  // Processes and returns every step that is complete (see the file comment).
  std::vector<FusedStep> Poll() override;
  // Processes every buffered step (end of input).
  std::vector<FusedStep> Flush() override;

  std::shared_ptr<const FusedStep> LatestStep() const override;
  const FuserStats& Stats() const override { return stats_; }
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
