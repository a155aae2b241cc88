#include "plan/qgc_plan_check.h"

#include <functional>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace didban::plan {
namespace {

using json = nlohmann::json;

// A plan as QGroundControl saves one: a speed change, a take-off, a waypoint, a return to launch.
json GoodPlan() {
  return json::parse(R"({
    "fileType": "Plan", "groundStation": "QGroundControl", "version": 1,
    "geoFence": {"circles": [], "polygons": [], "version": 2},
    "rallyPoints": {"points": [], "version": 2},
    "mission": {
      "cruiseSpeed": 8, "hoverSpeed": 8, "firmwareType": 12, "vehicleType": 2, "globalPlanAltitudeMode": 1,
      "version": 2, "plannedHomePosition": [47.0, 8.0, 0],
      "items": [
        {"autoContinue": true, "command": 178, "doJumpId": 1, "frame": 2, "params": [1, 8, -1, 0, 0, 0, 0],
         "type": "SimpleItem"},
        {"AMSLAltAboveTerrain": null, "Altitude": 50, "AltitudeMode": 1, "autoContinue": true, "command": 22,
         "doJumpId": 2, "frame": 3, "params": [0, 0, 0, null, 47.0, 8.0, 50], "type": "SimpleItem"},
        {"AMSLAltAboveTerrain": null, "Altitude": 50, "AltitudeMode": 1, "autoContinue": true, "command": 16,
         "doJumpId": 3, "frame": 3, "params": [0, 0, 0, null, 47.001, 8.001, 50], "type": "SimpleItem"},
        {"autoContinue": true, "command": 20, "doJumpId": 4, "frame": 2, "params": [0, 0, 0, 0, 0, 0, 0],
         "type": "SimpleItem"}
      ]
    }
  })");
}

// The message for GoodPlan() changed by `edit`, or "ok".
std::string Broken(const std::function<void(json&)>& edit) {
  json plan = GoodPlan();
  edit(plan);
  auto summary = CheckQgcPlan(plan.dump());
  return summary.ok() ? "ok" : std::string(summary.status().message());
}

TEST(QgcPlanCheckTest, AcceptsWhatQgroundcontrolSaves) {
  auto summary = CheckQgcPlan(GoodPlan().dump());
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->commands, (std::vector<int>{178, 22, 16, 20}));
  EXPECT_EQ(summary->waypoints, 1);
  EXPECT_EQ(summary->speed_mps, 8);
  EXPECT_EQ(summary->cruise_speed_mps, 8);
  EXPECT_EQ(summary->hover_speed_mps, 8);
  EXPECT_TRUE(summary->takeoff);
  EXPECT_TRUE(summary->return_to_launch);
  // Optional parts the loader tolerates: no altitude keys (the altitude is param 7), no doJumpId, geoFence and
  // rallyPoints of version 1 or without a version (ignored), null for NaN.
  EXPECT_EQ(Broken([](json& p) {
              for (const char* k : {"AMSLAltAboveTerrain", "Altitude", "AltitudeMode", "doJumpId"}) {
                p["mission"]["items"][2].erase(k);
              }
              p["geoFence"] = json::object();
              p["rallyPoints"] = {{"version", 1}};
              p["mission"].erase("cruiseSpeed");
              p["mission"]["plannedHomePosition"][2] = nullptr;
            }),
            "ok");
}

TEST(QgcPlanCheckTest, TopLevelRules) {
  EXPECT_EQ(std::string(CheckQgcPlan("{").status().message()), "plan: not valid JSON (byte 2)");
  EXPECT_EQ(std::string(CheckQgcPlan("{\"a\": \"\x01\"}").status().message()), "plan: not valid JSON (byte 8)");
  EXPECT_EQ(CheckQgcPlan("[1]").status().message(), "plan: must be a JSON object, got an array");
  EXPECT_EQ(Broken([](json& p) { p.erase("groundStation"); }), "plan: missing required key groundStation");
  EXPECT_EQ(Broken([](json& p) { p["groundStation"] = 3; }), "plan: groundStation must be a string, got a number");
  EXPECT_EQ(Broken([](json& p) {
              p.erase("fileType");
              p.erase("version");
            }),
            "plan: missing required keys fileType, version");
  EXPECT_EQ(Broken([](json& p) { p["fileType"] = "Mission"; }), "plan: fileType must be \"Plan\", got \"Mission\"");
  EXPECT_EQ(Broken([](json& p) { p["version"] = "1"; }), "plan: version must be a number, got a string");
  EXPECT_EQ(Broken([](json& p) { p["version"] = 2; }), "plan: version must be 1, got 2");
  EXPECT_EQ(Broken([](json& p) { p.erase("rallyPoints"); }), "plan: missing required key rallyPoints");
  EXPECT_EQ(Broken([](json& p) { p["geoFence"] = json::array(); }), "plan: geoFence must be an object, got an array");
}

TEST(QgcPlanCheckTest, MissionRules) {
  EXPECT_EQ(Broken([](json& p) { p["mission"].erase("firmwareType"); }), "mission: missing required key firmwareType");
  EXPECT_EQ(Broken([](json& p) { p["mission"]["hoverSpeed"] = "5"; }),
            "mission: hoverSpeed must be a number, got a string");
  EXPECT_EQ(Broken([](json& p) { p["mission"]["cruiseSpeed"] = 0; }), "mission: cruiseSpeed must be positive, got 0");
  EXPECT_EQ(Broken([](json& p) {
              p["mission"]["plannedHomePosition"] = {47.0, 8.0};
            }),
            "mission.plannedHomePosition: a coordinate must hold 3 values, got 2");
  EXPECT_EQ(Broken([](json& p) { p["mission"]["plannedHomePosition"][1] = "8"; }),
            "mission.plannedHomePosition: coordinate value 2 must be a number or null, got a string");
  EXPECT_EQ(Broken([](json& p) { p["mission"]["plannedHomePosition"][0] = 91; }),
            "mission.plannedHomePosition: latitude or longitude out of range");
  EXPECT_EQ(Broken([](json& p) { p["mission"]["items"] = json::object(); }),
            "mission: items must be an array, got an object");
}

TEST(QgcPlanCheckTest, ItemRules) {
  auto item = [](size_t i, const std::function<void(json&)>& edit) {
    return Broken([&](json& p) { edit(p["mission"]["items"][i]); });
  };
  EXPECT_EQ(item(2, [](json& it) { it = 5; }), "mission.items[2]: an item must be an object, got a number");
  EXPECT_EQ(item(2, [](json& it) { it.erase("type"); }), "mission.items[2]: missing required key type");
  EXPECT_EQ(item(2, [](json& it) { it["type"] = "MissionItem"; }),
            "mission.items[2]: unknown item type \"MissionItem\"");
  EXPECT_EQ(item(2, [](json& it) { it["type"] = "ComplexItem"; }),
            "mission.items[2]: ComplexItem is not checked (didban writes SimpleItems only)");
  EXPECT_EQ(item(2,
                 [](json& it) {
                   it.erase("frame");
                   it.erase("autoContinue");
                 }),
            "mission.items[2]: missing required keys frame, autoContinue");
  EXPECT_EQ(item(2, [](json& it) { it["autoContinue"] = 1; }),
            "mission.items[2]: autoContinue must be a bool, got a number");
  EXPECT_EQ(item(2, [](json& it) { it["params"].erase(6); }), "mission.items[2]: params must hold 7 values, got 6");
  EXPECT_EQ(item(2, [](json& it) { it["params"].push_back(0); }), "mission.items[2]: params must hold 7 values, got 8");
  EXPECT_EQ(item(2, [](json& it) { it["params"][1] = "0"; }),
            "mission.items[2]: param 2 must be a number or null, got a string");
  EXPECT_EQ(item(2, [](json& it) { it["params"][5] = true; }),
            "mission.items[2]: param 6 must be a number or null, got a bool");
  EXPECT_EQ(item(2, [](json& it) { it["doJumpId"] = "3"; }),
            "mission.items[2]: doJumpId must be a number, got a string");
  EXPECT_EQ(item(2, [](json& it) { it["command"] = 31337; }),
            "mission.items[2]: command 31337 is not a command didban knows");
  EXPECT_EQ(item(2, [](json& it) { it["frame"] = 6; }),
            "mission.items[2]: frame 6 is not 0 (global), 2 (mission), 3 (relative altitude) or 10 (terrain)");
  EXPECT_EQ(item(2, [](json& it) { it["doJumpId"] = 2; }), "mission.items[2]: doJumpId 2 is used by an earlier item");
  // Altitude keys: all three or none.
  EXPECT_EQ(item(2, [](json& it) { it.erase("AMSLAltAboveTerrain"); }),
            "mission.items[2]: missing required key AMSLAltAboveTerrain");
  EXPECT_EQ(item(1, [](json& it) { it["AltitudeMode"] = "relative"; }),
            "mission.items[1]: AltitudeMode must be a number, got a string");
  EXPECT_EQ(item(2, [](json& it) { it["AltitudeMode"] = 7; }), "mission.items[2]: AltitudeMode 7 is not 1, 2, 3 or 4");
  EXPECT_EQ(item(2, [](json& it) { it["AltitudeMode"] = 2; }),
            "mission.items[2]: frame 3 does not match AltitudeMode 2 (frame 0)");
  EXPECT_EQ(item(2, [](json& it) { it["Altitude"] = 40; }), "mission.items[2]: Altitude 40 differs from param 7 50");
  // A command without a position ignores the altitude keys, as the loader does.
  EXPECT_EQ(item(3, [](json& it) { it["AltitudeMode"] = "x"; }), "ok");
  EXPECT_EQ(item(2, [](json& it) { it["params"][4] = 95; }),
            "mission.items[2]: latitude 95, longitude 8.001 (params 5, 6) are not a position");
  EXPECT_EQ(item(2, [](json& it) { it["params"][6] = nullptr; }),
            "mission.items[2]: the altitude (param 7) must be a finite number");
  EXPECT_EQ(item(0, [](json& it) { it["params"][1] = 0; }),
            "mission.items[0]: MAV_CMD_DO_CHANGE_SPEED must set a positive speed (param 2)");
  // DO_JUMP must find its target.
  EXPECT_EQ(Broken([](json& p) {
              p["mission"]["items"].push_back({{"autoContinue", true},
                                               {"command", 177},
                                               {"doJumpId", 5},
                                               {"frame", 2},
                                               {"params", {9, 1, 0, 0, 0, 0, 0}},
                                               {"type", "SimpleItem"}});
            }),
            "mission: no item has the doJumpId 9");
}

TEST(QgcPlanCheckTest, GeoFenceAndRallyPointRules) {
  EXPECT_EQ(Broken([](json& p) { p["geoFence"].erase("circles"); }), "geoFence: missing required key circles");
  EXPECT_EQ(Broken([](json& p) { p["geoFence"]["version"] = 3; }), "geoFence: version must be 2, got 3");
  EXPECT_EQ(Broken([](json& p) { p["geoFence"]["breachReturn"] = 1; }),
            "geoFence: breachReturn must be an array, got a number");
  EXPECT_EQ(Broken([](json& p) { p["rallyPoints"]["points"] = nullptr; }),
            "rallyPoints: points must be an array, got null");
  EXPECT_EQ(Broken([](json& p) {
              p["rallyPoints"]["points"] = {{47.0, 8.0}};
            }),
            "rallyPoints.points[0]: a coordinate must hold 3 values, got 2");
}

}  // namespace
}  // namespace didban::plan
