// The interfaces stages implement. Stages are thread-compatible (one instance per camera, called from one thread at
// a time); the per-camera graph (src/core) owns the threads.
#ifndef DIDBAN_STAGE_H_
#define DIDBAN_STAGE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "didban/detection.h"
#include "didban/event.h"
#include "didban/frame.h"
#include "didban/status.h"
#include "didban/time.h"
#include "didban/track.h"

namespace didban {

// Connection state of a source, as reported to operators.
enum class SourceState : int { kConnecting = 0, kStreaming, kReconnecting, kEnded, kFailed };
const char* SourceStateName(SourceState s);

// What a source knows about its stream once open.
struct SourceInfo {
  std::string uri;
  int width = 0;  // of the decoded (full) frames
  int height = 0;
  double fps = 0;           // nominal frames per second, 0 if unknown
  int64_t frame_count = 0;  // 0 if unknown (live)
  std::string codec;        // e.g. "h264"
  bool live = false;        // RTSP/HTTP live: drop frames rather than block when analysis lags
};

// What a source has been through so far (counts since Open(); times on the source's clock).
struct SourceCounters {
  int64_t frames = 0;              // frames returned by Read()
  int64_t decode_errors = 0;       // packets or frames the decoder rejected (skipped, not fatal)
  int64_t read_errors = 0;         // reads that failed other than at the end of the input, or a file that ended well
                                   // short of the frame count its header declares (a truncated file)
  int64_t reconnect_attempts = 0;  // attempts to (re)open a live input after a loss
  int64_t reconnects = 0;          // successful re-openings of a live input
  int64_t timestamp_fixes = 0;     // frames whose stream timestamp did not increase (moved 1 us past the previous)
  TimeUs online_us = 0;            // time connected (an input open), microseconds
  TimeUs offline_us = 0;           // time lost: waiting to reconnect or reconnecting, microseconds
};

// Produces decoded frames. Thread-compatible, except Interrupt() and Counters(), which any thread may call.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual absl::Status Open() = 0;
  // The next frame; nullptr at the end of a finite stream or after Interrupt(). Errors name the input.
  virtual absl::StatusOr<FramePtr> Read() = 0;
  virtual const SourceInfo& Info() const = 0;
  virtual SourceState State() const = 0;
  // Makes a blocked Open()/Read() (connecting, reading, waiting to reconnect) return soon; Read() then returns
  // nullptr. Thread-safe and async-signal-safe (implementations only store an atomic). Default: nothing to interrupt.
  virtual void Interrupt() {}
  // A copy of the counters. Thread-safe. Default: none kept.
  virtual SourceCounters Counters() const { return {}; }
};

// Finds objects in a frame. Thread-compatible.
class Detector {
 public:
  virtual ~Detector() = default;
  // Boxes are in the pixels of frame.image.
  virtual absl::StatusOr<Detections> Detect(const Frame& frame) = 0;
  virtual std::string Name() const = 0;
};

// Follows objects over time. Thread-compatible; Snapshot() copies for other threads.
class Tracker {
 public:
  virtual ~Tracker() = default;
  // Advances to time `time_us` with this frame's detections; returns the active tracks (confirmed ones that were
  // matched in this update, plus lost ones if the implementation reports them). Times must not decrease.
  virtual const std::vector<Track>& Update(TimeUs time_us, const Detections& detections) = 0;
  // Tracks retired by the last Update (so rules can evict per-track state).
  virtual const std::vector<Track>& Removed() const = 0;
};

// Consumes each analysed frame with its tracks (rules, writers, drawing). Thread-compatible.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // `frame` is shared and immutable. Events raised go to `events` (appended).
  virtual absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) = 0;
  // Called once at the end of the stream (flush files).
  virtual absl::Status Finish() { return absl::OkStatus(); }
};

}  // namespace didban

#endif  // DIDBAN_STAGE_H_
