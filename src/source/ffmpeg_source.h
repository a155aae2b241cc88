// The FFmpeg video source: files, image sequences and network streams decoded with libavformat/libavcodec and
// converted to BGR with libswscale, with reconnect for live inputs.
#ifndef DIDBAN_SOURCE_FFMPEG_SOURCE_H_
#define DIDBAN_SOURCE_FFMPEG_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "didban/stage.h"
#include "source/backoff.h"
#include "source/frame_pool.h"
#include "source/source_options.h"

namespace didban::source {

// True for inputs that are live streams: rtsp, rtsps, rtmp, http, https, udp, tcp, srt.
bool IsNetworkUri(const std::string& uri);
// True when `uri` is an image-sequence pattern (contains a printf-style %d, e.g. "frames/%06d.jpg").
bool IsImageSequence(const std::string& uri);

// One input decoded frame by frame: Frame::pts_us from the stream's timestamps (files and sequences: relative to the
// stream start; live inputs: wall-clock time of the session's first frame plus the stream's offset), strictly
// increasing; Frame::full in BGR and Frame::image downscaled to SourceOptions::max_width (the same buffer when not
// scaled), both from a FramePool. Thread-compatible; Interrupt(), State() and Counters() are thread-safe.
class FfmpegSource final : public FrameSource {
 public:
  FfmpegSource(std::string uri, SourceOptions options);
  ~FfmpegSource() override;
  FfmpegSource(const FfmpegSource&) = delete;
  FfmpegSource& operator=(const FfmpegSource&) = delete;

  // Opens the input and its video decoder. Errors name the input: "cannot open video 'PATH': ...".
  absl::Status Open() override;
  // The next frame; nullptr at the end of a file or after Interrupt(). Live inputs reconnect inside Read() (with
  // backoff, sleeping on the injected clock) and fail only after max_reconnects consecutive failed attempts.
  absl::StatusOr<FramePtr> Read() override;
  const SourceInfo& Info() const override { return info_; }
  SourceState State() const override { return state_.load(); }

  // Makes a blocked Open()/Read() return soon; Read() then returns nullptr (kEnded). Thread-safe and
  // async-signal-safe (stores an atomic): FFmpeg's interrupt callback and the reconnect wait both watch it.
  void Interrupt() override;
  // Counts, and the time online/offline including the current spell. Thread-safe.
  SourceCounters Counters() const override;
  // The pool the frames' buffers come from (allocation counts for tests and metrics).
  const std::shared_ptr<FramePool>& Pool() const { return pool_; }

 private:
  struct Session;  // one opened input: demuxer, decoder, scalers
  enum class Step { kFrame, kEnd, kError };

  absl::Status CheckLocalInput() const;
  absl::Status OpenSession();
  void CloseSession();
  Step DecodeNext(absl::Status* error);
  FramePtr Convert();
  TimeUs FrameTimeUs();
  absl::Status Reconnect(const absl::Status& cause);
  void SleepInterruptibly(TimeUs us);
  TimeUs ReconnectDelayUs();
  // Online/offline bookkeeping: the input is connected from now on / lost from now on / neither (ended).
  void MarkOnline();
  void MarkOffline();
  void MarkDone();
  absl::Status OpenError(const std::string& what) const;

  const std::string uri_;
  const SourceOptions options_;
  Clock* clock_;
  const bool network_;
  const bool live_;
  SourceInfo info_;
  std::shared_ptr<FramePool> pool_;
  Backoff backoff_;
  std::unique_ptr<Session> session_;
  std::atomic<SourceState> state_{SourceState::kConnecting};
  std::atomic<bool> interrupted_{false};
  std::atomic<TimeUs> deadline_us_{0};  // steady time after which blocking FFmpeg I/O is abandoned; 0 = none
  bool opened_ = false;
  int64_t next_index_ = 0;
  TimeUs last_pts_us_ = 0;
  bool have_last_pts_ = false;
  int consecutive_failures_ = 0;
  absl::Status lost_ = absl::UnavailableError("not connected");  // why the live input was last lost
  absl::Status failure_;                                         // why the source failed (kFailed)
  bool seen_streaming_ = false;                                  // a session has been open (the input was alive once)
  TimeUs lost_at_us_ = 0;                                        // steady time of the last loss of a session
  std::atomic<int64_t> frames_{0}, decode_errors_{0}, read_errors_{0}, reconnect_attempts_{0}, reconnects_{0},
      timestamp_fixes_{0};
  // Steady time the current online/offline spell began (-1: not in one) and the totals of the finished spells.
  mutable absl::Mutex spells_mu_;
  TimeUs online_since_us_ ABSL_GUARDED_BY(spells_mu_) = -1;
  TimeUs offline_since_us_ ABSL_GUARDED_BY(spells_mu_) = -1;
  TimeUs online_total_us_ ABSL_GUARDED_BY(spells_mu_) = 0;
  TimeUs offline_total_us_ ABSL_GUARDED_BY(spells_mu_) = 0;
};

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_FFMPEG_SOURCE_H_
