// Offline linking of per-step ground detections into tracks, for batch fusion:
//   1. a forward pass: constant-velocity Kalman tracks (measurement noise: position_sigma_m plus each detection's own
//      covariance, when given), Hungarian assignment on the Mahalanobis distance plus ln det S (gated), a track ends
//      after `max_missed_steps` steps without a detection, every unassigned detection starts a track; an optional
//      recoverer (detector feedback) may find the person of an unmatched track;
//   2. a junction search: at every boundary between two consecutive steps the heads (up to the step) and tails
//      (from the next step) of the tracks there are re-paired (a head's last detection and a tail's first may each
//      be up to `junction_window_steps` from the boundary, so a join may bridge missed steps; for the acceleration
//      cost only adjacent steps are joined) by a Hungarian assignment that minimises the total
//      cost: by default the constant-velocity Kalman negative log-likelihood (innovations capped, so one jerky step
//      costs a bounded amount) of the tails' first steps given the heads, plus birth and death costs; or the robust
//      squared acceleration across the junction (Cauchy loss) with a fixed cost for ending a head or starting a
//      tail; sweeps repeat until nothing changes. This undoes the swaps a forward-only pass makes when two people
//      pass close to each other (it looks at the steps after the junction as well as before);
//   3. tracks with fewer than `min_hits` detections are dropped and gaps of up to `max_fill_gap_steps` missing steps
//      are interpolated.
// Free functions; thread-safe.
#ifndef DIDBAN_FUSE_JUNCTION_LINKER_H_
#define DIDBAN_FUSE_JUNCTION_LINKER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "didban/geometry.h"
#include "didban/status.h"

namespace didban::fuse {

struct JunctionLinkerOptions {
  double step_s = 0.5;             // time between steps, seconds
  double accel_sigma = 0.5;        // forward pass: white-acceleration process noise, m/s^2
  double position_sigma_m = 0.12;  // forward pass: detection position error, metres
  double init_speed_sigma = 1.0;   // forward pass: initial velocity uncertainty, m/s
  double gate_chi2 = 9.2;          // forward pass: Mahalanobis gate (2 dof)
  int max_missed_steps = 1;        // forward pass: a track unmatched for more steps than this ends
  // Measurement noise of a detection given with a covariance (LinkJunctions' `covariances`): position_sigma_m's plus
  // the detection's own covariance, whose standard deviations are capped at max_detection_sigma_m (metres), in the
  // forward pass and the kalman junction cost. A person fitted from two nearly parallel views is uncertain along them.
  bool detection_covariance = true;
  double max_detection_sigma_m = 1.0;
  bool optimize_junctions = true;  // run the junction search
  // Junction cost: "kalman" (how much the tail's first steps lose in constant-velocity Kalman likelihood when they
  // continue the head instead of starting a track of their own) or "acceleration" (robust second differences).
  std::string junction_cost = "kalman";
  double kalman_accel_sigma = 0.3;  // kalman: white-acceleration process noise, m/s^2 (smoother than the forward pass)
  int kalman_head_steps = 8;        // kalman: the head's filter runs over its last this many detections
  int kalman_tail_steps = 4;        // kalman: the tail's first this many detections are scored
  double innovation_cap = 16;       // kalman: largest chi2 of one innovation (a jerky step costs at most this)
  double birth_cost = 4;            // kalman: cost of starting a track (its tail not joined to any head)
  double death_cost = 4;            // kalman: cost of ending a track (its head not joined to any tail)
  double accel_scale_m = 0.2;       // acceleration: scale of the second difference of positions (Cauchy), metres
  double jump_scale_m = 0.8;        // acceleration: scale of a step when one side has no velocity yet, metres
  double end_cost = 4.0;            // acceleration: cost of ending a head or starting a tail at a junction
  double junction_gate_m = 1.5;     // junction: a head and a tail further apart than this per step are never joined, m
  int max_sweeps = 4;               // junction: passes over all boundaries at most
  int junction_window_steps = 2;    // junction: heads ending / tails starting up to this many steps from a boundary
  int min_hits = 5;                 // tracks with fewer detections are dropped
  int max_fill_gap_steps = 2;       // gaps of up to this many missing steps are interpolated (0 = none)

  absl::Status Validate() const;
  // Reads keys of the same names from a JSON mapping; unknown keys are errors naming `where`.
  static absl::StatusOr<JunctionLinkerOptions> FromJson(const nlohmann::json& params, const std::string& where);
};

// One linked track: its positions by step index and, per step, the index of the detection in that step (-1 for an
// interpolated position).
struct LinkedTrack {
  std::map<int, Point2> positions;
  std::map<int, int> detections;
};

// A track the forward pass left unmatched at a step, with at least two detections: where it should be.
struct RecoveryRequest {
  Point2 predicted;                                          // metres
  Eigen::Matrix2d covariance = Eigen::Matrix2d::Identity();  // of the prediction, m^2
  std::optional<Point2> found;                               // the recoverer's answer
};

// Detector feedback: called once per step (the step's index, its unmatched tracks) after the forward pass's
// assignment; sets `found` where weaker evidence (e.g. boxes no detection used) shows the person. A found position
// updates the track like a detection; the answered requests of step k get the detection indices
// steps[k].size(), steps[k].size() + 1, ... in request order.
using Recoverer = std::function<void(int step, std::vector<RecoveryRequest>* requests)>;

// Links `steps[k]` (the detections of step k, metres; consecutive steps `step_s` apart) into tracks, ordered by their
// first step (then by the first detection's index). Options must be valid. `recover` may be empty. `covariances[k][j]`
// (m^2), when given, is the position covariance of steps[k][j] (missing entries and recovered detections count as
// zero; see JunctionLinkerOptions::detection_covariance).
std::vector<LinkedTrack> LinkJunctions(const std::vector<std::vector<Point2>>& steps,
                                       const JunctionLinkerOptions& options, const Recoverer& recover = nullptr,
                                       const std::vector<std::vector<Eigen::Matrix2d>>& covariances = {});

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_JUNCTION_LINKER_H_
