// Synthetic drone flights with exact ground truth: a procedural desert ground (sand noise and ripples, dirt roads
// with tyre tracks, rocks and scrub), vehicles driving the roads and people walking (textured shapes with shadows,
// straight constant-speed ground trajectories, plus parked vehicles that do not move), seen by a camera flying a
// straight or lawnmower route with a nadir (or oblique) gimbal. Each frame is rendered by warping the ground texture
// through the camera's ground-to-image homography. The telemetry carries consumer-drone noise: GNSS horizontal
// error as a first-order Gauss-Markov process (sigma 1.5 m per axis, correlation time 20 s), altitude error
// (sigma 0.7 m, 5 s) and heading error (sigma 1.5 deg, 2 s). Immutable after Create(); Render() is thread-safe.
#ifndef DIDBAN_SIM_DRONE_FLIGHT_H_
#define DIDBAN_SIM_DRONE_FLIGHT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/geometry.h"
#include "didban/object_class.h"
#include "didban/status.h"
#include "geo/drone_camera.h"
#include "geo/local_frame.h"
#include "geo/pinhole_camera.h"
#include "geo/telemetry_types.h"

namespace didban::sim {

// The synthetic drone's camera: 1280x720 video of the DJI Mavic 3 profile (camera_profiles.h: 4:3 sensor frame, 24 mm
// equivalent; the 16:9 video is the frame's full width: 71.6 degrees horizontal field of view), no distortion. The
// SRT's focal_len is 24.00, so `didban drone analyze` recognises the profile from the SRT.
geo::CameraSpec DefaultDroneCamera();

struct DroneFlightOptions {
  double seconds = 20;                            // flight length, seconds
  double fps = 25;                                // frames per second
  geo::CameraSpec camera = DefaultDroneCamera();  // needs width, height and a lens (hfov, focal, focal35, profile)
  double altitude_m = 100;                        // above the ground
  double speed_mps = 8;                           // ground speed, metres per second
  double heading_deg = 90;                        // direction of the (first leg of the) route, clockwise from north
  bool lawnmower = false;                         // false: one straight leg; true: legs joined by sideways steps
  double leg_m = 250;                             // lawnmower leg length, metres
  double spacing_m = 120;                         // lawnmower leg spacing, metres
  double gimbal_pitch_deg = -90;                  // -90 nadir; e.g. -60 for an oblique view
  int moving_vehicles = 8;                        // cars and trucks driving the roads
  int people = 6;                                 // people walking
  int parked_vehicles = 3;                        // vehicles standing still (not moving objects)
  uint64_t seed = 1;                              // everything random derives from it
  double lat0 = 29.25;                            // take-off point, degrees (a desert)
  double lon0 = 47.55;
  double ground_abs_alt_m = 110;  // ground height above sea level, metres
  double gps_sigma_m = 1.5;       // telemetry horizontal error per axis, metres (stationary sigma)
  double gps_tau_s = 20;          // its correlation time, seconds
  double alt_sigma_m = 0.7;       // telemetry altitude error, metres
  double alt_tau_s = 5;
  double yaw_sigma_deg = 1.5;  // telemetry heading error, degrees
  double yaw_tau_s = 2;
  double texture_m_per_px = 0.1;  // ground texture resolution, metres per texel
  double sensor_noise = 2.0;      // image noise sigma, grey levels

  absl::Status Validate() const;
};

// One object in one frame's ground truth.
struct DroneTruth {
  int frame = 0;       // 0-based frame index
  TimeUs time_us = 0;  // frame time
  int id = 0;          // object id (1-based, stable over the flight)
  ObjectClass object_class = ObjectClass::kUnknown;
  bool moving = false;  // false for parked vehicles
  Box box;              // pixels (the object's body, without its shadow), clipped to the image
  double east = 0;      // ground position of the object's centre, local metres
  double north = 0;
  double lat = 0;  // the same in WGS84 degrees
  double lon = 0;
};

class DroneFlight {
 public:
  static absl::StatusOr<std::unique_ptr<DroneFlight>> Create(const DroneFlightOptions& options);

  int FrameCount() const { return static_cast<int>(true_poses_.samples.size()); }
  TimeUs FrameTimeUs(int i) const { return true_poses_.samples[i].time_us; }
  const DroneFlightOptions& Options() const { return options_; }
  const geo::LocalFrame& Local() const { return local_; }
  // Exact camera poses and the noisy telemetry the drone reports, one per frame (camera heading and attitude in
  // the gimbal fields, frame numbers from 1, the lens as focal_35mm_mm), as geo telemetry.
  const geo::Telemetry& TruePoses() const { return true_poses_; }
  const geo::Telemetry& TelemetryPoses() const { return telemetry_; }
  // 35 mm-equivalent focal length of options().camera, mm (what the SRT's focal_len says).
  double Focal35Mm() const { return focal35_mm_; }

  // Renders frame `i` (BGR) and appends the objects visible in it to *truth (if not null): those whose body box
  // centre lies in the image.
  cv::Mat Render(int i, std::vector<DroneTruth>* truth) const;

  // DJI SRT text of the noisy telemetry.
  std::string SrtText() const;
  // "frame,time,id,class,moving,x,y,w,h,lat,lon" with a header line.
  static std::string TruthCsv(const std::vector<DroneTruth>& rows);

  struct Object;  // defined in drone_flight.cc

 private:
  DroneFlight(const DroneFlightOptions& options, geo::LocalFrame local);
  void PlanRoute();
  void AddTelemetryNoise();
  absl::Status MakeCameras();
  void MakeTexture();
  void PlaceObjects();

  DroneFlightOptions options_;
  geo::LocalFrame local_;
  geo::Telemetry true_poses_;
  geo::Telemetry telemetry_;
  std::vector<geo::PinholeCamera> cameras_;  // true camera per frame
  double focal35_mm_ = 0;
  std::vector<Point2> nadir_;  // drone ground position per frame, local metres
  cv::Mat texture_;            // BGR, texel (u, v) = ground (x0 + u*res, y1 - v*res)
  double tex_x0_ = 0, tex_y1_ = 0;
  double tex_res_ = 0.1;
  struct Road {
    Point2 origin;  // local metres
    Point2 dir;     // unit vector
  };
  std::vector<Road> roads_;
  std::vector<std::shared_ptr<const Object>> objects_;
};

// Writes flight.mp4 (record::VideoWriter: H.264, else MPEG-4 part 2), flight.srt and
// truth.csv into `dir` (created if missing). Errors name the file.
absl::Status WriteDroneFlight(const DroneFlight& flight, const std::string& dir);

}  // namespace didban::sim

#endif  // DIDBAN_SIM_DRONE_FLIGHT_H_
