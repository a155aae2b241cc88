#include <cmath>

#include <gtest/gtest.h>

#include "core/mot_format.h"
#include "drone/flight_pose.h"
#include "drone/iou_tracker.h"
#include "drone/srt_telemetry.h"
#include "drone/stabilized_tracking.h"
#include "testing/data.h"

namespace didban::drone {
namespace {

TEST(FlightPoseTest, NadirCameraLooksStraightDownAndNorthIsUp) {
  const geo::LocalFrame local(29.25, 47.55, 110);
  FlightPose p;
  p.lat = 29.25;
  p.lon = 47.55;
  p.rel_alt_m = 100;
  p.yaw_deg = 0;
  CameraIntrinsics cam;  // 1280x720, hfov 73.7
  const geo::PinholeCamera c = CameraFromPose(p, cam, local);
  const auto centre = c.PixelToGround({640, 360}, 0);
  ASSERT_TRUE(centre.has_value());
  EXPECT_NEAR((*centre)[0], 0, 1e-6);
  EXPECT_NEAR((*centre)[1], 0, 1e-6);
  // The top edge's centre is north of the drone by altitude * tan(vfov / 2).
  const double f = 640 / std::tan(0.5 * 73.7 * M_PI / 180);
  const auto top = c.PixelToGround({640, 0}, 0);
  EXPECT_NEAR((*top)[1], 100 * 360 / f, 1e-6);
  EXPECT_NEAR((*top)[0], 0, 1e-6);
  // Heading east: the top of the image points east.
  p.yaw_deg = 90;
  const auto east = CameraFromPose(p, cam, local).PixelToGround({640, 0}, 0);
  EXPECT_NEAR((*east)[0], 100 * 360 / f, 1e-6);
  EXPECT_NEAR((*east)[1], 0, 1e-6);
  // The ground-to-image homography agrees with the projection.
  const cv::Matx33d h = GroundToImageHomography(CameraFromPose(p, cam, local));
  const cv::Vec3d px = h * cv::Vec3d(10, -5, 1);
  const auto proj = CameraFromPose(p, cam, local).Project({10, -5, 0});
  EXPECT_NEAR(px[0] / px[2], proj->x, 1e-9);
  EXPECT_NEAR(px[1] / px[2], proj->y, 1e-9);
}

TEST(FlightPoseTest, InterpolatesYawAcrossNorth) {
  FlightPose a, b;
  a.time_us = 0;
  a.yaw_deg = 170;
  b.time_us = 1'000'000;
  b.yaw_deg = -170;
  b.lat = 1;
  const FlightPose m = InterpolatePose({a, b}, 250'000);
  EXPECT_DOUBLE_EQ(m.yaw_deg, 175);
  EXPECT_DOUBLE_EQ(m.lat, 0.25);
  EXPECT_DOUBLE_EQ(InterpolatePose({a, b}, -5).yaw_deg, 170);
}

TEST(CameraSpecTest, ParsesAndNamesErrors) {
  auto c = ParseCameraSpec("hfov=60,width=640", CameraIntrinsics());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->hfov_deg, 60);
  EXPECT_EQ(c->width, 640);
  EXPECT_EQ(c->height, 720);
  EXPECT_EQ(ParseCameraSpec("fov=60", CameraIntrinsics()).status().message(),
            "--camera: unknown key 'fov' (known: hfov, width, height)");
  EXPECT_EQ(ParseCameraSpec("hfov=abc", CameraIntrinsics()).status().message(), "--camera: hfov: not a number: 'abc'");
  EXPECT_EQ(ParseCameraSpec("hfov=200", CameraIntrinsics()).status().message(),
            "camera: hfov must be in (1, 170) degrees (got 200)");
}

TEST(SrtTelemetryTest, RoundTripsOurFormat) {
  std::vector<FlightPose> poses(3);
  for (int i = 0; i < 3; ++i) {
    poses[i].time_us = i * 40'000;
    poses[i].lat = 29.25 + i * 1e-5;
    poses[i].lon = 47.55;
    poses[i].rel_alt_m = 100.25;
    poses[i].abs_alt_m = 210.25;
    poses[i].yaw_deg = 90.5;
  }
  const std::string text = FormatDjiSrt(poses, 40'000, "2026-11-28 09:30:00");
  EXPECT_NE(text.find("2\n00:00:00,040 --> 00:00:00,080\n<font size=\"28\">FrameCnt: 2, DiffTime: 40ms\n"),
            std::string::npos);
  auto back = ParseDjiSrt(text, "x.srt");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[2].time_us, 80'000);
  EXPECT_NEAR((*back)[2].lat, 29.25002, 1e-9);
  EXPECT_DOUBLE_EQ((*back)[1].rel_alt_m, 100.25);
  EXPECT_DOUBLE_EQ((*back)[1].abs_alt_m, 210.25);
  EXPECT_DOUBLE_EQ((*back)[1].yaw_deg, 90.5);
  EXPECT_DOUBLE_EQ((*back)[1].pitch_deg, -90);
}

TEST(SrtTelemetryTest, ParsesRealMavic3FileWithoutHeading) {
  DIDBAN_REQUIRE_DATA(path, "drone/dji_srt/MAVIC3.srt");
  auto text = ReadTextFile(path);
  ASSERT_TRUE(text.ok());
  auto poses = ParseDjiSrt(*text, path);
  ASSERT_TRUE(poses.ok()) << poses.status();
  ASSERT_GT(poses->size(), 10u);
  EXPECT_DOUBLE_EQ(poses->front().lat, 3.41531);
  EXPECT_DOUBLE_EQ(poses->front().lon, -3.37440);
  EXPECT_DOUBLE_EQ(poses->front().rel_alt_m, -2.4);
  EXPECT_EQ((*poses)[1].time_us, 20'000);
  EXPECT_TRUE(std::isnan(poses->front().yaw_deg));
}

TEST(SrtTelemetryTest, ErrorsNameTheBlock) {
  EXPECT_EQ(ParseDjiSrt("1\n00:00:00,000 --> 00:00:00,040\n[latitude: 1.0]\n", "a.srt").status().message(),
            "a.srt:2: subtitle block without [latitude: ] and [longitude: ]");
  EXPECT_EQ(ParseDjiSrt("", "b.srt").status().message(), "b.srt: no telemetry blocks");
}

TEST(SrtTelemetryTest, FillsHeadingFromCourse) {
  std::vector<FlightPose> poses(11);
  const geo::LocalFrame local(29.0, 47.0);
  for (int i = 0; i < 11; ++i) {
    const geo::LatLon ll = local.ToLatLon(i * 1.0, 0);  // flying east at 10 m/s
    poses[i].time_us = i * 100'000;
    poses[i].lat = ll.lat;
    poses[i].lon = ll.lon;
    poses[i].yaw_deg = std::nan("");
  }
  FillYawFromCourse(&poses, 500'000);
  for (const FlightPose& p : poses) EXPECT_NEAR(p.yaw_deg, 90, 0.01);
}

Detections Dets(std::initializer_list<Box> boxes) {
  Detections out;
  for (const Box& b : boxes) out.push_back({b, 0.9f, ObjectClass::kUnknown, -1});
  return out;
}

TEST(IouTrackerTest, ConfirmsAfterThreeHitsAndRetiresByTime) {
  IouTracker t(IouTrackerOptions{});
  EXPECT_TRUE(t.Update(0, Dets({{10, 10, 20, 10}})).empty());
  EXPECT_TRUE(t.Update(40'000, Dets({{12, 10, 20, 10}})).empty());
  const auto& third = t.Update(80'000, Dets({{14, 10, 20, 10}}));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].id, 1);
  EXPECT_EQ(third[0].hits, 3);
  EXPECT_NEAR(third[0].vx, 37.5, 1e-3);  // 50 px/s measured twice, smoothed from 0 with weight 0.5
  EXPECT_TRUE(t.Update(1'000'000, {}).empty());
  EXPECT_TRUE(t.Removed().empty());
  t.Update(1'100'000, {});
  ASSERT_EQ(t.Removed().size(), 1u);
  EXPECT_EQ(t.Removed()[0].id, 1);
}

TEST(StabilizedTrackingTest, KeepsIdentityWhileTheCameraPans) {
  // The camera pans 30 px right per frame (the scene moves 30 px left in the image), the object stands still on the
  // ground: in image pixels it jumps more than its width each frame, in stabilised coordinates it does not move.
  StabilizedTracking tracking(std::make_unique<IouTracker>(IouTrackerOptions{}));
  const cv::Matx33d cur_to_prev(1, 0, 30, 0, 1, 0, 0, 0, 1);
  std::vector<Track> last;
  for (int i = 0; i < 6; ++i) {
    const Box b{static_cast<float>(600 - 30 * i), 300, 20, 10};
    last = tracking.Update(i * 40'000, Dets({b}), i == 0 ? cv::Matx33d::eye() : cur_to_prev);
  }
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, 1);
  EXPECT_NEAR(last[0].box.x, 450, 1e-3);
  EXPECT_NEAR(last[0].vx, 0, 1e-3);
}

}  // namespace
}  // namespace didban::drone
