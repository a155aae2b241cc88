// Draws a camera's rules (lines, zones, labels with counts and levels) and per-track labels (speeds) on a copy of
// a frame. Drawing only: no rule logic. Thread-compatible.
#ifndef DIDBAN_RULES_RULES_ANNOTATOR_H_
#define DIDBAN_RULES_RULES_ANNOTATOR_H_

#include <vector>

#include <opencv2/core.hpp>

#include "didban/event.h"
#include "didban/track.h"
#include "rules/rule_engine.h"

namespace didban::rules {

struct RulesAnnotatorOptions {
  int thickness = 2;         // line thickness, pixels (of the image drawn on)
  double font_scale = 0.45;  // OpenCV Hershey font scale
  bool draw_tracks = true;   // boxes and ids of confirmed tracks
};

class RulesAnnotator {
 public:
  explicit RulesAnnotator(RulesAnnotatorOptions options = {}) : o_(options) {}
  // Returns a drawn copy of `image` (analysis pixels; `scale` maps analysis pixels to the image's pixels, e.g.
  // 1/Frame::scale to draw on Frame::full). `events` of this frame are listed at the bottom.
  cv::Mat Draw(const cv::Mat& image, const RuleEngine& engine, const TrackSnapshot& tracks,
               const std::vector<Event>& events, double scale = 1.0) const;

 private:
  RulesAnnotatorOptions o_;
};

}  // namespace didban::rules

#endif  // DIDBAN_RULES_RULES_ANNOTATOR_H_
