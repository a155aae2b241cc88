#include "core/json_io.h"

#include <string>

namespace didban {

nlohmann::json EventToJson(const Event& e) {
  nlohmann::json j = {{"time_us", e.time_us},   {"time_s", UsToSeconds(e.time_us)},
                      {"camera", e.camera},     {"type", e.type},
                      {"track_id", e.track_id}, {"class", std::string(ObjectClassName(e.object_class))}};
  if (!e.rule.empty()) j["rule"] = e.rule;
  if (e.other_track_id != 0) j["other_track_id"] = e.other_track_id;
  if (e.ground) j["ground"] = {e.ground->x, e.ground->y};
  if (!e.unit.empty() || e.value != 0) {
    j["value"] = e.value;
    j["unit"] = e.unit;
  }
  if (!e.detail.empty()) j["detail"] = e.detail;
  if (!e.snapshot_path.empty()) j["snapshot"] = e.snapshot_path;
  return j;
}

nlohmann::json TrackToJson(const Track& t) {
  return {{"id", t.id},
          {"box", {t.box.x, t.box.y, t.box.w, t.box.h}},
          {"score", t.score},
          {"class", std::string(ObjectClassName(t.object_class))},
          {"state", static_cast<int>(t.state)},
          {"first_seen_us", t.first_seen_us},
          {"last_seen_us", t.last_seen_us},
          {"hits", t.hits},
          {"velocity_px_s", {t.vx, t.vy}}};
}

}  // namespace didban
