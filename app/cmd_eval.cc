// `didban eval mot|ground`: tracking accuracy (HOTA, CLEAR MOT, identity) of a result file against ground truth.
#include <cstdio>
#include <memory>
#include <string>

#include "app/command.h"
#include "core/mot_format.h"
#include "eval/mot_inputs.h"
#include "eval/report.h"

namespace didban::app {
namespace {

struct EvalFlags {
  std::string gt;
  std::string res;
  std::string json;
  double threshold = 0.5;
};

// Prints the table, writes the JSON if asked; returns the exit code.
int Finish(const absl::StatusOr<eval::MotMetrics>& metrics, const eval::TableColumns& columns, const EvalFlags& f) {
  std::fputs(eval::FormatTable(columns).c_str(), stdout);
  if (!f.json.empty()) {
    absl::Status st = WriteTextFile(f.json, eval::MetricsToJson(*metrics).dump(2) + "\n");
    if (!st.ok()) {
      std::fprintf(stderr, "didban eval: %s\n", std::string(st.message()).c_str());
      return 1;
    }
  }
  return 0;
}

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "didban eval: %s\n", std::string(st.message()).c_str());
  return 1;
}

void AddCommonFlags(CLI::App* cmd, EvalFlags* f) {
  cmd->add_option("--gt", f->gt, "Ground-truth file")->required();
  cmd->add_option("--res", f->res, "Result (tracker output) file")->required();
  cmd->add_option("--json", f->json, "Also write every metric to this JSON file (ratios in percent)");
}

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* eval = root.add_subcommand("eval", "Evaluate tracking accuracy against ground truth");
  eval->require_subcommand(1);

  auto mot_flags = std::make_shared<EvalFlags>();
  CLI::App* mot = eval->add_subcommand(
      "mot",
      "Image-plane tracking accuracy of a MOTChallenge result file (frame,id,x,y,w,h,...) against MOTChallenge "
      "ground truth: HOTA, DetA, AssA, MOTA, MOTP, IDF1, IDP, IDR (percent), IDSW, FP, FN. Definitions and "
      "matching as TrackEval (MOT15 ground-truth rows with 0 in column 7 are ignored).");
  AddCommonFlags(mot, mot_flags.get());
  mot->add_option("--threshold", mot_flags->threshold, "IoU a match needs for CLEAR MOT and IDF1")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  mot->callback([mot_flags, exit_code] {
    const EvalFlags& f = *mot_flags;
    if (!(f.threshold > 0)) {
      std::fprintf(stderr, "didban eval mot: --threshold must be > 0\n");
      *exit_code = 2;
      return;
    }
    auto metrics = eval::EvaluateMotFiles(f.gt, f.res, f.threshold);
    *exit_code = metrics.ok() ? Finish(metrics, eval::MotSummaryColumns(*metrics), f) : Fail(metrics.status());
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
    auto metrics = eval::EvaluateGroundFiles(f.gt, f.res, f.threshold);
    *exit_code =
        metrics.ok() ? Finish(metrics, eval::GroundSummaryColumns(*metrics, f.threshold), f) : Fail(metrics.status());
  });
}

}  // namespace

DIDBAN_REGISTER_COMMAND(eval, Setup);

}  // namespace didban::app
