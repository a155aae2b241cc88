// `didban wildtrack-detections`: the WILDTRACK protocol's noisy per-view detections and ground truth.
#include <iostream>

#include "app/command.h"
#include "fuse/wildtrack.h"

namespace didban::app {
namespace {

struct WildtrackFlags {
  std::string data;
  uint64_t seed = 0;
  std::string out;
  int frames = 200;
  fuse::WildtrackNoiseOptions noise;  // the protocol's degradation (defaults: drop 0.2, jitter 0.03 h, 0.5 false)
};

int RunWildtrack(const WildtrackFlags& f) {
  auto frames = fuse::LoadWildtrackAnnotations(f.data, f.frames);
  if (!frames.ok()) {
    std::cerr << "didban wildtrack-detections: " << frames.status().message() << "\n";
    return 1;
  }
  if (absl::Status st = f.noise.Validate(); !st.ok()) {
    std::cerr << "didban wildtrack-detections: " << st.message() << "\n";
    return 2;
  }
  fuse::WildtrackSet set = fuse::MakeWildtrackDetections(*frames, f.seed, f.noise);
  absl::Status st = fuse::WriteWildtrackSet(set, f.data, f.out);
  if (!st.ok()) {
    std::cerr << "didban wildtrack-detections: " << st.message() << "\n";
    return 1;
  }
  size_t boxes = 0;
  for (const auto& d : set.detections) boxes += d.size();
  std::cout << "wrote " << boxes << " detections in " << fuse::kWildtrackViews << " views over " << frames->size()
            << " frames, " << set.truth.size() << " ground-truth rows, site.yaml -> " << f.out << "\n";
  return 0;
}

void SetupWildtrack(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<WildtrackFlags>();
  CLI::App* cmd = root.add_subcommand(
      "wildtrack-detections",
      "Make the WILDTRACK protocol's inputs from its annotations: per view (C1..C7) MOTChallenge detections where\n"
      "each annotated box is dropped with p=0.2, each edge jittered by N(0, (0.03 h)^2) and 0.5 false boxes per view\n"
      "and frame are added (seeded, deterministic); gt.csv (frame,id,x,y metres) and a site.yaml for `didban fuse`\n"
      "(frames at 2 fps). Example:\n"
      "  didban wildtrack-detections --data ../shared/data/multicam/WILDTRACK --seed 0 --out wt0\n"
      "  didban fuse --site wt0/site.yaml --tracks C1=wt0/C1.txt ... C7=wt0/C7.txt --fps 2 --out wt0/fused"
      " --gt wt0/gt.csv");
  cmd->add_option("--data", flags->data, "WILDTRACK folder (annotations_positions/, calibrations/)")->required();
  cmd->add_option("--seed", flags->seed, "Random seed (default 0)");
  cmd->add_option("--out", flags->out, "Output directory")->required();
  cmd->add_option("--frames", flags->frames, "Annotated frames to use (default 200)")->check(CLI::Range(1, 400));
  cmd->add_option("--drop", flags->noise.drop_probability, "Probability of dropping each annotated box (default 0.2)");
  cmd->add_option("--jitter", flags->noise.edge_sigma_fraction,
                  "Edge jitter, standard deviation as a fraction of the box height (default 0.03)");
  cmd->add_option("--false-boxes", flags->noise.false_per_view, "False boxes per view and frame, mean (default 0.5)");
  cmd->callback([flags, exit_code] { *exit_code = RunWildtrack(*flags); });
}

}  // namespace
}  // namespace didban::app

DIDBAN_REGISTER_COMMAND(wildtrack_detections, didban::app::SetupWildtrack);
