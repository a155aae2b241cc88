#include "geo/drone_camera.h"

#include <gtest/gtest.h>

#include "geo/footprint.h"

namespace didban::geo {
namespace {

TelemetrySample At(double lat, double lon, double rel_alt) {
  TelemetrySample s;
  s.lat = lat;
  s.lon = lon;
  s.rel_alt_m = rel_alt;
  return s;
}

TEST(CameraSpecTest, ParsesAndComputesFocalLength) {
  auto spec = ParseCameraSpec("hfov=90,width=4000,height=3000");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_NEAR(*spec->FocalPx(), 2000.0, 1e-9);
  auto sensor = ParseCameraSpec("sensor=13.2x8.8,focal=8.8,width=5472,height=3648");
  ASSERT_TRUE(sensor.ok()) << sensor.status();
  EXPECT_NEAR(*sensor->FocalPx(), 8.8 * 5472 / 13.2, 1e-9);
  auto f35 = ParseCameraSpec("focal35=24,width=3840,height=2160");
  ASSERT_TRUE(f35.ok()) << f35.status();
  EXPECT_NEAR(*f35->FocalPx(), 24 * std::hypot(3840.0, 2160.0) / 43.2666, 1e-9);
  // No lens in the spec: the sample's 35 mm-equivalent focal length.
  auto bare = ParseCameraSpec("width=3840,height=2160");
  ASSERT_TRUE(bare.ok()) << bare.status();
  TelemetrySample s;
  s.focal_35mm_mm = 24;
  EXPECT_NEAR(*bare->FocalPx(&s), *f35->FocalPx(), 1e-9);
  EXPECT_EQ(bare->FocalPx().status().message(),
            "camera spec: no lens (give hfov=DEG, focal=MM with sensor=WxH, focal35=MM or a camera profile) and the "
            "telemetry has no focal length");
}

TEST(CameraSpecTest, ExactErrors) {
  EXPECT_EQ(ParseCameraSpec("hfov=90").status().message(),
            "camera spec: width and height (pixels) are required and must be positive");
  EXPECT_EQ(ParseCameraSpec("hfov=abc,width=1,height=1").status().message(), "camera spec: hfov: not a number: 'abc'");
  EXPECT_EQ(
      ParseCameraSpec("zoom=2,width=1,height=1").status().message(),
      "camera spec: unknown key 'zoom' (expected width, height, hfov, sensor, aspect, focal, focal35, dfov, crop, "
      "profile)");
  EXPECT_EQ(ParseCameraSpec("aspect=4:0,width=1,height=1").status().message(),
            "camera spec: aspect: expected W:H with positive numbers (e.g. 4:3), got '4:0'");
  EXPECT_EQ(ParseCameraSpec("crop=0.5,width=1,height=1").status().message(),
            "camera spec: crop must be in [1, 100], got 0.5");
  EXPECT_EQ(ParseCameraSpec("dfov=180,width=1,height=1").status().message(),
            "camera spec: dfov must be in (0, 180) degrees, got 180");
  EXPECT_EQ(ParseCameraSpec("profile=mavic9,width=1,height=1").status().message(),
            "camera profile: unknown 'mavic9' (known: mavic3, mavic2pro, mavic2zoom, air2s, air2, mavicpro, mini, "
            "p4rtk, m300-h20-wide, m300-h20-zoom)");
  EXPECT_EQ(ParseCameraSpec("hfov=190,width=1,height=1").status().message(),
            "camera spec: hfov must be in (0, 180) degrees, got 190");
  EXPECT_EQ(ParseCameraSpec("focal=8,width=1,height=1").status().message(),
            "camera spec: focal needs a positive value and the sensor size (sensor=WxH mm)");
  EXPECT_EQ(ParseCameraSpec("sensor=13.2,width=1,height=1").status().message(),
            "camera spec: sensor: expected WxH in mm (e.g. 13.2x8.8), got '13.2'");
  EXPECT_EQ(ParseCameraSpec("width=1.5,height=1").status().message(),
            "camera spec: width: expected a positive integer, got '1.5'");
}

// Nadir at 100 m with a 90° horizontal field of view on a 4:3 image: a 200 m x 150 m footprint, north up.
TEST(DroneCameraTest, NadirFootprintHasKnownSize) {
  LocalFrame frame(47.0, 8.0);
  CameraSpec spec = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  DronePoseOptions opt;
  opt.yaw_deg = 0;
  auto cam = CameraFromTelemetry(At(47.0, 8.0, 100), spec, frame, opt);
  ASSERT_TRUE(cam.ok()) << cam.status();
  cv::Vec3d c = cam->Center();
  EXPECT_NEAR(c[0], 0, 1e-9);
  EXPECT_NEAR(c[1], 0, 1e-9);
  EXPECT_NEAR(c[2], 100, 1e-9);
  auto centre = cam->PixelToGround({2000, 1500}, 0);
  ASSERT_TRUE(centre.has_value());
  EXPECT_NEAR((*centre)[0], 0, 1e-9);
  EXPECT_NEAR((*centre)[1], 0, 1e-9);
  auto top_left = cam->PixelToGround({0, 0}, 0);
  ASSERT_TRUE(top_left.has_value());
  EXPECT_NEAR((*top_left)[0], -100, 1e-9);  // west
  EXPECT_NEAR((*top_left)[1], 75, 1e-9);    // north
  FootprintOptions fo;
  fo.points_per_edge = 1;
  std::vector<Point2> fp = GroundFootprint(*cam, 0, fo);
  ASSERT_EQ(fp.size(), 4u);
  EXPECT_NEAR(PolygonArea(fp), 30000, 1e-6);
  // Ground elevation 20 m: 80 m below the camera.
  EXPECT_NEAR(PolygonArea(GroundFootprint(*cam, 20, fo)), 30000 * 0.64, 1e-6);
  // Projection round trip.
  auto px = cam->Project({-100, 75, 0});
  ASSERT_TRUE(px.has_value());
  EXPECT_NEAR(px->x, 0, 1e-6);
  EXPECT_NEAR(px->y, 0, 1e-6);
}

TEST(DroneCameraTest, YawAndObliquePitchFollowDjiConventions) {
  LocalFrame frame(47.0, 8.0);
  CameraSpec spec = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  // Gimbal yaw 90 (east), nadir: the image's right edge points south.
  TelemetrySample s = At(47.0, 8.0, 100);
  s.gimbal_yaw_deg = 90;
  s.gimbal_pitch_deg = -90;
  auto cam = CameraFromTelemetry(s, spec, frame);
  ASSERT_TRUE(cam.ok()) << cam.status();
  auto right = cam->PixelToGround({4000, 1500}, 0);
  ASSERT_TRUE(right.has_value());
  EXPECT_NEAR((*right)[0], 0, 1e-9);
  EXPECT_NEAR((*right)[1], -100, 1e-9);
  // Pitch -45 facing north: the image centre hits the ground 100 m north.
  s.gimbal_yaw_deg = 0;
  s.gimbal_pitch_deg = -45;
  cam = CameraFromTelemetry(s, spec, frame);
  ASSERT_TRUE(cam.ok()) << cam.status();
  auto centre = cam->PixelToGround({2000, 1500}, 0);
  ASSERT_TRUE(centre.has_value());
  EXPECT_NEAR((*centre)[0], 0, 1e-9);
  EXPECT_NEAR((*centre)[1], 100, 1e-9);
  // Footprint of an oblique view reaching over the horizon is cut at max_range_m.
  s.gimbal_pitch_deg = -10;
  cam = CameraFromTelemetry(s, spec, frame);
  FootprintOptions fo;
  fo.max_range_m = 500;
  std::vector<Point2> fp = GroundFootprint(*cam, 0, fo);
  ASSERT_EQ(fp.size(), 32u);
  double far = 0;
  for (const Point2& p : fp) far = std::max(far, std::hypot(p.x, p.y));
  EXPECT_NEAR(far, 500, 1e-6);
  // Aircraft yaw is used when there is no gimbal yaw; --yaw overrides both.
  TelemetrySample a = At(47.0, 8.0, 100);
  a.yaw_deg = 180;
  cam = CameraFromTelemetry(a, spec, frame);
  ASSERT_TRUE(cam.ok());
  auto top = cam->PixelToGround({2000, 0}, 0);
  EXPECT_NEAR((*top)[1], -75, 1e-9);  // image top points south
}

TEST(DroneCameraTest, ExactErrors) {
  LocalFrame frame(47.0, 8.0);
  CameraSpec spec = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  TelemetrySample s = At(47.0, 8.0, 100);
  s.time_us = 1'500'000;
  EXPECT_EQ(CameraFromTelemetry(s, spec, frame).status().message(),
            "telemetry at 1.5 s: no yaw in the telemetry (give the camera yaw)");
  TelemetrySample nopos;
  EXPECT_EQ(CameraFromTelemetry(nopos, spec, frame).status().message(), "telemetry at 0 s: no position");
  TelemetrySample noalt = At(47, 8, kNoValue);
  EXPECT_EQ(CameraFromTelemetry(noalt, spec, frame).status().message(),
            "telemetry at 0 s: no altitude of the requested kind");
}

}  // namespace
}  // namespace didban::geo
