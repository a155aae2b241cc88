// Reports a track only once it has moved over the ground: a false track on something that stands still (a street
// light, a parked car's ghost, the residual misregistration of textured or non-planar ground that a homography
// cannot compensate) jitters about one ground position, while a moving object's position drifts steadily. Each
// track's box centre is kept in the stabilised reference frame (StabilizedTracking's coordinates, where only the
// objects move); a track is released, and stays released, when its centre now lies at least min_displacement_px
// (pixels of the current frame) from where it was up to window_s ago, measured by mapping that earlier ground
// position into the current frame. Thread-compatible.
#ifndef DIDBAN_DRONE_MOTION_GATE_H_
#define DIDBAN_DRONE_MOTION_GATE_H_

#include <deque>
#include <unordered_map>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/status.h"
#include "didban/time.h"
#include "didban/track.h"

namespace didban::drone {

struct MotionGateOptions {
  double min_displacement_px = 0;  // ground displacement before a track is reported, current-frame pixels; 0 = off
  double window_s = 1.0;           // how far back the displacement is measured, seconds
  double forget_s = 3.0;           // a track not seen for this long is forgotten, seconds

  absl::Status Validate() const;
};

class MotionGate {
 public:
  explicit MotionGate(MotionGateOptions options) : options_(options) {}

  // Tracks of the frame at `time_us` in its pixels (StabilizedTracking::Update) and that frame's homography to the
  // reference frame; returns the tracks released so far, in the same order.
  std::vector<Track> Filter(TimeUs time_us, const std::vector<Track>& tracks, const cv::Matx33d& cur_to_ref);

  // Tracks currently remembered (for tests).
  size_t TrackedForTest() const { return states_.size(); }

 private:
  struct Sample {
    TimeUs time_us;
    cv::Point2d ref;  // box centre in reference coordinates
  };
  struct State {
    std::deque<Sample> history;  // matched centres, oldest first, within window_s
    TimeUs last_us = 0;
    bool released = false;
  };
  MotionGateOptions options_;
  std::unordered_map<int64_t, State> states_;
};

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_MOTION_GATE_H_
