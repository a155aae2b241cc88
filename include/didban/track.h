// Tracks: an object followed over time by one camera's tracker. IDs are allocated per tracker instance (per camera);
// global identities across cameras are made by fuse/.
#ifndef DIDBAN_TRACK_H_
#define DIDBAN_TRACK_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "didban/geometry.h"
#include "didban/object_class.h"
#include "didban/time.h"

namespace didban {

enum class TrackState : int {
  kTentative = 0,  // born, not yet confirmed
  kConfirmed,      // matched in this update
  kLost,           // not matched in this update, still predicted
  kRemoved,        // retired in this update (reported once, then forgotten)
};

struct Track {
  int64_t id = 0;   // unique within one tracker instance, starting at 1
  Box box;          // current box (the matched detection's box when matched, else the prediction)
  float score = 0;  // score of the last matched detection
  ObjectClass object_class = ObjectClass::kUnknown;  // majority class over the track's detections
  TrackState state = TrackState::kTentative;
  TimeUs first_seen_us = 0;  // time of the first detection
  TimeUs last_seen_us = 0;   // time of the last matched detection
  int hits = 0;              // number of matched detections
  float vx = 0, vy = 0;      // box-centre velocity estimate, pixels per second
};

// What a tracker publishes after each update: an immutable copy, safe to hand to other threads.
struct TrackSnapshot {
  TimeUs time_us = 0;
  int64_t frame_index = 0;
  std::vector<Track> tracks;  // confirmed and lost tracks with their current state
};
using TrackSnapshotPtr = std::shared_ptr<const TrackSnapshot>;

}  // namespace didban

#endif  // DIDBAN_TRACK_H_
