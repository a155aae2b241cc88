// Capped exponential backoff: the delays between reconnect attempts of a live source.
#ifndef DIDBAN_SOURCE_BACKOFF_H_
#define DIDBAN_SOURCE_BACKOFF_H_

#include <random>

#include "didban/time.h"
#include "source/source_options.h"

namespace didban::source {

// The schedule initial, initial*m, initial*m^2 ... capped at max, each spread by +-jitter when jitter > 0.
// Pure logic (no clock, no sleeping). Thread-compatible.
class Backoff {
 public:
  explicit Backoff(const BackoffOptions& options);

  // The delay before the next attempt, microseconds; advances the schedule.
  TimeUs NextDelayUs();
  // Back to the initial delay (after a successful connection).
  void Reset();
  // Attempts since the last Reset().
  int Attempts() const { return attempts_; }

 private:
  BackoffOptions options_;
  double next_us_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_BACKOFF_H_
