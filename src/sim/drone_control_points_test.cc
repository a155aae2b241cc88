// Control points on synthetic flights (src/sim/drone_flight.*): the telemetry's yaw removed (as in a DJI Mavic 3
// SRT) or biased, a few image points with their true ground positions, geo::FitYawAndOffset, then every frame's
// pixels georeferenced through geo::GeorefTracks and compared with the truth.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "geo/control_points.h"
#include "sim/drone_flight.h"

namespace didban::sim {
namespace {

double Percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

struct Outcome {
  geo::PoseFit fit;
  double median_m = 0, p90_m = 0;            // every 10th frame of the flight
  double near_median_m = 0, near_p90_m = 0;  // frames 55..155: within 2 s of the control points
};

// Control points: four image points in each of frames 100 and 110 (4 s into the flight), placed from the true
// camera; evaluation: a 5 x 3 grid of pixels every 10th frame of the whole flight.
Outcome FitAndEvaluate(const DroneFlight& flight, const geo::Telemetry& telemetry, bool use_fit) {
  const geo::Telemetry& truth = flight.TruePoses();
  const geo::CameraSpec& spec = flight.Options().camera;
  const geo::LocalFrame frame(truth.samples[0].lat, truth.samples[0].lon);
  auto true_ground = [&](int f, const Point2& px) {
    auto cam = geo::CameraFromTelemetry(truth.samples[f - 1], spec, frame);
    EXPECT_TRUE(cam.ok()) << cam.status();
    auto g = cam->PixelToGround(px, 0);
    return Point2{(*g)[0], (*g)[1]};
  };
  geo::GeorefOptions o;
  o.camera = spec;
  o.fps = flight.Options().fps;
  Outcome out;
  if (use_fit) {
    std::vector<geo::ControlPoint> points;
    int line = 2;
    for (int f : {100, 110}) {
      for (Point2 px : {Point2{150, 120}, Point2{1130, 90}, Point2{1180, 640}, Point2{200, 600}}) {
        Point2 g = true_ground(f, px);
        geo::LatLon ll = frame.ToLatLon(g.x, g.y);
        points.push_back({line++, f, px.x, px.y, ll.lat, ll.lon});
      }
    }
    auto fit = geo::FitYawAndOffset(telemetry, points, o);
    EXPECT_TRUE(fit.ok()) << fit.status();
    out.fit = *fit;
    geo::ApplyPoseFit(*fit, &o.pose);
  }
  std::vector<MotRow> rows;
  int64_t id = 0;
  for (int f = 1; f <= flight.FrameCount(); f += 10) {
    for (float x : {100.f, 390.f, 640.f, 890.f, 1180.f}) {
      for (float y : {100.f, 360.f, 620.f}) rows.push_back({f, ++id, {x - 5, y - 5, 10, 10}});
    }
  }
  auto res = geo::GeorefTracks(telemetry, rows, o);
  EXPECT_TRUE(res.ok()) << res.status();
  std::vector<double> errors, near;
  for (const geo::GeorefPoint& p : res->points) {
    const MotRow& r = rows[p.id - 1];
    Point2 t = true_ground(p.frame, r.box.Center());
    Point2 got = frame.ToLocal(p.lat, p.lon);
    errors.push_back(std::hypot(got.x - t.x, got.y - t.y));
    if (p.frame >= 55 && p.frame <= 155) near.push_back(errors.back());
  }
  EXPECT_EQ(errors.size(), rows.size());
  out.median_m = Percentile(errors, 0.5);
  out.p90_m = Percentile(errors, 0.9);
  out.near_median_m = Percentile(near, 0.5);
  out.near_p90_m = Percentile(near, 0.9);
  return out;
}

DroneFlightOptions Flight() {
  DroneFlightOptions o;
  o.seconds = 20;  // 500 frames at 25 fps, heading 90 deg, 100 m, consumer-drone telemetry noise
  o.moving_vehicles = 0;
  o.people = 0;
  o.parked_vehicles = 0;
  return o;
}

// Telemetry without a yaw (a Mavic 3 SRT): the fitted camera yaw is within 0.5 deg of the truth (90 deg). Near the
// control points the GNSS error is the fitted offset; farther away its drift (Gauss-Markov, 1.5 m, 20 s) returns.
TEST(DroneControlPointsTest, FitsTheYawOfTelemetryWithoutOne) {
  auto flight = DroneFlight::Create(Flight());
  ASSERT_TRUE(flight.ok()) << flight.status();
  geo::Telemetry noyaw = (*flight)->TelemetryPoses();
  for (geo::TelemetrySample& s : noyaw.samples) s.yaw_deg = s.gimbal_yaw_deg = geo::kNoValue;
  Outcome fitted = FitAndEvaluate(**flight, noyaw, true);
  EXPECT_FALSE(fitted.fit.base_yaw_from_telemetry);
  EXPECT_NEAR(fitted.fit.yaw_deg, 90, 0.5);
  // The telemetry's own (noisy, unbiased) yaw, for comparison.
  Outcome own = FitAndEvaluate(**flight, (*flight)->TelemetryPoses(), false);
  std::printf(
      "no yaw, fitted: yaw %.3f deg, offset %.2f / %.2f m, control residual median %.3f m; geolocation within 2 s "
      "median %.2f m p90 %.2f m, whole flight median %.2f m p90 %.2f m (own noisy yaw, no fit: within 2 s %.2f / "
      "%.2f m, whole flight %.2f / %.2f m)\n",
      fitted.fit.yaw_deg, fitted.fit.offset_east_m, fitted.fit.offset_north_m, fitted.fit.median_m,
      fitted.near_median_m, fitted.near_p90_m, fitted.median_m, fitted.p90_m, own.near_median_m, own.near_p90_m,
      own.median_m, own.p90_m);
  EXPECT_LT(fitted.near_median_m, 1.0);
  EXPECT_LT(fitted.near_median_m, own.near_median_m);
  EXPECT_LT(fitted.median_m, 3.0);
}

// A heading biased by 7 deg (a compass error; heading noise off): the correction is -7 within 0.5 deg.
TEST(DroneControlPointsTest, FitsTheBiasOfATelemetryYaw) {
  DroneFlightOptions o = Flight();
  o.yaw_sigma_deg = 0;
  auto flight = DroneFlight::Create(o);
  ASSERT_TRUE(flight.ok()) << flight.status();
  geo::Telemetry biased = (*flight)->TelemetryPoses();
  for (geo::TelemetrySample& s : biased.samples) s.gimbal_yaw_deg += 7;
  Outcome fitted = FitAndEvaluate(**flight, biased, true);
  EXPECT_TRUE(fitted.fit.base_yaw_from_telemetry);
  EXPECT_NEAR(fitted.fit.yaw_deg, -7, 0.5);
  Outcome unfitted = FitAndEvaluate(**flight, biased, false);
  std::printf(
      "7 deg bias: correction %.3f deg; geolocation within 2 s median %.2f m p90 %.2f m, whole flight median %.2f m "
      "p90 %.2f m (unfitted: whole flight median %.2f m p90 %.2f m)\n",
      fitted.fit.yaw_deg, fitted.near_median_m, fitted.near_p90_m, fitted.median_m, fitted.p90_m, unfitted.median_m,
      unfitted.p90_m);
  EXPECT_LT(fitted.near_median_m, 1.0);
  EXPECT_LT(fitted.median_m, 3.0);
  EXPECT_GT(unfitted.median_m, 4.0);
}

}  // namespace
}  // namespace didban::sim
