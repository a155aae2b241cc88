// Recorded segments: what the index knows about one fragmented-MP4 file, the interface through which the recorder
// tells the index (bound to the store by the runtime, so record/ does not depend on store/), and the file naming.
#ifndef DIDBAN_RECORD_SEGMENT_H_
#define DIDBAN_RECORD_SEGMENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "didban/time.h"

namespace didban::record {

// One segment file of one camera. Times are on the source's timeline (Frame::pts_us; wall-clock microseconds for
// live cameras).
struct SegmentInfo {
  std::string camera;
  std::string path;      // the file; while open it ends in ".part"
  TimeUs origin_us = 0;  // the file's time 0 (the first packet's decode time): packet time = file time + origin_us
  TimeUs start_us = 0;   // the first packet's presentation time (a keyframe)
  TimeUs end_us = 0;     // the last packet's presentation time plus its duration (of complete fragments when open)
  int64_t frames = 0;    // packets (= video frames) in the file
  int64_t bytes = 0;     // file size
  bool open = false;     // being written
  bool event = false;    // written in event-only mode for an event (pre-roll to post-roll)

  bool operator==(const SegmentInfo&) const = default;
};

// Receives the segments as they open and close. Called on the recorder's writer thread (or the caller of
// RepairSegments); implementations queue to the store and return quickly. Thread-safe implementations.
class SegmentIndex {
 public:
  virtual ~SegmentIndex() = default;
  virtual void OnSegmentOpened(const SegmentInfo& segment) = 0;
  // `segment.path` is the final name (the ".part" file was renamed), open = false. Also called for segments that
  // were left open by a crash and repaired at start.
  virtual void OnSegmentClosed(const SegmentInfo& segment) = 0;
};

// "<camera>-<UTC of origin_us as YYYYMMDDTHHMMSS.ffffffZ>.mp4", e.g. "gate-20261202T014957.123456Z.mp4". Characters of
// the camera name other than letters, digits, '_' and '.' become '_'.
std::string SegmentFileName(const std::string& camera, TimeUs origin_us);
// The camera part (as sanitised) and origin_us of a segment file name (with or without ".part"); nullopt when the
// name is not one.
struct ParsedSegmentName {
  std::string camera;
  TimeUs origin_us = 0;
  bool open = false;  // ends in ".part"
};
std::optional<ParsedSegmentName> ParseSegmentFileName(const std::string& file_name);

// The sanitised camera name used for folders and files.
std::string SafeCameraName(const std::string& camera);

}  // namespace didban::record

#endif  // DIDBAN_RECORD_SEGMENT_H_
