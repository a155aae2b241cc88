#include "eval/mot_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "eval/assignment.h"

namespace didban::eval {
namespace {

// numpy's np.finfo('float').eps, the tolerance TrackEval applies to its thresholds.
constexpr double kEps = std::numeric_limits<double>::epsilon();

// A sequence with IDs renumbered 0..n-1 in ascending order of the original IDs (as TrackEval does).
struct DenseSequence {
  std::vector<std::vector<int>> gt;   // per frame, dense ground-truth IDs
  std::vector<std::vector<int>> res;  // per frame, dense result IDs
  int num_gt_ids = 0;
  int num_res_ids = 0;
};

std::vector<std::vector<int>> Renumber(const std::vector<EvalFrame>& frames, bool gt, int* count) {
  std::vector<int64_t> all;
  for (const EvalFrame& f : frames) {
    const auto& ids = gt ? f.gt_ids : f.res_ids;
    all.insert(all.end(), ids.begin(), ids.end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  *count = static_cast<int>(all.size());
  std::vector<std::vector<int>> out;
  out.reserve(frames.size());
  for (const EvalFrame& f : frames) {
    const auto& ids = gt ? f.gt_ids : f.res_ids;
    std::vector<int> dense;
    dense.reserve(ids.size());
    for (int64_t id : ids) {
      dense.push_back(static_cast<int>(std::lower_bound(all.begin(), all.end(), id) - all.begin()));
    }
    out.push_back(std::move(dense));
  }
  return out;
}

DenseSequence Densify(const std::vector<EvalFrame>& frames) {
  DenseSequence d;
  d.gt = Renumber(frames, true, &d.num_gt_ids);
  d.res = Renumber(frames, false, &d.num_res_ids);
  return d;
}

int64_t PairKey(int g, int r) { return (static_cast<int64_t>(g) << 32) | static_cast<uint32_t>(r); }
int KeyGt(int64_t key) { return static_cast<int>(key >> 32); }
int KeyRes(int64_t key) { return static_cast<int>(key & 0xffffffff); }

double Ratio(double num, double den) { return num / std::max(1.0, den); }

bool Matchable(double similarity, double threshold) { return similarity >= threshold - kEps; }

}  // namespace

absl::Status EvalOptions::Validate() const {
  if (!(match_threshold >= -1 && match_threshold <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("match_threshold must be in [-1, 1], got ", match_threshold));
  }
  return absl::OkStatus();
}

absl::Status ValidateFrames(const std::vector<EvalFrame>& frames) {
  for (size_t t = 0; t < frames.size(); ++t) {
    const EvalFrame& f = frames[t];
    if (f.similarity.size() != f.gt_ids.size() * f.res_ids.size()) {
      return absl::InvalidArgumentError(absl::StrCat("frame index ", t, ": similarity has ", f.similarity.size(),
                                                     " entries, expected ", f.gt_ids.size(), " x ", f.res_ids.size()));
    }
    for (double s : f.similarity) {
      if (!std::isfinite(s)) return absl::InvalidArgumentError(absl::StrCat("frame index ", t, ": similarity ", s));
    }
    for (int side = 0; side < 2; ++side) {
      const auto& ids = side == 0 ? f.gt_ids : f.res_ids;
      std::unordered_set<int64_t> seen;
      for (int64_t id : ids) {
        if (!seen.insert(id).second) {
          return absl::InvalidArgumentError(absl::StrCat("frame index ", t, ": ", side == 0 ? "ground-truth" : "result",
                                                         " ID ", id, " appears twice"));
        }
      }
    }
  }
  return absl::OkStatus();
}

void FinalizeClear(ClearMetrics* m) {
  const auto tp = static_cast<double>(m->tp);
  const auto fp = static_cast<double>(m->fp);
  const auto fn = static_cast<double>(m->fn);
  const auto idsw = static_cast<double>(m->idsw);
  m->mota = Ratio(tp - fp - idsw, tp + fn);
  m->moda = Ratio(tp - fp, tp + fn);
  m->motp = Ratio(m->motp_sum, tp);
  m->recall = Ratio(tp, tp + fn);
  m->precision = Ratio(tp, tp + fp);
  m->smota = Ratio(m->motp_sum - fp - idsw, tp + fn);
}

void FinalizeIdentity(IdentityMetrics* m) {
  const auto idtp = static_cast<double>(m->idtp);
  m->idf1 = Ratio(idtp, idtp + 0.5 * static_cast<double>(m->idfp) + 0.5 * static_cast<double>(m->idfn));
  m->idp = Ratio(idtp, idtp + static_cast<double>(m->idfp));
  m->idr = Ratio(idtp, idtp + static_cast<double>(m->idfn));
}

void FinalizeHota(HotaMetrics* h) {
  constexpr int kA = HotaMetrics::kNumAlphas;
  for (int a = 0; a < kA; ++a) {
    const auto tp = static_cast<double>(h->tp[a]);
    const auto fn = static_cast<double>(h->fn[a]);
    const auto fp = static_cast<double>(h->fp[a]);
    h->detre[a] = Ratio(tp, tp + fn);
    h->detpr[a] = Ratio(tp, tp + fp);
    h->deta[a] = Ratio(tp, tp + fn + fp);
    h->hota[a] = std::sqrt(h->deta[a] * h->assa[a]);
  }
  auto mean = [](const std::array<double, kA>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / kA;
  };
  h->hota_mean = mean(h->hota);
  h->deta_mean = mean(h->deta);
  h->assa_mean = mean(h->assa);
  h->loca_mean = mean(h->loca);
  h->detre_mean = mean(h->detre);
  h->detpr_mean = mean(h->detpr);
  h->assre_mean = mean(h->assre);
  h->asspr_mean = mean(h->asspr);
}

ClearMetrics ComputeClear(const std::vector<EvalFrame>& frames, double match_threshold) {
  const DenseSequence d = Densify(frames);
  ClearMetrics m;
  m.num_frames = static_cast<int64_t>(frames.size());
  m.num_gt_ids = d.num_gt_ids;
  std::vector<int64_t> gt_count(d.num_gt_ids, 0), matched_count(d.num_gt_ids, 0), frag_count(d.num_gt_ids, 0);
  std::vector<int> last_res(d.num_gt_ids, -1);      // result ID of the last match ever (for ID switches)
  std::vector<int> previous_res(d.num_gt_ids, -1);  // result ID matched in the previous evaluated frame
  std::vector<int> previously_matched;              // gt IDs set in previous_res
  std::vector<double> cost;
  for (size_t t = 0; t < frames.size(); ++t) {
    const std::vector<int>& gt = d.gt[t];
    const std::vector<int>& res = d.res[t];
    const int ng = static_cast<int>(gt.size());
    const int nr = static_cast<int>(res.size());
    // Frames without ground truth or without results leave the previous-frame matches in place (as TrackEval).
    if (ng == 0) {
      m.fp += nr;
      continue;
    }
    if (nr == 0) {
      m.fn += ng;
      for (int g : gt) ++gt_count[g];
      continue;
    }
    // Keep last frame's matches while still matchable (a 1000 bonus), then maximise summed similarity.
    cost.assign(static_cast<size_t>(ng) * nr, 0.0);
    for (int g = 0; g < ng; ++g) {
      for (int r = 0; r < nr; ++r) {
        double s = frames[t].Similarity(g, r);
        if (!Matchable(s, match_threshold)) continue;
        cost[static_cast<size_t>(g) * nr + r] = -(1000.0 * (previous_res[gt[g]] == res[r] ? 1 : 0) + s);
      }
    }
    std::vector<std::pair<int, int>> matches;
    for (auto [g, r] : SolveAssignment(cost, ng, nr)) {
      if (Matchable(frames[t].Similarity(g, r), match_threshold)) matches.emplace_back(g, r);
    }
    for (int g : gt) ++gt_count[g];
    for (auto [g, r] : matches) {
      const int gi = gt[g];
      const int ri = res[r];
      if (last_res[gi] != -1 && last_res[gi] != ri) ++m.idsw;
      if (previous_res[gi] == -1) ++frag_count[gi];  // tracked now, not in the previous frame
      ++matched_count[gi];
      last_res[gi] = ri;
      m.motp_sum += frames[t].Similarity(g, r);
    }
    for (int gi : previously_matched) previous_res[gi] = -1;
    previously_matched.clear();
    for (auto [g, r] : matches) {
      previous_res[gt[g]] = res[r];
      previously_matched.push_back(gt[g]);
    }
    const auto num_matches = static_cast<int64_t>(matches.size());
    m.tp += num_matches;
    m.fn += ng - num_matches;
    m.fp += nr - num_matches;
  }
  for (int gi = 0; gi < d.num_gt_ids; ++gi) {
    if (gt_count[gi] > 0) {
      double ratio = static_cast<double>(matched_count[gi]) / static_cast<double>(gt_count[gi]);
      if (ratio > 0.8) {
        ++m.mt;
      } else if (ratio >= 0.2) {
        ++m.pt;
      }
    }
    if (frag_count[gi] > 0) m.frag += frag_count[gi] - 1;
  }
  m.ml = m.num_gt_ids - m.mt - m.pt;
  FinalizeClear(&m);
  return m;
}

IdentityMetrics ComputeIdentity(const std::vector<EvalFrame>& frames, double match_threshold) {
  const DenseSequence d = Densify(frames);
  std::unordered_map<int64_t, double> potential;  // frames in which a (gt, result) pair is matchable
  int64_t gt_dets = 0;
  int64_t res_dets = 0;
  for (size_t t = 0; t < frames.size(); ++t) {
    const std::vector<int>& gt = d.gt[t];
    const std::vector<int>& res = d.res[t];
    gt_dets += static_cast<int64_t>(gt.size());
    res_dets += static_cast<int64_t>(res.size());
    for (size_t g = 0; g < gt.size(); ++g) {
      for (size_t r = 0; r < res.size(); ++r) {
        if (Matchable(frames[t].Similarity(g, r), match_threshold)) potential[PairKey(gt[g], res[r])] += 1;
      }
    }
  }
  // Minimising IDFN + IDFP over one-to-one ID matchings = maximising the summed matchable frames of matched pairs
  // (TrackEval's square matrix with dummy rows and columns reduces to this rectangular problem).
  IdentityMetrics m;
  if (d.num_gt_ids > 0 && d.num_res_ids > 0 && !potential.empty()) {
    std::vector<double> cost(static_cast<size_t>(d.num_gt_ids) * d.num_res_ids, 0.0);
    for (const auto& [key, count] : potential) {
      cost[static_cast<size_t>(KeyGt(key)) * d.num_res_ids + KeyRes(key)] = -count;
    }
    for (auto [g, r] : SolveAssignment(cost, d.num_gt_ids, d.num_res_ids)) {
      m.idtp += static_cast<int64_t>(-cost[static_cast<size_t>(g) * d.num_res_ids + r]);
    }
  }
  m.idfn = gt_dets - m.idtp;
  m.idfp = res_dets - m.idtp;
  FinalizeIdentity(&m);
  return m;
}

HotaMetrics ComputeHota(const std::vector<EvalFrame>& frames) {
  constexpr int kA = HotaMetrics::kNumAlphas;
  const DenseSequence d = Densify(frames);
  auto sim = [&](size_t t, size_t g, size_t r) { return std::max(0.0, frames[t].Similarity(g, r)); };
  // Pass 1: global alignment score of every co-occurring ID pair, from soft per-frame matches.
  std::vector<double> gt_count(d.num_gt_ids, 0), res_count(d.num_res_ids, 0);
  std::unordered_map<int64_t, double> potential;
  std::vector<double> row_sum, col_sum;
  for (size_t t = 0; t < frames.size(); ++t) {
    const std::vector<int>& gt = d.gt[t];
    const std::vector<int>& res = d.res[t];
    row_sum.assign(gt.size(), 0);
    col_sum.assign(res.size(), 0);
    for (size_t g = 0; g < gt.size(); ++g) {
      for (size_t r = 0; r < res.size(); ++r) {
        row_sum[g] += sim(t, g, r);
        col_sum[r] += sim(t, g, r);
      }
    }
    for (size_t g = 0; g < gt.size(); ++g) {
      for (size_t r = 0; r < res.size(); ++r) {
        double s = sim(t, g, r);
        if (s <= 0) continue;  // adds nothing (TrackEval adds 0)
        double denom = col_sum[r] + row_sum[g] - s;
        if (denom > kEps) potential[PairKey(gt[g], res[r])] += s / denom;
      }
    }
    for (int g : gt) gt_count[g] += 1;
    for (int r : res) res_count[r] += 1;
  }
  auto alignment = [&](int gi, int ri) {
    auto it = potential.find(PairKey(gi, ri));
    double p = it == potential.end() ? 0.0 : it->second;
    return p / (gt_count[gi] + res_count[ri] - p);
  };
  // Pass 2: per frame, one assignment maximising alignment x similarity; each alpha keeps the pairs similar enough.
  HotaMetrics h;
  std::array<double, kA> loc_sum{};
  std::array<std::unordered_map<int64_t, double>, kA> match_counts;
  std::vector<double> cost;
  for (size_t t = 0; t < frames.size(); ++t) {
    const std::vector<int>& gt = d.gt[t];
    const std::vector<int>& res = d.res[t];
    const int ng = static_cast<int>(gt.size());
    const int nr = static_cast<int>(res.size());
    if (ng == 0 || nr == 0) {
      for (int a = 0; a < kA; ++a) {
        h.fp[a] += nr;
        h.fn[a] += ng;
      }
      continue;
    }
    cost.assign(static_cast<size_t>(ng) * nr, 0.0);
    for (int g = 0; g < ng; ++g) {
      for (int r = 0; r < nr; ++r) {
        const double s = sim(t, g, r);
        if (s > 0) cost[static_cast<size_t>(g) * nr + r] = -(alignment(gt[g], res[r]) * s);
      }
    }
    const std::vector<std::pair<int, int>> pairs = SolveAssignment(cost, ng, nr);
    for (int a = 0; a < kA; ++a) {
      int64_t num_matches = 0;
      for (auto [g, r] : pairs) {
        double s = sim(t, g, r);
        if (s < HotaMetrics::Alpha(a) - kEps) continue;
        ++num_matches;
        loc_sum[a] += s;
        match_counts[a][PairKey(gt[g], res[r])] += 1;
      }
      h.tp[a] += num_matches;
      h.fn[a] += ng - num_matches;
      h.fp[a] += nr - num_matches;
    }
  }
  for (int a = 0; a < kA; ++a) {
    double ass_a = 0;
    double ass_re = 0;
    double ass_pr = 0;
    for (const auto& [key, count] : match_counts[a]) {
      const double gc = gt_count[KeyGt(key)];
      const double rc = res_count[KeyRes(key)];
      ass_a += count * (count / std::max(1.0, gc + rc - count));
      ass_re += count * (count / std::max(1.0, gc));
      ass_pr += count * (count / std::max(1.0, rc));
    }
    const auto tp = static_cast<double>(h.tp[a]);
    h.assa[a] = ass_a / std::max(1.0, tp);
    h.assre[a] = ass_re / std::max(1.0, tp);
    h.asspr[a] = ass_pr / std::max(1.0, tp);
    h.loca[a] = std::max(1e-10, loc_sum[a]) / std::max(1e-10, tp);
  }
  FinalizeHota(&h);
  return h;
}

absl::StatusOr<MotMetrics> EvaluateFrames(const std::vector<EvalFrame>& frames, const EvalOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_RETURN_IF_ERROR(ValidateFrames(frames));
  MotMetrics m;
  m.clear = ComputeClear(frames, options.match_threshold);
  m.identity = ComputeIdentity(frames, options.match_threshold);
  m.hota = ComputeHota(frames);
  std::unordered_set<int64_t> res_ids;
  for (const EvalFrame& f : frames) {
    m.num_gt_dets += static_cast<int64_t>(f.gt_ids.size());
    m.num_res_dets += static_cast<int64_t>(f.res_ids.size());
    res_ids.insert(f.res_ids.begin(), f.res_ids.end());
  }
  m.num_res_ids = static_cast<int64_t>(res_ids.size());
  return m;
}

MotMetrics CombineSequences(const std::vector<MotMetrics>& sequences) {
  constexpr int kA = HotaMetrics::kNumAlphas;
  MotMetrics out;
  ClearMetrics& c = out.clear;
  IdentityMetrics& id = out.identity;
  HotaMetrics& h = out.hota;
  std::array<double, kA> assa{}, assre{}, asspr{}, loca{};
  for (const MotMetrics& s : sequences) {
    c.tp += s.clear.tp;
    c.fp += s.clear.fp;
    c.fn += s.clear.fn;
    c.idsw += s.clear.idsw;
    c.frag += s.clear.frag;
    c.mt += s.clear.mt;
    c.pt += s.clear.pt;
    c.ml += s.clear.ml;
    c.num_gt_ids += s.clear.num_gt_ids;
    c.num_frames += s.clear.num_frames;
    c.motp_sum += s.clear.motp_sum;
    id.idtp += s.identity.idtp;
    id.idfp += s.identity.idfp;
    id.idfn += s.identity.idfn;
    for (int a = 0; a < kA; ++a) {
      h.tp[a] += s.hota.tp[a];
      h.fn[a] += s.hota.fn[a];
      h.fp[a] += s.hota.fp[a];
      const auto tp = static_cast<double>(s.hota.tp[a]);
      assa[a] += s.hota.assa[a] * tp;
      assre[a] += s.hota.assre[a] * tp;
      asspr[a] += s.hota.asspr[a] * tp;
      loca[a] += s.hota.loca[a] * tp;
    }
    out.num_gt_dets += s.num_gt_dets;
    out.num_res_dets += s.num_res_dets;
    out.num_res_ids += s.num_res_ids;
  }
  for (int a = 0; a < kA; ++a) {
    const auto tp = static_cast<double>(h.tp[a]);
    h.assa[a] = assa[a] / std::max(1.0, tp);
    h.assre[a] = assre[a] / std::max(1.0, tp);
    h.asspr[a] = asspr[a] / std::max(1.0, tp);
    h.loca[a] = std::max(1e-10, loca[a]) / std::max(1e-10, tp);
  }
  FinalizeClear(&c);
  FinalizeIdentity(&id);
  FinalizeHota(&h);
  return out;
}

}  // namespace didban::eval
