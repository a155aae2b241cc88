// A small IoU tracker (constant-velocity prediction, greedy IoU/centre-distance association, confirmation after a
// few hits, retirement by time). The aerial pipeline's default until a ByteTrack-style tracker is plugged in through
// the didban::Tracker interface. Thread-compatible.
#ifndef DIDBAN_DRONE_IOU_TRACKER_H_
#define DIDBAN_DRONE_IOU_TRACKER_H_

#include <vector>

#include "didban/stage.h"
#include "didban/status.h"
#include "didban/track.h"

namespace didban::drone {

struct IouTrackerOptions {
  double min_iou = 0.1;             // association needs at least this IoU with the prediction ...
  double max_centre_px = 12;        // ... or centres this close (pixels), for boxes too small to overlap
  int min_hits = 3;                 // matched detections before a track is reported
  TimeUs max_lost_us = 1'000'000;   // a track unmatched this long is retired, microseconds
  double velocity_smoothing = 0.5;  // weight of the newest velocity measurement, (0, 1]
  int max_tracks = 2000;            // bound on live tracks (oldest lost ones retired first)

  absl::Status Validate() const;
};

class IouTracker final : public Tracker {
 public:
  explicit IouTracker(IouTrackerOptions options) : options_(options) {}

  // Returns the confirmed tracks matched in this update.
  const std::vector<Track>& Update(TimeUs time_us, const Detections& detections) override;
  const std::vector<Track>& Removed() const override { return removed_; }

 private:
  void Predict(TimeUs time_us);
  // Pairs (track index, detection index), greedily by descending affinity.
  std::vector<std::pair<size_t, size_t>> Associate(const Detections& detections) const;
  void Retire(TimeUs time_us);

  IouTrackerOptions options_;
  std::vector<Track> tracks_;  // all live tracks, box = prediction for the current time
  std::vector<Track> reported_;
  std::vector<Track> removed_;
  TimeUs last_time_us_ = 0;
  int64_t next_id_ = 1;
};

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_IOU_TRACKER_H_
