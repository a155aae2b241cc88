// Fixed-lag live fusion: the batch fuser's per-step consensus (box model or ground points) and its junction linker
// run over a sliding window of recent steps, and each step is emitted once the newest complete step is `lag_s` later.
//
// Steps: frames are bucketed into `fixed_lag_step_s` steps (FuseBatch's rounding), one frame per camera per step (the
// nearest to the step's time). A step is complete when every live camera has reported past its middle, or when the
// newest data is `max_lag_s` past it (a late frame for a completed step is dropped and counted). A completed step's
// consensus is computed once and kept in the window. Whenever steps become old enough, the junction linker (with
// detector feedback) runs over the window and the old-enough steps are emitted, oldest first; an emitted step is
// never changed afterwards.
//
// Identities: the linker numbers its window's tracks afresh each run. A window track takes the global id whose
// emitted positions it overlaps at the most emitted steps of the window (a position within `kMatchM` of the emitted
// one, nearest first; ties: the more recent overlap), one-to-one, greedy from the largest overlap; a track with no
// such id gets a new one (ids from 1 in order of first appearance). When a window track's emitted id at the previous
// step differs from its id now, the step carries a FusionNotice (merge, split or swap; counted in Stats()).
//
// Memory: the window keeps the steps of the last `window_s` (plus those not yet emitted) and the emitted history of
// those steps only; pending frames are bounded by max_pending_steps.
//
// Against the batch: the linker runs with min_hits 1 and the filter is applied here: a window track that continues an
// emitted id is kept whatever its detections (its earlier part was shown), one that does not needs
// min(fixed_lag_birth_hits, min_hits) detections in the window (3 by default: at lag 1 s a new person has at most 3).
// With lag_s and window_s at least the input's length and fixed_lag_birth_hits >= min_hits, everything is emitted at
// Flush from one linker run over every step and the output equals FuseBatch's with the junction linker, step for
// step and id for id (tests FixedLagFuserTest.LagCoveringTheInputEqualsBatch and FixedLagFuserWildtrackTest.SeedZero).
// Thread-compatible; LatestStep() is thread-safe.
#ifndef DIDBAN_FUSE_FIXED_LAG_FUSER_H_
#define DIDBAN_FUSE_FIXED_LAG_FUSER_H_

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "didban/status.h"
#include "fuse/batch_fuser.h"
#include "fuse/fuser.h"

namespace didban::fuse {

class FixedLagFuser final : public LiveFuser {
 public:
  // A window position closer than this to an emitted one continues it (metres).
  static constexpr double kMatchM = 0.5;

  // `options` (mode ignored) and `batch` (the linker is forced to "junction") must be valid; `cameras` gives the
  // calibrations: frames of other cameras are ignored (counted, UnknownFrames()).
  FixedLagFuser(FuserOptions options, BatchFuserOptions batch, std::vector<BatchCamera> cameras);
  FixedLagFuser(const FixedLagFuser&) = delete;
  FixedLagFuser& operator=(const FixedLagFuser&) = delete;
  ~FixedLagFuser() override;

  absl::Status PushFrame(const CameraFrame& frame) override;
  std::vector<FusedStep> Poll() override;
  std::vector<FusedStep> Flush() override;
  std::shared_ptr<const FusedStep> LatestStep() const override;
  const FuserStats& Stats() const override { return stats_; }

  const FuserOptions& Options() const { return options_; }
  const BatchFuserOptions& Batch() const { return batch_; }
  // Steps held in the window (consensus kept), emitted steps remembered, frames' steps pending: for memory checks.
  size_t WindowSteps() const { return window_.size(); }
  size_t HistorySteps() const { return emitted_.size(); }
  size_t PendingSteps() const { return pending_.size(); }
  int64_t UnknownFrames() const { return unknown_frames_; }
  // The first error of a consensus or linker run (steps are then emitted without tracks); OK when none.
  const absl::Status& LastError() const { return error_; }

 private:
  struct Emitted {
    TimeUs time = 0;
    std::vector<std::pair<int64_t, Point2>> tracks;  // global id, position
  };
  bool Complete(TimeUs step) const;
  void CompleteStep(std::map<TimeUs, std::map<std::string, CameraFrame>>::iterator it);
  std::vector<FusedStep> Drain(bool all);

  FuserOptions options_;
  BatchFuserOptions batch_;
  std::vector<BatchCamera> cameras_;
  TimeUs step_us_ = 0;
  FuserStats stats_;
  std::map<TimeUs, std::map<std::string, CameraFrame>> pending_;  // step -> camera -> its frame nearest the step
  std::map<std::string, TimeUs> last_time_;                       // newest frame time per camera
  bool any_data_ = false;
  TimeUs newest_ = 0;
  bool any_completed_ = false;
  TimeUs last_completed_ = 0;
  NoiseEstimate noise_;               // the box model's noise scale (adapt_noise), carried from step to step
  std::deque<StepConsensus> window_;  // completed steps, oldest first
  std::deque<Emitted> emitted_;       // emitted steps still in the window, oldest first
  bool any_emitted_ = false;
  TimeUs last_emitted_ = 0;
  int64_t next_id_ = 1;
  int64_t unknown_frames_ = 0;
  absl::Status error_;
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const FusedStep> latest_;
};

// The fuser the live runtime runs for a group of overlapping cameras: FixedLagFuser when options.mode is "fixed_lag"
// (its batch options from options.fixed_lag; consensus box_model when that mapping names none and every camera has a
// pinhole calibration with an image size (the pinhole's or the mapping's `image_size`), ground otherwise; linker
// junction), else the streaming Fuser. `options` must be valid.
std::unique_ptr<LiveFuser> MakeLiveFuser(const FuserOptions& options, std::vector<BatchCamera> cameras);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_FIXED_LAG_FUSER_H_
