// Writes a camera's tracks in MOTChallenge format and keeps per-run totals for the JSON summary.
#ifndef DIDBAN_RECORD_TRACK_LOG_SINK_H_
#define DIDBAN_RECORD_TRACK_LOG_SINK_H_

#include <cstdint>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "didban/stage.h"

namespace didban::record {

// A FrameSink that appends `frame,id,x,y,w,h,score,-1,-1,-1` lines (frame = Frame::index + 1; boxes scaled back to
// the full-resolution frame) for the confirmed tracks matched in each frame, and counts tracks, classes and events.
// Each frame's rows are flushed to the file as the frame is consumed. Thread-compatible.
class TrackLogSink final : public FrameSink {
 public:
  // `path` empty: count only.
  static absl::StatusOr<std::unique_ptr<TrackLogSink>> Create(const std::string& path);

  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) override;
  absl::Status Finish() override;

  // Totals so far: frames, distinct track IDs, track-frames, per-class distinct tracks.
  nlohmann::json Summary() const;

 private:
  explicit TrackLogSink(std::string path) : path_(std::move(path)) {}

  std::string path_;
  std::ofstream out_;
  int64_t frames_ = 0;
  int64_t track_rows_ = 0;
  std::map<int64_t, ObjectClass> classes_;  // track id -> class (grows with distinct tracks; one int pair each)
  std::string line_;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_TRACK_LOG_SINK_H_
