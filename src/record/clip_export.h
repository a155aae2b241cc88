// Export of a time range of one camera's recording as one MP4 file, by stream copy from its segments (no
// re-encoding): from the keyframe at or before the start, to the last frame before the end.
#ifndef DIDBAN_RECORD_CLIP_EXPORT_H_
#define DIDBAN_RECORD_CLIP_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "didban/status.h"
#include "didban/time.h"
#include "record/segment.h"

namespace didban::record {

struct ExportedClip {
  std::string path;
  int64_t frames = 0;   // packets (frames) written
  TimeUs start_us = 0;  // presentation time of the first frame (a keyframe at or before the requested start)
  TimeUs end_us = 0;    // end of the last frame (presentation time + duration)
  int segments = 0;     // segment files read
};

// Writes the frames of [from_us, to_us) (the segments' timeline) from `segments` (closed segments of one camera, any
// order; those not overlapping the range are not opened) into `out_path` (an .mp4, "faststart": the index first).
// The clip starts at the keyframe at or before from_us, or at the first recorded keyframe after it. Errors:
// InvalidArgument for an empty range, NotFound when no frame was recorded in it, DataLoss naming a segment that
// cannot be read.
absl::StatusOr<ExportedClip> ExportClip(const std::vector<SegmentInfo>& segments, TimeUs from_us, TimeUs to_us,
                                        const std::string& out_path);

// An event clip: [event_from_us - pre_roll_us, event_to_us + post_roll_us).
absl::StatusOr<ExportedClip> ExportEventClip(const std::vector<SegmentInfo>& segments, TimeUs event_from_us,
                                             TimeUs event_to_us, TimeUs pre_roll_us, TimeUs post_roll_us,
                                             const std::string& out_path);

}  // namespace didban::record

#endif  // DIDBAN_RECORD_CLIP_EXPORT_H_
