#include "eval/assignment.h"

#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace didban::eval {
namespace {

using Pairs = std::vector<std::pair<int, int>>;

TEST(SolveAssignmentTest, SquareMinimumCost) {
  // Greedy would take (0,0)=1 then (1,1)=9; the optimum is 2 + 3.
  std::vector<double> cost = {1, 2, 3, 9};
  EXPECT_EQ(SolveAssignment(cost, 2, 2), (Pairs{{0, 1}, {1, 0}}));
}

TEST(SolveAssignmentTest, ThreeByThreeClassic) {
  std::vector<double> cost = {4, 1, 3, 2, 0, 5, 3, 2, 2};  // optimum 1 + 2 + 2 = 5
  EXPECT_EQ(SolveAssignment(cost, 3, 3), (Pairs{{0, 1}, {1, 0}, {2, 2}}));
}

TEST(SolveAssignmentTest, MoreColumnsThanRows) {
  std::vector<double> cost = {5, 1, 7, 2, 3, 0};  // 2 x 3
  EXPECT_EQ(SolveAssignment(cost, 2, 3), (Pairs{{0, 1}, {1, 2}}));
}

TEST(SolveAssignmentTest, MoreRowsThanColumns) {
  std::vector<double> cost = {5, 2, 1, 3, 7, 0};  // 3 x 2
  EXPECT_EQ(SolveAssignment(cost, 3, 2), (Pairs{{1, 0}, {2, 1}}));
}

TEST(SolveAssignmentTest, ConstantMatrixGivesIdentityLikeScipy) {
  std::vector<double> cost(9, 0.0);
  EXPECT_EQ(SolveAssignment(cost, 3, 3), (Pairs{{0, 0}, {1, 1}, {2, 2}}));
}

TEST(SolveAssignmentTest, NegativeCostsMaximiseScores) {
  std::vector<double> cost = {-0.9, -0.8, -0.85, -0.1};  // maximise 0.8 + 0.85 over 0.9 + 0.1
  EXPECT_EQ(SolveAssignment(cost, 2, 2), (Pairs{{0, 1}, {1, 0}}));
}

TEST(SolveAssignmentTest, EmptyInput) {
  EXPECT_TRUE(SolveAssignment({}, 0, 3).empty());
  EXPECT_TRUE(SolveAssignment({}, 2, 0).empty());
}

}  // namespace
}  // namespace didban::eval
