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
#include "drone/motion_gate.h"
#include "drone/stabilized_tracking.h"
#include "geo/drone_camera.h"
#include "geo/local_frame.h"
#include "geo/telemetry_types.h"
#include "track/byte_tracker.h"

namespace didban::drone {

// ByteTrack options for small, low-contrast aerial objects at `fps`: every detection of the motion detector
// (score = moving fraction of its blob, >= its confirm_fraction) counts as a high-score one and may start a track,
// tracks are confirmed after 3 hits and kept 1 s when lost.
track::ByteTrackerOptions AerialTrackerOptions(double fps);

struct AerialAnalyzerOptions {
  detect::AerialMotionOptions detector;
  track::ByteTrackerOptions tracker = AerialTrackerOptions(25);  // see AerialTrackerOptions()
  geo::CameraSpec camera;                   // of the analysed frames (frame.image); its size must match them
  geo::DronePoseOptions pose;               // telemetry sample -> camera pose (ground plane at the take-off height)
  MotionGateOptions motion_gate;            // a track is reported once it has moved over the ground (motion_gate.h)
  TimeUs max_telemetry_gap_us = 2'000'000;  // frames this far outside the telemetry's time span are an error
  // Side of the smallest object to detect on the ground, metres (0.5: a person seen from above). Unless
  // detector.min_object_px is given, it is set from this and the ground resolution of the flight (ExpectedObjectPx),
  // which chooses the detector's analysis resolution.
  double min_object_m = 0.5;

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
  std::vector<Track> tracks;          // confirmed tracks matched in this frame that moved (MotionGate), frame pixels
  std::vector<GeoTrackPoint> points;  // the same on the ground
  geo::TelemetrySample pose;          // interpolated telemetry at the frame time
  cv::Matx33d cur_to_prev = cv::Matx33d::eye();
};

class AerialAnalyzer {
 public:
  // `telemetry` (geo::ReadTelemetryFile or geo::ParseDjiSrt) needs a position, an altitude and a heading in every
  // sample (see FillYawFromCourse). `tracker` may be null (ByteTracker with options.tracker).
  static absl::StatusOr<std::unique_ptr<AerialAnalyzer>> Create(const AerialAnalyzerOptions& options,
                                                                geo::Telemetry telemetry,
                                                                std::unique_ptr<Tracker> tracker = nullptr);

  // `frame.pts_us` is the time since the first frame (the telemetry's clock).
  absl::StatusOr<AerialFrameResult> Process(const Frame& frame);

  const geo::LocalFrame& Local() const { return local_; }
  const geo::Telemetry& Telemetry() const { return telemetry_; }
  const geo::CameraSpec& Camera() const { return options_.camera; }

 private:
  AerialAnalyzer(const AerialAnalyzerOptions& options, geo::Telemetry telemetry, geo::LocalFrame local,
                 std::unique_ptr<detect::AerialMotionDetector> detector, std::unique_ptr<Tracker> tracker);

  AerialAnalyzerOptions options_;
  geo::Telemetry telemetry_;
  geo::LocalFrame local_;
  std::unique_ptr<detect::AerialMotionDetector> detector_;
  StabilizedTracking tracking_;
  MotionGate gate_;
};

// The smallest size in pixels of an object `object_m` metres across over the flight: the ground resolution (square
// root of the ground area of one pixel) at the image centre and at a quarter of the height from the top (the far
// part of an oblique view), the coarsest over the telemetry samples (at most 200 of them, evenly spaced). 0 when no
// such pixel sees the ground.
double ExpectedObjectPx(const geo::Telemetry& telemetry, const geo::CameraSpec& camera, const geo::LocalFrame& local,
                        const geo::DronePoseOptions& pose, double object_m);

// The local frame the analyzer works in: anchored at the first sample with a position, at the take-off height
// (abs_alt - rel_alt when both are known, else 0) so that the ground plane is z = 0.
geo::LocalFrame TakeoffFrame(const geo::Telemetry& telemetry);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_AERIAL_ANALYZER_H_
