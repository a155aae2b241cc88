// Ground-plane tracking metrics (CLEAR MOT: MODA, MOTA; identity: IDF1) with a distance threshold in metres, used by
// the WILDTRACK protocol and the fusion tests until `didban eval ground` (eval stage) is merged. Free functions;
// thread-safe.
#ifndef DIDBAN_FUSE_GROUND_EVAL_H_
#define DIDBAN_FUSE_GROUND_EVAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "didban/status.h"

namespace didban::fuse {

// One object at one frame on the ground (metres).
struct GroundRow {
  int frame = 0;
  int64_t id = 0;
  double x = 0, y = 0;
};

struct GroundMetrics {
  int64_t gt = 0, tp = 0, fp = 0, fn = 0, id_switches = 0;
  int64_t idtp = 0, idfp = 0, idfn = 0;
  double moda = 0, mota = 0, idf1 = 0, precision = 0, recall = 0;
};

// Per frame, predictions are matched to ground truth within `threshold_m` (previous frame's pairs kept when still
// within the threshold, the rest by minimum total distance, Hungarian). IDF1 from the global one-to-one matching of
// ground-truth and predicted identities that maximises frames matched within the threshold.
GroundMetrics EvaluateGround(const std::vector<GroundRow>& truth, const std::vector<GroundRow>& predicted,
                             double threshold_m);

// CSV with a header naming at least frame,id,x,y (any column order; other columns ignored). Errors name file:line.
absl::StatusOr<std::vector<GroundRow>> ParseGroundCsv(const std::string& text, const std::string& name);
std::string FormatGroundCsv(const std::vector<GroundRow>& rows);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_GROUND_EVAL_H_
