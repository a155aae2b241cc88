#include "drone/motion_gate.h"

#include <cmath>

namespace didban::drone {
namespace {

cv::Point2d Apply(const cv::Matx33d& h, const cv::Point2d& p) {
  const cv::Vec3d q = h * cv::Vec3d(p.x, p.y, 1.0);
  return {q[0] / q[2], q[1] / q[2]};
}

}  // namespace

absl::Status MotionGateOptions::Validate() const {
  if (!(min_displacement_px >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("motion gate: min_displacement_px must be >= 0, got ", min_displacement_px));
  }
  if (!(window_s > 0)) return absl::InvalidArgumentError("motion gate: window_s must be > 0");
  if (!(forget_s > 0)) return absl::InvalidArgumentError("motion gate: forget_s must be > 0");
  return absl::OkStatus();
}

std::vector<Track> MotionGate::Filter(TimeUs time_us, const std::vector<Track>& tracks, const cv::Matx33d& cur_to_ref) {
  if (options_.min_displacement_px <= 0) return tracks;
  const TimeUs window_us = SecondsToUs(options_.window_s);
  const cv::Matx33d ref_to_cur = cur_to_ref.inv();
  const double min_d2 = options_.min_displacement_px * options_.min_displacement_px;
  std::vector<Track> out;
  out.reserve(tracks.size());
  for (const Track& t : tracks) {
    State& s = states_[t.id];
    s.last_us = time_us;
    if (!s.released && t.last_seen_us == time_us) {  // matched in this frame: its box is the detection's
      const Point2 c = t.box.Center();
      const cv::Point2d now(c.x, c.y);
      s.history.push_back({time_us, Apply(cur_to_ref, now)});
      while (!s.history.empty() && s.history.front().time_us < time_us - window_us) s.history.pop_front();
      for (const Sample& old : s.history) {
        const cv::Point2d then = Apply(ref_to_cur, old.ref);
        const double dx = then.x - now.x, dy = then.y - now.y;
        if (dx * dx + dy * dy >= min_d2) {
          s.released = true;
          s.history.clear();
          break;
        }
      }
    }
    if (s.released) out.push_back(t);
  }
  const TimeUs forget_us = SecondsToUs(options_.forget_s);
  for (auto it = states_.begin(); it != states_.end();) {
    it = it->second.last_us < time_us - forget_us ? states_.erase(it) : std::next(it);
  }
  return out;
}

}  // namespace didban::drone
