// JSON forms of the public values (events, tracks) used by files, the bus and the server.
#ifndef DIDBAN_CORE_JSON_IO_H_
#define DIDBAN_CORE_JSON_IO_H_

#include <nlohmann/json.hpp>

#include "didban/event.h"
#include "didban/track.h"

namespace didban {

// {"time_us", "time_s", "camera", "type", "rule", "track_id", "class", "value", "unit", ...}; optional fields only
// when set.
nlohmann::json EventToJson(const Event& e);
nlohmann::json TrackToJson(const Track& t);

}  // namespace didban

#endif  // DIDBAN_CORE_JSON_IO_H_
