#include "track/kalman_xyah.h"

#include <gtest/gtest.h>

namespace didban::track {
namespace {

TEST(KalmanXyah, InitiateMatchesByteTrackCovariance) {
  KalmanXyah kf;
  kf.Initiate(Box{10, 20, 50, 100}, KalmanXyahNoise{});
  EXPECT_FLOAT_EQ(kf.mean()(0), 35);
  EXPECT_FLOAT_EQ(kf.mean()(1), 70);
  EXPECT_FLOAT_EQ(kf.mean()(2), 0.5f);
  EXPECT_FLOAT_EQ(kf.mean()(3), 100);
  EXPECT_FLOAT_EQ(kf.covariance()(0, 0), 100.f);     // (2 / 20 * 100)^2
  EXPECT_FLOAT_EQ(kf.covariance()(4, 4), 39.0625f);  // (10 / 160 * 100)^2
  EXPECT_FLOAT_EQ(kf.covariance()(6, 6), 1e-10f);
}

TEST(KalmanXyah, FractionalStepsEqualOneWholeStepInMean) {
  KalmanXyahNoise noise;
  KalmanXyah a, b;
  a.Initiate(Box{0, 0, 10, 20}, noise);
  for (int i = 1; i <= 5; ++i) a.Update(Box{i * 4.f, 0, 10, 20}, noise), a.Predict(1, false, noise);
  b = a;
  a.Predict(1, false, noise);
  b.Predict(0.5f, false, noise);
  b.Predict(0.5f, false, noise);
  EXPECT_NEAR(a.mean()(0), b.mean()(0), 1e-4);
  EXPECT_NEAR(a.StateBox().x, b.StateBox().x, 1e-4);
}

TEST(KalmanXyah, ConvergesToConstantVelocity) {
  KalmanXyahNoise noise;
  KalmanXyah kf;
  kf.Initiate(Box{0, 0, 10, 20}, noise);
  for (int i = 1; i <= 50; ++i) {
    kf.Predict(1, false, noise);
    kf.Update(Box{3.f * i, -2.f * i, 10, 20}, noise);
  }
  EXPECT_NEAR(kf.mean()(4), 3.f, 0.01);
  EXPECT_NEAR(kf.mean()(5), -2.f, 0.01);
  const Box b = kf.StateBox();
  EXPECT_NEAR(b.x, 150.f, 0.05);
  EXPECT_NEAR(b.w, 10.f, 0.01);
}

}  // namespace
}  // namespace didban::track
