// `didban eval mot|ground`: tracking accuracy (HOTA, CLEAR MOT, identity) of result files against ground truth.
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "app/command.h"
#include "core/mot_format.h"
#include "eval/mot_inputs.h"
#include "eval/report.h"

namespace didban::app {
namespace {

struct EvalFlags {
  std::vector<std::string> gt;
  std::vector<std::string> res;
  std::string json;
  double threshold = 0.5;
  std::string benchmark = "MOT15";
  int64_t max_frame = MotLimits{}.max_frame;
};

using EvaluateFn = std::function<absl::StatusOr<eval::MotMetrics>(const std::string&, const std::string&)>;
using ColumnsFn = std::function<eval::TableColumns(const eval::MotMetrics&)>;
using JsonFn = std::function<nlohmann::json(const eval::MotMetrics&)>;

// A short name for a sequence: "TUD-Campus" for ".../TUD-Campus/gt/gt.txt", else the file name without extension.
std::string SequenceName(const std::string& gt_path) {
  std::string p = gt_path;
  const std::string mot_layout = "/gt/gt.txt";
  if (p.size() > mot_layout.size() && p.compare(p.size() - mot_layout.size(), mot_layout.size(), mot_layout) == 0) {
    p.resize(p.size() - mot_layout.size());
  } else if (size_t dot = p.find_last_of('.'); dot != std::string::npos && dot > p.find_last_of('/') + 1) {
    p.resize(dot);
  }
  size_t slash = p.find_last_of('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "didban eval: %s\n", std::string(st.message()).c_str());
  return 1;
}

// Evaluates every (gt, res) pair; one pair prints one table row, several print a row each and OVERALL. Returns the
// exit code.
int Run(const EvalFlags& f, const EvaluateFn& evaluate, const ColumnsFn& columns, const JsonFn& to_json) {
  if (f.gt.size() != f.res.size()) {
    std::fprintf(stderr, "didban eval: got %zu --gt and %zu --res files; give them in pairs\n", f.gt.size(),
                 f.res.size());
    return 2;
  }
  std::vector<eval::MotMetrics> all;
  for (size_t i = 0; i < f.gt.size(); ++i) {
    absl::StatusOr<eval::MotMetrics> m = evaluate(f.gt[i], f.res[i]);
    if (!m.ok()) return Fail(m.status());
    all.push_back(*std::move(m));
  }
  nlohmann::json json;
  if (all.size() == 1) {
    std::fputs(eval::FormatTable(columns(all[0])).c_str(), stdout);
    json = to_json(all[0]);
  } else {
    const eval::MotMetrics overall = eval::CombineSequences(all);
    std::vector<std::pair<std::string, eval::TableColumns>> rows;
    json["sequences"] = nlohmann::json::array();
    for (size_t i = 0; i < all.size(); ++i) {
      rows.emplace_back(SequenceName(f.gt[i]), columns(all[i]));
      nlohmann::json one = to_json(all[i]);
      one["name"] = SequenceName(f.gt[i]);
      one["gt"] = f.gt[i];
      one["res"] = f.res[i];
      json["sequences"].push_back(std::move(one));
    }
    rows.emplace_back("OVERALL", columns(overall));
    json["overall"] = to_json(overall);
    std::fputs(eval::FormatNamedRows("Sequence", rows).c_str(), stdout);
  }
  if (!f.json.empty()) {
    absl::Status st = WriteTextFile(f.json, json.dump(2) + "\n");
    if (!st.ok()) return Fail(st);
  }
  return 0;
}

void AddCommonFlags(CLI::App* cmd, EvalFlags* f) {
  cmd->add_option("--gt", f->gt, "Ground-truth file (repeat with --res for several sequences)")->required();
  cmd->add_option("--res", f->res, "Result (tracker output) file, one per --gt")->required();
  cmd->add_option("--json", f->json,
                  "Also write every metric to this JSON file (ratios in percent; with several sequences: "
                  "{\"sequences\": [...], \"overall\": {...}})");
}

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* eval = root.add_subcommand("eval", "Evaluate tracking accuracy against ground truth");
  eval->require_subcommand(1);

  auto mot_flags = std::make_shared<EvalFlags>();
  CLI::App* mot = eval->add_subcommand(
      "mot",
      "Image-plane tracking accuracy of MOTChallenge result files (frame,id,x,y,w,h,...) against MOTChallenge "
      "ground truth: HOTA, DetA, AssA, MOTA, MOTP, IDF1, IDP, IDR (percent), IDSW, FP, FN. Definitions and "
      "matching as TrackEval, with its MOTChallenge ground-truth preprocessing (--benchmark). Several --gt/--res pairs "
      "add a row each and OVERALL (TrackEval's combination).");
  AddCommonFlags(mot, mot_flags.get());
  mot->add_option("--threshold", mot_flags->threshold, "IoU a match needs for CLEAR MOT and IDF1, in (0, 1]")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  mot->add_option("--benchmark", mot_flags->benchmark,
                  "Ground-truth conventions: MOT15 (ignore rows with 0 in column 7), MOT16/MOT17/MOT20 (also "
                  "pedestrians only, results on distractors removed, as TrackEval)")
      ->capture_default_str();
  mot->add_option("--max-frame", mot_flags->max_frame, "Highest frame number accepted (docs/security.md)")
      ->check(CLI::Range(int64_t{1}, int64_t{2147483647}))
      ->capture_default_str();
  mot->callback([mot_flags, exit_code] {
    const EvalFlags& f = *mot_flags;
    if (!(f.threshold > 0)) {
      std::fprintf(stderr, "didban eval mot: --threshold must be > 0\n");
      *exit_code = 2;
      return;
    }
    absl::StatusOr<eval::MotBenchmark> benchmark = eval::ParseMotBenchmark(f.benchmark);
    if (!benchmark.ok()) {
      std::fprintf(stderr, "didban eval mot: %s\n", std::string(benchmark.status().message()).c_str());
      *exit_code = 2;
      return;
    }
    eval::BoxEvalOptions options;
    options.iou_threshold = f.threshold;
    options.benchmark = *benchmark;
    options.limits.max_frame = f.max_frame;
    *exit_code = Run(
        f,
        [&options](const std::string& gt, const std::string& res) { return eval::EvaluateMotFiles(gt, res, options); },
        eval::MotSummaryColumns, eval::MetricsToJson);
  });

  auto ground_flags = std::make_shared<EvalFlags>();
  CLI::App* ground = eval->add_subcommand(
      "ground",
      "Ground-plane tracking accuracy: CSV files with a header naming at least the columns id, x, y (metres) and "
      "frame (integer); other columns are ignored. Prints MODA, MOTA, MOTP(m) (mean match distance), IDF1, HOTA, "
      "DetA, AssA, IDSW, FP, FN. A match needs distance <= threshold; HOTA similarity is max(0, 1 - d/threshold).");
  AddCommonFlags(ground, ground_flags.get());
  ground->add_option("--threshold", ground_flags->threshold, "Match distance in metres")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  ground->callback([ground_flags, exit_code] {
    const EvalFlags& f = *ground_flags;
    *exit_code = Run(
        f,
        [&f](const std::string& gt, const std::string& res) { return eval::EvaluateGroundFiles(gt, res, f.threshold); },
        [&f](const eval::MotMetrics& m) { return eval::GroundSummaryColumns(m, f.threshold); },
        [&f](const eval::MotMetrics& m) { return eval::GroundMetricsToJson(m, f.threshold); });
  });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(eval, Setup);

}  // namespace didban::app
