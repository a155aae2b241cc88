#include "drone/aerial_analyzer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace didban::drone {

track::ByteTrackerOptions AerialTrackerOptions(double fps) {
  track::ByteTrackerOptions o = track::ByteTrackerOptions::Default(fps);
  // The motion detector's scores are moving-pixel fractions (>= confirm_fraction, 0.08 by default), not class
  // confidences: all of them are "high" detections and may start tracks.
  o.low_score = 0.01f;
  o.high_score = 0.02f;
  o.birth_score = 0.02f;
  // Small boxes barely overlap when a prediction is a few pixels off: the centre-distance term (DIoU) carries them.
  o.centre_distance_weight = 1.f;
  o.confirm_hits = 3;
  o.confirm_first_update = false;  // the first frame has no motion to confirm anything
  o.tentative_max_gap_s = 0.2;
  o.max_lost_s = 1.0;
  return o;
}

absl::Status AerialAnalyzerOptions::Validate() const {
  DIDBAN_RETURN_IF_ERROR(detector.Validate());
  DIDBAN_RETURN_IF_ERROR(tracker.Validate());
  DIDBAN_RETURN_IF_ERROR(pose.Validate());
  DIDBAN_RETURN_IF_ERROR(motion_gate.Validate());
  if (max_telemetry_gap_us < 0) return absl::InvalidArgumentError("aerial analyzer: max_telemetry_gap_us < 0");
  if (!(min_object_m >= 0)) return absl::InvalidArgumentError("aerial analyzer: min_object_m must be >= 0");
  return camera.Validate();
}

double ExpectedObjectPx(const geo::Telemetry& telemetry, const geo::CameraSpec& camera, const geo::LocalFrame& local,
                        const geo::DronePoseOptions& pose, double object_m) {
  const size_t n = telemetry.samples.size();
  const size_t stride = std::max<size_t>(1, n / 200);
  double coarsest_m_per_px = 0;
  for (size_t i = 0; i < n; i += stride) {
    auto cam = geo::CameraFromTelemetry(telemetry.samples[i], camera, local, pose);
    if (!cam.ok()) continue;
    for (const double fy : {0.5, 0.25}) {
      const Point2 p{0.5 * camera.width, fy * camera.height};
      const auto g0 = cam->PixelToGround(p, 0);
      const auto gx = cam->PixelToGround({p.x + 1, p.y}, 0);
      const auto gy = cam->PixelToGround({p.x, p.y + 1}, 0);
      if (!g0 || !gx || !gy) continue;
      const double m_per_px = std::sqrt(cv::norm(*gx - *g0) * cv::norm(*gy - *g0));
      coarsest_m_per_px = std::max(coarsest_m_per_px, m_per_px);
    }
  }
  return coarsest_m_per_px > 0 ? object_m / coarsest_m_per_px : 0;
}

geo::LocalFrame TakeoffFrame(const geo::Telemetry& telemetry) {
  const int i = telemetry.FirstWithPosition();
  if (i < 0) return {0, 0};
  const geo::TelemetrySample& s = telemetry.samples[i];
  const double ground = geo::HasValue(s.abs_alt_m) && geo::HasValue(s.rel_alt_m) ? s.abs_alt_m - s.rel_alt_m : 0.0;
  return {s.lat, s.lon, ground};
}

AerialAnalyzer::AerialAnalyzer(const AerialAnalyzerOptions& options, geo::Telemetry telemetry, geo::LocalFrame local,
                               std::unique_ptr<detect::AerialMotionDetector> detector, std::unique_ptr<Tracker> tracker)
    : options_(options),
      telemetry_(std::move(telemetry)),
      local_(local),
      detector_(std::move(detector)),
      tracking_(std::move(tracker)),
      gate_(options.motion_gate) {}

absl::StatusOr<std::unique_ptr<AerialAnalyzer>> AerialAnalyzer::Create(const AerialAnalyzerOptions& options,
                                                                       geo::Telemetry telemetry,
                                                                       std::unique_ptr<Tracker> tracker) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (telemetry.samples.empty()) return absl::InvalidArgumentError(absl::StrCat(telemetry.source, ": no telemetry"));
  // Every sample must pose a camera: checked once here so that errors name the sample's line.
  const geo::LocalFrame local = TakeoffFrame(telemetry);
  for (const geo::TelemetrySample& s : telemetry.samples) {
    auto cam = geo::CameraFromTelemetry(s, options.camera, local, options.pose);
    if (!cam.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(telemetry.source, ":", s.line, ": ", cam.status().message()));
    }
  }
  detect::AerialMotionOptions detector_options = options.detector;
  if (detector_options.min_object_px == 0 && options.min_object_m > 0) {
    detector_options.min_object_px =
        ExpectedObjectPx(telemetry, options.camera, local, options.pose, options.min_object_m);
  }
  DIDBAN_ASSIGN_OR_RETURN(auto detector, detect::AerialMotionDetector::Create(detector_options));
  if (tracker == nullptr) tracker = std::make_unique<track::ByteTracker>(options.tracker);
  return std::unique_ptr<AerialAnalyzer>(
      new AerialAnalyzer(options, std::move(telemetry), local, std::move(detector), std::move(tracker)));
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
  r.tracks = gate_.Filter(frame.pts_us, tracking_.Update(frame.pts_us, r.detections, r.cur_to_prev),
                          tracking_.CurrentToReference());
  DIDBAN_ASSIGN_OR_RETURN(r.pose, geo::PoseAtTime(telemetry_, frame.pts_us, options_.max_telemetry_gap_us));
  DIDBAN_ASSIGN_OR_RETURN(const geo::PinholeCamera cam,
                          geo::CameraFromTelemetry(r.pose, options_.camera, local_, options_.pose));
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
