// A synthetic junction watched by overlapping calibrated cameras: objects cross it on straight lanes through every
// camera overlap, each camera reports noisy projected boxes (no pixels are rendered) with per-camera local track
// ids, and one camera can drop out for a while. Exact ground truth. Free functions; thread-safe.
#ifndef DIDBAN_SIM_MULTICAM_SCENE_H_
#define DIDBAN_SIM_MULTICAM_SCENE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/mot_format.h"
#include "didban/status.h"
#include "eval/mot_inputs.h"
#include "geo/camera_calibration.h"

namespace didban::sim {

struct MulticamSceneOptions {
  int cameras = 3;              // >= 3, evenly around the junction
  double camera_radius_m = 30;  // distance of each camera from the junction centre, metres
  double camera_height_m = 10;  // metres
  double duration_s = 40;       // seconds
  double fps = 10;              // frames per second (all cameras synchronised)
  int objects = 12;             // objects, released one after another on the lanes
  double box_sigma_px = 1.5;    // noise on each box edge, pixels (1 sigma)
  int dropout_camera = 1;       // index of the camera that drops out; -1 = none
  double dropout_start_s = 12;  // seconds
  double dropout_s = 10;        // seconds
  uint64_t seed = 1;

  absl::Status Validate() const;
};

struct MulticamScene {
  std::vector<std::string> camera_names;             // C1, C2 ...
  std::vector<geo::CameraCalibration> calibrations;  // pinhole cameras, 1920x1080
  // Per camera, MOTChallenge rows (frame, local track id, box); a dropped-out camera has no rows in its gap.
  std::vector<std::vector<MotRow>> tracks;
  // Frames during which each camera was reporting (1-based, inclusive ranges are not needed: one flag per frame).
  std::vector<std::vector<bool>> reporting;
  std::vector<eval::GroundRow> truth;  // every object on the ground at every frame while inside the site
  // visible[c][frame - 1] = object ids inside camera c's image at that frame (whether reporting or not).
  std::vector<std::vector<std::vector<int64_t>>> visible;
  int frames = 0;
};

MulticamScene MakeMulticamScene(const MulticamSceneOptions& options);

}  // namespace didban::sim

#endif  // DIDBAN_SIM_MULTICAM_SCENE_H_
