// A recorded file played as a live camera: frames are released at the pace of their timestamps (times `speed`),
// stamped with the wall clock (as live sources are: µs since the epoch), and the file starts over at its end when
// `loop` is set. Used by `didban serve` for cameras whose URI is a file, so a site of recordings behaves like a site
// of cameras (drops under lag, offline/online, fusion on one time base).
#ifndef DIDBAN_CENTER_REPLAY_SOURCE_H_
#define DIDBAN_CENTER_REPLAY_SOURCE_H_

#include <atomic>
#include <memory>
#include <string>

#include "didban/stage.h"
#include "didban/time.h"
#include "source/packet.h"
#include "source/source_options.h"

namespace didban::center {

struct ReplayOptions {
  bool loop = true;        // start over at the end of the file (else the source ends there)
  double speed = 1.0;      // playback rate: 1 = real time, 2 = twice as fast; > 0
  Clock* clock = nullptr;  // pacing (SteadyUs, SleepUs) and stamping (NowUs); nullptr = SystemClock(). Not owned.

  absl::Status Validate() const;
};

// options.packet_sink, if set, gets the file's packets with their times moved onto the same wall-clock timeline as
// the frames. Thread-compatible like every FrameSource; Interrupt() and Counters() may be called from any thread.
class ReplaySource final : public FrameSource {
 public:
  ReplaySource(std::string uri, source::SourceOptions options, ReplayOptions replay);
  ~ReplaySource() override;

  absl::Status Open() override;
  // The next frame at its time; nullptr after Interrupt() or at the end of the file when not looping.
  absl::StatusOr<FramePtr> Read() override;
  const SourceInfo& Info() const override { return info_; }
  SourceState State() const override { return state_.load(); }
  void Interrupt() override { interrupted_.store(true); }
  SourceCounters Counters() const override;
  // Times the file has started over.
  int64_t Loops() const { return loops_.load(); }

 private:
  class ShiftedPackets;
  absl::Status OpenInner();
  // Wall time of a stream time of the current pass.
  TimeUs WallOf(TimeUs pts_us);
  // Sleeps until the steady time `until_us`, in short slices so that Interrupt() is seen; false if interrupted.
  bool SleepUntil(TimeUs until_us);

  const std::string uri_;
  const source::SourceOptions options_;
  const ReplayOptions replay_;
  Clock* const clock_;
  std::unique_ptr<ShiftedPackets> packets_;  // between the file source and options.packet_sink
  std::unique_ptr<FrameSource> inner_;
  SourceInfo info_;
  std::atomic<SourceState> state_{SourceState::kConnecting};
  std::atomic<bool> interrupted_{false};
  std::atomic<int64_t> frames_{0};
  std::atomic<int64_t> loops_{0};
  TimeUs start_steady_us_ = 0;  // steady time of media time 0
  TimeUs start_wall_us_ = 0;    // wall time of media time 0
  TimeUs pass_base_us_ = 0;     // media time at which the current pass of the file starts
  TimeUs pass_first_pts_ = -1;  // the first pts of the current pass (-1 = none yet)
  TimeUs last_media_us_ = 0;
};

}  // namespace didban::center

#endif  // DIDBAN_CENTER_REPLAY_SOURCE_H_
