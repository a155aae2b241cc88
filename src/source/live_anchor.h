// The wall-clock anchor of a live stream: the wall time of stream time 0, so that a frame's wall time is the anchor
// plus its stream time. A live source stamps frames this way (one time base for every camera of a site: fusion,
// the store, live video and latency all read it).
//
// The first packet alone is a poor anchor: opening a stream probes it (avformat_find_stream_info buffers up to about
// a second of packets), so the first packets read were received well before they are read, and an anchor taken then
// puts every later frame in the future by that much (seen: 0.67 s on RTSP). The anchor therefore tracks the earliest
// arrival: each packet read at wall time `now` with stream time `rel` says stream time 0 was received no later than
// now - rel; the lowest such value over the packets is the best estimate (network and buffering delays only add).
// A sender's clock that runs slow against ours makes that lowest value rise over time, so the estimate also follows
// the lowest value of each `follow_window_us` block upwards. The anchor slews towards the estimate by at most
// `max_slew_us` per packet, so frame times stay increasing and their spacing stays close to the stream's; a jump
// of more than `discontinuity_us` (the sender's clock was reset) re-anchors at once.
#ifndef DIDBAN_SOURCE_LIVE_ANCHOR_H_
#define DIDBAN_SOURCE_LIVE_ANCHOR_H_

#include <cstdint>

#include "didban/time.h"

namespace didban::source {

struct LiveAnchorOptions {
  TimeUs max_slew_us = 10'000;           // per packet, either way
  TimeUs follow_window_us = 5'000'000;   // block over which the lowest arrival is followed upwards
  TimeUs discontinuity_us = 10'000'000;  // a larger disagreement re-anchors at once
};

class LiveAnchor {
 public:
  explicit LiveAnchor(LiveAnchorOptions options = {}) : options_(options) {}

  // A packet (or, without packets, a frame) of stream time `rel_us` read at wall time `now_us`.
  void OnArrival(TimeUs now_us, TimeUs rel_us);

  bool anchored() const { return anchored_; }
  TimeUs anchor_us() const { return anchor_us_; }  // wall time of stream time 0 (valid once anchored)
  TimeUs target_us() const { return target_us_; }  // where the anchor is slewing to
  int64_t resets() const { return resets_; }       // re-anchors after a discontinuity

 private:
  LiveAnchorOptions options_;
  bool anchored_ = false;
  TimeUs anchor_us_ = 0;
  TimeUs target_us_ = 0;
  TimeUs block_start_us_ = 0;
  TimeUs block_min_us_ = 0;
  int64_t resets_ = 0;
};

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_LIVE_ANCHOR_H_
