#include "geo/ground_projection.h"

#include <cmath>

#include <gtest/gtest.h>

namespace didban::geo {
namespace {

CameraCalibration TiltedCamera() {
  // 10 m up at the origin, looking north and 30 degrees down.
  PinholeCamera cam;
  cam.k = cv::Matx33d(1000, 0, 960, 0, 1000, 540, 0, 0, 1);
  const double d = 30 * M_PI / 180;
  cv::Vec3d f(0, std::cos(d), -std::sin(d));
  cv::Vec3d right(1, 0, 0);
  cv::Vec3d down = f.cross(right);
  cam.r = cv::Matx33d(right[0], right[1], right[2], down[0], down[1], down[2], f[0], f[1], f[2]);
  cam.t = -(cam.r * cv::Vec3d(0, 0, 10));
  cam.width = 1920;
  cam.height = 1080;
  CameraCalibration cal;
  cal.pinhole = cam;
  return cal;
}

TEST(GroundProjectionTest, PositionIsTheBackProjectedBottomCentre) {
  CameraCalibration cal = TiltedCamera();
  auto px = cal.GroundToPixel({2, 20});
  ASSERT_TRUE(px.has_value());
  Box box{static_cast<float>(px->x - 20), static_cast<float>(px->y - 100), 40, 100};
  auto g = ProjectBoxToGround(cal, box);
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR(g->position.x, 2, 1e-3);
  EXPECT_NEAR(g->position.y, 20, 1e-3);
}

TEST(GroundProjectionTest, CovarianceGrowsWithDistanceAndBoxSize) {
  CameraCalibration cal = TiltedCamera();
  GroundProjectionOptions o;
  auto near = ProjectPixelToGround(cal, *cal.GroundToPixel({0, 10}), 3, 3, o);
  auto far = ProjectPixelToGround(cal, *cal.GroundToPixel({0, 40}), 3, 3, o);
  ASSERT_TRUE(near && far);
  // Depth (north) uncertainty dominates and grows roughly with distance squared.
  EXPECT_GT(far->covariance(1, 1), 10 * near->covariance(1, 1));
  EXPECT_GT(near->covariance(1, 1), near->covariance(0, 0));
  Point2 at = *cal.GroundToPixel({0, 20});
  auto small = ProjectBoxToGround(cal, Box{static_cast<float>(at.x - 10), static_cast<float>(at.y - 50), 20, 50}, o);
  auto big = ProjectBoxToGround(cal, Box{static_cast<float>(at.x - 40), static_cast<float>(at.y - 200), 80, 200}, o);
  ASSERT_TRUE(small && big);
  EXPECT_GT(big->covariance(1, 1), small->covariance(1, 1));
  // Exact value: sigma_v = 2 + 0.03 * 50 = 3.5 px; at 20 m the depression is atan(10/20) = 26.57 deg, so
  // dy/dv = (10 / sin^2) * cos^2(26.57 - 30 deg) / 1000 = 0.04982 m/px -> 0.1744 m, with the 5 cm floor 0.1814 m.
  EXPECT_NEAR(std::sqrt(small->covariance(1, 1)), 0.1814, 1e-3);
}

TEST(GroundProjectionTest, AboveTheHorizonHasNoGroundPoint) {
  CameraCalibration cal = TiltedCamera();
  // The horizon is at v = 540 - 1000 tan(30 deg) = -37 px.
  EXPECT_FALSE(ProjectPixelToGround(cal, {960, -100}, 2, 2, {}).has_value());
  EXPECT_TRUE(ProjectPixelToGround(cal, {960, 0}, 2, 2, {}).has_value());
  GroundProjectionOptions bad;
  bad.max_sigma_m = 0;
  EXPECT_EQ(bad.Validate().message(), "max_sigma_m must be > min_sigma_m");
}

}  // namespace
}  // namespace didban::geo
