// Drawing tracks on video frames: boxes, IDs, class names and short trails. The trail bookkeeping (TrailHistory) is
// logic; DrawTracks and TrackAnnotator only draw.
#ifndef DIDBAN_RECORD_TRACK_ANNOTATOR_H_
#define DIDBAN_RECORD_TRACK_ANNOTATOR_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "didban/frame.h"
#include "didban/geometry.h"
#include "didban/status.h"
#include "didban/track.h"

namespace didban::record {

struct AnnotatorOptions {
  int trail_points = 30;    // box bottom-centre points kept per track (>= 0; 0 = no trails)
  int thickness = 2;        // line width, pixels of the drawn image (>= 1)
  double font_scale = 0.5;  // label text size (OpenCV Hershey simplex scale, > 0)
  bool draw_lost = true;    // also draw lost (predicted, unmatched) tracks, with thin boxes
  bool on_full = false;     // draw on Frame::full (boxes scaled by 1 / Frame::scale) instead of Frame::image

  absl::Status Validate() const;
};

// The recent bottom-centre positions of each track (pixels of Frame::image), at most `max_points` per track; a
// track's history is forgotten as soon as it is missing from a snapshot or reported removed. Thread-compatible.
class TrailHistory {
 public:
  explicit TrailHistory(size_t max_points) : max_points_(max_points) {}

  void Update(const TrackSnapshot& tracks);
  // The track's points, oldest first; empty for an unknown track.
  const std::deque<Point2>& Trail(int64_t track_id) const;
  size_t TrackCount() const { return trails_.size(); }

 private:
  size_t max_points_;
  std::unordered_map<int64_t, std::deque<Point2>> trails_;
};

// A stable, distinct colour (BGR) per track ID.
cv::Scalar TrackColor(int64_t track_id);
// "#12 car" / "#3 unknown".
std::string TrackLabel(const Track& track);

// Draws `tracks` (and their trails) onto `canvas`; boxes and trail points are multiplied by `scale` first (1 when the
// canvas is the image the tracker saw).
void DrawTracks(const std::vector<Track>& tracks, const TrailHistory& trails, const AnnotatorOptions& options,
                double scale, cv::Mat* canvas);

// Turns a frame and its tracks into an annotated COPY of the frame (the shared frame is never touched), keeping the
// trails between calls. One per camera. Thread-compatible.
class TrackAnnotator {
 public:
  explicit TrackAnnotator(AnnotatorOptions options);

  // Updates the trails with `tracks`, then returns a copy of frame.image (or frame.full) with the tracks drawn.
  cv::Mat Annotate(const Frame& frame, const TrackSnapshot& tracks);
  const TrailHistory& Trails() const { return trails_; }

 private:
  AnnotatorOptions options_;
  TrailHistory trails_;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_TRACK_ANNOTATOR_H_
