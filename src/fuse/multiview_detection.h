// Multi-view person detection by a box model: every person is a standing cylinder (height, diameter) on the ground
// whose image box in each calibrated camera is predicted exactly (top = head point, bottom = foot point, centre x =
// mean of their u, width = the projected diameter perpendicular to the viewing direction at mid-height). One
// frame's boxes of all cameras are explained by a greedy MAP search: single-view seeds are fitted, refined by
// matching the best box of every other covering camera under a gate, scored (matches, misses, fit chi2), and the
// best hypothesis takes its boxes until none scores enough; then close pairs are re-detected (the search rerun near
// them from every first choice) and every camera's boxes are re-assigned jointly. Units: metres on the ground,
// pixels in the images. Free functions; thread-safe.
#ifndef DIDBAN_FUSE_MULTIVIEW_DETECTION_H_
#define DIDBAN_FUSE_MULTIVIEW_DETECTION_H_

#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include "didban/geometry.h"
#include "didban/status.h"
#include "geo/camera_calibration.h"

namespace didban::fuse {

struct MultiViewDetectionOptions {
  // Box model.
  double person_height_m = 1.8;    // head point height above the ground, metres
  double person_diameter_m = 0.5;  // projected width at mid-height, metres
  // Measurement noise per box coordinate, relative to the predicted box height, combined in quadrature with the
  // calibration error: sigma = sqrt((rel * h)^2 + calibration_px^2), pixels.
  double sigma_center_rel = 0.0212;  // centre x
  double sigma_edge_rel = 0.03;      // top and bottom edges
  double sigma_width_rel = 0.06;     // width
  double calibration_px = 8;         // pixels
  // Search.
  double gate_chi2 = 16;      // a box of another camera joins a hypothesis when its chi2 (4 dof) is below this
  double single_chi2 = 9;     // a box seeds a hypothesis when its single-view fit chi2 is below this
  double match_score = 8;     // score per supporting box
  double miss_score = -1.6;   // score per covering camera without a supporting box
  double min_score = 0;       // the search stops when the best hypothesis scores below this
  int refine_iterations = 3;  // match-and-refit rounds per seed
  // Joint re-assignment after the greedy search: every camera's boxes are re-assigned to the chosen people at once
  // (Hungarian on each box's gain match - chi2 / 2 - miss, gated), then every person is refitted to its boxes; up to
  // this many rounds, until nothing changes (0 = off). Undoes a greedy choice that gave the first person a box of a
  // close neighbour.
  int polish_iterations = 3;
  // Local re-detection of close pairs after the greedy search: two chosen people closer than this (metres) have
  // their boxes freed and the search is rerun near them from every seed as the first choice; the best outcome
  // replaces them when it scores more (0 = off).
  double redetect_pair_m = 1.0;
  int max_fit_iterations = 6;      // Gauss-Newton steps per fit
  int image_width = 0;             // image size of every camera, pixels; 0 = each pinhole's width/height
  int image_height = 0;            //
  std::vector<double> roi;         // [min_x, min_y, max_x, max_y] metres: hypotheses must lie inside; empty = none
  double seed_roi_margin_m = 0.5;  // single-view seeds may lie this far outside the ROI, metres
  // Two people cannot stand closer than this (centre to centre, metres): a hypothesis this close to one already
  // chosen is a duplicate (the same person's boxes split between two fits) and is not chosen. 0 = off.
  double min_separation_m = 0.3;
  // Recovery (RecoverPeople): a person expected at a prior (a track's prediction) is found from the boxes nobody
  // took when at least `recover_min_boxes` boxes fit it and the fit chi2 (boxes and prior) is at most
  // `recover_chi2 + recover_chi2_per_box * boxes`.
  int recover_min_boxes = 1;
  double recover_chi2 = 12;
  double recover_chi2_per_box = 4;

  absl::Status Validate() const;
  // Reads keys of the same names from a JSON mapping; unknown keys are errors naming `where`.
  static absl::StatusOr<MultiViewDetectionOptions> FromJson(const nlohmann::json& params, const std::string& where);
};

// One box of one camera: indices into the cameras and into that camera's boxes.
struct BoxRef {
  int camera = 0;
  int box = 0;
};

// One detected person.
struct PersonHypothesis {
  Point2 position;                                           // ground position, metres
  Eigen::Matrix2d covariance = Eigen::Matrix2d::Identity();  // (J^T J)^-1 of the final fit, m^2
  std::vector<BoxRef> support;                               // boxes explained by this person (sorted by camera)
  int covering = 0;  // cameras whose image should show the person (box > 5 px, centre and foot in view)
  double score = 0;  // match * support - chi2 / 2 + miss * unmatched covering
  double chi2 = 0;   // fit chi2 of the supporting boxes
};

// The predicted image box of a person standing at `ground` (metres); nullopt when behind the camera.
std::optional<Box> PredictPersonBox(const geo::CameraCalibration& camera, const Point2& ground,
                                    const MultiViewDetectionOptions& options);

// People in one frame from every camera's boxes (`boxes[c]` for `cameras[c]`, standing on z = the calibration's
// ground_z), in selection order (each the best-scoring when chosen; people replaced by the pair re-detection come
// last). Errors name the camera (no pinhole, unknown image size), the input size mismatch or the invalid option.
absl::StatusOr<std::vector<PersonHypothesis>> DetectPeopleMultiView(
    const std::vector<const geo::CameraCalibration*>& cameras, const std::vector<std::vector<Box>>& boxes,
    const MultiViewDetectionOptions& options);

// Where a person is expected, with what uncertainty (metres, m^2): e.g. a track's prediction.
struct PersonPrior {
  Point2 mean;
  Eigen::Matrix2d covariance = Eigen::Matrix2d::Identity();
};

// Detector feedback from tracks: for each prior, the best box of every covering camera among the boxes not in
// `taken` (within `gate_chi2` of the box predicted at the prior's mean) is fitted together with the prior (maximum a
// posteriori); the fit is kept when it has `recover_min_boxes` boxes and passes the recovery chi2 test. Priors
// competing for a box get it in the order of their fit quality (chi2 per box), so every box explains at most one
// person. Result i answers priors[i] (nullopt: not found). Errors as for DetectPeopleMultiView, and for a taken
// box that does not exist.
absl::StatusOr<std::vector<std::optional<PersonHypothesis>>> RecoverPeople(
    const std::vector<const geo::CameraCalibration*>& cameras, const std::vector<std::vector<Box>>& boxes,
    const std::vector<BoxRef>& taken, const std::vector<PersonPrior>& priors, const MultiViewDetectionOptions& options);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_MULTIVIEW_DETECTION_H_
