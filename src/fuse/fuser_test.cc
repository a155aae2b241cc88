#include "fuse/fuser.h"

#include <gtest/gtest.h>

#include "core/hungarian.h"

namespace didban::fuse {
namespace {

CameraObservation Obs(double x, double y, int64_t local_id = -1, double sigma = 0.1) {
  CameraObservation o;
  o.local_id = local_id;
  o.ground.position = {x, y};
  o.ground.covariance = Eigen::Matrix2d::Identity() * sigma * sigma;
  return o;
}

CameraFrame Frame(const std::string& cam, double t_s, std::vector<CameraObservation> obs) {
  return {cam, SecondsToUs(t_s), std::move(obs)};
}

TEST(FuserTest, TwoCamerasSeeingOneObjectMakeOneConfirmedTrack) {
  FuserOptions o;
  o.step_s = 0.1;
  Fuser fuser(o);
  ASSERT_TRUE(fuser.PushFrame(Frame("A", 0.0, {Obs(1.0, 2.0, 7)})).ok());
  ASSERT_TRUE(fuser.PushFrame(Frame("B", 0.0, {Obs(1.1, 2.0, 3)})).ok());
  EXPECT_TRUE(fuser.Poll().empty());  // waits for the next frame of every camera (the step may still grow)
  ASSERT_TRUE(fuser.PushFrame(Frame("A", 0.1, {Obs(1.1, 2.0, 7)})).ok());
  EXPECT_TRUE(fuser.Poll().empty());  // B has not reported past 0.0 yet
  ASSERT_TRUE(fuser.PushFrame(Frame("B", 0.1, {Obs(1.2, 2.0, 3)})).ok());
  std::vector<FusedStep> steps = fuser.Poll();
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_EQ(steps[0].tracks.size(), 1u);
  const FusedTrack& t = steps[0].tracks[0];
  EXPECT_EQ(t.id, 1);
  EXPECT_NEAR(t.position.x, 1.05, 1e-9);  // equal covariances: the mean
  EXPECT_EQ(FormatContributions(t.cameras), "A:7;B:3");
  steps = fuser.Flush();
  ASSERT_EQ(steps.size(), 1u);
  ASSERT_EQ(steps[0].tracks.size(), 1u);
  EXPECT_EQ(steps[0].tracks[0].id, 1);
  EXPECT_NEAR(steps[0].tracks[0].velocity.x, 1.0, 1e-6);  // two-point start: 0.1 m in 0.1 s
  ASSERT_NE(fuser.LatestStep(), nullptr);
  EXPECT_EQ(fuser.LatestStep()->time, SecondsToUs(0.1));
}

TEST(FuserTest, LaggingCameraIsWaitedForAtMostMaxLag) {
  FuserOptions o;
  o.step_s = 0.1;
  o.max_lag_s = 0.5;
  Fuser fuser(o);
  ASSERT_TRUE(fuser.PushFrame(Frame("A", 0.0, {})).ok());
  ASSERT_TRUE(fuser.PushFrame(Frame("B", 0.0, {})).ok());
  for (int k = 1; k <= 4; ++k) ASSERT_TRUE(fuser.PushFrame(Frame("A", 0.1 * k, {Obs(0, 0)})).ok());
  EXPECT_EQ(fuser.Poll().size(), 0u);  // B holds everything back
  ASSERT_TRUE(fuser.PushFrame(Frame("A", 0.5, {})).ok());
  std::vector<FusedStep> steps = fuser.Poll();  // newest 0.5: step 0.0 has waited 0.5 s
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_EQ(steps[0].time, 0);
  ASSERT_TRUE(fuser.PushFrame(Frame("B", 0.0, {Obs(5, 5)})).ok());  // same time again is allowed; step is gone
  EXPECT_EQ(fuser.Stats().late_dropped, 1);
  auto older = fuser.PushFrame(Frame("A", 0.2, {}));
  ASSERT_FALSE(older.ok());
  EXPECT_EQ(older.message(), "camera A: frame at 200000 us is older than its previous frame at 500000 us");
}

TEST(FuserTest, SilentCameraIsDroppedAndOthersContinue) {
  FuserOptions o;
  o.step_s = 0.1;
  o.camera_timeout_s = 1.0;
  Fuser fuser(o);
  std::vector<FusedStep> steps;
  for (int k = 0; k <= 30; ++k) {
    const double t = 0.1 * k;
    ASSERT_TRUE(fuser.PushFrame(Frame("A", t, {Obs(t, 0, 1)})).ok());
    if (k <= 5) {
      ASSERT_TRUE(fuser.PushFrame(Frame("B", t, {Obs(t, 0, 9)})).ok());
    }
    for (FusedStep& s : fuser.Poll()) steps.push_back(std::move(s));
  }
  EXPECT_EQ(fuser.LiveCameras(), std::vector<std::string>{"A"});
  EXPECT_EQ(fuser.Stats().cameras_lost, 1);
  // Processed up to 2.9 s (3.0 waits for the next frame), one object, one id throughout.
  ASSERT_EQ(steps.size(), 30u);
  for (const FusedStep& s : steps) {
    ASSERT_EQ(s.tracks.size(), 1u) << s.time;
    EXPECT_EQ(s.tracks[0].id, 1);
  }
  EXPECT_EQ(FormatContributions(steps[5].tracks[0].cameras), "A:1;B:9");
  EXPECT_EQ(FormatContributions(steps[20].tracks[0].cameras), "A:1");
}

TEST(FuserTest, SeparateObjectsGetSeparateIdsPerInstanceAndRetire) {
  FuserOptions o;
  o.step_s = 0.5;
  o.retire_after_s = 1.0;
  auto run = [&]() {
    std::vector<CameraFrame> frames;
    for (int k = 0; k < 4; ++k) {
      frames.push_back(Frame("A", 0.5 * k, {Obs(0, 0), Obs(10, 0)}));
      frames.push_back(Frame("B", 0.5 * k, {Obs(0.05, 0), Obs(10.05, 0)}));
    }
    for (int k = 4; k < 10; ++k) {
      frames.push_back(Frame("A", 0.5 * k, {Obs(10, 0)}));
      frames.push_back(Frame("B", 0.5 * k, {}));
    }
    return FuseAll(o, frames);
  };
  for (int instance = 0; instance < 2; ++instance) {  // ids restart per instance
    auto steps = run();
    ASSERT_TRUE(steps.ok()) << steps.status();
    ASSERT_EQ(steps->size(), 10u);
    ASSERT_EQ((*steps)[0].tracks.size(), 2u);
    EXPECT_EQ((*steps)[0].tracks[0].id, 1);
    EXPECT_EQ((*steps)[0].tracks[1].id, 2);
    EXPECT_EQ((*steps)[9].tracks.size(), 1u);  // the object at 0 retired after 1 s unseen
    EXPECT_EQ((*steps)[9].tracks[0].id, 2);
  }
}

TEST(FuserTest, SingleCameraBirthNeedsConfirmation) {
  FuserOptions o;
  o.step_s = 0.5;
  o.confirm_hits = 2;
  auto steps = FuseAll(o, {Frame("A", 0, {Obs(0, 0)}), Frame("A", 0.5, {Obs(0.1, 0)}), Frame("A", 1.0, {Obs(3, 3)})});
  ASSERT_TRUE(steps.ok());
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_TRUE((*steps)[0].tracks.empty());
  ASSERT_EQ((*steps)[1].tracks.size(), 1u);
  EXPECT_EQ((*steps)[1].tracks[0].id, 1);
  EXPECT_TRUE((*steps)[2].tracks.empty());  // (3, 3) is a tentative new object; id 1 is coasting, not reported
}

TEST(FuserOptionsTest, ParsesJsonAndNamesBadFields) {
  auto o = FuserOptions::FromJson(nlohmann::json{{"step_s", 0.5}, {"roi", {-3, -9, 9, 27}}}, "site.yaml fusion");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->step_s, 0.5);
  EXPECT_EQ(o->roi_max_y, 27);
  auto bad = FuserOptions::FromJson(nlohmann::json{{"roi", {1, 2}}}, "fusion");
  EXPECT_EQ(bad.status().message(), "fusion.roi: expected [min_x, min_y, max_x, max_y]");
  auto neg = FuserOptions::FromJson(nlohmann::json{{"retire_after_s", -1}}, "fusion");
  EXPECT_EQ(neg.status().message(), "fusion: retire_after_s must be > 0");
}

}  // namespace
}  // namespace didban::fuse
