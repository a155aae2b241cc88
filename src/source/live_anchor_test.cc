#include "source/live_anchor.h"

#include <random>

#include <gtest/gtest.h>

namespace didban::source {
namespace {

constexpr TimeUs kStart = 1'000'000'000'000;  // the sender's stream time 0, wall µs
constexpr TimeUs kFrame = 40'000;             // 25 frames/s

// Probe buffering: the first 17 packets (0.68 s) are read at once after probing; later ones arrive in real time,
// 20 ms late, plus up to 30 ms of jitter. The anchor ends within the lowest delay of the true start, frame times
// never go back and keep at least 30 ms apart.
TEST(LiveAnchorTest, ProbeBufferIsNotTakenForTheStart) {
  LiveAnchor anchor;
  std::mt19937 rng(3);
  std::uniform_int_distribution<TimeUs> jitter(0, 30'000);
  TimeUs previous = 0;
  for (int i = 0; i < 250; ++i) {
    const TimeUs rel = i * kFrame;
    const TimeUs now = i < 17 ? kStart + 700'000 + i * 100 : kStart + rel + 20'000 + jitter(rng);
    anchor.OnArrival(now, rel);
    const TimeUs stamp = anchor.anchor_us() + rel;
    if (i == 0) {
      EXPECT_EQ(anchor.anchor_us(), kStart + 700'000);  // the first packet anchors
    } else {
      EXPECT_GE(stamp - previous, kFrame - 10'000) << "packet " << i;
    }
    previous = stamp;
  }
  // 0.68 s of error removed 10 ms per packet: done after about 70 live packets; the lowest delay of 250 draws is
  // within a millisecond of 20 ms.
  EXPECT_NEAR(anchor.anchor_us() - kStart, 20'000, 1'500);
  EXPECT_EQ(anchor.resets(), 0);
}

// The sender's clock runs 1000 ppm slow: the lowest arrival rises by 1 ms a second; the anchor follows it within a
// two follow windows' worth of drift (a block's lowest arrival is its first, taken at the block's end) instead of
// putting frames ever further in the past.
TEST(LiveAnchorTest, FollowsASlowSenderClock) {
  LiveAnchor anchor;
  for (int i = 0; i < 25 * 120; ++i) {
    const TimeUs rel = i * kFrame;
    anchor.OnArrival(kStart + rel + rel / 1000 + 20'000, rel);
  }
  const TimeUs rel_end = (25 * 120 - 1) * kFrame;
  const TimeUs truth = kStart + rel_end / 1000 + 20'000;  // now - rel of the last packet
  EXPECT_LE(truth - anchor.anchor_us(), 10'000 + 100);    // at most two windows (10 s at 1 ms/s) behind
  EXPECT_GE(truth - anchor.anchor_us(), 0);
}

// A sender whose clock restarts (stream time jumps back an hour) is re-anchored at once, not slewed for hours.
TEST(LiveAnchorTest, DiscontinuityReanchors) {
  LiveAnchor anchor;
  anchor.OnArrival(kStart, 3'600'000'000);
  anchor.OnArrival(kStart + kFrame, 3'600'000'000 + kFrame);
  anchor.OnArrival(kStart + 2 * kFrame, 0);
  EXPECT_EQ(anchor.resets(), 1);
  EXPECT_EQ(anchor.anchor_us(), kStart + 2 * kFrame);
}

}  // namespace
}  // namespace didban::source
