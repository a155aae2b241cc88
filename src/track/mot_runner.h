// Runs a tracker over MOTChallenge detections (frame-numbered rows) and returns MOTChallenge result rows: the glue
// behind `didban track` and the tracking evaluations.
#ifndef DIDBAN_TRACK_MOT_RUNNER_H_
#define DIDBAN_TRACK_MOT_RUNNER_H_

#include <vector>

#include "core/mot_format.h"
#include "didban/stage.h"
#include "didban/status.h"

namespace didban::track {

// Feeds `detections` to `tracker` frame by frame, from frame 1 to the last frame with a detection (frames without
// detections included), at time (frame - 1) / fps seconds, and returns the reported confirmed tracks as rows
// (frame, id, box, score), ordered by frame then ID. fps must be > 0.
absl::StatusOr<std::vector<MotRow>> TrackMotDetections(const std::vector<MotRow>& detections, double fps,
                                                       Tracker& tracker);

}  // namespace didban::track

#endif  // DIDBAN_TRACK_MOT_RUNNER_H_
