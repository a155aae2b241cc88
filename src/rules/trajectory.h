// A track's recent ground-plane positions with their timestamps, and a least-squares constant-velocity fit over a
// time window. Bounded. Thread-compatible.
#ifndef DIDBAN_RULES_TRAJECTORY_H_
#define DIDBAN_RULES_TRAJECTORY_H_

#include <deque>
#include <optional>

#include "didban/geometry.h"
#include "didban/time.h"

namespace didban::rules {

class Trajectory {
 public:
  struct Sample {
    TimeUs time_us = 0;
    Point2 ground;  // local metres
  };

  // Keeps samples no older than `horizon_us` before the newest and at most `max_samples`.
  explicit Trajectory(TimeUs horizon_us = 5 * kUsPerSecond, size_t max_samples = 256)
      : horizon_us_(horizon_us), max_samples_(max_samples) {}

  // Appends a sample; times must not decrease (a repeated time replaces the last sample).
  void Add(TimeUs time_us, const Point2& ground);

  // Velocity (m/s) fitted by least squares to the samples within `window_us` of the newest; nullopt unless they
  // span at least `min_span_us` with at least 3 samples.
  std::optional<Point2> Velocity(TimeUs window_us, TimeUs min_span_us) const;
  // Fitted position at the newest sample time (same window); the newest raw position when the fit is not possible.
  std::optional<Point2> SmoothedPosition(TimeUs window_us) const;

  const std::deque<Sample>& Samples() const { return samples_; }
  bool Empty() const { return samples_.empty(); }

 private:
  TimeUs horizon_us_;
  size_t max_samples_;
  std::deque<Sample> samples_;
};

}  // namespace didban::rules

#endif  // DIDBAN_RULES_TRAJECTORY_H_
