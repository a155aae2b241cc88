// The WILDTRACK multi-camera protocol (7 overlapping views, 2 fps annotations): loading the position annotations
// and calibrations, and making noisy per-view detections from the annotated boxes (seeded, deterministic) with the
// matching ground truth in metres. Free functions; thread-safe.
#ifndef DIDBAN_FUSE_WILDTRACK_H_
#define DIDBAN_FUSE_WILDTRACK_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/mot_format.h"
#include "didban/geometry.h"
#include "didban/status.h"
#include "eval/mot_inputs.h"
#include "fuse/fuser.h"
#include "geo/camera_calibration.h"

namespace didban::fuse {

constexpr int kWildtrackViews = 7;
constexpr int kWildtrackWidth = 1920;
constexpr int kWildtrackHeight = 1080;
constexpr double kWildtrackFps = 2.0;

// Camera names used by the protocol (C1..C7) and their calibration file stems (CVLab1..4, IDIAP1..3).
std::string WildtrackViewName(int view);
std::string WildtrackCalibrationStem(int view);

struct WildtrackPerson {
  int64_t person_id = 0;
  int64_t position_id = 0;
  std::array<std::optional<Box>, kWildtrackViews> boxes;  // absent where not visible
};

struct WildtrackFrame {
  int annotation_frame = 0;  // the dataset's frame number (0, 5, 10 ...)
  std::vector<WildtrackPerson> people;
};

// Ground position (metres) of a positionID: x = -3 + 0.025 (id % 480), y = -9 + 0.025 (id / 480).
Point2 WildtrackGround(int64_t position_id);

// The first `max_frames` annotation files of `root`/annotations_positions in frame order. Errors name the file.
absl::StatusOr<std::vector<WildtrackFrame>> LoadWildtrackAnnotations(const std::string& root, int max_frames);

// Calibrations of the 7 views (intrinsic_zero: the annotated frames are undistorted; centimetres -> metres).
absl::StatusOr<std::vector<geo::CameraCalibration>> LoadWildtrackCalibrations(const std::string& root);

struct WildtrackNoiseOptions {
  double drop_probability = 0.2;      // each annotated box is dropped with this probability
  double edge_sigma_fraction = 0.03;  // each edge moves by N(0, (fraction * box height)^2), pixels
  double false_per_view = 0.5;        // false boxes per view per frame (Poisson mean)
  absl::Status Validate() const;
};

struct WildtrackSet {
  std::array<std::vector<MotRow>, kWildtrackViews> detections;  // per view; frame k+1 = k-th annotated frame
  std::vector<eval::GroundRow> truth;                           // frame k+1, personID, metres
};

// Deterministic for a given seed (std::mt19937_64), drawing in frame, view, person order.
WildtrackSet MakeWildtrackDetections(const std::vector<WildtrackFrame>& frames, uint64_t seed,
                                     const WildtrackNoiseOptions& options = {});

// Fusion settings for the protocol: 0.5 s steps, the annotated 12 m x 36 m area as region of interest, low
// acceleration noise (walking people), confirmation after 3 steps unless two cameras agree at birth.
FuserOptions WildtrackFuserOptions();

// Writes C1.txt .. C7.txt (MOTChallenge), gt.csv (frame,id,x,y) and site.yaml (calibrations under `root`, absolute
// paths, `fusion:` settings and a `fusion_batch:` section with the image size, box-model consensus and the junction
// linker, so `didban fuse` runs offline) into `out_dir` (created if missing).
absl::Status WriteWildtrackSet(const WildtrackSet& set, const std::string& root, const std::string& out_dir);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_WILDTRACK_H_
