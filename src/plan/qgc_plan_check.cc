#include "plan/qgc_plan_check.h"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace didban::plan {
namespace {

using json = nlohmann::json;

enum class Kind { kNumber, kString, kBool, kArray, kObject };

struct Key {
  const char* name;
  Kind kind;
  bool required;
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kNumber:
      return "a number";
    case Kind::kString:
      return "a string";
    case Kind::kBool:
      return "a bool";
    case Kind::kArray:
      return "an array";
    case Kind::kObject:
      return "an object";
  }
  return "?";
}

const char* TypeName(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a bool";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

bool IsKind(const json& v, Kind k) {
  switch (k) {
    case Kind::kNumber:
      return v.is_number() || v.is_null();  // null stands for NaN where a number is expected
    case Kind::kString:
      return v.is_string();
    case Kind::kBool:
      return v.is_boolean();
    case Kind::kArray:
      return v.is_array();
    case Kind::kObject:
      return v.is_object();
  }
  return false;
}

absl::Status Error(const std::string& where, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// The loader's key check: every missing required key named at once, then the type of every listed key present.
absl::Status CheckKeys(const json& obj, const std::string& where, std::initializer_list<Key> keys) {
  std::vector<std::string> missing;
  for (const Key& k : keys) {
    if (k.required && !obj.contains(k.name)) missing.emplace_back(k.name);
  }
  if (!missing.empty()) {
    return Error(where, absl::StrCat(missing.size() == 1 ? "missing required key " : "missing required keys ",
                                     absl::StrJoin(missing, ", ")));
  }
  for (const Key& k : keys) {
    if (obj.contains(k.name) && !IsKind(obj[k.name], k.kind)) {
      return Error(where, absl::StrCat(k.name, " must be ", KindName(k.kind), ", got ", TypeName(obj[k.name])));
    }
  }
  return absl::OkStatus();
}

// A coordinate array of `count` values, each a number or null.
absl::Status CheckCoordinate(const json& v, const std::string& where, size_t count) {
  if (!v.is_array()) return Error(where, absl::StrCat("a coordinate must be an array, got ", TypeName(v)));
  if (v.size() != count) {
    return Error(where, absl::StrCat("a coordinate must hold ", count, " values, got ", v.size()));
  }
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_number() && !v[i].is_null()) {
      return Error(where, absl::StrCat("coordinate value ", i + 1, " must be a number or null, got ", TypeName(v[i])));
    }
  }
  return absl::OkStatus();
}

double Number(const json& v) { return v.is_number() ? v.get<double>() : std::nan(""); }

// The commands this checker knows, and whether each flies to a position (params 5-7 = latitude, longitude,
// altitude; QGroundControl reads the altitude keys for these only).
struct Command {
  int id;
  bool positioned;
};
constexpr Command kCommands[] = {
    {16, true},     // MAV_CMD_NAV_WAYPOINT
    {17, true},     // MAV_CMD_NAV_LOITER_UNLIM
    {18, true},     // MAV_CMD_NAV_LOITER_TURNS
    {19, true},     // MAV_CMD_NAV_LOITER_TIME
    {20, false},    // MAV_CMD_NAV_RETURN_TO_LAUNCH
    {21, true},     // MAV_CMD_NAV_LAND
    {22, true},     // MAV_CMD_NAV_TAKEOFF
    {84, true},     // MAV_CMD_NAV_VTOL_TAKEOFF
    {85, true},     // MAV_CMD_NAV_VTOL_LAND
    {93, false},    // MAV_CMD_NAV_DELAY
    {112, false},   // MAV_CMD_CONDITION_DELAY
    {177, false},   // MAV_CMD_DO_JUMP
    {178, false},   // MAV_CMD_DO_CHANGE_SPEED
    {206, false},   // MAV_CMD_DO_SET_CAM_TRIGG_DIST
    {2000, false},  // MAV_CMD_IMAGE_START_CAPTURE
    {2001, false},  // MAV_CMD_IMAGE_STOP_CAPTURE
};

const Command* FindCommand(int id) {
  for (const Command& c : kCommands) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

// The frame each of QGroundControl's altitude modes writes (AltitudeMode 0 = "mixed" is a plan-wide setting only).
int FrameOfAltitudeMode(int mode) {
  switch (mode) {
    case 1:  // relative to home
      return 3;
    case 2:  // absolute (AMSL)
    case 3:  // calculated above terrain, sent as AMSL
      return 0;
    case 4:  // terrain frame
      return 10;
    default:
      return -1;
  }
}

absl::Status CheckItem(const json& item, size_t index, std::set<int>* jump_ids, std::vector<int>* jumps,
                       QgcPlanSummary* summary) {
  const std::string where = absl::StrCat("mission.items[", index, "]");
  if (!item.is_object()) return Error(where, absl::StrCat("an item must be an object, got ", TypeName(item)));
  DIDBAN_RETURN_IF_ERROR(CheckKeys(item, where, {{"type", Kind::kString, true}}));
  const std::string type = item["type"];
  if (type == "ComplexItem") return Error(where, "ComplexItem is not checked (didban writes SimpleItems only)");
  if (type != "SimpleItem") return Error(where, absl::StrCat("unknown item type \"", type, "\""));
  DIDBAN_RETURN_IF_ERROR(CheckKeys(item, where,
                                   {{"frame", Kind::kNumber, true},
                                    {"command", Kind::kNumber, true},
                                    {"params", Kind::kArray, true},
                                    {"autoContinue", Kind::kBool, true},
                                    {"doJumpId", Kind::kNumber, false}}));
  const json& params = item["params"];
  if (params.size() != 7) return Error(where, absl::StrCat("params must hold 7 values, got ", params.size()));
  for (size_t i = 0; i < 7; ++i) {  // the loader checks params 1-4; didban 5-7 too
    if (!params[i].is_number() && !params[i].is_null()) {
      return Error(where, absl::StrCat("param ", i + 1, " must be a number or null, got ", TypeName(params[i])));
    }
  }
  if (!item["command"].is_number() || !item["frame"].is_number()) {
    return Error(where, "command and frame must be numbers, not null");
  }
  const double command_value = item["command"].get<double>(), frame_value = item["frame"].get<double>();
  const int command = static_cast<int>(command_value), frame = static_cast<int>(frame_value);
  const Command* info = command_value == command ? FindCommand(command) : nullptr;
  if (info == nullptr) return Error(where, absl::StrCat("command ", command_value, " is not a command didban knows"));
  if (frame_value != frame || (frame != 0 && frame != 2 && frame != 3 && frame != 10)) {
    return Error(where, absl::StrCat("frame ", frame_value,
                                     " is not 0 (global), 2 (mission), 3 (relative altitude) "
                                     "or 10 (terrain)"));
  }
  if (item.contains("doJumpId")) {
    const double id = Number(item["doJumpId"]);
    if (!(id == std::floor(id))) return Error(where, "doJumpId must be a whole number");
    if (!jump_ids->insert(static_cast<int>(id)).second) {
      return Error(where, absl::StrCat("doJumpId ", static_cast<int>(id), " is used by an earlier item"));
    }
  }
  if (command == 177) jumps->push_back(static_cast<int>(Number(params[0])));
  if (command == 178 && !(Number(params[1]) > 0)) {
    return Error(where, "MAV_CMD_DO_CHANGE_SPEED must set a positive speed (param 2)");
  }
  if (info->positioned) {
    const bool any = item.contains("AltitudeMode") || item.contains("Altitude") || item.contains("AMSLAltAboveTerrain");
    if (any) {
      DIDBAN_RETURN_IF_ERROR(CheckKeys(item, where,
                                       {{"AltitudeMode", Kind::kNumber, true},
                                        {"Altitude", Kind::kNumber, true},
                                        {"AMSLAltAboveTerrain", Kind::kNumber, true}}));
    }
    const double lat = Number(params[4]), lon = Number(params[5]), alt = Number(params[6]);
    if (!(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) {
      return Error(where, absl::StrFormat("latitude %g, longitude %g (params 5, 6) are not a position", lat, lon));
    }
    if (!std::isfinite(alt)) return Error(where, "the altitude (param 7) must be a finite number");
    if (any) {
      const double mode = Number(item["AltitudeMode"]);
      const int expected = mode == std::floor(mode) ? FrameOfAltitudeMode(static_cast<int>(mode)) : -1;
      if (expected < 0) return Error(where, absl::StrCat("AltitudeMode ", mode, " is not 1, 2, 3 or 4"));
      if (expected != frame) {
        return Error(where,
                     absl::StrCat("frame ", frame, " does not match AltitudeMode ", mode, " (frame ", expected, ")"));
      }
      if (Number(item["Altitude"]) != alt) {
        return Error(where, absl::StrCat("Altitude ", Number(item["Altitude"]), " differs from param 7 ", alt));
      }
    }
  }
  summary->commands.push_back(command);
  if (command == 16) ++summary->waypoints;
  if (command == 22) summary->takeoff = true;
  if (command == 20) summary->return_to_launch = true;
  if (command == 178 && summary->speed_mps == 0) summary->speed_mps = Number(params[1]);
  return absl::OkStatus();
}

absl::Status CheckMission(const json& mission, QgcPlanSummary* summary) {
  DIDBAN_RETURN_IF_ERROR(CheckKeys(mission, "mission",
                                   {{"plannedHomePosition", Kind::kArray, true},
                                    {"items", Kind::kArray, true},
                                    {"firmwareType", Kind::kNumber, true},
                                    {"vehicleType", Kind::kNumber, false},
                                    {"cruiseSpeed", Kind::kNumber, false},
                                    {"hoverSpeed", Kind::kNumber, false},
                                    {"globalPlanAltitudeMode", Kind::kNumber, false}}));
  const json& home = mission["plannedHomePosition"];
  DIDBAN_RETURN_IF_ERROR(CheckCoordinate(home, "mission.plannedHomePosition", 3));
  if (!(Number(home[0]) >= -90 && Number(home[0]) <= 90) || !(Number(home[1]) >= -180 && Number(home[1]) <= 180)) {
    return Error("mission.plannedHomePosition", "latitude or longitude out of range");
  }
  for (const char* key : {"cruiseSpeed", "hoverSpeed"}) {
    if (mission.contains(key) && !(Number(mission[key]) > 0)) {
      return Error("mission", absl::StrCat(key, " must be positive, got ", mission[key].dump()));
    }
  }
  summary->cruise_speed_mps = mission.contains("cruiseSpeed") ? Number(mission["cruiseSpeed"]) : 0;
  summary->hover_speed_mps = mission.contains("hoverSpeed") ? Number(mission["hoverSpeed"]) : 0;
  std::set<int> jump_ids;
  std::vector<int> jumps;
  const json& items = mission["items"];
  for (size_t i = 0; i < items.size(); ++i) {
    DIDBAN_RETURN_IF_ERROR(CheckItem(items[i], i, &jump_ids, &jumps, summary));
  }
  for (int target : jumps) {
    if (!jump_ids.contains(target)) return Error("mission", absl::StrCat("no item has the doJumpId ", target));
  }
  return absl::OkStatus();
}

// geoFence and rallyPoints: version 1 (or none) is ignored by the loader; otherwise version 2 and its arrays.
absl::Status CheckVersioned(const json& obj, const char* where, std::initializer_list<Key> keys) {
  if (!obj.contains("version") || (obj["version"].is_number() && obj["version"].get<double>() == 1)) {
    return absl::OkStatus();
  }
  DIDBAN_RETURN_IF_ERROR(CheckKeys(obj, where, {{"version", Kind::kNumber, true}}));
  DIDBAN_RETURN_IF_ERROR(CheckKeys(obj, where, keys));
  if (!(Number(obj["version"]) == 2))
    return Error(where, absl::StrCat("version must be 2, got ", obj["version"].dump()));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<QgcPlanSummary> CheckQgcPlan(const std::string& text) {
  json plan;
  try {
    plan = json::parse(text);
  } catch (const json::parse_error& e) {  // its what() quotes the input: only the offset is reported
    return absl::InvalidArgumentError(absl::StrCat("plan: not valid JSON (byte ", e.byte, ")"));
  } catch (const std::exception& e) {  // std::bad_alloc and the like
    return absl::InvalidArgumentError(absl::StrCat("plan: cannot read: ", e.what()));
  }
  if (!plan.is_object()) return Error("plan", absl::StrCat("must be a JSON object, got ", TypeName(plan)));
  DIDBAN_RETURN_IF_ERROR(CheckKeys(plan, "plan", {{"groundStation", Kind::kString, true}}));
  DIDBAN_RETURN_IF_ERROR(
      CheckKeys(plan, "plan", {{"fileType", Kind::kString, true}, {"version", Kind::kNumber, true}}));
  if (plan["fileType"] != "Plan") {
    return Error("plan", absl::StrCat("fileType must be \"Plan\", got ", plan["fileType"].dump()));
  }
  if (!(Number(plan["version"]) == 1)) {
    return Error("plan", absl::StrCat("version must be 1, got ", plan["version"].dump()));
  }
  DIDBAN_RETURN_IF_ERROR(CheckKeys(
      plan, "plan",
      {{"mission", Kind::kObject, true}, {"geoFence", Kind::kObject, true}, {"rallyPoints", Kind::kObject, true}}));
  QgcPlanSummary summary;
  DIDBAN_RETURN_IF_ERROR(CheckMission(plan["mission"], &summary));
  DIDBAN_RETURN_IF_ERROR(CheckVersioned(
      plan["geoFence"], "geoFence",
      {{"circles", Kind::kArray, true}, {"polygons", Kind::kArray, true}, {"breachReturn", Kind::kArray, false}}));
  DIDBAN_RETURN_IF_ERROR(CheckVersioned(plan["rallyPoints"], "rallyPoints", {{"points", Kind::kArray, true}}));
  if (Number(plan["rallyPoints"].value("version", json(1))) == 2) {
    const json& points = plan["rallyPoints"]["points"];
    for (size_t i = 0; i < points.size(); ++i) {
      DIDBAN_RETURN_IF_ERROR(CheckCoordinate(points[i], absl::StrCat("rallyPoints.points[", i, "]"), 3));
    }
  }
  return summary;
}

}  // namespace didban::plan
