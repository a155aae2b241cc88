#include "core/hungarian.h"

#include <gtest/gtest.h>

namespace didban {
namespace {

TEST(HungarianTest, SolvesSmallProblemsExactly) {
  EXPECT_EQ(SolveAssignment({{4, 1, 3}, {2, 0, 5}, {3, 2, 2}}), (std::vector<int>{1, 0, 2}));
  // More rows than columns: every column gets a row.
  EXPECT_EQ(SolveAssignment({{1, 2}, {0, 5}, {3, 0}}), (std::vector<int>{-1, 0, 1}));
  // More columns than rows: every row gets a column.
  EXPECT_EQ(SolveAssignment({{5, 1, 9, 4}, {1, 2, 9, 8}}), (std::vector<int>{1, 0}));
  EXPECT_EQ(SolveAssignment({}), std::vector<int>{});
  EXPECT_EQ(SolveAssignment({{}, {}}), (std::vector<int>{-1, -1}));
}

TEST(HungarianTest, GreedyIsNotOptimal) {
  // Greedy takes the 1 and pays 1 + 100; the optimum pays 2 + 3.
  EXPECT_EQ(SolveAssignment({{1, 2}, {3, 100}}), (std::vector<int>{1, 0}));
}

TEST(HungarianTest, ReusedSolverGivesTheSameAnswers) {
  HungarianSolver solver;
  std::vector<int> out;
  const std::vector<double> big = {7, 5, 3, 9, 2, 8, 6, 4, 1, 3, 8, 7};  // 4 x 3
  solver.Solve(big.data(), 4, 3, &out);
  EXPECT_EQ(out, (std::vector<int>{-1, 1, 2, 0}));  // each column's cheapest row: 3 + 2 + 1
  const std::vector<double> small = {0, 1, 1, 0};
  solver.Solve(small.data(), 2, 2, &out);
  EXPECT_EQ(out, (std::vector<int>{0, 1}));
  solver.Solve(big.data(), 4, 3, &out);
  EXPECT_EQ(out, (std::vector<int>{-1, 1, 2, 0}));
}

}  // namespace
}  // namespace didban
