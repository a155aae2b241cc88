// Minimum-cost rectangular assignment (shortest augmenting paths with dual potentials), used by the evaluation
// metrics. Its tie-breaking follows the order SciPy's linear_sum_assignment uses, so matches agree with TrackEval
// and py-motmetrics when several assignments cost the same.
#ifndef DIDBAN_EVAL_ASSIGNMENT_H_
#define DIDBAN_EVAL_ASSIGNMENT_H_

#include <utility>
#include <vector>

namespace didban::eval {

// Assigns min(rows, cols) rows to distinct columns minimising the summed cost. `cost` is row-major rows x cols,
// finite values only. Returns (row, col) pairs sorted by row. Empty when rows or cols is 0. Pure function.
std::vector<std::pair<int, int>> SolveAssignment(const std::vector<double>& cost, int rows, int cols);

}  // namespace didban::eval

#endif  // DIDBAN_EVAL_ASSIGNMENT_H_
