// The per-camera graph: source -> bounded queue -> detect -> track -> sinks (rules, writers). It owns its threads.
#ifndef DIDBAN_CORE_CAMERA_GRAPH_H_
#define DIDBAN_CORE_CAMERA_GRAPH_H_

#include <atomic>
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
  // Frames decoded ahead of analysis. Live video keeps at most one or two in flight.
  size_t queue_capacity = 2;
  // What happens when analysis lags. Default: kDropOldest for live sources, kBlock for files.
  std::optional<OverflowPolicy> overflow;
  // Called on the analysis thread for every event raised by a sink (store, publish). May be empty.
  std::function<void(const Event&)> on_event;
  // Called on the analysis thread after each analysed frame (progress display). May be empty.
  std::function<void(const Frame&, const TrackSnapshot&)> on_frame;
  // The caller opened the source already (to learn its frame rate or report errors early); Start() won't.
  bool source_opened = false;
};

// Counters and the latest state of one camera, copied out for readers on other threads.
struct CameraStatus {
  std::string camera;
  SourceState source_state = SourceState::kConnecting;
  int64_t frames_decoded = 0;
  int64_t frames_analysed = 0;
  int64_t frames_dropped = 0;  // by the queue's overflow policy
  int64_t events = 0;
  size_t queue_depth = 0;
  // Wall time spent per stage, microseconds, summed over frames.
  int64_t decode_us = 0, detect_us = 0, track_us = 0, sinks_us = 0;
  TimeUs last_frame_pts_us = 0;
  std::string error;  // the error that stopped the graph, if any
};

// Thread-safe: Start/Stop/Wait from a controlling thread; Status() and LatestTracks() from any thread.
class CameraGraph {
 public:
  CameraGraph(std::string camera, std::unique_ptr<FrameSource> source, std::unique_ptr<Detector> detector,
              std::unique_ptr<Tracker> tracker, std::vector<std::unique_ptr<FrameSink>> sinks,
              CameraGraphOptions options);
  ~CameraGraph();
  CameraGraph(const CameraGraph&) = delete;
  CameraGraph& operator=(const CameraGraph&) = delete;

  // Opens the source and starts the decode and analysis threads.
  absl::Status Start();
  // Asks the threads to stop after the frame in hand; returns at once.
  void Stop();
  // Waits for both threads; returns the first error (source, detector or sink), OK at the end of a finite stream.
  absl::Status Wait();
  // Start + Wait.
  absl::Status Run();

  CameraStatus Status() const;
  // The tracks after the last analysed frame; never null after the first frame (an empty snapshot before).
  TrackSnapshotPtr LatestTracks() const;
  const SourceInfo& Info() const { return source_->Info(); }

 private:
  void DecodeLoop();
  void AnalyseLoop();
  void Fail(const absl::Status& status);

  const std::string camera_;
  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<Detector> detector_;
  std::unique_ptr<Tracker> tracker_;
  std::vector<std::unique_ptr<FrameSink>> sinks_;
  CameraGraphOptions options_;
  std::unique_ptr<BoundedQueue<FramePtr>> queue_;
  std::atomic<bool> stop_{false};
  std::thread decode_thread_;
  std::thread analyse_thread_;

  mutable absl::Mutex mu_;
  CameraStatus status_ ABSL_GUARDED_BY(mu_);
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
  TrackSnapshotPtr latest_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban

#endif  // DIDBAN_CORE_CAMERA_GRAPH_H_
