// Synthetic traffic scenes with exact ground truth: a straight road seen by a known pinhole camera (textured asphalt,
// lane markings, verge, sky), vehicles as shaded 3D boxes following piecewise-linear ground paths, and lighting
// flicker and sensor noise. Frames are rendered in memory with timestamps. Scenarios are data (TrafficScenario) so
// tests, benchmarks and the monitoring-centre demo share them. TrafficScene is immutable after Create(); thread-safe.
#ifndef DIDBAN_SIM_TRAFFIC_SCENE_H_
#define DIDBAN_SIM_TRAFFIC_SCENE_H_

#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/frame.h"
#include "didban/object_class.h"
#include "didban/status.h"
#include "geo/camera_calibration.h"

namespace didban::sim {

// The camera: looks north along the road (+y) by default (or towards `yaw_deg`), pitched down. Ground frame: x east,
// y north, z up, metres.
struct TrafficCamera {
  int width = 640;        // pixels
  int height = 360;       // pixels
  double focal_px = 520;  // focal length, pixels (square pixels, principal point at the centre)
  double east_m = 0;      // camera position, metres
  double north_m = -12;   // metres
  double height_m = 9;    // above the road, metres
  double pitch_deg = 16;  // below the horizon, degrees
  double yaw_deg = 0;     // compass direction the camera looks at, clockwise from north (+y), degrees
};

// A point of a vehicle's path: at time t_s its centre is at (east_m, north_m). Between keyframes the vehicle moves
// at constant velocity; it exists from the first to the last keyframe.
struct Keyframe {
  double t_s = 0;
  double east_m = 0;
  double north_m = 0;
};

// What a vehicle is in the scenario, for expected events.
enum class VehicleRole : int { kNormal = 0, kWrongWay, kStops, kNearMissLeader, kNearMissFollower };

struct TrafficVehicle {
  int id = 0;  // ground-truth ID, unique in the scenario
  ObjectClass object_class = ObjectClass::kCar;
  double length_m = 4.5, width_m = 1.8, height_m = 1.5;
  cv::Scalar colour{40, 40, 200};  // BGR
  VehicleRole role = VehicleRole::kNormal;
  std::vector<Keyframe> path;  // at least 2, increasing times
};

struct TrafficScenario {
  std::string name = "traffic";
  TrafficCamera camera;
  double fps = 25;
  double duration_s = 40;
  std::vector<double> lane_centres_m{-5.25, -1.75, 1.75, 5.25};  // east offsets; west half southbound
  double lane_width_m = 3.5;
  double median_east_m = 0;  // solid line between the two directions
  // An optional east-west cross road (a junction), centred on north = cross_north_m; its lanes are offsets north of
  // that line (eastbound on the south half, as on the main road traffic keeps right). Empty: no cross road.
  std::vector<double> cross_lane_centres_m;
  double cross_north_m = 0;
  std::vector<TrafficVehicle> vehicles;
  double noise_sigma = 2.0;  // sensor noise, grey levels
  double flicker = 0.03;     // relative brightness flicker amplitude
  uint64_t seed = 1;

  absl::Status Validate() const;
};

// Where a vehicle is in one frame.
struct VehicleTruth {
  int id = 0;
  VehicleRole role = VehicleRole::kNormal;
  ObjectClass object_class = ObjectClass::kCar;
  Point2 centre;    // ground, metres
  Point2 velocity;  // ground, m/s
  Box box;          // pixels: bounding box of the projected 3D box, clipped to the image
  bool visible = false;
};

class TrafficScene {
 public:
  static absl::StatusOr<TrafficScene> Create(TrafficScenario scenario);

  int64_t FrameCount() const;
  TimeUs FrameTime(int64_t index) const;
  // Renders frame `index` (deterministic: same index, same pixels).
  FramePtr Render(int64_t index) const;
  // Every vehicle that exists at frame `index` (visible or not), far first.
  std::vector<VehicleTruth> Truth(int64_t index) const;

  const TrafficScenario& Scenario() const { return scenario_; }
  const geo::PinholeCamera& Camera() const { return camera_; }
  geo::CameraCalibration Calibration() const;
  // +1 if the vehicle crosses the ground line north = `north_m` northbound during the scenario, -1 southbound,
  // 0 if it does not cross it (first to last keyframe).
  static int CrossingDirection(const TrafficVehicle& v, double north_m);
  // Constant-speed vehicles' speeds (m/s); 0 for vehicles whose speed changes.
  static double ConstantSpeed(const TrafficVehicle& v);

 private:
  TrafficScene(TrafficScenario scenario, geo::PinholeCamera camera, cv::Mat background)
      : scenario_(std::move(scenario)), camera_(std::move(camera)), background_(std::move(background)) {}

  TrafficScenario scenario_;
  geo::PinholeCamera camera_;
  cv::Mat background_;  // BGR road, verge and sky
};

// The default test scenario (about 40 s at 25 fps): two lanes each way with normal traffic at known constant
// speeds, one wrong-way vehicle, one vehicle that stops for 8 s on the northbound shoulder lane, and one near-miss
// pair (a fast follower closing on a slow leader, swerving at the last moment).
TrafficScenario DefaultTrafficScenario();

// The camera of a scenario as a pinhole model.
geo::PinholeCamera MakeTrafficCamera(const TrafficCamera& c);

}  // namespace didban::sim

#endif  // DIDBAN_SIM_TRAFFIC_SCENE_H_
