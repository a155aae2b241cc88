// Inputs of the tracking metrics: MOTChallenge box files (similarity = IoU) and ground-plane CSV tracks
// (similarity = 1 - distance / threshold), turned into per-frame EvalFrames (mot_metrics.h).
#ifndef DIDBAN_EVAL_MOT_INPUTS_H_
#define DIDBAN_EVAL_MOT_INPUTS_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/mot_format.h"
#include "didban/geometry.h"
#include "didban/status.h"
#include "eval/mot_metrics.h"

namespace didban::eval {

// Groups ground-truth and result rows by frame (any type with `int frame` and `int64_t id`) into EvalFrames in
// ascending frame order, one per frame that has either, with `similarity(gt_row, res_row)` for every pair.
template <typename Row, typename SimilarityFn>
std::vector<EvalFrame> BuildFrames(const std::vector<Row>& gt, const std::vector<Row>& res, SimilarityFn similarity) {
  std::map<int, std::pair<std::vector<const Row*>, std::vector<const Row*>>> by_frame;
  for (const Row& r : gt) by_frame[r.frame].first.push_back(&r);
  for (const Row& r : res) by_frame[r.frame].second.push_back(&r);
  std::vector<EvalFrame> frames;
  frames.reserve(by_frame.size());
  for (const auto& [frame, rows] : by_frame) {
    EvalFrame f;
    for (const Row* g : rows.first) f.gt_ids.push_back(g->id);
    for (const Row* r : rows.second) f.res_ids.push_back(r->id);
    f.similarity.reserve(rows.first.size() * rows.second.size());
    for (const Row* g : rows.first) {
      for (const Row* r : rows.second) f.similarity.push_back(similarity(*g, *r));
    }
    frames.push_back(std::move(f));
  }
  return frames;
}

// Largest number of (ground truth, result) pairs in one frame that the file evaluations accept: each pair holds a
// similarity (docs/security.md). 10^7 pairs is 80 MB; MOT20's densest frames have about 250 x 250.
inline constexpr int64_t kMaxPairsPerFrame = 10'000'000;

// ---- Image boxes (MOTChallenge) ----

// Intersection over union of two (x, y, w, h) boxes computed in double the way TrackEval does (corners first;
// 0 when either box is empty).
double BoxIou(const Box& a, const Box& b);

// Which MOTChallenge ground-truth conventions apply (TrackEval's preprocessing).
enum class MotBenchmark {
  kMot15,  // no class columns: only ground-truth rows with 0 in column 7 ("consider" flag) are dropped
  kMot17,  // MOT16/MOT17: also keep only pedestrians (class 1, column 8) and drop results that match (IoU >= 0.5)
           // a distractor (person on vehicle 2, static person 7, distractor 8, reflection 12)
  kMot20,  // as kMot17, and non-motorised vehicle (6) is a distractor too
};

// Parses "MOT15", "MOT16", "MOT17", "MOT20" (as TrackEval names them).
absl::StatusOr<MotBenchmark> ParseMotBenchmark(const std::string& name);

// MOT15-style ground-truth filter: drops rows whose 7th column (MotRow::score) is 0.
std::vector<MotRow> FilterGroundTruth(const std::vector<MotRow>& gt);

// TrackEval's MOTChallenge preprocessing of both files (see MotBenchmark); rewrites *gt and *res in place.
void PreprocessMotChallenge(MotBenchmark benchmark, std::vector<MotRow>* gt, std::vector<MotRow>* res);

// Frames with IoU similarity.
std::vector<EvalFrame> FramesFromBoxes(const std::vector<MotRow>& gt, const std::vector<MotRow>& res);

struct BoxEvalOptions {
  double iou_threshold = 0.5;                     // IoU a match needs for CLEAR MOT and identity, in (0, 1]
  MotBenchmark benchmark = MotBenchmark::kMot15;  // ground-truth conventions
  MotLimits limits;                               // of the files read by EvaluateMotFiles (docs/security.md)

  absl::Status Validate() const;
};

// Preprocesses (PreprocessMotChallenge), then evaluates.
absl::StatusOr<MotMetrics> EvaluateBoxes(std::vector<MotRow> gt, std::vector<MotRow> res,
                                         const BoxEvalOptions& options);
// MOT15 conventions with matches at IoU >= iou_threshold.
absl::StatusOr<MotMetrics> EvaluateBoxes(const std::vector<MotRow>& gt, const std::vector<MotRow>& res,
                                         double iou_threshold = 0.5);

// Reads both MOTChallenge files and evaluates them. Errors name the file and line: parse errors, and an ID that
// appears twice in one frame ("res.txt:12: ID 3 appears twice in frame 4 (first on line 9)"), a frame with more
// than kMaxPairsPerFrame pairs.
absl::StatusOr<MotMetrics> EvaluateMotFiles(const std::string& gt_path, const std::string& res_path,
                                            const BoxEvalOptions& options);
absl::StatusOr<MotMetrics> EvaluateMotFiles(const std::string& gt_path, const std::string& res_path,
                                            double iou_threshold = 0.5);

// ---- Ground plane ----

// One object position on the ground plane.
struct GroundRow {
  int frame = 0;   // frame (timestep) number, >= 0
  int64_t id = 0;  // object or track ID
  double x = 0;    // metres, east (or any planar x)
  double y = 0;    // metres, north
  int line = 0;    // line in the file it came from (1-based; 0 when built in memory)
};

// Parses CSV text whose first non-empty line is a header naming the columns; `id`, `x`, `y` and `frame` are
// required (any order, extra columns ignored; names are case-sensitive and trimmed). Separator ','; no quoting.
// Errors: "name:LINE: what is wrong" (bad number, missing field, non-integer frame or ID, duplicate ID in a frame).
absl::StatusOr<std::vector<GroundRow>> ParseGroundCsv(const std::string& text, const std::string& name);
absl::StatusOr<std::vector<GroundRow>> ReadGroundCsv(const std::string& path);
// The same CSV: header `frame,id,x,y`, positions with 3 decimals (millimetres).
std::string FormatGroundCsv(const std::vector<GroundRow>& rows);

// Frames with similarity 1 - distance / threshold_m (may be negative; HOTA clips it at 0).
std::vector<EvalFrame> FramesFromGround(const std::vector<GroundRow>& gt, const std::vector<GroundRow>& res,
                                        double threshold_m);

// Evaluates with matches at distance <= threshold_m (> 0); HOTA similarity is max(0, 1 - distance / threshold_m).
absl::StatusOr<MotMetrics> EvaluateGround(const std::vector<GroundRow>& gt, const std::vector<GroundRow>& res,
                                          double threshold_m);
absl::StatusOr<MotMetrics> EvaluateGroundFiles(const std::string& gt_path, const std::string& res_path,
                                               double threshold_m);

// Mean distance of CLEAR matches in metres: threshold_m * (1 - MOTP), since ground similarity is linear in distance.
double MeanMatchDistance(const ClearMetrics& clear, double threshold_m);

}  // namespace didban::eval

#endif  // DIDBAN_EVAL_MOT_INPUTS_H_
