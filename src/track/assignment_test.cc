#include "track/assignment.h"

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace didban::track {
namespace {

using Matches = std::vector<std::pair<int, int>>;

// Exhaustive reference: the best sum of (cost - limit) over partial matchings with cost < limit.
double BruteBest(const std::vector<float>& c, int rows, int cols, float limit, int r, std::vector<char>& used) {
  if (r == rows) return 0;
  double best = BruteBest(c, rows, cols, limit, r + 1, used);
  for (int j = 0; j < cols; ++j) {
    if (used[j] || c[r * cols + j] >= limit) continue;
    used[j] = 1;
    best = std::min(best, c[r * cols + j] - limit + BruteBest(c, rows, cols, limit, r + 1, used));
    used[j] = 0;
  }
  return best;
}

TEST(LinearAssigner, PrefersGlobalOptimumOverGreedy) {
  // Greedy would take (0,0)=0.1 and leave row 1 with 0.9 (over the limit); the optimum is (0,1) + (1,0).
  const std::vector<float> cost = {0.1f, 0.2f,  //
                                   0.3f, 0.9f};
  LinearAssigner a;
  Matches m;
  a.Solve(cost.data(), 2, 2, 0.8f, &m);
  EXPECT_EQ(m, (Matches{{0, 1}, {1, 0}}));
}

TEST(LinearAssigner, NeverMatchesAtOrAboveTheLimitAndHandlesEmpty) {
  const std::vector<float> cost = {0.8f, 0.95f, 0.5f};
  LinearAssigner a;
  Matches m;
  a.Solve(cost.data(), 3, 1, 0.8f, &m);
  EXPECT_EQ(m, (Matches{{2, 0}}));
  a.Solve(cost.data(), 0, 3, 0.8f, &m);
  EXPECT_TRUE(m.empty());
}

TEST(LinearAssigner, MatchesBruteForceOnRandomRectangularProblems) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  LinearAssigner a;
  Matches m;
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + trial % 6;
    const int cols = 1 + (trial / 6) % 6;
    std::vector<float> c(rows * cols);
    for (float& x : c) x = u(rng);
    a.Solve(c.data(), rows, cols, 0.7f, &m);
    double got = 0;
    std::vector<char> rused(rows, 0), cused(cols, 0);
    for (auto [r, k] : m) {
      ASSERT_LT(c[r * cols + k], 0.7f);
      ASSERT_FALSE(rused[r]);
      ASSERT_FALSE(cused[k]);
      rused[r] = cused[k] = 1;
      got += c[r * cols + k] - 0.7f;
    }
    std::vector<char> used(cols, 0);
    EXPECT_NEAR(got, BruteBest(c, rows, cols, 0.7f, 0, used), 1e-5) << "trial " << trial;
  }
}

}  // namespace
}  // namespace didban::track
