// The demo site of `didban demo`: a junction watched by three overlapping calibrated cameras (a wrong-way vehicle, a
// vehicle stopped on the east arm), a highway camera (the traffic scenario with its wrong-way, stopped and near-miss
// vehicles) and a drone flight with its DJI SRT telemetry. RenderDemoSite() renders them once into H.264 files in a
// folder, stamped with a hash of every parameter (DemoVersion), and skips the work when the stamp matches;
// DemoSiteYaml() writes the site file that plays them (calibrations, lines, zones, wrong-way, stopped, near-miss
// rules and the fuser's settings). Free functions; thread-safe.
#ifndef DIDBAN_SIM_DEMO_SITE_H_
#define DIDBAN_SIM_DEMO_SITE_H_

#include <functional>
#include <string>
#include <vector>

#include "didban/status.h"
#include "sim/drone_flight.h"
#include "sim/traffic_scene.h"

namespace didban::sim {

struct DemoOptions {
  int width = 640;            // every camera's frame width, pixels
  int height = 360;           // pixels
  double junction_fps = 10;   // frames per second of the three junction cameras
  double highway_fps = 12.5;  // frames per second of the highway camera
  double drone_fps = 10;      // frames per second of the drone camera
  double loop_s = 60;         // length of every file (each plays in a loop), seconds

  absl::Status Validate() const;
};

// One camera of the demo site: its name in the site, the video file (relative to the demo folder) and, for the
// ground cameras, the scene it renders.
struct DemoCamera {
  std::string name;
  std::string file;
  bool drone = false;
  TrafficScenario scenario;  // unused for the drone
};

// The fusion group of the junction cameras.
inline constexpr const char* kDemoFusionGroup = "junction";

// The five cameras: junction-1..3 (one scenario, three viewpoints), highway, drone.
std::vector<DemoCamera> DemoCameras(const DemoOptions& options);
DroneFlightOptions DemoDroneOptions(const DemoOptions& options);

// A hex hash of every parameter that changes the rendered files (and of the renderer's version).
std::string DemoVersion(const DemoOptions& options);

// Progress of RenderDemoSite: (camera name, frames done, frames in all for that camera); called from the render
// threads, one call at a time.
using DemoProgress = std::function<void(const std::string& camera, int64_t done, int64_t total)>;

// Renders every camera into `dir` (created if missing) unless `dir/demo.version` already holds DemoVersion() and
// every file exists; returns true when it rendered, false when it reused the files. Renders the cameras in parallel,
// one thread per core. The stamp is removed before and written after a complete render, so an interrupted render is
// redone. Errors name the file.
absl::StatusOr<bool> RenderDemoSite(const std::string& dir, const DemoOptions& options,
                                    const DemoProgress& progress = nullptr);

// The site file (YAML text) that plays the rendered files of `dir` (absolute paths) as live cameras.
std::string DemoSiteYaml(const std::string& dir, const DemoOptions& options);

}  // namespace didban::sim

#endif  // DIDBAN_SIM_DEMO_SITE_H_
