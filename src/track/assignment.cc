#include "track/assignment.h"

#include <algorithm>
#include <limits>

namespace didban::track {

void LinearAssigner::Solve(const float* cost, int rows, int cols, float limit,
                           std::vector<std::pair<int, int>>* matches) {
  matches->clear();
  if (rows == 0 || cols == 0) return;
  // Work on n <= m (transpose if needed). A pair worth matching has cost - limit < 0; others cost 0, which is the
  // same as leaving both unmatched, so they are dropped afterwards.
  const bool transposed = rows > cols;
  const int n = transposed ? cols : rows;
  const int m = transposed ? rows : cols;
  a_.assign(static_cast<size_t>(n + 1) * (m + 1), 0.0);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      const double d = std::min(static_cast<double>(cost[r * cols + c]) - limit, 0.0);
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
    const int r = transposed ? j - 1 : p_[j] - 1;
    const int c = transposed ? p_[j] - 1 : j - 1;
    if (cost[r * cols + c] < limit) matches->emplace_back(r, c);
  }
  std::sort(matches->begin(), matches->end());
}

}  // namespace didban::track
