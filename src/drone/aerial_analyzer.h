// The aerial analysis of one drone video, frame by frame: moving objects (ego-motion-compensated detector), tracks in
// stabilised coordinates, and each track's ground position from the camera pose interpolated from the telemetry.
// No files and no drawing here (see drone_outputs.h). Thread-compatible.
#ifndef DIDBAN_DRONE_AERIAL_ANALYZER_H_
#define DIDBAN_DRONE_AERIAL_ANALYZER_H_

#include <memory>
#include <vector>

#include "detect/aerial_motion_detector.h"
#include "didban/frame.h"
#include "didban/stage.h"
#include "didban/status.h"
#include "drone/flight_pose.h"
#include "drone/iou_tracker.h"
#include "drone/stabilized_tracking.h"
#include "geo/local_frame.h"

namespace didban::drone {

struct AerialAnalyzerOptions {
  detect::AerialMotionOptions detector;
  IouTrackerOptions tracker;
  CameraIntrinsics camera;  // of the analysed frames (frame.image); its size must match them

  absl::Status Validate() const;
};

// One tracked object in one frame, on the ground.
struct GeoTrackPoint {
  int64_t frame = 0;  // 0-based frame index
  TimeUs time_us = 0;
  int64_t id = 0;
  ObjectClass object_class = ObjectClass::kUnknown;
  Box box;         // pixels of the frame
  double lat = 0;  // degrees; NaN when the pixel's ray misses the ground
  double lon = 0;
  double east = 0;  // the analyzer's local frame (anchored at the first telemetry sample, ground at take-off)
  double north = 0;
};

struct AerialFrameResult {
  Detections detections;
  std::vector<Track> tracks;          // confirmed tracks matched in this frame, frame pixels
  std::vector<GeoTrackPoint> points;  // the same on the ground
  FlightPose pose;                    // interpolated telemetry at the frame time
  cv::Matx33d cur_to_prev = cv::Matx33d::eye();
};

class AerialAnalyzer {
 public:
  // `telemetry` sorted by time (not empty), yaw filled (see FillYawFromCourse). `tracker` may be null (IoU tracker).
  static absl::StatusOr<std::unique_ptr<AerialAnalyzer>> Create(const AerialAnalyzerOptions& options,
                                                                std::vector<FlightPose> telemetry,
                                                                std::unique_ptr<Tracker> tracker = nullptr);

  // `frame.pts_us` is the time since the first frame (the telemetry's clock).
  absl::StatusOr<AerialFrameResult> Process(const Frame& frame);

  const geo::LocalFrame& Local() const { return local_; }
  const std::vector<FlightPose>& Telemetry() const { return telemetry_; }
  const CameraIntrinsics& Camera() const { return options_.camera; }

 private:
  AerialAnalyzer(const AerialAnalyzerOptions& options, std::vector<FlightPose> telemetry,
                 std::unique_ptr<detect::AerialMotionDetector> detector, std::unique_ptr<Tracker> tracker);

  AerialAnalyzerOptions options_;
  std::vector<FlightPose> telemetry_;
  geo::LocalFrame local_;
  std::unique_ptr<detect::AerialMotionDetector> detector_;
  StabilizedTracking tracking_;
};

// Ground (local metres) of a pixel for a pose; nullopt when the ray misses the ground.
std::optional<Point2> PixelToGround(const FlightPose& pose, const CameraIntrinsics& camera,
                                    const geo::LocalFrame& local, const Point2& pixel);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_AERIAL_ANALYZER_H_
