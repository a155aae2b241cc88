#include "core/hungarian.h"

#include <algorithm>
#include <limits>

namespace didban {

void HungarianSolver::Solve(const double* cost, int rows, int cols, std::vector<int>* row_to_col) {
  row_to_col->assign(static_cast<size_t>(std::max(rows, 0)), -1);
  if (rows <= 0 || cols <= 0) return;
  // Work on n <= m: the transpose when there are more rows than columns.
  const bool transposed = rows > cols;
  const double* a = cost;
  if (transposed) {
    transposed_.resize(static_cast<size_t>(rows) * cols);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) {
        transposed_[static_cast<size_t>(c) * rows + r] = cost[static_cast<size_t>(r) * cols + c];
      }
    }
    a = transposed_.data();
  }
  const int n = transposed ? cols : rows;
  const int m = transposed ? rows : cols;
  // 1-based potentials and matching: p_[j] is the row (1..n) matched to column j, 0 = none.
  const double inf = std::numeric_limits<double>::infinity();
  u_.assign(static_cast<size_t>(n) + 1, 0.0);
  v_.assign(static_cast<size_t>(m) + 1, 0.0);
  p_.assign(static_cast<size_t>(m) + 1, 0);
  way_.assign(static_cast<size_t>(m) + 1, 0);
  minv_.resize(static_cast<size_t>(m) + 1);
  used_.resize(static_cast<size_t>(m) + 1);
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
      const double* row = a + static_cast<size_t>(i0 - 1) * m;
      for (int j = 1; j <= m; ++j) {
        if (used_[j]) continue;
        const double cur = row[j - 1] - u_[i0] - v_[j];
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
    if (transposed) {
      (*row_to_col)[static_cast<size_t>(j - 1)] = p_[j] - 1;
    } else {
      (*row_to_col)[static_cast<size_t>(p_[j] - 1)] = j - 1;
    }
  }
}

std::vector<int> SolveAssignment(const std::vector<std::vector<double>>& cost) {
  const int rows = static_cast<int>(cost.size());
  const int cols = rows == 0 ? 0 : static_cast<int>(cost[0].size());
  std::vector<double> flat;
  flat.reserve(static_cast<size_t>(rows) * cols);
  for (const std::vector<double>& row : cost) flat.insert(flat.end(), row.begin(), row.end());
  HungarianSolver solver;
  std::vector<int> out;
  solver.Solve(flat.data(), rows, cols, &out);
  return out;
}

}  // namespace didban
