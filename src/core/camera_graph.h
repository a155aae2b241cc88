// The per-camera graph: source -> bounded queue -> detect -> track -> sinks (rules, writers). It owns its threads.
#ifndef DIDBAN_CORE_CAMERA_GRAPH_H_
#define DIDBAN_CORE_CAMERA_GRAPH_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "core/bounded_queue.h"
#include "didban/stage.h"

namespace didban {

struct CameraGraphOptions {
  // Live sources: a decoded frame is dropped (cause "lag") only when the newest decoded frame arrived more than this
  // long after it, i.e. analysis is behind real time by more than this; frames that arrive in bursts are all analysed
  // as long as analysis catches up within it. Microseconds (default 0.5 s), >= 0.
  TimeUs max_lag_us = 500'000;
  // Frames held between decoding and analysis, the bound on memory. 0 = automatic: 2 for files (the decoder waits
  // for analysis); for live sources enough for max_lag_us + 2 s of video at the source's frame rate (25 frames/s if
  // unknown), between 8 and 128. A live queue that is full anyway drops its oldest frame (cause "queue_full").
  size_t queue_capacity = 0;
  // What happens when the queue is full. Default: kDropOldest for live sources, kBlock for files.
  std::optional<OverflowPolicy> overflow;
  // Called on the analysis thread for every event raised by a sink (store, publish). May be empty.
  std::function<void(const Event&)> on_event;
  // Called on the analysis thread after each analysed frame (progress display). May be empty.
  std::function<void(const Frame&, const TrackSnapshot&)> on_frame;
  // The caller opened the source already (to learn its frame rate or report errors early); Start() won't.
  bool source_opened = false;
  // Steady time for the lag policy; nullptr = SystemClock(). Not owned.
  Clock* clock = nullptr;

  absl::Status Validate() const;
};

// How a run ended.
enum class RunEnd {
  kRunning,    // not ended yet
  kEof,        // the input ended normally (a file's end)
  kStopped,    // Stop() was called (a signal, the API, a test's end)
  kError,      // the source, detector or a sink failed (CameraStatus::error)
  kTruncated,  // a file ended with a read error after what could be decoded (e.g. cut short)
};
// "running", "eof", "stopped", "error", "truncated".
const char* RunEndName(RunEnd end);

// Counters and the latest state of one camera, copied out for readers on other threads.
struct CameraStatus {
  std::string camera;
  SourceState source_state = SourceState::kConnecting;
  RunEnd end = RunEnd::kRunning;
  int64_t frames_decoded = 0;
  int64_t frames_analysed = 0;
  int64_t frames_dropped = 0;      // all causes: dropped_lag + dropped_queue_full
  int64_t dropped_lag = 0;         // live: analysis was more than max_lag_us behind the newest frame
  int64_t dropped_queue_full = 0;  // live: the queue was full (a stall longer than it holds)
  // Decoded but neither analysed nor dropped because the run ended (a stop, an error): the frame in hand and those
  // still waiting in the queue. frames_decoded = frames_analysed + frames_dropped + discarded_at_end.
  int64_t discarded_at_end = 0;
  int64_t events = 0;
  size_t queue_depth = 0;
  size_t queue_capacity = 0;
  SourceCounters source;  // reconnects, time online/offline, decode and read errors
  // Wall time spent per stage, microseconds, summed over frames.
  int64_t decode_us = 0, detect_us = 0, track_us = 0, sinks_us = 0;
  TimeUs last_frame_pts_us = 0;
  std::string error;  // the error that stopped the graph, if any
};

// Thread-safe: Start/Stop/Wait from a controlling thread; Stop() also from any thread (it only stores atomics, so a
// signal handler may call it); Status() and LatestTracks() from any thread.
class CameraGraph {
 public:
  CameraGraph(std::string camera, std::unique_ptr<FrameSource> source, std::unique_ptr<Detector> detector,
              std::unique_ptr<Tracker> tracker, std::vector<std::unique_ptr<FrameSink>> sinks,
              CameraGraphOptions options);
  ~CameraGraph();  // Stop() and Wait()
  CameraGraph(const CameraGraph&) = delete;
  CameraGraph& operator=(const CameraGraph&) = delete;

  // Opens the source (unless options.source_opened) and starts the decode and analysis threads.
  absl::Status Start();
  // Asks the graph to stop: interrupts the source wherever it is (connecting, reading, waiting to reconnect) and the
  // analysis after the frame in hand; the sinks are then finished (files closed). Returns at once.
  void Stop();
  // Waits for both threads; returns the first error (source, detector or sink), OK at the end of a finite stream or
  // after Stop().
  absl::Status Wait();
  // Start + Wait.
  absl::Status Run();

  CameraStatus Status() const;
  // The tracks after the last analysed frame; never null after the first frame (an empty snapshot before).
  TrackSnapshotPtr LatestTracks() const;
  const SourceInfo& Info() const { return source_->Info(); }

 private:
  struct Queued {
    FramePtr frame;
    TimeUs arrival_us = 0;  // steady time the decoder produced it
  };

  void DecodeLoop();
  void AnalyseLoop();
  // True when the frame should be analysed; false when the lag policy drops it (counted).
  bool KeepForLag(const Queued& item);
  void Fail(const absl::Status& status);
  void Finish();
  void CountDiscarded(int64_t n);  // frames decoded that the run's end kept from analysis

  const std::string camera_;
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Tracker> tracker_;
  std::vector<std::unique_ptr<FrameSink>> sinks_;
  CameraGraphOptions options_;
  Clock* clock_;
  bool live_ = false;
  std::unique_ptr<BoundedQueue<Queued>> queue_;
  std::atomic<bool> stop_{false};            // the threads should end (asked, or the analysis ended)
  std::atomic<bool> stop_requested_{false};  // Stop() was called
  std::atomic<TimeUs> newest_arrival_us_{0};
  std::thread decode_thread_;
  std::thread analyse_thread_;

  mutable absl::Mutex mu_;
  CameraStatus status_ ABSL_GUARDED_BY(mu_);
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  TrackSnapshotPtr latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban

#endif  // DIDBAN_CORE_CAMERA_GRAPH_H_
