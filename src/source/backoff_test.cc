#include "source/backoff.h"

#include <vector>

#include <gtest/gtest.h>

namespace didban::source {
namespace {

TEST(BackoffTest, DoublesUpToTheCapAndResets) {
  BackoffOptions o;
  o.initial_us = 500'000;
  o.max_us = 4'000'000;
  o.multiplier = 2.0;
  Backoff b(o);
  std::vector<TimeUs> got;
  got.reserve(6);
  for (int i = 0; i < 6; ++i) got.push_back(b.NextDelayUs());
  EXPECT_EQ(got, (std::vector<TimeUs>{500'000, 1'000'000, 2'000'000, 4'000'000, 4'000'000, 4'000'000}));
  EXPECT_EQ(b.Attempts(), 6);
  b.Reset();
  EXPECT_EQ(b.Attempts(), 0);
  EXPECT_EQ(b.NextDelayUs(), 500'000);
}

TEST(BackoffTest, FractionalMultiplier) {
  BackoffOptions o;
  o.initial_us = 1'000;
  o.max_us = 10'000;
  o.multiplier = 1.5;
  Backoff b(o);
  std::vector<TimeUs> got;
  got.reserve(4);
  for (int i = 0; i < 4; ++i) got.push_back(b.NextDelayUs());
  EXPECT_EQ(got, (std::vector<TimeUs>{1'000, 1'500, 2'250, 3'375}));
}

TEST(BackoffTest, JitterStaysWithinItsSpreadAndIsReproducible) {
  BackoffOptions o;
  o.initial_us = 1'000'000;
  o.max_us = 1'000'000;
  o.jitter = 0.2;
  o.jitter_seed = 42;
  Backoff a(o);
  Backoff b(o);
  bool varied = false;
  TimeUs first = a.NextDelayUs();
  EXPECT_EQ(first, b.NextDelayUs());
  for (int i = 0; i < 50; ++i) {
    TimeUs d = a.NextDelayUs();
    EXPECT_EQ(d, b.NextDelayUs());
    EXPECT_GE(d, 800'000);
    EXPECT_LE(d, 1'000'000);  // never above the cap
    varied = varied || d != first;
  }
  EXPECT_TRUE(varied);
}

TEST(BackoffTest, OptionsAreValidated) {
  BackoffOptions o;
  EXPECT_TRUE(o.Validate().ok());
  o.multiplier = 0.5;
  EXPECT_EQ(o.Validate().message(), "source option backoff.multiplier: must be >= 1, got 0.5");
  o = BackoffOptions{};
  o.max_us = 1;
  EXPECT_EQ(o.Validate().message(), "source option backoff.max_us: must be >= initial_us (500000), got 1");
  o = BackoffOptions{};
  o.jitter = 1.0;
  EXPECT_EQ(o.Validate().message(), "source option backoff.jitter: must be in [0, 1), got 1");
}

}  // namespace
}  // namespace didban::source
