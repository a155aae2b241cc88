#include "track/mot_runner.h"

#include <algorithm>

namespace didban::track {

absl::StatusOr<std::vector<MotRow>> TrackMotDetections(const std::vector<MotRow>& detections, double fps,
                                                       Tracker& tracker) {
  if (!(fps > 0)) return absl::InvalidArgumentError(absl::StrCat("frame rate must be > 0 (got ", fps, ")"));
  int last_frame = 0;
  for (const MotRow& r : detections) last_frame = std::max(last_frame, r.frame);
  std::vector<Detections> per_frame(static_cast<size_t>(last_frame) + 1);
  for (const MotRow& r : detections) {
    Detection d;
    d.box = r.box;
    d.score = r.score;
    per_frame[r.frame].push_back(d);
  }
  std::vector<MotRow> out;
  for (int frame = 1; frame <= last_frame; ++frame) {
    const TimeUs t = SecondsToUs((frame - 1) / fps);
    const std::vector<Track>& tracks = tracker.Update(t, per_frame[frame]);
    const size_t first = out.size();
    for (const Track& track : tracks) {
      if (track.state != TrackState::kConfirmed) continue;
      MotRow row;
      row.frame = frame;
      row.id = track.id;
      row.box = track.box;
      row.score = track.score;
      out.push_back(row);
    }
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
              [](const MotRow& a, const MotRow& b) { return a.id < b.id; });
  }
  return out;
}

}  // namespace didban::track
