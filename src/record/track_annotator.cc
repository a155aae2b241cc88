#include "record/track_annotator.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include <opencv2/imgproc.hpp>

namespace didban::record {
namespace {

cv::Point ToPixel(const Point2& p, double scale) {
  return {static_cast<int>(std::lround(p.x * scale)), static_cast<int>(std::lround(p.y * scale))};
}

}  // namespace

absl::Status AnnotatorOptions::Validate() const {
  auto bad = [](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("annotator option ", field, ": ", what));
  };
  if (trail_points < 0) return bad("trail_points", absl::StrCat("must be >= 0, got ", trail_points));
  if (thickness < 1) return bad("thickness", absl::StrCat("must be >= 1, got ", thickness));
  if (!(font_scale > 0)) return bad("font_scale", absl::StrCat("must be > 0, got ", font_scale));
  return absl::OkStatus();
}

void TrailHistory::Update(const TrackSnapshot& tracks) {
  std::unordered_set<int64_t> seen;
  for (const Track& t : tracks.tracks) {
    if (t.state == TrackState::kRemoved) continue;
    seen.insert(t.id);
    if (max_points_ == 0) continue;
    std::deque<Point2>& trail = trails_[t.id];
    trail.push_back(t.box.BottomCenter());
    while (trail.size() > max_points_) trail.pop_front();
  }
  for (auto it = trails_.begin(); it != trails_.end();) {
    it = seen.count(it->first) > 0 ? std::next(it) : trails_.erase(it);
  }
}

const std::deque<Point2>& TrailHistory::Trail(int64_t track_id) const {
  static const std::deque<Point2>* const kEmpty = new std::deque<Point2>();
  auto it = trails_.find(track_id);
  return it == trails_.end() ? *kEmpty : it->second;
}

cv::Scalar TrackColor(int64_t track_id) {
  // Hues spread by the golden ratio, full saturation, bright: neighbouring IDs look different.
  double hue = std::fmod(static_cast<double>(track_id) * 0.618033988749895, 1.0) * 6.0;
  int sector = static_cast<int>(hue);
  double f = hue - sector;
  double v = 255.0, p = 40.0, q = 255.0 * (1.0 - f) + 40.0 * f, t = 40.0 * (1.0 - f) + 255.0 * f;
  double r = 0, g = 0, b = 0;
  switch (sector % 6) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      r = v, g = p, b = q;
      break;
  }
  return cv::Scalar(std::round(b), std::round(g), std::round(r));
}

std::string TrackLabel(const Track& track) {
  if (track.object_class == ObjectClass::kUnknown) return absl::StrCat("#", track.id);  // motion blobs: no class
  return absl::StrCat("#", track.id, " ", std::string(ObjectClassName(track.object_class)));
}

void DrawTracks(const std::vector<Track>& tracks, const TrailHistory& trails, const AnnotatorOptions& options,
                double scale, cv::Mat* canvas) {
  for (const Track& t : tracks) {
    if (t.state == TrackState::kRemoved) continue;
    const bool lost = t.state == TrackState::kLost;
    if (lost && !options.draw_lost) continue;
    const cv::Scalar color = TrackColor(t.id);
    const std::deque<Point2>& trail = trails.Trail(t.id);
    for (size_t i = 1; i < trail.size(); ++i) {
      cv::line(*canvas, ToPixel(trail[i - 1], scale), ToPixel(trail[i], scale), color,
               std::max(1, options.thickness - 1), cv::LINE_AA);
    }
    Box b = t.box.Scaled(static_cast<float>(scale));
    cv::Point tl(static_cast<int>(std::lround(b.x)), static_cast<int>(std::lround(b.y)));
    cv::Point br(static_cast<int>(std::lround(b.Right())), static_cast<int>(std::lround(b.Bottom())));
    cv::rectangle(*canvas, tl, br, color, lost ? 1 : options.thickness);
    const std::string label = TrackLabel(t);
    int baseline = 0;
    cv::Size text = cv::getTextSize(label, cv::FONT_HERSHEY_SIMPLEX, options.font_scale, 1, &baseline);
    cv::Point origin(tl.x, std::max(text.height + 2, tl.y - 3));
    cv::rectangle(*canvas, cv::Point(origin.x, origin.y - text.height - 2),
                  cv::Point(origin.x + text.width + 2, origin.y + baseline - 1), color, cv::FILLED);
    cv::putText(*canvas, label, cv::Point(origin.x + 1, origin.y - 1), cv::FONT_HERSHEY_SIMPLEX, options.font_scale,
                cv::Scalar(0, 0, 0), 1, cv::LINE_AA);
  }
}

TrackAnnotator::TrackAnnotator(AnnotatorOptions options)
    : options_(options), trails_(static_cast<size_t>(std::max(0, options.trail_points))) {}

cv::Mat TrackAnnotator::Annotate(const Frame& frame, const TrackSnapshot& tracks) {
  trails_.Update(tracks);
  const bool full = options_.on_full && !frame.full.empty();
  cv::Mat canvas = (full ? frame.full : frame.image).clone();
  double scale = full && frame.scale > 0 ? 1.0 / frame.scale : 1.0;
  DrawTracks(tracks.tracks, trails_, options_, scale, &canvas);
  return canvas;
}

}  // namespace didban::record
