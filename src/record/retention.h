// Retention of recorded segments: which files to delete, oldest first, by age and total size per camera and by a
// free-disk floor for the whole node, never deleting an open segment or one that overlaps a kept range (event clips
// with their pre- and post-roll, evidence) until it is released. Pure logic: the caller lists segments and deletes.
#ifndef DIDBAN_RECORD_RETENTION_H_
#define DIDBAN_RECORD_RETENTION_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "didban/status.h"
#include "didban/time.h"
#include "record/segment.h"

namespace didban::record {

struct CameraRetention {
  TimeUs max_age_us = 0;  // segments that ended longer ago than this are deleted, microseconds; 0 = no limit
  int64_t max_bytes = 0;  // the camera's segments are kept under this total, bytes; 0 = no limit

  absl::Status Validate() const;
};

struct RetentionPolicy {
  CameraRetention defaults;                        // cameras without their own entry
  std::map<std::string, CameraRetention> cameras;  // by camera name
  int64_t min_free_bytes = 0;  // node floor: oldest segments of any camera go until this much is free; 0 = none

  absl::Status Validate() const;
};

// A time range of one camera that retention must keep (an event clip with pre/post-roll, evidence).
struct KeptRange {
  std::string camera;
  TimeUs from_us = 0;
  TimeUs to_us = 0;
};

enum class DeleteReason { kAge, kCameraSize, kDiskFloor };

struct PlannedDeletion {
  SegmentInfo segment;
  DeleteReason reason = DeleteReason::kAge;
};

// Plans deletions at `now_us` (the segments' timeline) with `free_bytes` free on the disk: first by age, then by
// each camera's size, then by the node floor (each step counts the bytes the earlier ones free), oldest (start_us,
// then path) first. Open segments and segments overlapping a kept range of their camera are never planned; they
// still count towards a camera's size. The result is in the order planned.
std::vector<PlannedDeletion> PlanRetention(const std::vector<SegmentInfo>& segments, const std::vector<KeptRange>& kept,
                                           const RetentionPolicy& policy, TimeUs now_us, int64_t free_bytes);

const char* DeleteReasonName(DeleteReason reason);  // "age", "camera_size", "disk_floor"

}  // namespace didban::record

#endif  // DIDBAN_RECORD_RETENTION_H_
