#include "drone/stabilized_tracking.h"

#include <cmath>

namespace didban::drone {
namespace {

cv::Point2d Apply(const cv::Matx33d& h, double x, double y) {
  const cv::Vec3d p = h * cv::Vec3d(x, y, 1.0);
  return {p[0] / p[2], p[1] / p[2]};
}

}  // namespace

Box StabilizedTracking::MapBox(const cv::Matx33d& h, const Box& box) {
  const Point2 c = box.Center();
  const cv::Point2d mc = Apply(h, c.x, c.y);
  // Local scale: how a unit step around the centre grows (geometric mean of the two axes).
  const cv::Point2d mx = Apply(h, c.x + 1.0, c.y);
  const cv::Point2d my = Apply(h, c.x, c.y + 1.0);
  const double sx = std::hypot(mx.x - mc.x, mx.y - mc.y);
  const double sy = std::hypot(my.x - mc.x, my.y - mc.y);
  const double s = std::sqrt(sx * sy);
  const double w = box.w * s;
  const double hh = box.h * s;
  return {static_cast<float>(mc.x - 0.5 * w), static_cast<float>(mc.y - 0.5 * hh), static_cast<float>(w),
          static_cast<float>(hh)};
}

const std::vector<Track>& StabilizedTracking::Update(TimeUs time_us, const Detections& detections,
                                                     const cv::Matx33d& cur_to_prev) {
  cur_to_ref_ = cur_to_ref_ * cur_to_prev;
  cur_to_ref_ *= 1.0 / cur_to_ref_(2, 2);
  Detections in_ref = detections;
  for (Detection& d : in_ref) d.box = MapBox(cur_to_ref_, d.box);
  const std::vector<Track>& tracks = tracker_->Update(time_us, in_ref);
  const cv::Matx33d ref_to_cur = cur_to_ref_.inv();
  out_.clear();
  out_.reserve(tracks.size());
  for (Track t : tracks) {
    const Point2 c = t.box.Center();
    const Box mapped = MapBox(ref_to_cur, t.box);
    const cv::Point2d ahead = Apply(ref_to_cur, c.x + t.vx, c.y + t.vy);
    t.vx = static_cast<float>(ahead.x - mapped.Center().x);
    t.vy = static_cast<float>(ahead.y - mapped.Center().y);
    t.box = mapped;
    out_.push_back(t);
  }
  return out_;
}

}  // namespace didban::drone
