#include "fuse/batch_fuser.h"

#include <gtest/gtest.h>

namespace didban::fuse {
namespace {

CameraObservation Obs(double x, double y, double sigma = 0.1) {
  CameraObservation o;
  o.ground.position = {x, y};
  o.ground.covariance = Eigen::Matrix2d::Identity() * sigma * sigma;
  return o;
}

// Two cameras with 1000x1000 px images: A sees ground [0, 10) x [0, 10), B sees [5, 15) x [0, 10) (1 px = 1 cm).
std::vector<BatchCamera> Cameras() {
  BatchCamera a{"A", {}};
  a.calibration.homography = geo::GroundHomography::FromMatrix(cv::Matx33d(0.01, 0, 0, 0, 0.01, 0, 0, 0, 1));
  BatchCamera b{"B", {}};
  b.calibration.homography = geo::GroundHomography::FromMatrix(cv::Matx33d(0.01, 0, 5, 0, 0.01, 0, 0, 0, 1));
  return {a, b};
}

BatchFuserOptions Options() {
  BatchFuserOptions o;
  o.image_width = 1000;
  o.image_height = 1000;
  return o;
}

TEST(BatchFuserTest, ConsensusMergesViewsAndMarksUnsupportedPointsWeak) {
  FuserOptions fuser;
  std::vector<CameraFrame> frames = {{"A", 0, {Obs(7.0, 2.0), Obs(2.0, 2.0), Obs(7.0, 8.0)}},
                                     {"B", 0, {Obs(7.2, 2.1)}}};
  std::vector<GroundHypothesis> h = ClusterStep(frames, Cameras(), fuser, Options());
  ASSERT_EQ(h.size(), 3u);
  // Sorted by x, then y. Only A covers (2, 2): one view is all the support there can be.
  EXPECT_DOUBLE_EQ(h[0].ground.position.x, 2.0);
  EXPECT_EQ(h[0].covering, 1);
  EXPECT_TRUE(h[0].strong);
  // (7, 8) is in both images but only A reports it: weak (may not start a track).
  EXPECT_EQ(FormatContributions(h[1].cameras), "A");
  EXPECT_EQ(h[1].covering, 2);
  EXPECT_FALSE(h[1].strong);
  // Both views agree on (7.1, 2.05): equal covariances, so the plain mean; variance halves, plus min_sigma_m^2.
  EXPECT_NEAR(h[2].ground.position.x, 7.1, 1e-12);
  EXPECT_NEAR(h[2].ground.position.y, 2.05, 1e-12);
  EXPECT_NEAR(h[2].ground.covariance(0, 0), 0.005 + 0.04, 1e-12);
  EXPECT_EQ(FormatContributions(h[2].cameras), "A;B");
  EXPECT_EQ(h[2].covering, 2);
  EXPECT_TRUE(h[2].strong);
  // Outside the ROI nothing is kept.
  fuser.roi_min_x = 0;
  fuser.roi_min_y = 0;
  fuser.roi_max_x = 5;
  fuser.roi_max_y = 5;
  h = ClusterStep(frames, Cameras(), fuser, Options());
  ASSERT_EQ(h.size(), 1u);
  EXPECT_DOUBLE_EQ(h[0].ground.position.x, 2.0);
}

TEST(BatchFuserTest, OnePersonSeenByTwoViewsIsOneTrackAndFalseBoxesAreDropped) {
  FuserOptions fuser;
  fuser.step_s = 0.5;
  std::vector<CameraFrame> frames;
  for (int k = 0; k < 6; ++k) {
    const TimeUs t = k * 500000;
    const double x = 6.0 + 0.5 * k;
    CameraFrame a{"A", t, {Obs(x, 5.0)}};
    CameraFrame b{"B", t, {Obs(x + 0.1, 5.05)}};
    if (k == 2) b.observations.push_back(Obs(8.0, 9.0));  // a false box both views should see: weak, dropped
    frames.push_back(a);
    frames.push_back(b);
  }
  for (bool kalman : {true, false}) {
    BatchFuserOptions o = Options();
    o.kalman_linker = kalman;
    absl::StatusOr<std::vector<FusedStep>> steps = FuseBatch(fuser, o, Cameras(), frames);
    ASSERT_TRUE(steps.ok()) << steps.status();
    ASSERT_EQ(steps->size(), 6u);
    for (size_t k = 0; k < steps->size(); ++k) {
      const FusedStep& s = (*steps)[k];
      EXPECT_EQ(s.time, static_cast<TimeUs>(k) * 500000);
      ASSERT_EQ(s.tracks.size(), 1u) << "kalman " << kalman << " step " << k;
      EXPECT_EQ(s.tracks[0].id, 1);
      EXPECT_EQ(FormatContributions(s.tracks[0].cameras), "A;B");
      EXPECT_NEAR(s.tracks[0].position.x, 6.05 + 0.5 * static_cast<double>(k), 0.05);
    }
  }
}

TEST(BatchFuserTest, OptionsFromJson) {
  absl::StatusOr<BatchFuserOptions> o =
      BatchFuserOptions::FromJson(nlohmann::json{{"image_size", {1920, 1080}}, {"pair_gate_m", 1.2}}, "site: b");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->image_width, 1920);
  EXPECT_EQ(o->image_height, 1080);
  EXPECT_DOUBLE_EQ(o->pair_gate_m, 1.2);
  EXPECT_EQ(BatchFuserOptions::FromJson(nlohmann::json{{"image_size", {1920}}}, "site: b").status().message(),
            "site: b.image_size: expected [w, h]");
  EXPECT_EQ(BatchFuserOptions::FromJson(nlohmann::json{{"min_support", 0}}, "site: b").status().message(),
            "site: b: min_support must be >= 1");
  EXPECT_FALSE(BatchFuserOptions::FromJson(nlohmann::json{{"bogus", 1}}, "site: b").ok());
}

}  // namespace
}  // namespace didban::fuse
