// Minimum-cost linear assignment with a cost limit (the `lapjv(extend_cost=True, cost_limit=...)` problem of SORT and
// ByteTrack), solved exactly by core's Hungarian solver.
#ifndef DIDBAN_TRACK_ASSIGNMENT_H_
#define DIDBAN_TRACK_ASSIGNMENT_H_

#include <utility>
#include <vector>

#include "core/hungarian.h"

namespace didban::track {

// Solves one assignment problem at a time, reusing its buffers (no allocation once warm). Thread-compatible.
class LinearAssigner {
 public:
  // `cost` is rows x cols, row-major. Finds the matching that minimises the sum of (cost - limit) over matched pairs,
  // i.e. only pairs with cost < limit are ever matched, and as many as pay off. Writes (row, col) pairs, sorted by
  // row, into *matches (cleared first). Costs must be finite.
  void Solve(const float* cost, int rows, int cols, float limit, std::vector<std::pair<int, int>>* matches);

 private:
  void SolveDense(const float* cost, int cols, float limit, std::vector<std::pair<int, int>>* matches);

  std::vector<int> row_candidates_, col_candidates_, row_last_, sub_rows_, sub_cols_;
  std::vector<double> a_;  // the reduced problem, n x m with n <= m, row-major
  std::vector<int> row_to_col_;
  HungarianSolver solver_;
};

}  // namespace didban::track

#endif  // DIDBAN_TRACK_ASSIGNMENT_H_
