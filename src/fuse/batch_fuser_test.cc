#include "fuse/batch_fuser.h"

#include <optional>
#include <string>

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
    o.linker = kalman ? "fuser" : "chain";
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

// Three pinhole cameras 8 m high around a 10 m x 10 m square; two people walk east, 3 m apart. Boxes are the box
// model's exact boxes (local ids 1 and 2 per camera); some are missing.
TEST(BatchFuserTest, BoxModelConsensusAndJunctionLinker) {
  std::vector<BatchCamera> cameras;
  const cv::Vec3d target(5, 5, 0);
  int n = 0;
  for (const cv::Vec3d& c : {cv::Vec3d(-5, -5, 8), cv::Vec3d(15, -5, 8), cv::Vec3d(5, 17, 8)}) {
    BatchCamera b{std::string(1, static_cast<char>('A' + n++)), {}};
    b.calibration.pinhole = geo::LookAtCamera(c, target, 1000, 1920, 1080);
    cameras.push_back(b);
  }
  BatchFuserOptions o;
  o.consensus = "box_model";
  o.linker = "junction";
  // The detections' own positions: exact to 1e-3 below (the smoother's prior on the first velocity, 0 +- 1 m/s,
  // pulls the ends of an exactly linear track off it).
  o.smooth_accel_sigma = 0;
  FuserOptions fuser;
  fuser.step_s = 0.5;
  auto person = [](int id, int k) { return Point2{2.0 + 0.6 * k, id == 1 ? 3.0 : 6.0 + 0.05 * k}; };
  std::vector<CameraFrame> frames;
  for (int k = 0; k < 8; ++k) {
    for (const BatchCamera& c : cameras) {
      CameraFrame f{c.name, static_cast<TimeUs>(k) * 500000, {}};
      for (int id : {1, 2}) {
        if (id == 1 && k == 3 && c.name == "C") continue;  // one view misses person 1: still two views
        if (id == 2 && k == 5) continue;                   // nobody sees person 2: a gap, filled
        std::optional<Box> box = PredictPersonBox(c.calibration, person(id, k), o.box_model);
        ASSERT_TRUE(box.has_value());
        CameraObservation obs;
        obs.local_id = id;
        obs.box = *box;
        f.observations.push_back(obs);
      }
      frames.push_back(f);
    }
  }
  absl::StatusOr<std::vector<FusedStep>> steps = FuseBatch(fuser, o, cameras, frames);
  ASSERT_TRUE(steps.ok()) << steps.status();
  ASSERT_EQ(steps->size(), 8u);
  for (int k = 0; k < 8; ++k) {
    const FusedStep& s = (*steps)[static_cast<size_t>(k)];
    ASSERT_EQ(s.tracks.size(), 2u) << k;
    for (const FusedTrack& t : s.tracks) {
      // Each global id keeps one person; the ids follow the order of first detection.
      const int id = t.position.y < 4.5 ? 1 : 2;
      const Point2 truth = person(id, k);
      EXPECT_NEAR(t.position.x, truth.x, 1e-3) << k;
      EXPECT_NEAR(t.position.y, truth.y, 1e-3) << k;
      const std::string want = id == 1 ? (k == 3 ? "A:1;B:1" : "A:1;B:1;C:1") : (k == 5 ? "" : "A:2;B:2;C:2");
      EXPECT_EQ(FormatContributions(t.cameras), want) << "step " << k << " person " << id;
      EXPECT_NEAR(t.velocity.x, 1.2, 1e-3) << k;
    }
    EXPECT_NE(s.tracks[0].id, s.tracks[1].id);
  }
  // Without pinhole calibrations the box model cannot run: the error names the camera.
  cameras[1].calibration.pinhole.reset();
  steps = FuseBatch(fuser, o, cameras, frames);
  EXPECT_EQ(std::string(steps.status().message()), "consensus box_model: camera 'B' has no pinhole calibration");
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
  o = BatchFuserOptions::FromJson(
      nlohmann::json{{"consensus", "box_model"}, {"linker", "junction"}, {"junction", {{"min_hits", 2}}}}, "site: b");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->consensus, "box_model");
  EXPECT_EQ(o->linker, "junction");
  EXPECT_EQ(o->junction.min_hits, 2);
  EXPECT_TRUE(o->recover);
  o = BatchFuserOptions::FromJson(nlohmann::json{{"recover", false}}, "site: b");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->recover);
  EXPECT_EQ(BatchFuserOptions::FromJson(nlohmann::json{{"linker", "kalman"}}, "site: b").status().message(),
            "site: b: linker must be fuser, chain or junction, not 'kalman'");
  EXPECT_EQ(BatchFuserOptions::FromJson(nlohmann::json{{"consensus", "pom"}}, "site: b").status().message(),
            "site: b: consensus must be ground or box_model, not 'pom'");
  EXPECT_EQ(BatchFuserOptions::FromJson(nlohmann::json{{"junction", {{"min_hits", 0}}}}, "site: b").status().message(),
            "site: b.junction: min_hits must be >= 1");
}

}  // namespace
}  // namespace didban::fuse
