// Repair at start: segments left open (".part") by a crash are cut back to their last complete fragment, renamed to
// their final name and reported to the index; closed segments can be probed to rebuild an index.
#ifndef DIDBAN_RECORD_SEGMENT_REPAIR_H_
#define DIDBAN_RECORD_SEGMENT_REPAIR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "didban/status.h"
#include "record/segment.h"

namespace didban::record {

// The byte length of the longest prefix of a fragmented MP4 file that holds only complete top-level boxes and ends
// after a complete fragment (moof + mdat) or, when none is complete, after the moov. 0 when there is no moov.
absl::StatusOr<int64_t> CompleteFragmentsLength(const std::string& path);

// Reads a closed segment file (its name gives origin_us) with libavformat: frames, start/end times, size.
// Errors name the file.
absl::StatusOr<SegmentInfo> ProbeSegment(const std::string& path, const std::string& camera);

struct RepairedSegment {
  std::string part_path;  // the ".part" file found
  int64_t bytes_cut = 0;  // bytes of incomplete fragments removed from its end
  bool removed = false;   // it held no complete fragment and was deleted
  SegmentInfo segment;    // the segment as renamed and probed (when not removed)
};

// Repairs every "<name>.mp4.part" directly in `dir` (a camera's recording folder): cut to the last complete
// fragment, renamed to "<name>.mp4", probed, reported to `index` (OnSegmentClosed; may be nullptr); files without a
// complete fragment are deleted. Returned in name (time) order. Other files are left alone.
absl::StatusOr<std::vector<RepairedSegment>> RepairSegments(const std::string& dir, const std::string& camera,
                                                            SegmentIndex* index);

}  // namespace didban::record

#endif  // DIDBAN_RECORD_SEGMENT_REPAIR_H_
