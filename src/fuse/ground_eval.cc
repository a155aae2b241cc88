#include "fuse/ground_eval.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_split.h"
#include "core/hungarian.h"

namespace didban::fuse {
namespace {

double Dist(const GroundRow& a, const GroundRow& b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

GroundMetrics EvaluateGround(const std::vector<GroundRow>& truth, const std::vector<GroundRow>& predicted,
                             double threshold_m) {
  std::map<int, std::vector<GroundRow>> gt_by_frame, pr_by_frame;
  for (const GroundRow& r : truth) gt_by_frame[r.frame].push_back(r);
  for (const GroundRow& r : predicted) pr_by_frame[r.frame].push_back(r);
  std::set<int> frames;
  for (const auto& [f, v] : gt_by_frame) frames.insert(f);
  for (const auto& [f, v] : pr_by_frame) frames.insert(f);
  GroundMetrics m;
  std::map<int64_t, int64_t> last_match;                       // gt id -> predicted id at its last match
  std::map<std::pair<int64_t, int64_t>, int64_t> pair_frames;  // (gt, pred) -> frames within threshold
  std::map<int64_t, int64_t> gt_count, pr_count;
  const std::vector<GroundRow> empty;
  for (int f : frames) {
    auto gi = gt_by_frame.find(f);
    auto pi = pr_by_frame.find(f);
    const std::vector<GroundRow>& g = gi == gt_by_frame.end() ? empty : gi->second;
    const std::vector<GroundRow>& p = pi == pr_by_frame.end() ? empty : pi->second;
    for (const GroundRow& r : g) ++gt_count[r.id];
    for (const GroundRow& r : p) ++pr_count[r.id];
    for (const GroundRow& a : g) {
      for (const GroundRow& b : p) {
        if (Dist(a, b) <= threshold_m) ++pair_frames[{a.id, b.id}];
      }
    }
    // CLEAR MOT matching: keep previous pairs still within the threshold, Hungarian for the rest.
    std::vector<int> g_match(g.size(), -1);
    std::vector<char> p_used(p.size(), 0);
    for (size_t i = 0; i < g.size(); ++i) {
      auto it = last_match.find(g[i].id);
      if (it == last_match.end()) continue;
      for (size_t j = 0; j < p.size(); ++j) {
        if (!p_used[j] && p[j].id == it->second && Dist(g[i], p[j]) <= threshold_m) {
          g_match[i] = static_cast<int>(j);
          p_used[j] = 1;
          break;
        }
      }
    }
    std::vector<int> gi_free, pj_free;
    for (size_t i = 0; i < g.size(); ++i) {
      if (g_match[i] < 0) gi_free.push_back(static_cast<int>(i));
    }
    for (size_t j = 0; j < p.size(); ++j) {
      if (!p_used[j]) pj_free.push_back(static_cast<int>(j));
    }
    if (!gi_free.empty() && !pj_free.empty()) {
      const double big = 1e6;
      std::vector<std::vector<double>> cost(gi_free.size(), std::vector<double>(pj_free.size(), big));
      for (size_t a = 0; a < gi_free.size(); ++a) {
        for (size_t b = 0; b < pj_free.size(); ++b) {
          double d = Dist(g[gi_free[a]], p[pj_free[b]]);
          if (d <= threshold_m) cost[a][b] = d;
        }
      }
      std::vector<int> match = SolveAssignment(cost);
      for (size_t a = 0; a < gi_free.size(); ++a) {
        if (match[a] >= 0 && cost[a][match[a]] < big) g_match[gi_free[a]] = pj_free[match[a]];
      }
    }
    int64_t tp = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      if (g_match[i] < 0) continue;
      ++tp;
      int64_t pid = p[g_match[i]].id;
      auto it = last_match.find(g[i].id);
      if (it != last_match.end() && it->second != pid) ++m.id_switches;
      last_match[g[i].id] = pid;
    }
    m.gt += static_cast<int64_t>(g.size());
    m.tp += tp;
    m.fn += static_cast<int64_t>(g.size()) - tp;
    m.fp += static_cast<int64_t>(p.size()) - tp;
  }
  // Identity matching: maximise frames matched, one-to-one between identities.
  std::vector<int64_t> gids, pids;
  for (const auto& [id, n] : gt_count) gids.push_back(id);
  for (const auto& [id, n] : pr_count) pids.push_back(id);
  if (!gids.empty() && !pids.empty()) {
    std::map<int64_t, int> pidx;
    for (size_t j = 0; j < pids.size(); ++j) pidx[pids[j]] = static_cast<int>(j);
    std::map<int64_t, int> gidx;
    for (size_t i = 0; i < gids.size(); ++i) gidx[gids[i]] = static_cast<int>(i);
    std::vector<std::vector<double>> cost(gids.size(), std::vector<double>(pids.size(), 0));
    for (const auto& [key, n] : pair_frames) cost[gidx[key.first]][pidx[key.second]] = -static_cast<double>(n);
    std::vector<int> match = SolveAssignment(cost);
    for (size_t i = 0; i < gids.size(); ++i) {
      if (match[i] >= 0) m.idtp += static_cast<int64_t>(-cost[i][match[i]]);
    }
  }
  int64_t total_pred = static_cast<int64_t>(predicted.size());
  m.idfn = m.gt - m.idtp;
  m.idfp = total_pred - m.idtp;
  if (m.gt > 0) {
    m.moda = 1.0 - static_cast<double>(m.fn + m.fp) / static_cast<double>(m.gt);
    m.mota = 1.0 - static_cast<double>(m.fn + m.fp + m.id_switches) / static_cast<double>(m.gt);
    m.recall = static_cast<double>(m.tp) / static_cast<double>(m.gt);
  }
  if (m.tp + m.fp > 0) m.precision = static_cast<double>(m.tp) / static_cast<double>(m.tp + m.fp);
  if (m.gt + total_pred > 0) m.idf1 = 2.0 * static_cast<double>(m.idtp) / static_cast<double>(m.gt + total_pred);
  return m;
}

absl::StatusOr<std::vector<GroundRow>> ParseGroundCsv(const std::string& text, const std::string& name) {
  std::vector<GroundRow> rows;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  int col_frame = -1, col_id = -1, col_x = -1, col_y = -1;
  size_t ncols = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells = absl::StrSplit(line, ',');
    if (col_frame < 0) {
      for (size_t c = 0; c < cells.size(); ++c) {
        if (cells[c] == "frame") col_frame = static_cast<int>(c);
        if (cells[c] == "id") col_id = static_cast<int>(c);
        if (cells[c] == "x") col_x = static_cast<int>(c);
        if (cells[c] == "y") col_y = static_cast<int>(c);
      }
      if (col_frame < 0 || col_id < 0 || col_x < 0 || col_y < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ":", line_no, ": header must name frame,id,x,y; got '", line, "'"));
      }
      ncols = cells.size();
      continue;
    }
    if (cells.size() != ncols) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ":", line_no, ": expected ", ncols, " columns, got ", cells.size()));
    }
    GroundRow r;
    try {
      size_t used = 0;
      r.frame = std::stoi(cells[col_frame], &used);
      if (used != cells[col_frame].size()) throw std::invalid_argument("frame");
      r.id = std::stoll(cells[col_id], &used);
      if (used != cells[col_id].size()) throw std::invalid_argument("id");
      r.x = std::stod(cells[col_x], &used);
      if (used != cells[col_x].size()) throw std::invalid_argument("x");
      r.y = std::stod(cells[col_y], &used);
      if (used != cells[col_y].size()) throw std::invalid_argument("y");
    } catch (const std::exception&) {
      return absl::InvalidArgumentError(absl::StrCat(name, ":", line_no, ": not a number in '", line, "'"));
    }
    rows.push_back(r);
  }
  if (col_frame < 0) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file (no header)"));
  return rows;
}

std::string FormatGroundCsv(const std::vector<GroundRow>& rows) {
  std::string out = "frame,id,x,y\n";
  char buf[128];
  for (const GroundRow& r : rows) {
    std::snprintf(buf, sizeof(buf), "%d,%lld,%.3f,%.3f\n", r.frame, static_cast<long long>(r.id), r.x, r.y);
    out += buf;
  }
  return out;
}

}  // namespace didban::fuse
