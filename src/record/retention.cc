#include "record/retention.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace didban::record {

absl::Status CameraRetention::Validate() const {
  if (max_age_us < 0) return absl::InvalidArgumentError(absl::StrCat("max_age_us must be >= 0, got ", max_age_us));
  if (max_bytes < 0) return absl::InvalidArgumentError(absl::StrCat("max_bytes must be >= 0, got ", max_bytes));
  return absl::OkStatus();
}

absl::Status RetentionPolicy::Validate() const {
  if (absl::Status s = defaults.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("retention defaults: ", s.message()));
  }
  for (const auto& [camera, r] : cameras) {
    if (absl::Status s = r.Validate(); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("retention of camera '", camera, "': ", s.message()));
    }
  }
  if (min_free_bytes < 0) {
    return absl::InvalidArgumentError(absl::StrCat("min_free_bytes must be >= 0, got ", min_free_bytes));
  }
  return absl::OkStatus();
}

const char* DeleteReasonName(DeleteReason reason) {
  switch (reason) {
    case DeleteReason::kAge:
      return "age";
    case DeleteReason::kCameraSize:
      return "camera_size";
    case DeleteReason::kDiskFloor:
      return "disk_floor";
  }
  return "unknown";
}

std::vector<PlannedDeletion> PlanRetention(const std::vector<SegmentInfo>& segments, const std::vector<KeptRange>& kept,
                                           const RetentionPolicy& policy, TimeUs now_us, int64_t free_bytes) {
  std::vector<const SegmentInfo*> order;
  order.reserve(segments.size());
  for (const SegmentInfo& s : segments) order.push_back(&s);
  std::sort(order.begin(), order.end(), [](const SegmentInfo* a, const SegmentInfo* b) {
    return a->start_us != b->start_us ? a->start_us < b->start_us : a->path < b->path;
  });
  auto deletable = [&](const SegmentInfo& s) {
    if (s.open) return false;
    return std::none_of(kept.begin(), kept.end(), [&](const KeptRange& k) {
      return k.camera == s.camera && k.from_us < s.end_us && s.start_us < k.to_us;
    });
  };
  auto rules = [&](const std::string& camera) -> const CameraRetention& {
    auto it = policy.cameras.find(camera);
    return it != policy.cameras.end() ? it->second : policy.defaults;
  };
  std::vector<PlannedDeletion> plan;
  std::set<const SegmentInfo*> gone;
  auto take = [&](const SegmentInfo* s, DeleteReason why) {
    gone.insert(s);
    plan.push_back(PlannedDeletion{*s, why});
    free_bytes += s->bytes;
  };
  // 1. Age.
  for (const SegmentInfo* s : order) {
    const CameraRetention& r = rules(s->camera);
    if (r.max_age_us > 0 && s->end_us < now_us - r.max_age_us && deletable(*s)) take(s, DeleteReason::kAge);
  }
  // 2. Each camera's size.
  std::map<std::string, int64_t> bytes;
  for (const SegmentInfo* s : order) {
    if (gone.count(s) == 0) bytes[s->camera] += s->bytes;
  }
  for (const SegmentInfo* s : order) {
    const CameraRetention& r = rules(s->camera);
    if (r.max_bytes > 0 && bytes[s->camera] > r.max_bytes && gone.count(s) == 0 && deletable(*s)) {
      bytes[s->camera] -= s->bytes;
      take(s, DeleteReason::kCameraSize);
    }
  }
  // 3. The node's free-disk floor.
  for (const SegmentInfo* s : order) {
    if (free_bytes >= policy.min_free_bytes) break;
    if (gone.count(s) == 0 && deletable(*s)) take(s, DeleteReason::kDiskFloor);
  }
  return plan;
}

}  // namespace didban::record
