// Events: what rules raise for operators (line crossed, zone dwell, over-speed, wrong-way, stopped vehicle,
// near-miss, camera offline ...). Events are values; sinks store, publish and draw them.
#ifndef DIDBAN_EVENT_H_
#define DIDBAN_EVENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "didban/geometry.h"
#include "didban/object_class.h"
#include "didban/time.h"

namespace didban {

struct Event {
  TimeUs time_us = 0;          // frame time of the evidence
  std::string camera;          // camera name
  std::string type;            // "line_cross", "zone_enter", "dwell", "overspeed", "wrong_way", "stopped", ...
  std::string rule;            // the configured rule's name
  int64_t track_id = 0;        // per-camera track ID (0 when not about one track)
  int64_t other_track_id = 0;  // the second road user of a pair event (near-miss), else 0
  ObjectClass object_class = ObjectClass::kUnknown;
  std::optional<Point2> ground;  // ground position in the site's local frame, metres (east, north), if calibrated
  double value = 0;              // the measured quantity (speed km/h, seconds, ...), see `unit`
  std::string unit;              // "km/h", "s", "m", "" ...
  std::string detail;            // short human-readable text, e.g. "direction=in"
  std::string snapshot_path;     // JPEG written for the event, if any
};

}  // namespace didban

#endif  // DIDBAN_EVENT_H_
