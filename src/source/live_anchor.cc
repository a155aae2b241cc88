#include "source/live_anchor.h"

#include <algorithm>
#include <cstdlib>

namespace didban::source {

void LiveAnchor::OnArrival(TimeUs now_us, TimeUs rel_us) {
  const TimeUs candidate = now_us - rel_us;
  if (!anchored_ || std::llabs(candidate - target_us_) > options_.discontinuity_us) {
    if (anchored_) ++resets_;
    anchored_ = true;
    anchor_us_ = target_us_ = block_min_us_ = candidate;
    block_start_us_ = now_us;
    return;
  }
  target_us_ = std::min(target_us_, candidate);
  block_min_us_ = std::min(block_min_us_, candidate);
  if (now_us - block_start_us_ >= options_.follow_window_us) {
    target_us_ = std::max(target_us_, block_min_us_);
    block_start_us_ = now_us;
    block_min_us_ = candidate;
  }
  anchor_us_ += std::clamp(target_us_ - anchor_us_, -options_.max_slew_us, options_.max_slew_us);
}

}  // namespace didban::source
