// Tracking from a moving camera: maps each frame's detections into the coordinates of a reference frame (the first
// frame, through the chained frame-to-previous homographies of the ego-motion estimate), runs any didban::Tracker
// there, where only the objects move, and maps the tracks back into the current frame. Boxes are mapped by their
// centre and the local scale of the homography (so the mapping is invertible). Thread-compatible.
#ifndef DIDBAN_DRONE_STABILIZED_TRACKING_H_
#define DIDBAN_DRONE_STABILIZED_TRACKING_H_

#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/stage.h"
#include "didban/track.h"

namespace didban::drone {

class StabilizedTracking {
 public:
  explicit StabilizedTracking(std::unique_ptr<Tracker> tracker) : tracker_(std::move(tracker)) {}

  // `cur_to_prev` maps this frame's pixels to the previous frame's (identity for the first frame or when the
  // ego-motion was lost). Returns the tracker's tracks with boxes and velocities in this frame's pixels.
  const std::vector<Track>& Update(TimeUs time_us, const Detections& detections, const cv::Matx33d& cur_to_prev);
  const std::vector<Track>& Removed() const { return tracker_->Removed(); }

  // Current frame -> reference frame.
  const cv::Matx33d& CurrentToReference() const { return cur_to_ref_; }

  // Maps a box through a homography by its centre and the homography's local scale there.
  static Box MapBox(const cv::Matx33d& h, const Box& box);

 private:
  std::unique_ptr<Tracker> tracker_;
  cv::Matx33d cur_to_ref_ = cv::Matx33d::eye();
  std::vector<Track> out_;
};

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_STABILIZED_TRACKING_H_
