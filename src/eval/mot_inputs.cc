#include "eval/mot_inputs.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "eval/assignment.h"

namespace didban::eval {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

absl::Status LineError(const std::string& name, int line, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(name, ":", line, ": ", what));
}

// Line numbers (1-based) of the data lines of a MOTChallenge text, in the order ParseMot returns their rows
// (it skips blank lines and lines starting with '#').
std::vector<int> MotDataLines(const std::string& text) {
  std::vector<int> lines;
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    lines.push_back(line_no);
  }
  return lines;
}

// An error naming the second occurrence of an ID within one frame; `line_of(i)` is row i's line.
template <typename Row, typename LineOf>
absl::Status CheckUniqueIds(const std::vector<Row>& rows, const std::string& name, LineOf line_of) {
  std::map<std::pair<int, int64_t>, size_t> first;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [it, inserted] = first.emplace(std::make_pair(rows[i].frame, rows[i].id), i);
    if (!inserted) {
      return LineError(name, line_of(i),
                       absl::StrCat("ID ", rows[i].id, " appears twice in frame ", rows[i].frame, " (first on line ",
                                    line_of(it->second), ")"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<MotRow>> ReadMotChecked(const std::string& path, const MotLimits& limits) {
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<MotRow> rows, ParseMot(text, path, limits));
  const std::vector<int> lines = MotDataLines(text);
  DIDBAN_RETURN_IF_ERROR(
      CheckUniqueIds(rows, path, [&](size_t i) { return i < lines.size() ? lines[i] : static_cast<int>(i) + 1; }));
  return rows;
}

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && errno != ERANGE && std::isfinite(*out);
}

absl::Status CheckThreshold(double threshold_m) {
  if (!(threshold_m > 0) || !std::isfinite(threshold_m)) {
    return absl::InvalidArgumentError(absl::StrCat("distance threshold must be > 0 metres, got ", threshold_m));
  }
  return absl::OkStatus();
}

// The metrics hold one similarity per (ground truth, result) pair of a frame: that product is checked before the
// matrices are built (two files of a few megabytes could otherwise ask for gigabytes).
template <typename Row>
absl::Status CheckPairsPerFrame(const std::vector<Row>& gt, const std::vector<Row>& res, const std::string& res_path) {
  std::map<int, std::pair<int64_t, int64_t>> counts;
  for (const Row& r : gt) ++counts[r.frame].first;
  for (const Row& r : res) ++counts[r.frame].second;
  for (const auto& [frame, n] : counts) {
    if (n.first * n.second > kMaxPairsPerFrame) {
      return absl::OutOfRangeError(absl::StrCat(res_path, ": frame ", frame, " pairs ", n.first,
                                                " ground-truth rows with ", n.second, " results (", n.first * n.second,
                                                " similarities), above the limit of ", kMaxPairsPerFrame));
    }
  }
  return absl::OkStatus();
}

}  // namespace

double BoxIou(const Box& a, const Box& b) {
  const double ax0 = a.x, ay0 = a.y, ax1 = ax0 + static_cast<double>(a.w), ay1 = ay0 + static_cast<double>(a.h);
  const double bx0 = b.x, by0 = b.y, bx1 = bx0 + static_cast<double>(b.w), by1 = by0 + static_cast<double>(b.h);
  double inter =
      std::max(std::min(ax1, bx1) - std::max(ax0, bx0), 0.0) * std::max(std::min(ay1, by1) - std::max(ay0, by0), 0.0);
  const double area_a = (ax1 - ax0) * (ay1 - ay0);
  const double area_b = (bx1 - bx0) * (by1 - by0);
  double uni = area_a + area_b - inter;
  if (area_a <= kEps || area_b <= kEps || inter < kEps) inter = 0;
  if (uni < kEps) uni = 1;
  return inter / uni;
}

absl::StatusOr<MotBenchmark> ParseMotBenchmark(const std::string& name) {
  if (name == "MOT15") return MotBenchmark::kMot15;
  if (name == "MOT16" || name == "MOT17") return MotBenchmark::kMot17;
  if (name == "MOT20") return MotBenchmark::kMot20;
  return absl::InvalidArgumentError(absl::StrCat("unknown benchmark '", name, "' (MOT15, MOT16, MOT17 or MOT20)"));
}

std::vector<MotRow> FilterGroundTruth(const std::vector<MotRow>& gt) {
  std::vector<MotRow> out;
  out.reserve(gt.size());
  for (const MotRow& r : gt) {
    if (r.score != 0) out.push_back(r);
  }
  return out;
}

void PreprocessMotChallenge(MotBenchmark benchmark, std::vector<MotRow>* gt, std::vector<MotRow>* res) {
  if (benchmark == MotBenchmark::kMot15) {
    *gt = FilterGroundTruth(*gt);
    return;
  }
  auto is_distractor = [benchmark](double cls) {
    return cls == 2 || cls == 7 || cls == 8 || cls == 12 || (benchmark == MotBenchmark::kMot20 && cls == 6);
  };
  // Per frame, results matched (IoU >= 0.5, maximum summed IoU) to a distractor are removed.
  const std::map<int, std::vector<MotRow>> gt_by_frame = GroupByFrame(*gt);
  const std::map<int, std::vector<MotRow>> res_by_frame = GroupByFrame(*res);
  std::vector<MotRow> kept_res;
  kept_res.reserve(res->size());
  std::vector<double> cost;
  for (const auto& [frame, res_rows] : res_by_frame) {
    std::vector<char> removed(res_rows.size(), 0);
    auto it = gt_by_frame.find(frame);
    if (it != gt_by_frame.end()) {
      const std::vector<MotRow>& gt_rows = it->second;
      const int ng = static_cast<int>(gt_rows.size());
      const int nr = static_cast<int>(res_rows.size());
      cost.assign(static_cast<size_t>(ng) * nr, 0.0);
      for (int g = 0; g < ng; ++g) {
        for (int r = 0; r < nr; ++r) {
          double iou = BoxIou(gt_rows[g].box, res_rows[r].box);
          if (iou >= 0.5 - kEps) cost[static_cast<size_t>(g) * nr + r] = -iou;
        }
      }
      for (auto [g, r] : SolveAssignment(cost, ng, nr)) {
        if (-cost[static_cast<size_t>(g) * nr + r] > kEps && is_distractor(gt_rows[g].c8)) removed[r] = 1;
      }
    }
    for (size_t r = 0; r < res_rows.size(); ++r) {
      if (!removed[r]) kept_res.push_back(res_rows[r]);
    }
  }
  *res = std::move(kept_res);
  std::vector<MotRow> kept_gt;
  for (const MotRow& r : *gt) {
    if (r.score != 0 && r.c8 == 1) kept_gt.push_back(r);
  }
  *gt = std::move(kept_gt);
}

std::vector<EvalFrame> FramesFromBoxes(const std::vector<MotRow>& gt, const std::vector<MotRow>& res) {
  return BuildFrames(gt, res, [](const MotRow& g, const MotRow& r) { return BoxIou(g.box, r.box); });
}

absl::Status BoxEvalOptions::Validate() const {
  if (!(iou_threshold > 0 && iou_threshold <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("IoU threshold must be in (0, 1], got ", iou_threshold));
  }
  return absl::OkStatus();
}

absl::StatusOr<MotMetrics> EvaluateBoxes(std::vector<MotRow> gt, std::vector<MotRow> res,
                                         const BoxEvalOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  PreprocessMotChallenge(options.benchmark, &gt, &res);
  EvalOptions eval_options;
  eval_options.match_threshold = options.iou_threshold;
  return EvaluateFrames(FramesFromBoxes(gt, res), eval_options);
}

absl::StatusOr<MotMetrics> EvaluateBoxes(const std::vector<MotRow>& gt, const std::vector<MotRow>& res,
                                         double iou_threshold) {
  BoxEvalOptions options;
  options.iou_threshold = iou_threshold;
  return EvaluateBoxes(std::vector<MotRow>(gt), std::vector<MotRow>(res), options);
}

absl::StatusOr<MotMetrics> EvaluateMotFiles(const std::string& gt_path, const std::string& res_path,
                                            const BoxEvalOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_ASSIGN_OR_RETURN(std::vector<MotRow> gt, ReadMotChecked(gt_path, options.limits));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<MotRow> res, ReadMotChecked(res_path, options.limits));
  DIDBAN_RETURN_IF_ERROR(CheckPairsPerFrame(gt, res, res_path));
  return EvaluateBoxes(std::move(gt), std::move(res), options);
}

absl::StatusOr<MotMetrics> EvaluateMotFiles(const std::string& gt_path, const std::string& res_path,
                                            double iou_threshold) {
  BoxEvalOptions options;
  options.iou_threshold = iou_threshold;
  return EvaluateMotFiles(gt_path, res_path, options);
}

absl::StatusOr<std::vector<GroundRow>> ParseGroundCsv(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  int line_no = 0;
  // Column index of id, x, y, frame; -1 until the header is read.
  enum { kId, kX, kY, kFrame, kNumRequired };
  static constexpr const char* kRequired[kNumRequired] = {"id", "x", "y", "frame"};
  int col[kNumRequired] = {-1, -1, -1, -1};
  bool have_header = false;
  size_t min_fields = 0;
  std::vector<GroundRow> rows;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    for (std::string& f : fields) f = std::string(absl::StripAsciiWhitespace(f));
    if (!have_header) {
      for (size_t i = 0; i < fields.size(); ++i) {
        for (int k = 0; k < kNumRequired; ++k) {
          if (fields[i] != kRequired[k]) continue;
          if (col[k] != -1) return LineError(name, line_no, absl::StrCat("column '", kRequired[k], "' named twice"));
          col[k] = static_cast<int>(i);
        }
      }
      for (int k = 0; k < kNumRequired; ++k) {
        if (col[k] == -1) {
          return LineError(name, line_no,
                           absl::StrCat("header has no column '", kRequired[k], "' (needs id, x, y, frame)"));
        }
        min_fields = std::max(min_fields, static_cast<size_t>(col[k]) + 1);
      }
      have_header = true;
      continue;
    }
    if (fields.size() < min_fields) {
      return LineError(name, line_no, absl::StrCat("expected at least ", min_fields, " fields, got ", fields.size()));
    }
    double v[kNumRequired];
    for (int k = 0; k < kNumRequired; ++k) {
      if (!ParseDouble(fields[col[k]], &v[k])) {
        return LineError(name, line_no,
                         absl::StrCat("column '", kRequired[k], "': not a number: '", fields[col[k]], "'"));
      }
    }
    if (v[kFrame] < 0 || v[kFrame] != std::floor(v[kFrame]) || v[kFrame] > std::numeric_limits<int>::max()) {
      return LineError(name, line_no, absl::StrCat("frame must be an integer >= 0, got ", fields[col[kFrame]]));
    }
    if (v[kId] != std::floor(v[kId]) || std::fabs(v[kId]) > 9e15) {
      return LineError(name, line_no, absl::StrCat("id must be an integer, got ", fields[col[kId]]));
    }
    GroundRow r;
    r.frame = static_cast<int>(v[kFrame]);
    r.id = static_cast<int64_t>(v[kId]);
    r.x = v[kX];
    r.y = v[kY];
    r.line = line_no;
    rows.push_back(r);
  }
  if (!have_header) return absl::InvalidArgumentError(absl::StrCat(name, ": empty file (expected a header line)"));
  DIDBAN_RETURN_IF_ERROR(CheckUniqueIds(rows, name, [&](size_t i) { return rows[i].line; }));
  return rows;
}

absl::StatusOr<std::vector<GroundRow>> ReadGroundCsv(const std::string& path) {
  DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseGroundCsv(text, path);
}

std::vector<EvalFrame> FramesFromGround(const std::vector<GroundRow>& gt, const std::vector<GroundRow>& res,
                                        double threshold_m) {
  return BuildFrames(gt, res, [threshold_m](const GroundRow& g, const GroundRow& r) {
    return 1.0 - std::hypot(g.x - r.x, g.y - r.y) / threshold_m;
  });
}

absl::StatusOr<MotMetrics> EvaluateGround(const std::vector<GroundRow>& gt, const std::vector<GroundRow>& res,
                                          double threshold_m) {
  DIDBAN_RETURN_IF_ERROR(CheckThreshold(threshold_m));
  EvalOptions options;
  options.match_threshold = 0;  // 1 - d / threshold >= 0  <=>  d <= threshold
  return EvaluateFrames(FramesFromGround(gt, res, threshold_m), options);
}

absl::StatusOr<MotMetrics> EvaluateGroundFiles(const std::string& gt_path, const std::string& res_path,
                                               double threshold_m) {
  DIDBAN_RETURN_IF_ERROR(CheckThreshold(threshold_m));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<GroundRow> gt, ReadGroundCsv(gt_path));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<GroundRow> res, ReadGroundCsv(res_path));
  DIDBAN_RETURN_IF_ERROR(CheckPairsPerFrame(gt, res, res_path));
  return EvaluateGround(gt, res, threshold_m);
}

double MeanMatchDistance(const ClearMetrics& clear, double threshold_m) {
  return clear.tp == 0 ? 0.0 : threshold_m * (1.0 - clear.motp);
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

}  // namespace didban::eval
