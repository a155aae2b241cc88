#include "fuse/hungarian.h"

#include <limits>

namespace didban::fuse {
namespace {

// Potentials-based Hungarian method for n <= m (1-based internally). a[i][j], i < n, j < m.
std::vector<int> SolveRowsLeCols(const std::vector<std::vector<double>>& a, int n, int m) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0), v(m + 1, 0);
  std::vector<int> p(m + 1, 0), way(m + 1, 0);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      int i0 = p[j0], j1 = 0;
      double delta = inf;
      for (int j = 1; j <= m; ++j) {
        if (used[j]) continue;
        double cur = a[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      int j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (int j = 1; j <= m; ++j) {
    if (p[j] != 0) row_to_col[p[j] - 1] = j - 1;
  }
  return row_to_col;
}

}  // namespace

std::vector<int> SolveAssignment(const std::vector<std::vector<double>>& cost) {
  const int rows = static_cast<int>(cost.size());
  if (rows == 0) return {};
  const int cols = static_cast<int>(cost[0].size());
  if (cols == 0) return std::vector<int>(rows, -1);
  if (rows <= cols) return SolveRowsLeCols(cost, rows, cols);
  std::vector<std::vector<double>> t(cols, std::vector<double>(rows));
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) t[c][r] = cost[r][c];
  }
  std::vector<int> col_to_row = SolveRowsLeCols(t, cols, rows);
  std::vector<int> out(rows, -1);
  for (int c = 0; c < cols; ++c) {
    if (col_to_row[c] >= 0) out[col_to_row[c]] = c;
  }
  return out;
}

}  // namespace didban::fuse
