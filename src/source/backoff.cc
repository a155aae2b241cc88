#include "source/backoff.h"

#include <algorithm>
#include <cmath>

namespace didban::source {

Backoff::Backoff(const BackoffOptions& options)
    : options_(options), next_us_(static_cast<double>(options.initial_us)), rng_(options.jitter_seed) {}

TimeUs Backoff::NextDelayUs() {
  double base = std::min(next_us_, static_cast<double>(options_.max_us));
  next_us_ = std::min(base * options_.multiplier, static_cast<double>(options_.max_us));
  ++attempts_;
  double delay = base;
  if (options_.jitter > 0) {
    std::uniform_real_distribution<double> spread(-options_.jitter, options_.jitter);
    delay = std::min(base * (1.0 + spread(rng_)), static_cast<double>(options_.max_us));
  }
  return std::max<TimeUs>(1, static_cast<TimeUs>(std::llround(delay)));
}

void Backoff::Reset() {
  next_us_ = static_cast<double>(options_.initial_us);
  attempts_ = 0;
}

}  // namespace didban::source
