#include "track/assignment.h"

#include <algorithm>
#include <limits>

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
  // Work on n <= m (transpose if needed). A pair worth matching has cost - limit < 0; others cost 0, which is the
  // same as leaving both unmatched, so they are dropped afterwards.
  const bool transposed = rows_n > cols_n;
  const int n = transposed ? cols_n : rows_n;
  const int m = transposed ? rows_n : cols_n;
  a_.assign(static_cast<size_t>(n + 1) * (m + 1), 0.0);
  for (int r = 0; r < rows_n; ++r) {
    for (int c = 0; c < cols_n; ++c) {
      const double d = std::min(static_cast<double>(cost[sub_rows_[r] * cols + sub_cols_[c]]) - limit, 0.0);
      const int i = transposed ? c : r;
      const int j = transposed ? r : c;
      a_[static_cast<size_t>(i + 1) * (m + 1) + (j + 1)] = d;
    }
  }
  const double inf = std::numeric_limits<double>::infinity();
  u_.assign(n + 1, 0.0);
  v_.assign(m + 1, 0.0);
  p_.assign(m + 1, 0);
  way_.assign(m + 1, 0);
  minv_.resize(m + 1);
  used_.resize(m + 1);
  for (int i = 1; i <= n; ++i) {
    p_[0] = i;
    int j0 = 0;
    std::fill(minv_.begin(), minv_.end(), inf);
    std::fill(used_.begin(), used_.end(), 0);
    do {
      used_[j0] = 1;
      const int i0 = p_[j0];
      double delta = inf;
      int j1 = 0;
      const double* row = &a_[static_cast<size_t>(i0) * (m + 1)];
      for (int j = 1; j <= m; ++j) {
        if (used_[j]) continue;
        const double cur = row[j] - u_[i0] - v_[j];
        if (cur < minv_[j]) {
          minv_[j] = cur;
          way_[j] = j0;
        }
        if (minv_[j] < delta) {
          delta = minv_[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used_[j]) {
          u_[p_[j]] += delta;
          v_[j] -= delta;
        } else {
          minv_[j] -= delta;
        }
      }
      j0 = j1;
    } while (p_[j0] != 0);
    do {
      const int j1 = way_[j0];
      p_[j0] = p_[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  for (int j = 1; j <= m; ++j) {
    if (p_[j] == 0) continue;
    const int r = sub_rows_[transposed ? j - 1 : p_[j] - 1];
    const int c = sub_cols_[transposed ? p_[j] - 1 : j - 1];
    if (cost[r * cols + c] < limit) matches->emplace_back(r, c);
  }
}

}  // namespace didban::track
