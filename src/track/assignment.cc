#include "track/assignment.h"

#include <algorithm>

namespace didban::track {

void LinearAssigner::Solve(const float* cost, int rows, int cols, float limit,
                           std::vector<std::pair<int, int>>* matches) {
  matches->clear();
  if (rows == 0 || cols == 0) return;
  // Only rows and columns with at least one pair under the limit matter. A row whose only candidate column has no
  // other candidate row is matched at once (its own component); the rest go to the exact solver.
  row_candidates_.assign(rows, 0);
  col_candidates_.assign(cols, 0);
  row_last_.assign(rows, -1);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      if (cost[r * cols + c] < limit) {
        ++row_candidates_[r];
        ++col_candidates_[c];
        row_last_[r] = c;
      }
    }
  }
  sub_rows_.clear();
  sub_cols_.clear();
  for (int r = 0; r < rows; ++r) {
    if (row_candidates_[r] == 1 && col_candidates_[row_last_[r]] == 1) {
      matches->emplace_back(r, row_last_[r]);
      col_candidates_[row_last_[r]] = 0;  // taken
    } else if (row_candidates_[r] > 0) {
      sub_rows_.push_back(r);
    }
  }
  for (int c = 0; c < cols; ++c) {
    if (col_candidates_[c] > 0) sub_cols_.push_back(c);
  }
  if (!sub_rows_.empty()) SolveDense(cost, cols, limit, matches);
  std::sort(matches->begin(), matches->end());
}

void LinearAssigner::SolveDense(const float* cost, int cols, float limit, std::vector<std::pair<int, int>>* matches) {
  const int rows_n = static_cast<int>(sub_rows_.size());
  const int cols_n = static_cast<int>(sub_cols_.size());
  // A pair worth matching has cost - limit < 0; others cost 0, which is the same as leaving both unmatched, so they
  // are dropped afterwards. Built with the fewer side as rows (the solver would otherwise transpose it).
  const bool transposed = rows_n > cols_n;
  const int n = transposed ? cols_n : rows_n;
  const int m = transposed ? rows_n : cols_n;
  a_.resize(static_cast<size_t>(n) * m);
  for (int r = 0; r < rows_n; ++r) {
    for (int c = 0; c < cols_n; ++c) {
      const size_t at = transposed ? static_cast<size_t>(c) * m + r : static_cast<size_t>(r) * m + c;
      a_[at] = std::min(static_cast<double>(cost[sub_rows_[r] * cols + sub_cols_[c]]) - limit, 0.0);
    }
  }
  solver_.Solve(a_.data(), n, m, &row_to_col_);
  for (int i = 0; i < n; ++i) {
    if (row_to_col_[i] < 0) continue;
    const int r = sub_rows_[transposed ? row_to_col_[i] : i];
    const int c = sub_cols_[transposed ? i : row_to_col_[i]];
    if (cost[r * cols + c] < limit) matches->emplace_back(r, c);
  }
}

}  // namespace didban::track
