#include "eval/assignment.h"

#include <algorithm>
#include <limits>

namespace didban::eval {

std::vector<std::pair<int, int>> SolveAssignment(const std::vector<double>& cost, int rows, int cols) {
  std::vector<std::pair<int, int>> out;
  if (rows <= 0 || cols <= 0) return out;
  // Work on nr <= nc: transpose when there are more rows than columns.
  const bool transpose = cols < rows;
  const int nr = transpose ? cols : rows;
  const int nc = transpose ? rows : cols;
  auto c = [&](int i, int j) {
    return transpose ? cost[static_cast<size_t>(j) * cols + i] : cost[static_cast<size_t>(i) * cols + j];
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> u(nr, 0), v(nc, 0), shortest(nc);
  std::vector<int> path(nc, -1), col4row(nr, -1), row4col(nc, -1), remaining(nc);
  std::vector<char> seen_row(nr), seen_col(nc);
  for (int cur = 0; cur < nr; ++cur) {
    // Shortest augmenting path from row `cur` (Dijkstra over reduced costs).
    double min_val = 0;
    int num_remaining = nc;
    for (int k = 0; k < nc; ++k) remaining[k] = nc - k - 1;  // reverse order: a constant matrix gives the identity
    std::fill(seen_row.begin(), seen_row.end(), 0);
    std::fill(seen_col.begin(), seen_col.end(), 0);
    std::fill(shortest.begin(), shortest.end(), kInf);
    int i = cur;
    int sink = -1;
    while (sink == -1) {
      int index = -1;
      double lowest = kInf;
      seen_row[i] = 1;
      for (int k = 0; k < num_remaining; ++k) {
        int j = remaining[k];
        double r = min_val + c(i, j) - u[i] - v[j];
        if (r < shortest[j]) {
          path[j] = i;
          shortest[j] = r;
        }
        // Among equal costs prefer a free column: it ends the path.
        if (shortest[j] < lowest || (shortest[j] == lowest && row4col[j] == -1)) {
          lowest = shortest[j];
          index = k;
        }
      }
      min_val = lowest;
      if (index < 0) return out;  // only with non-finite costs
      int j = remaining[index];
      if (row4col[j] == -1) {
        sink = j;
      } else {
        i = row4col[j];
      }
      seen_col[j] = 1;
      remaining[index] = remaining[--num_remaining];
    }
    // Update the dual potentials, then augment along the path.
    u[cur] += min_val;
    for (int r = 0; r < nr; ++r) {
      if (seen_row[r] && r != cur) u[r] += min_val - shortest[col4row[r]];
    }
    for (int j = 0; j < nc; ++j) {
      if (seen_col[j]) v[j] -= min_val - shortest[j];
    }
    int j = sink;
    while (true) {
      int r = path[j];
      row4col[j] = r;
      std::swap(col4row[r], j);
      if (r == cur) break;
    }
  }
  out.reserve(nr);
  for (int r = 0; r < nr; ++r) {
    if (transpose) {
      out.emplace_back(col4row[r], r);
    } else {
      out.emplace_back(r, col4row[r]);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace didban::eval
