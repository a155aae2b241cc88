#include "rules/trajectory.h"

namespace didban::rules {

void Trajectory::Add(TimeUs time_us, const Point2& ground) {
  if (!samples_.empty() && time_us <= samples_.back().time_us) {
    if (time_us == samples_.back().time_us) samples_.back().ground = ground;
    return;
  }
  samples_.push_back({time_us, ground});
  while (samples_.size() > max_samples_ || samples_.front().time_us < time_us - horizon_us_) samples_.pop_front();
}

namespace {

struct LineFit {
  Point2 at_newest;  // fitted position at the newest time
  Point2 slope;      // metres per second
  double span_s = 0;
  int n = 0;
};

// Least squares x(t), y(t) = a + b t over samples newer than newest - window (t relative to the newest).
std::optional<LineFit> Fit(const std::deque<Trajectory::Sample>& s, TimeUs window_us) {
  if (s.empty()) return std::nullopt;
  const TimeUs t_end = s.back().time_us;
  double st = 0, stt = 0, sx = 0, sy = 0, stx = 0, sty = 0;
  int n = 0;
  double t_min = 0;
  for (auto it = s.rbegin(); it != s.rend() && it->time_us >= t_end - window_us; ++it) {
    double t = UsToSeconds(it->time_us - t_end);
    st += t;
    stt += t * t;
    sx += it->ground.x;
    sy += it->ground.y;
    stx += t * it->ground.x;
    sty += t * it->ground.y;
    t_min = t;
    ++n;
  }
  LineFit f;
  f.n = n;
  f.span_s = -t_min;
  double den = n * stt - st * st;
  if (n < 3 || den <= 1e-12) {
    f.at_newest = s.back().ground;
    return f;
  }
  f.slope = {(n * stx - st * sx) / den, (n * sty - st * sy) / den};
  f.at_newest = {(sx - f.slope.x * st) / n, (sy - f.slope.y * st) / n};
  return f;
}

}  // namespace

std::optional<Point2> Trajectory::Velocity(TimeUs window_us, TimeUs min_span_us) const {
  std::optional<LineFit> f = Fit(samples_, window_us);
  if (!f || f->n < 3 || f->span_s < UsToSeconds(min_span_us)) return std::nullopt;
  return f->slope;
}

std::optional<Point2> Trajectory::SmoothedPosition(TimeUs window_us) const {
  std::optional<LineFit> f = Fit(samples_, window_us);
  if (!f) return std::nullopt;
  return f->at_newest;
}

}  // namespace didban::rules
