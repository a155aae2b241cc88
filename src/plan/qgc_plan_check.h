// A checker of QGroundControl .plan files: the rules QGroundControl's plan loader applies when it opens a plan
// (PlanMasterController::loadFromFile, MissionController::load, MissionItem and SimpleMissionItem::load,
// GeoFenceController and RallyPointController::load, JsonHelper's key and coordinate checks), written down from
// its source as a specification and re-implemented here, plus a few checks of the values that QGroundControl loads
// without complaint but that would fly wrongly. Pure functions; thread-safe.
//
// Loader rules (an error here means QGroundControl refuses the file):
//  - the text is a JSON object with `groundStation` (string), `fileType` (string, "Plan") and `version` (number,
//    1), and the objects `mission`, `geoFence` and `rallyPoints`;
//  - mission: `plannedHomePosition` (array), `items` (array) and `firmwareType` (number) required; `vehicleType`,
//    `cruiseSpeed`, `hoverSpeed` and `globalPlanAltitudeMode` numbers (or null) when present; the home position is
//    exactly 3 values, each a number or null;
//  - every item an object with a string `type`; "SimpleItem" is checked (a "ComplexItem" is refused: didban writes
//    none); a simple item has `frame` and `command` (numbers), `params` (array), `autoContinue` (bool) and, when
//    present, `doJumpId` (number); `params` holds exactly 7 values, the first 4 numbers or null (null = NaN);
//  - an item whose command takes a position (the MAV_CMD_NAV_* commands of the table in the .cc) and carries any of
//    `AltitudeMode`, `Altitude`, `AMSLAltAboveTerrain` carries all three, as numbers or null;
//  - every MAV_CMD_DO_JUMP (177) names (param 1) the doJumpId of an item of the plan;
//  - geoFence and rallyPoints without `version` or with version 1 are ignored; otherwise version 2 with the arrays
//    `circles` and `polygons` (geoFence; `breachReturn` an array when present) or `points` (rallyPoints, each point
//    3 values).
//
// didban's checks of values (QGroundControl loads these but the vehicle would not fly the plan as meant):
//  - params 5 to 7 are numbers or null too; `command` is one of the table's commands; `frame` is 0 (global,
//    absolute), 2 (mission), 3 (relative altitude) or 10 (terrain);
//  - a positioned item has a finite latitude in [-90, 90], longitude in [-180, 180] and altitude; its AltitudeMode
//    is 1 (relative, frame 3), 2 (absolute, frame 0), 3 (calculated above terrain, frame 0) or 4 (terrain frame,
//    frame 10), matching its frame; its `Altitude` equals param 7;
//  - doJumpId values are unique; the home position's latitude and longitude are in range; cruiseSpeed and
//    hoverSpeed, when given, are positive; a MAV_CMD_DO_CHANGE_SPEED sets a positive speed (param 2).
#ifndef DIDBAN_PLAN_QGC_PLAN_CHECK_H_
#define DIDBAN_PLAN_QGC_PLAN_CHECK_H_

#include <string>
#include <vector>

#include "didban/status.h"

namespace didban::plan {

// What a plan that passes holds.
struct QgcPlanSummary {
  std::vector<int> commands;                         // every item's command, in order
  int waypoints = 0;                                 // MAV_CMD_NAV_WAYPOINT items
  double cruise_speed_mps = 0, hover_speed_mps = 0;  // 0 when absent
  double speed_mps = 0;                              // the first MAV_CMD_DO_CHANGE_SPEED's speed, 0 when none
  bool takeoff = false;                              // a MAV_CMD_NAV_TAKEOFF item
  bool return_to_launch = false;                     // a MAV_CMD_NAV_RETURN_TO_LAUNCH item
};

// Checks `text` against the rules above. InvalidArgument names the first broken rule and where, e.g.
// "mission.items[3]: params must hold 7 values, got 6".
absl::StatusOr<QgcPlanSummary> CheckQgcPlan(const std::string& text);

}  // namespace didban::plan

#endif  // DIDBAN_PLAN_QGC_PLAN_CHECK_H_
