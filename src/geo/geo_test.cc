#include <cmath>

#include <gtest/gtest.h>

#include "geo/homography.h"
#include "geo/local_frame.h"
#include "geo/pinhole_camera.h"

namespace didban::geo {
namespace {

TEST(LocalFrameTest, RoundTripAndKnownOffset) {
  LocalFrame f(35.6892, 51.3890);  // Tehran
  Point2 p = f.ToLocal(35.6892 + 0.001, 51.3890);
  EXPECT_NEAR(p.x, 0.0, 1e-6);
  EXPECT_NEAR(p.y, 110.95, 0.05);  // one milli-degree of latitude at 35.7 N
  LatLon back = f.ToLatLon(p.x, p.y);
  EXPECT_NEAR(back.lat, 35.6902, 1e-9);
  EXPECT_NEAR(back.lon, 51.3890, 1e-9);
}

TEST(LocalFrameTest, RejectsOutOfRangeAnchor) {
  auto f = LocalFrame::Create(95, 10);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("out of range"), std::string::npos);
}

TEST(GroundHomographyTest, FitsExactPairsAndReportsError) {
  cv::Matx33d truth(0.05, 0.01, -3, 0.002, -0.1, 40, 0.0001, 0.002, 1);
  GroundHomography h0 = GroundHomography::FromMatrix(truth);
  std::vector<PointPair> pairs;
  for (Point2 px : {Point2{10, 300}, Point2{600, 310}, Point2{320, 120}, Point2{100, 200}, Point2{500, 200}}) {
    pairs.push_back({px, h0.ToGround(px)});
  }
  auto h = GroundHomography::Fit(pairs);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_LT(h->RmsGroundErrorM(), 1e-6);
  Point2 g = h->ToGround({250, 250});
  Point2 g0 = h0.ToGround({250, 250});
  EXPECT_NEAR(g.x, g0.x, 1e-6);
  EXPECT_NEAR(g.y, g0.y, 1e-6);
}

TEST(GroundHomographyTest, RejectsTooFewAndCollinear) {
  auto few = GroundHomography::Fit({{{0, 0}, {0, 0}}, {{1, 0}, {1, 0}}, {{0, 1}, {0, 1}}});
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().message(), "homography needs at least 4 point pairs, got 3");
  auto line = GroundHomography::Fit({{{0, 0}, {0, 0}}, {{1, 1}, {1, 0}}, {{2, 2}, {0, 1}}, {{3, 3}, {1, 1}}});
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().message(), "homography image points are collinear");
}

TEST(PinholeCameraTest, ProjectAndBackProjectToGround) {
  PinholeCamera cam;
  cam.k = cv::Matx33d(800, 0, 640, 0, 800, 360, 0, 0, 1);
  // Looking straight down from 100 m: camera z axis = world -z.
  cam.r = cv::Matx33d(1, 0, 0, 0, -1, 0, 0, 0, -1);
  cam.t = -(cam.r * cv::Vec3d(10, 20, 100));
  EXPECT_NEAR(cam.Center()[2], 100, 1e-9);
  auto px = cam.Project({15, 25, 0});
  ASSERT_TRUE(px.has_value());
  EXPECT_NEAR(px->x, 640 + 800 * 5.0 / 100, 1e-9);
  EXPECT_NEAR(px->y, 360 - 800 * 5.0 / 100, 1e-9);
  auto g = cam.PixelToGround(*px, 0);
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR((*g)[0], 15, 1e-9);
  EXPECT_NEAR((*g)[1], 25, 1e-9);
}

}  // namespace
}  // namespace didban::geo
