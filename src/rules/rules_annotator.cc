#include "rules/rules_annotator.h"

#include <map>
#include <string>

#include <opencv2/imgproc.hpp>

namespace didban::rules {
namespace {

const cv::Scalar kColours[] = {{0, 200, 255}, {255, 160, 0}, {0, 255, 0}, {255, 0, 255}, {0, 128, 255}, {255, 255, 0}};

cv::Point ToCv(const Point2& p, double s) {
  return {static_cast<int>(std::lround(p.x * s)), static_cast<int>(std::lround(p.y * s))};
}

}  // namespace

cv::Mat RulesAnnotator::Draw(const cv::Mat& image, const RuleEngine& engine, const TrackSnapshot& tracks,
                             const std::vector<Event>& events, double scale) const {
  cv::Mat out = image.clone();
  std::map<int64_t, std::string> track_labels;
  int row = 0;
  for (size_t i = 0; i < engine.Rules().size(); ++i) {
    const cv::Scalar& colour = kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
    RuleDrawing d = engine.Rules()[i]->Drawing();
    for (const RuleDrawing::Shape& s : d.shapes) {
      std::vector<cv::Point> pts;
      for (const Point2& p : s.pixels) pts.push_back(ToCv(p, scale));
      if (pts.size() >= 2) cv::polylines(out, pts, s.closed, colour, o_.thickness, cv::LINE_AA);
    }
    if (!d.label.empty()) {
      cv::putText(out, d.label, {6, 16 + 16 * row++}, cv::FONT_HERSHEY_SIMPLEX, o_.font_scale, colour, 1, cv::LINE_AA);
    }
    for (const auto& [id, text] : d.track_labels) track_labels[id] = text;
  }
  if (o_.draw_tracks) {
    for (const Track& t : tracks.tracks) {
      if (t.state != TrackState::kConfirmed) continue;
      Box b = t.box.Scaled(static_cast<float>(scale));
      cv::rectangle(out, cv::Rect2f(b.x, b.y, b.w, b.h), {255, 255, 255}, 1);
      std::string text = absl::StrCat("#", t.id);
      auto it = track_labels.find(t.id);
      if (it != track_labels.end()) absl::StrAppend(&text, " ", it->second);
      cv::putText(out, text, {static_cast<int>(b.x), std::max(10, static_cast<int>(b.y) - 3)}, cv::FONT_HERSHEY_SIMPLEX,
                  o_.font_scale, {255, 255, 255}, 1, cv::LINE_AA);
    }
  }
  int y = out.rows - 8;
  for (const Event& e : events) {
    cv::putText(out, absl::StrCat(e.type, " #", e.track_id, " ", e.detail), {6, y}, cv::FONT_HERSHEY_SIMPLEX,
                o_.font_scale, {0, 0, 255}, 1, cv::LINE_AA);
    y -= 16;
  }
  return out;
}

}  // namespace didban::rules
