#include <cmath>
#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

#include "geo/camera_calibration.h"
#include "testing/data.h"

namespace didban::geo {
namespace {

// Tsai's forward model straight from the paper, for comparison with the PinholeCamera conversion.
struct Tsai {
  double f, kappa1, cx, cy, sx, dpx, dpy;
  cv::Matx33d r;
  cv::Vec3d t;  // millimetres
  Point2 Project(const cv::Vec3d& world_mm) const {
    cv::Vec3d c = r * world_mm + t;
    double xu = f * c[0] / c[2], yu = f * c[1] / c[2];
    // Solve xu = xd (1 + kappa1 rd^2) for the distorted point by fixed-point iteration.
    double xd = xu, yd = yu;
    for (int i = 0; i < 100; ++i) {
      double k = 1 + kappa1 * (xd * xd + yd * yd);
      xd = xu / k;
      yd = yu / k;
    }
    return {sx * xd / dpx + cx, yd / dpy + cy};
  }
};

TEST(TsaiCalibrationTest, MatchesTsaisOwnModelOverTheImage) {
  DIDBAN_REQUIRE_DATA(path, "multicam/PETS-2009/data/calibration/View_001.xml");
  auto cam = LoadTsaiCalibration(path);
  ASSERT_TRUE(cam.ok()) << cam.status();
  EXPECT_EQ(cam->width, 768);
  EXPECT_EQ(cam->height, 576);
  ASSERT_EQ(cam->distortion.size(), 5u);
  const double sa = std::sin(2.0405458695), ca = std::cos(2.0405458695);
  const double sb = std::sin(-0.89337703748), cb = std::cos(-0.89337703748);
  const double sg = std::sin(-0.43056124791), cg = std::cos(-0.43056124791);
  cv::Matx33d rx(1, 0, 0, 0, ca, -sa, 0, sa, ca), ry(cb, 0, sb, 0, 1, 0, -sb, 0, cb),
      rz(cg, -sg, 0, sg, cg, 0, 0, 0, 1);
  Tsai tsai{5.5549183034,     5.1113043639e-03, 3.2422149053e+02,
            2.8256650051e+02, 1.0937855397,     5.1273271277e-03,
            4.6500000000e-03, rz * ry * rx,     {8.2873214225e+02, -3.1754796051e+03, 3.5469298547e+04}};
  // Ground points that land inside the image: back-project a pixel grid, then compare both forward models.
  double worst = 0;
  int n = 0;
  for (int v = 20; v < 576; v += 40) {
    for (int u = 20; u < 768; u += 40) {
      auto g = cam->PixelToGround({static_cast<double>(u), static_cast<double>(v)}, 0);
      if (!g) continue;
      Point2 a = tsai.Project(*g * 1000.0);
      auto b = cam->Project(*g);
      ASSERT_TRUE(b.has_value());
      worst = std::max(worst, std::hypot(a.x - b->x, a.y - b->y));
      ++n;
    }
  }
  std::printf("PETS View_001: %d points, worst difference %.5f px\n", n, worst);
  EXPECT_GT(n, 200);
  EXPECT_LT(worst, 0.05);
}

TEST(TsaiCalibrationTest, PetsViewsSeeTheSameGround) {
  // The 8 PETS views look at one plaza: the centre of View_001's image must project into the other views that face
  // it, and each camera sits a plausible few metres above the ground.
  DIDBAN_REQUIRE_DATA(dir, "multicam/PETS-2009/data/calibration");
  auto v1 = LoadTsaiCalibration(dir + "/View_001.xml");
  ASSERT_TRUE(v1.ok()) << v1.status();
  auto centre = v1->PixelToGround({384, 288}, 0);
  ASSERT_TRUE(centre.has_value());
  std::printf("View_001 centre ray hits ground at (%.2f, %.2f) m\n", (*centre)[0], (*centre)[1]);
  int seen = 0;
  for (int k = 1; k <= 8; ++k) {
    auto cam = LoadTsaiCalibration(absl::StrCat(dir, "/View_00", k, ".xml"));
    ASSERT_TRUE(cam.ok()) << cam.status();
    double h = cam->Center()[2];
    std::printf("View_00%d: height %.2f m\n", k, h);
    EXPECT_GT(h, 1.5) << k;
    EXPECT_LT(h, 30.0) << k;
    auto px = cam->Project(*centre);
    if (px && cam->InImage(*px)) ++seen;
  }
  EXPECT_GE(seen, 3);
}

TEST(TsaiCalibrationTest, ErrorsNameFileAndField) {
  std::string dir = didban::testing::MakeTempDir("tsai");
  std::string path = dir + "/bad.xml";
  std::ofstream(path) << R"(<Camera><Geometry width="768" height="576" dpx="0.005" dpy="0.005"/>)"
                      << R"(<Intrinsic focal="5" kappa1="0" cx="300" cy="200"/></Camera>)";
  auto cam = LoadTsaiCalibration(path);
  ASSERT_FALSE(cam.ok());
  EXPECT_EQ(cam.status().message(), path + ": Intrinsic.sx: missing");
  auto none = LoadTsaiCalibration(dir + "/none.xml");
  EXPECT_EQ(none.status().message(), dir + "/none.xml: cannot open calibration file");
}

TEST(TsaiCalibrationTest, LimitsOfSizeAndImageSide) {
  std::string dir = didban::testing::MakeTempDir("tsai_limits");
  std::string path = dir + "/huge.xml";
  std::ofstream(path) << R"(<Camera><Geometry width="1e300" height="576" ncx="1" dpx="0.005" dpy="0.005"/>)"
                      << R"(<Intrinsic focal="5" kappa1="0" cx="300" cy="200" sx="1"/>)"
                      << R"(<Extrinsic tx="0" ty="0" tz="0" rx="0" ry="0" rz="0"/></Camera>)";
  EXPECT_EQ(LoadTsaiCalibration(path).status().message(),
            path + ": Geometry width/height 1e+300x576 is beyond the limit of 100000 px");
  std::string big = dir + "/big.xml";
  std::ofstream(big) << std::string((1 << 20) + 1, ' ');
  EXPECT_EQ(LoadTsaiCalibration(big).status().message(),
            big + ": 1048577 bytes is above the limit of 1048576 bytes for a text input");
}

TEST(OpenCvXmlCalibrationTest, LoadsWildtrackCameraInMetres) {
  DIDBAN_REQUIRE_DATA(root, "multicam/WILDTRACK/calibrations");
  auto cam =
      LoadOpenCvXmlCalibration(root + "/intrinsic_original/intr_CVLab1.xml", root + "/extrinsic/extr_CVLab1.xml", 0.01);
  ASSERT_TRUE(cam.ok()) << cam.status();
  EXPECT_DOUBLE_EQ(cam->k(0, 0), 1743.4478759765625);
  EXPECT_DOUBLE_EQ(cam->k(1, 2), 444.3987731933594);
  ASSERT_EQ(cam->distortion.size(), 5u);
  EXPECT_DOUBLE_EQ(cam->distortion[0], -0.43248599767684937);
  EXPECT_NEAR(cam->t[2], 9.867235107421875, 1e-12);
  auto zero =
      LoadOpenCvXmlCalibration(root + "/intrinsic_zero/intr_CVLab1.xml", root + "/extrinsic/extr_CVLab1.xml", 0.01);
  ASSERT_TRUE(zero.ok());
  EXPECT_TRUE(zero->distortion.empty());  // all-zero coefficients
  auto bad = LoadOpenCvXmlCalibration(root + "/extrinsic/extr_CVLab1.xml", root + "/extrinsic/extr_CVLab1.xml", 0.01);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), root + "/extrinsic/extr_CVLab1.xml: missing <camera_matrix>");
}

}  // namespace
}  // namespace didban::geo
