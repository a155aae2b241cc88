// Offline (batch) multi-camera fusion over a whole recording: per time step, the projected detections of all views
// are clustered into person hypotheses by multi-view consensus (one detection per camera per hypothesis, fused with
// their covariances) and each hypothesis is checked against the cameras whose image should contain it; then the
// hypotheses are linked into tracks over the sequence: by default through the streaming Fuser's constant-velocity
// Kalman association (the hypotheses as one virtual camera), or by the chain linker (constant-velocity prediction,
// Hungarian assignment with a one-step look-ahead cost, short tracks dropped, gaps interpolated).
// The streaming Fuser (fuser.h) stays the live path; this is the offline option. Free functions; thread-safe.
#ifndef DIDBAN_FUSE_BATCH_FUSER_H_
#define DIDBAN_FUSE_BATCH_FUSER_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/status.h"
#include "fuse/fuser.h"
#include "fuse/junction_linker.h"
#include "fuse/multiview_detection.h"
#include "geo/camera_calibration.h"

namespace didban::fuse {

struct BatchFuserOptions {
  // Consensus (per step).
  // Mahalanobis gate between two partial hypotheses (summed covariances). Off by default: across views the projected
  // covariances are overconfident (calibration error), a strict gate splits people into duplicates.
  double pair_gate_chi2 = 1e6;
  double pair_gate_m = 1.5;  // partial hypotheses at most this far apart are merged (closest first), metres
  int min_support = 2;       // a hypothesis seen by this many cameras is strong (may start a track)
  double min_sigma_m = 0.2;  // added (squared) to a hypothesis' fused covariance: calibration error, metres
  int image_width = 0;       // image size for visibility (a camera covers a point that projects inside it);
  int image_height = 0;      //   0 = unknown: every camera covers every point
  // Consensus method: "ground" (the projected ground points clustered as above) or "box_model" (every person a
  // standing cylinder whose box is predicted in every view, multiview_detection.h; needs pinhole calibrations and
  // the observations' boxes). Box-model hypotheses are strong when they score at least `min_link_score`.
  std::string consensus = "ground";
  MultiViewDetectionOptions box_model;  // JSON "box_model:" mapping
  double min_link_score = 8;
  // Linking (over the sequence): "fuser" (the strong hypotheses go through the streaming Fuser's Kalman
  // association as one virtual camera), "chain" (the chain linker below) or "junction" (junction_linker.h: forward
  // Kalman pass, then heads and tails re-paired at every step boundary; with the box model it gets every
  // hypothesis's covariance).
  std::string linker = "fuser";
  JunctionLinkerOptions junction;  // JSON "junction:" mapping; its step_s is taken from the fuser's step_s
  // consensus box_model + linker junction: a track the forward pass leaves unmatched looks for its person among the
  // boxes no strong hypothesis took (RecoverPeople with the track's prediction as prior; detector feedback).
  bool recover = true;
  // consensus box_model: the box sigmas (the relative ones and calibration_px) are scaled by a factor estimated from
  // the data, in time order: after each step, the chi2 per degree of freedom of its people fitted from two or more
  // boxes moves the factor (in logarithm, by `adapt_noise_rate` of the difference) towards the one that makes it 1,
  // within [1, adapt_noise_max]: the configured sigmas are the least noise, a noisier detector widens them.
  // linker junction: each linked track's positions are smoothed by a constant-velocity Kalman smoother
  // (Rauch-Tung-Striebel; process noise `smooth_accel_sigma` m/s^2, measurement noise the linker's position_sigma_m
  // plus each detection's covariance, capped as the linker caps it), gaps included; 0 = the detections' positions.
  // 1 chosen on WILDTRACK seeds 0-4 (0.5, 1 and 2 within 0.05 IDF1 of each other; +0.5 IDF1, +1 MODA over none).
  // Over the fixed-lag fuser's window this is a fixed-lag smoother: a step is smoothed with the lag's steps after it.
  double smooth_accel_sigma = 1;
  bool adapt_noise = false;
  double adapt_noise_rate = 0.1;
  double adapt_noise_max = 3;
  bool kalman_weak = false;     // also pass weak hypotheses to the Kalman linker
  int kalman_confirm_hits = 1;  // Kalman linker: steps before a new track is reported
  double report_coast_s = 0;    // Kalman linker: report unseen tracks this long, seconds
  double accel_sigma = 0.3;     // Kalman linker: process noise, m/s^2 (0 = the fuser's)
  // Chain linker (linker: chain).
  double link_gate_m = 1.0;         // largest distance from the predicted position, metres (per step of gap)
  double lookahead_weight = 0.5;    // weight of the next step's best continuation in the link cost
  double velocity_smoothing = 0.5;  // weight of the newest displacement in the velocity estimate, 0..1
  int max_gap_steps = 3;            // a track unmatched this many steps in a row ends
  int min_track_hits = 3;           // tracks with fewer hits are dropped unless `min_strong_hits` of them are strong
  int min_strong_hits = 2;
  bool fill_gaps = true;  // interpolate positions over a track's missed steps
  int link_passes = 2;    // re-link without the hypotheses of dropped chains this many times - 1

  absl::Status Validate() const;
  // Reads keys of the same names (plus `image_size: [w, h]`, and `box_model:` / `junction:` mappings) from a JSON
  // mapping; unknown keys are errors.
  static absl::StatusOr<BatchFuserOptions> FromJson(const nlohmann::json& params, const std::string& where);
};

// One camera of the site for the batch fuser.
struct BatchCamera {
  std::string name;
  geo::CameraCalibration calibration;
};

// One person hypothesis at one step.
struct GroundHypothesis {
  geo::GroundPoint ground;            // fused position and covariance
  std::vector<Contribution> cameras;  // supporting detections (sorted by camera)
  int covering = 0;                   // cameras whose image contains the point
  bool strong = false;                // ground: support >= min_support, or every covering camera supports it;
                                      // box_model: score >= min_link_score
};

// Consensus clustering of one step's observations (per camera) into hypotheses. `frames` are the cameras' frames
// of that step; `cameras` gives calibrations for visibility (cameras missing from it cover nothing). Observations
// outside the fuser options' ROI are dropped.
std::vector<GroundHypothesis> ClusterStep(const std::vector<CameraFrame>& frames,
                                          const std::vector<BatchCamera>& cameras, const FuserOptions& fuser,
                                          const BatchFuserOptions& options);

// Box-model consensus of one step (consensus: box_model): the observations' boxes of every camera of `cameras`
// (frames of other cameras are ignored) explained by people (DetectPeopleMultiView), inside the fuser's ROI unless
// `box_model.roi` is set; errors name the camera.
absl::StatusOr<std::vector<GroundHypothesis>> BoxModelStep(const std::vector<CameraFrame>& frames,
                                                           const std::vector<BatchCamera>& cameras,
                                                           const FuserOptions& fuser, const BatchFuserOptions& options);

// The step a time belongs to: rounded to the nearest multiple of `step_us` (the time itself when step_us <= 0).
TimeUs StepBucket(TimeUs t, TimeUs step_us);

// One step's consensus and, for the box model with detector feedback (recover with linker junction), what the
// junction linker's feedback needs: every camera's boxes (by index in `cameras`), their local ids, and the boxes the
// strong hypotheses took.
struct StepConsensus {
  TimeUs time = 0;
  double noise_scale = 1;  // the box model's sigma scale at this step (adapt_noise), also used by its recovery
  std::vector<GroundHypothesis> hypotheses;
  std::vector<std::vector<Box>> boxes;
  std::vector<std::vector<int64_t>> local_ids;
  std::vector<BoxRef> taken;
};

// The box model's running noise estimate (BatchFuserOptions::adapt_noise): the sigma scale for the next step.
struct NoiseEstimate {
  double scale = 1;
};

// The consensus of one step's frames (ClusterStep or the box model, per `options.consensus`) at `time`. With
// adapt_noise (box model), steps must come in time order with the same `noise`, which gives this step's sigma scale
// and is updated from its fits (nullptr: scale 1, no update).
absl::StatusOr<StepConsensus> ConsensusOfStep(TimeUs time, const std::vector<CameraFrame>& frames,
                                              const std::vector<BatchCamera>& cameras, const FuserOptions& fuser,
                                              const BatchFuserOptions& options, NoiseEstimate* noise = nullptr);

// The junction linker (linker: junction) over consecutive steps (time order, `fuser.step_s` apart, gaps allowed):
// one FusedStep per grid step from the first to the last, ids from 1 by first appearance. FuseBatch with the junction
// linker is ConsensusOfStep on every step, then this; the fixed-lag fuser runs it over its window.
absl::StatusOr<std::vector<FusedStep>> LinkConsensusSteps(const std::vector<StepConsensus>& steps,
                                                          const FuserOptions& fuser, const BatchFuserOptions& options,
                                                          const std::vector<BatchCamera>& cameras);

// The whole batch: frames of all cameras (any order) grouped into `fuser.step_s` steps, clustered and linked.
// Returns one FusedStep per step with observations (ids from 1, by first appearance).
absl::StatusOr<std::vector<FusedStep>> FuseBatch(const FuserOptions& fuser, const BatchFuserOptions& options,
                                                 const std::vector<BatchCamera>& cameras,
                                                 std::vector<CameraFrame> frames);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_BATCH_FUSER_H_
