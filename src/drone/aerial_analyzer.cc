#include "drone/aerial_analyzer.h"

#include <cmath>
#include <limits>

namespace didban::drone {

absl::Status AerialAnalyzerOptions::Validate() const {
  DIDBAN_RETURN_IF_ERROR(detector.Validate());
  DIDBAN_RETURN_IF_ERROR(tracker.Validate());
  return camera.Validate();
}

std::optional<Point2> PixelToGround(const FlightPose& pose, const CameraIntrinsics& camera,
                                    const geo::LocalFrame& local, const Point2& pixel) {
  const geo::PinholeCamera cam = CameraFromPose(pose, camera, local);
  const auto g = cam.PixelToGround(pixel, 0);
  if (!g) return std::nullopt;
  return Point2{(*g)[0], (*g)[1]};
}

AerialAnalyzer::AerialAnalyzer(const AerialAnalyzerOptions& options, std::vector<FlightPose> telemetry,
                               std::unique_ptr<detect::AerialMotionDetector> detector, std::unique_ptr<Tracker> tracker)
    : options_(options),
      telemetry_(std::move(telemetry)),
      local_(telemetry_.front().lat, telemetry_.front().lon,
             telemetry_.front().abs_alt_m - telemetry_.front().rel_alt_m),
      detector_(std::move(detector)),
      tracking_(std::move(tracker)) {}

absl::StatusOr<std::unique_ptr<AerialAnalyzer>> AerialAnalyzer::Create(const AerialAnalyzerOptions& options,
                                                                       std::vector<FlightPose> telemetry,
                                                                       std::unique_ptr<Tracker> tracker) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (telemetry.empty()) return absl::InvalidArgumentError("aerial analyzer: no telemetry");
  for (size_t i = 0; i < telemetry.size(); ++i) {
    if (std::isnan(telemetry[i].yaw_deg)) {
      return absl::InvalidArgumentError(absl::StrCat("aerial analyzer: telemetry sample ", i + 1, " has no heading"));
    }
  }
  DIDBAN_ASSIGN_OR_RETURN(auto detector, detect::AerialMotionDetector::Create(options.detector));
  if (tracker == nullptr) tracker = std::make_unique<IouTracker>(options.tracker);
  return std::unique_ptr<AerialAnalyzer>(
      new AerialAnalyzer(options, std::move(telemetry), std::move(detector), std::move(tracker)));
}

absl::StatusOr<AerialFrameResult> AerialAnalyzer::Process(const Frame& frame) {
  if (frame.image.cols != options_.camera.width || frame.image.rows != options_.camera.height) {
    return absl::InvalidArgumentError(absl::StrCat("aerial analyzer: frame ", frame.index, " is ", frame.image.cols,
                                                   "x", frame.image.rows, ", the camera model is ",
                                                   options_.camera.width, "x", options_.camera.height));
  }
  AerialFrameResult r;
  DIDBAN_ASSIGN_OR_RETURN(r.detections, detector_->Detect(frame));
  r.cur_to_prev = detector_->LastHomography();
  r.tracks = tracking_.Update(frame.pts_us, r.detections, r.cur_to_prev);
  r.pose = InterpolatePose(telemetry_, frame.pts_us);
  const geo::PinholeCamera cam = CameraFromPose(r.pose, options_.camera, local_);
  for (const Track& t : r.tracks) {
    GeoTrackPoint p;
    p.frame = frame.index;
    p.time_us = frame.pts_us;
    p.id = t.id;
    p.object_class = t.object_class;
    p.box = t.box;
    const auto g = cam.PixelToGround(t.box.Center(), 0);
    if (g) {
      p.east = (*g)[0];
      p.north = (*g)[1];
      const geo::LatLon ll = local_.ToLatLon(p.east, p.north, 0);
      p.lat = ll.lat;
      p.lon = ll.lon;
    } else {
      p.lat = p.lon = std::numeric_limits<double>::quiet_NaN();
    }
    r.points.push_back(p);
  }
  return r;
}

}  // namespace didban::drone
