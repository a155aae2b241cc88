// Minimum-cost rectangular assignment by the Hungarian method with potentials (shortest augmenting paths,
// O(n^2 m) for n <= m): the one solver behind the tracker's and the fusion's assignments. (The evaluation metrics
// keep their own solver, eval/assignment.h: its ties must resolve as SciPy's linear_sum_assignment does.)
#ifndef DIDBAN_CORE_HUNGARIAN_H_
#define DIDBAN_CORE_HUNGARIAN_H_

#include <vector>

namespace didban {

// Solves one problem at a time, reusing its buffers (no allocation once warm). Thread-compatible.
class HungarianSolver {
 public:
  // `cost` is rows x cols, row-major, finite. Sets (*row_to_col)[r] to the column assigned to row r, or -1: every
  // row gets a column when rows <= cols, else every column gets a row. The total cost is minimal.
  void Solve(const double* cost, int rows, int cols, std::vector<int>* row_to_col);

 private:
  std::vector<double> transposed_;
  std::vector<double> u_, v_, minv_;
  std::vector<int> p_, way_;
  std::vector<char> used_;
};

// One problem given as rows of equal length: the column per row, or -1 (see HungarianSolver::Solve).
std::vector<int> SolveAssignment(const std::vector<std::vector<double>>& cost);

}  // namespace didban

#endif  // DIDBAN_CORE_HUNGARIAN_H_
