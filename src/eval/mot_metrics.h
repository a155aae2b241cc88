// Multi-object tracking accuracy: CLEAR MOT (MOTA, MOTP, ...), identity (IDF1, ...) and HOTA, computed from
// per-frame ground-truth and result IDs and a pairwise similarity, exactly as TrackEval defines them. The similarity
// is pluggable: box IoU in the image, or 1 - distance / threshold on the ground plane (see mot_inputs.h).
#ifndef DIDBAN_EVAL_MOT_METRICS_H_
#define DIDBAN_EVAL_MOT_METRICS_H_

#include <array>
#include <cstdint>
#include <vector>

#include "didban/status.h"

namespace didban::eval {

// One frame (timestep) of a sequence as the metrics see it: who is there and how alike each pair is.
struct EvalFrame {
  std::vector<int64_t> gt_ids;   // ground-truth object IDs present in this frame (distinct)
  std::vector<int64_t> res_ids;  // result (tracker) IDs present in this frame (distinct)
  // Row-major gt_ids.size() x res_ids.size(); 1 = identical. HOTA uses max(0, similarity); CLEAR and identity call a
  // pair matchable when similarity >= match_threshold (EvalOptions).
  std::vector<double> similarity;

  double Similarity(size_t g, size_t r) const { return similarity[g * res_ids.size() + r]; }
};

struct EvalOptions {
  // Similarity a pair needs to count as a match for CLEAR MOT and identity metrics: 0.5 for box IoU; 0 for the
  // ground plane, where similarity is 1 - distance / threshold. Must be in [-1, 1].
  double match_threshold = 0.5;

  absl::Status Validate() const;
};

// CLEAR MOT (Bernardin & Stiefelhagen 2008) with TrackEval's matching: a pair matched in the previous frame is kept
// while still matchable, the rest is assigned by maximum summed similarity.
struct ClearMetrics {
  int64_t tp = 0;          // matches
  int64_t fp = 0;          // result objects not matched
  int64_t fn = 0;          // ground-truth objects not matched
  int64_t idsw = 0;        // a ground-truth object matched to a result ID other than its last one
  int64_t frag = 0;        // times a ground-truth trajectory resumes being tracked after an interruption
  int64_t mt = 0;          // mostly tracked: ground-truth IDs matched in > 80 % of their frames
  int64_t pt = 0;          // partly tracked: 20 % to 80 %
  int64_t ml = 0;          // mostly lost: < 20 %
  int64_t num_gt_ids = 0;  // distinct ground-truth IDs
  int64_t num_frames = 0;
  double motp_sum = 0;  // summed similarity of matches
  // Ratios (0..1; MOTA/MODA can be negative), each with max(1, denominator) as TrackEval does.
  double mota = 0;       // (tp - fp - idsw) / (tp + fn)
  double moda = 0;       // (tp - fp) / (tp + fn)
  double motp = 0;       // motp_sum / tp
  double recall = 0;     // tp / (tp + fn)
  double precision = 0;  // tp / (tp + fp)
  double smota = 0;      // (motp_sum - fp - idsw) / (tp + fn)
};

// Identity metrics (Ristani et al. 2016): one global one-to-one matching of ground-truth to result IDs that
// maximises the frames in which matched IDs are matchable.
struct IdentityMetrics {
  int64_t idtp = 0;
  int64_t idfp = 0;
  int64_t idfn = 0;
  double idf1 = 0;  // idtp / (idtp + (idfp + idfn) / 2)
  double idp = 0;   // idtp / (idtp + idfp)
  double idr = 0;   // idtp / (idtp + idfn)
};

// HOTA (Luiten et al. 2021) at alpha = 0.05, 0.10, ..., 0.95 and their means.
struct HotaMetrics {
  static constexpr int kNumAlphas = 19;
  static double Alpha(int a) { return 0.05 + a * 0.05; }  // the values numpy's arange(0.05, 0.99, 0.05) gives

  std::array<double, kNumAlphas> hota{}, deta{}, assa{}, loca{}, detre{}, detpr{}, assre{}, asspr{};
  std::array<int64_t, kNumAlphas> tp{}, fn{}, fp{};
  // Means over the alphas (what benchmarks report).
  double hota_mean = 0;
  double deta_mean = 0;
  double assa_mean = 0;
  double loca_mean = 0;
  double detre_mean = 0;
  double detpr_mean = 0;
  double assre_mean = 0;
  double asspr_mean = 0;
};

struct MotMetrics {
  ClearMetrics clear;
  IdentityMetrics identity;
  HotaMetrics hota;
  int64_t num_gt_dets = 0;
  int64_t num_res_dets = 0;
  int64_t num_res_ids = 0;
};

// Checks that each frame's similarity has gt x res entries, all finite, and that no ID appears twice in a frame
// (the error names the frame index and the ID).
absl::Status ValidateFrames(const std::vector<EvalFrame>& frames);

// Each metric family on its own; `frames` must pass ValidateFrames. Pure functions.
ClearMetrics ComputeClear(const std::vector<EvalFrame>& frames, double match_threshold);
IdentityMetrics ComputeIdentity(const std::vector<EvalFrame>& frames, double match_threshold);
HotaMetrics ComputeHota(const std::vector<EvalFrame>& frames);

// Recomputes the ratios from the counts (and, for HOTA, from assa/assre/asspr/loca per alpha); used after editing
// or summing counts.
void FinalizeClear(ClearMetrics* m);
void FinalizeIdentity(IdentityMetrics* m);
void FinalizeHota(HotaMetrics* h);

// All of the above after validation.
absl::StatusOr<MotMetrics> EvaluateFrames(const std::vector<EvalFrame>& frames, const EvalOptions& options);

// Metrics over several sequences as TrackEval combines them: counts summed (IDs counted per sequence), HOTA's
// AssA/AssRe/AssPr/LocA averaged per alpha weighted by true positives, then every ratio recomputed.
MotMetrics CombineSequences(const std::vector<MotMetrics>& sequences);

}  // namespace didban::eval

#endif  // DIDBAN_EVAL_MOT_METRICS_H_
