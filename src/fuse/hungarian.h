// Minimum-cost assignment (Hungarian method, O(n^2 m)) for rectangular cost matrices. Free function; thread-safe.
#ifndef DIDBAN_FUSE_HUNGARIAN_H_
#define DIDBAN_FUSE_HUNGARIAN_H_

#include <vector>

namespace didban::fuse {

// cost[r][c] for rows x cols (all rows the same length, finite). Returns, per row, the assigned column or -1; every
// row gets a column when rows <= cols, else every column gets a row. Minimises the total cost of the assignment.
std::vector<int> SolveAssignment(const std::vector<std::vector<double>>& cost);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_HUNGARIAN_H_
