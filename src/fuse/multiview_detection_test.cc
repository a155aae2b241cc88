#include "fuse/multiview_detection.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <Eigen/Eigenvalues>

#include "core/hungarian.h"
#include "fuse/wildtrack.h"
#include "testing/data.h"

namespace didban::fuse {
namespace {

// A 1920x1080 camera at `center` (metres) looking at `target` on the ground, focal length 1000 px.
geo::CameraCalibration LookAt(cv::Vec3d center, cv::Vec3d target) {
  geo::CameraCalibration cal;
  cal.pinhole = geo::LookAtCamera(center, target, 1000, 1920, 1080);
  return cal;
}

// Four cameras 10 m high at the corners of a 22 m square around the 10 m x 10 m test area [0, 10]^2.
class MultiViewDetectionTest : public ::testing::Test {
 protected:
  MultiViewDetectionTest() {
    const cv::Vec3d target(5, 5, 0);
    cals_ = {LookAt({-6, -6, 10}, target), LookAt({16, -6, 10}, target), LookAt({16, 16, 10}, target),
             LookAt({-6, 16, 10}, target)};
    for (const auto& c : cals_) cams_.push_back(&c);
    boxes_.resize(cals_.size());
  }

  // Appends the person's exact boxes to every camera; returns the box indices per camera (-1 where not added).
  std::vector<int> AddPerson(Point2 g) {
    std::vector<int> idx;
    for (size_t c = 0; c < cals_.size(); ++c) {
      std::optional<Box> b = PredictPersonBox(cals_[c], g, options_);
      EXPECT_TRUE(b.has_value());
      idx.push_back(static_cast<int>(boxes_[c].size()));
      boxes_[c].push_back(*b);
    }
    return idx;
  }

  std::vector<PersonHypothesis> Detect() {
    auto r = DetectPeopleMultiView(cams_, boxes_, options_);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : std::vector<PersonHypothesis>{};
  }

  std::vector<geo::CameraCalibration> cals_;
  std::vector<const geo::CameraCalibration*> cams_;
  std::vector<std::vector<Box>> boxes_;
  MultiViewDetectionOptions options_;
};

const PersonHypothesis* Nearest(const std::vector<PersonHypothesis>& hyps, Point2 g) {
  const PersonHypothesis* best = nullptr;
  for (const auto& h : hyps) {
    if (!best || std::hypot(h.position.x - g.x, h.position.y - g.y) <
                     std::hypot(best->position.x - g.x, best->position.y - g.y)) {
      best = &h;
    }
  }
  return best;
}

double Distance(const PersonHypothesis& h, Point2 g) { return std::hypot(h.position.x - g.x, h.position.y - g.y); }

std::vector<int> SupportBoxes(const PersonHypothesis& h, int cameras) {
  std::vector<int> out(cameras, -1);
  for (const BoxRef& r : h.support) out[r.camera] = r.box;
  return out;
}

TEST_F(MultiViewDetectionTest, PredictedBoxIsTheCylinderProjection) {
  // Camera 0 looks along the diagonal; a person on it is centred in x with the head 1.8 m above the foot.
  std::optional<Box> b = PredictPersonBox(cals_[0], {5, 5}, options_);
  ASSERT_TRUE(b.has_value());
  EXPECT_NEAR(b->x + 0.5 * b->w, 960, 1e-3);
  const auto foot = cals_[0].pinhole->Project({5, 5, 0});
  const auto head = cals_[0].pinhole->Project({5, 5, 1.8});
  EXPECT_NEAR(b->Bottom(), foot->y, 1e-3);
  EXPECT_NEAR(b->y, head->y, 1e-3);
  // Width: the 0.5 m diameter across the viewing direction at 0.9 m, seen at the same depth as the centre.
  const auto a = cals_[0].pinhole->Project({5 - 0.25 / std::sqrt(2.0), 5 + 0.25 / std::sqrt(2.0), 0.9});
  EXPECT_NEAR(b->w, 2 * std::abs(a->x - 960), 1e-3);
  EXPECT_NEAR(b->h, 86.42, 0.01);
  EXPECT_NEAR(b->w, 27.77, 0.01);
  EXPECT_FALSE(PredictPersonBox(LookAt({0, 0, 10}, {10, 10, 0}), {-20, -20}, options_).has_value());
}

TEST_F(MultiViewDetectionTest, ExactBoxesGivePositionsWithinOneCentimetre) {
  const std::vector<Point2> people = {{2, 3}, {7, 8}, {5, 1.5}, {8.5, 4}};
  for (Point2 g : people) AddPerson(g);
  auto hyps = Detect();
  ASSERT_EQ(hyps.size(), people.size());
  for (size_t i = 0; i < people.size(); ++i) {
    const PersonHypothesis* h = Nearest(hyps, people[i]);
    ASSERT_NE(h, nullptr);
    EXPECT_LT(Distance(*h, people[i]), 0.01) << i;
    EXPECT_EQ(SupportBoxes(*h, 4), std::vector<int>(4, static_cast<int>(i))) << i;
    EXPECT_EQ(h->covering, 4);
    EXPECT_LT(h->chi2, 1e-3);
    EXPECT_NEAR(h->score, 32, 1e-3);
    // Four views constrain the position to a few centimetres.
    EXPECT_GT(h->covariance(0, 0), 0);
    EXPECT_LT(std::sqrt(h->covariance(0, 0)), 0.2);
    EXPECT_LT(std::sqrt(h->covariance(1, 1)), 0.2);
  }
}

TEST_F(MultiViewDetectionTest, ImplausibleFalseBoxIsRejected) {
  AddPerson({2, 3});
  AddPerson({7, 8});
  // Wide and flat: no standing person projects to it anywhere.
  boxes_[1].push_back({700, 300, 260, 40});
  // Far too tall for its foot position.
  boxes_[2].insert(boxes_[2].begin(), Box{1200, 100, 90, 700});
  auto hyps = Detect();
  ASSERT_EQ(hyps.size(), 2u);
  for (const auto& h : hyps) {
    EXPECT_EQ(h.support.size(), 4u);
    for (const BoxRef& r : h.support) {
      EXPECT_FALSE(r.camera == 1 && r.box == 2);
      EXPECT_FALSE(r.camera == 2 && r.box == 0);
    }
  }
}

TEST_F(MultiViewDetectionTest, SingleViewPersonIsFoundWithSupportOne) {
  const Point2 g{3, 6};
  std::optional<Box> b = PredictPersonBox(cals_[3], g, options_);
  ASSERT_TRUE(b.has_value());
  boxes_[3].push_back(*b);
  auto hyps = Detect();
  ASSERT_EQ(hyps.size(), 1u);
  EXPECT_LT(Distance(hyps[0], g), 0.01);
  ASSERT_EQ(hyps[0].support.size(), 1u);
  EXPECT_EQ(hyps[0].support[0].camera, 3);
  EXPECT_EQ(hyps[0].support[0].box, 0);
  EXPECT_EQ(hyps[0].covering, 4);
  EXPECT_NEAR(hyps[0].score, 8 - 3 * 1.6, 1e-3);
  // One view constrains depth much less than the lateral position.
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(hyps[0].covariance);
  // One view: about 0.13 m across the viewing direction (calibration error dominates), 0.17 m along it.
  EXPECT_NEAR(eig.eigenvalues()(0), 0.01775, 1e-4);
  EXPECT_NEAR(eig.eigenvalues()(1), 0.03016, 1e-4);
  // A stricter miss penalty rejects it.
  options_.miss_score = -3;
  EXPECT_TRUE(Detect().empty());
}

TEST_F(MultiViewDetectionTest, TwoPeopleSixtyCentimetresApartKeepTheirOwnBoxes) {
  const Point2 a{4.7, 5}, b{5.3, 5};
  AddPerson(a);
  AddPerson(b);
  auto hyps = Detect();
  ASSERT_EQ(hyps.size(), 2u);
  const PersonHypothesis* ha = Nearest(hyps, a);
  const PersonHypothesis* hb = Nearest(hyps, b);
  ASSERT_NE(ha, hb);
  EXPECT_LT(Distance(*ha, a), 0.01);
  EXPECT_LT(Distance(*hb, b), 0.01);
  EXPECT_EQ(SupportBoxes(*ha, 4), std::vector<int>(4, 0));
  EXPECT_EQ(SupportBoxes(*hb, 4), std::vector<int>(4, 1));
}

TEST_F(MultiViewDetectionTest, BoxesOfOnePersonSplitBetweenTwoFitsGiveOneHypothesis) {
  // Cameras 0 and 1 see the person at a, cameras 2 and 3 see it 0.25 m away (as a calibration error would place
  // it); with a 1 px calibration error the two pairs do not fit one point, so without the separation rule they give
  // two people 0.25 m apart.
  const Point2 a{5, 5}, b{5.25, 5};
  for (int c = 0; c < 4; ++c) boxes_[c].push_back(*PredictPersonBox(cals_[c], c < 2 ? a : b, options_));
  options_.calibration_px = 1;
  options_.min_separation_m = 0;
  auto hyps = Detect();
  ASSERT_EQ(hyps.size(), 2u);
  EXPECT_NEAR(std::hypot(hyps[0].position.x - hyps[1].position.x, hyps[0].position.y - hyps[1].position.y), 0.25, 0.05);
  options_.min_separation_m = 0.3;
  hyps = Detect();
  ASSERT_EQ(hyps.size(), 1u);
  EXPECT_EQ(hyps[0].support.size(), 2u);
}

TEST_F(MultiViewDetectionTest, RecoverPeopleFitsUnusedBoxesToTracksPriors) {
  // Two people; A's boxes are taken (a detection explained them), B is seen only by cameras 0 and 1.
  const Point2 a{3, 5}, b{7, 5};
  const std::vector<int> ia = AddPerson(a);
  for (int c = 0; c < 2; ++c) boxes_[c].push_back(*PredictPersonBox(cals_[c], b, options_));
  std::vector<BoxRef> taken;
  for (int c = 0; c < 4; ++c) taken.push_back({c, ia[c]});
  // Priors: B predicted 0.3 m off, A (its boxes are taken), and a place where nobody is.
  const Eigen::Matrix2d cov = Eigen::Matrix2d::Identity() * 0.25 * 0.25;
  const std::vector<PersonPrior> priors = {{{7.2, 5.2}, cov}, {a, cov}, {{5, 8}, cov}};
  auto r = RecoverPeople(cams_, boxes_, taken, priors, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 3u);
  ASSERT_TRUE((*r)[0].has_value());
  // The two views outweigh the prior (28 cm off): 5.3 cm from B.
  EXPECT_NEAR(Distance(*(*r)[0], b), 0.053, 0.003);
  EXPECT_EQ(SupportBoxes(*(*r)[0], 4), (std::vector<int>{1, 1, -1, -1}));
  EXPECT_FALSE((*r)[1].has_value());
  EXPECT_FALSE((*r)[2].has_value());
  // Two priors near B compete for its boxes: the better fit gets them, the other gets nothing.
  r = RecoverPeople(cams_, boxes_, taken, {{{7.4, 5.0}, cov}, {{7.05, 5.0}, cov}}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE((*r)[0].has_value());
  ASSERT_TRUE((*r)[1].has_value());
  // One box is not enough with recover_min_boxes 2; it is with the default 1.
  boxes_[1].pop_back();
  options_.recover_min_boxes = 2;
  r = RecoverPeople(cams_, boxes_, taken, {{b, cov}}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE((*r)[0].has_value());
  options_.recover_min_boxes = 1;
  r = RecoverPeople(cams_, boxes_, taken, {{b, cov}}, options_);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE((*r)[0].has_value());
  // Bad input names what is wrong.
  EXPECT_EQ(RecoverPeople(cams_, boxes_, {{1, 9}}, {}, options_).status().message(),
            "taken box 9 of camera 1 does not exist");
  EXPECT_EQ(RecoverPeople(cams_, boxes_, {}, {{b, Eigen::Matrix2d::Zero()}}, options_).status().message(),
            "prior 0: covariance must be positive definite");
}

TEST_F(MultiViewDetectionTest, ClippedBoxAtTheImageBorderIsMatched) {
  // A person whose box in camera 0 crosses the left image border (centre inside, left edge outside); camera 3 does
  // not see the person (the box would be below its image).
  const Point2 g{-8, 9};
  std::optional<Box> b0 = PredictPersonBox(cals_[0], g, options_);
  ASSERT_TRUE(b0.has_value());
  ASSERT_LT(b0->x, 0);
  ASSERT_GT(b0->x + 0.5 * b0->w, 0);
  for (int c = 0; c < 3; ++c) boxes_[c].push_back(*PredictPersonBox(cals_[c], g, options_));
  boxes_[0][0] = Box::FromTlbr(0, b0->y, b0->Right(), b0->Bottom());  // as a detector would report it
  auto hyps = Detect();
  ASSERT_EQ(hyps.size(), 1u);
  EXPECT_LT(Distance(hyps[0], g), 0.01);
  EXPECT_EQ(SupportBoxes(hyps[0], 4), (std::vector<int>{0, 0, 0, -1}));
  EXPECT_EQ(hyps[0].covering, 3);
  EXPECT_LT(hyps[0].chi2, 1e-3);
  // Alone, the clipped box gives only its top and bottom: the fit is exact but nearly rank-deficient along the
  // image row (minimum-norm steps), so the position is off by decimetres yet the box is still explained by the
  // greedy search. There camera 0 would not show the person (the predicted centre leaves the image), so the joint
  // re-assignment finds no camera for the box and drops the person.
  boxes_[1].clear();
  boxes_[2].clear();
  EXPECT_TRUE(Detect().empty());
  options_.polish_iterations = 0;
  hyps = Detect();
  ASSERT_EQ(hyps.size(), 1u);
  EXPECT_EQ(SupportBoxes(hyps[0], 4), (std::vector<int>{0, -1, -1, -1}));
  EXPECT_LT(hyps[0].chi2, 1e-6);
  EXPECT_LT(Distance(hyps[0], g), 0.5);
}

TEST_F(MultiViewDetectionTest, NothingToSeeGivesNothing) {
  EXPECT_TRUE(Detect().empty());
  // A person outside the ROI is not reported.
  AddPerson({8, 8});
  options_.roi = {0, 0, 6, 6};
  EXPECT_TRUE(Detect().empty());
  options_.roi = {0, 0, 10, 10};
  EXPECT_EQ(Detect().size(), 1u);
}

TEST_F(MultiViewDetectionTest, InputErrorsNameTheCamera) {
  boxes_.pop_back();
  auto r = DetectPeopleMultiView(cams_, boxes_, options_);
  EXPECT_EQ(r.status().message(), "boxes for 3 cameras, expected 4 (one list per camera)");
  boxes_.resize(4);
  geo::CameraCalibration none;
  cams_[2] = &none;
  r = DetectPeopleMultiView(cams_, boxes_, options_);
  EXPECT_EQ(r.status().message(), "camera 2: no pinhole calibration");
  geo::CameraCalibration sizeless = cals_[0];
  sizeless.pinhole->width = 0;
  cams_[2] = &sizeless;
  r = DetectPeopleMultiView(cams_, boxes_, options_);
  EXPECT_EQ(r.status().message(), "camera 2: unknown image size (set the pinhole's or options' image_width/height)");
  options_.image_width = 1920;
  options_.image_height = 1080;
  EXPECT_TRUE(DetectPeopleMultiView(cams_, boxes_, options_).ok());
}

TEST(MultiViewDetectionOptionsTest, FromJsonReadsKeysAndRejectsUnknownOnes) {
  auto o = MultiViewDetectionOptions::FromJson(
      nlohmann::json::parse(R"({"calibration_px": 4, "roi": [-3, -9, 9, 27], "refine_iterations": 2})"), "mvd");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->calibration_px, 4);
  EXPECT_EQ(o->roi, (std::vector<double>{-3, -9, 9, 27}));
  EXPECT_EQ(o->refine_iterations, 2);
  EXPECT_EQ(o->gate_chi2, 16);
  EXPECT_EQ(o->polish_iterations, 3);
  EXPECT_EQ(o->redetect_pair_m, 1.0);
  o = MultiViewDetectionOptions::FromJson(nlohmann::json::parse(R"({"polish_iterations": 0, "redetect_pair_m": 0})"),
                                          "mvd");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->polish_iterations, 0);
  EXPECT_EQ(o->redetect_pair_m, 0);
  auto bad = MultiViewDetectionOptions::FromJson(nlohmann::json::parse(R"({"gate": 4})"), "mvd");
  EXPECT_EQ(bad.status().message(),
            "mvd: unknown parameter 'gate' (known: person_height_m, person_diameter_m, sigma_center_rel, "
            "sigma_edge_rel, sigma_width_rel, calibration_px, gate_chi2, single_chi2, match_score, miss_score, "
            "min_score, refine_iterations, max_fit_iterations, image_width, image_height, roi, seed_roi_margin_m, "
            "min_separation_m, recover_min_boxes, recover_chi2, "
            "recover_chi2_per_box, polish_iterations, redetect_pair_m)");
  bad = MultiViewDetectionOptions::FromJson(nlohmann::json::parse(R"({"roi": [1, 2, 3]})"), "mvd");
  EXPECT_EQ(bad.status().message(), "mvd: roi must be [min_x, min_y, max_x, max_y] with min < max, or empty");
  bad = MultiViewDetectionOptions::FromJson(nlohmann::json::parse(R"({"gate_chi2": "x"})"), "mvd");
  EXPECT_FALSE(bad.ok());
}

TEST(MultiViewDetectionOptionsTest, ValidateNamesTheField) {
  EXPECT_TRUE(MultiViewDetectionOptions{}.Validate().ok());
  auto msg = [](auto change) {
    MultiViewDetectionOptions o;
    change(o);
    return std::string(o.Validate().message());
  };
  EXPECT_EQ(msg([](auto& o) { o.person_height_m = 0; }), "person_height_m must be > 0");
  EXPECT_EQ(msg([](auto& o) { o.person_diameter_m = -1; }), "person_diameter_m must be > 0");
  EXPECT_EQ(msg([](auto& o) { o.sigma_width_rel = -0.1; }),
            "sigma_center_rel, sigma_edge_rel, sigma_width_rel, calibration_px must be >= 0");
  EXPECT_EQ(msg([](auto& o) {
              o.calibration_px = 0;
              o.sigma_edge_rel = 0;
            }),
            "every box sigma must be > 0 (set calibration_px > 0 or the relative sigmas)");
  EXPECT_EQ(msg([](auto& o) { o.gate_chi2 = 0; }), "gate_chi2 must be > 0");
  EXPECT_EQ(msg([](auto& o) { o.single_chi2 = 0; }), "single_chi2 must be > 0");
  EXPECT_EQ(msg([](auto& o) { o.miss_score = NAN; }), "match_score, miss_score, min_score must be finite");
  EXPECT_EQ(msg([](auto& o) { o.refine_iterations = 0; }), "refine_iterations must be >= 1");
  EXPECT_EQ(msg([](auto& o) { o.polish_iterations = -1; }), "polish_iterations must be >= 0");
  EXPECT_EQ(msg([](auto& o) { o.redetect_pair_m = NAN; }), "redetect_pair_m must be >= 0");
  EXPECT_EQ(msg([](auto& o) { o.max_fit_iterations = 0; }), "max_fit_iterations must be >= 1");
  EXPECT_EQ(msg([](auto& o) { o.image_height = -1; }), "image_width, image_height must be >= 0");
  EXPECT_EQ(msg([](auto& o) {
              o.roi = {0, 0, 0, 1};
            }),
            "roi must be [min_x, min_y, max_x, max_y] with min < max, or empty");
  EXPECT_EQ(msg([](auto& o) { o.seed_roi_margin_m = -1; }), "seed_roi_margin_m must be >= 0");
  EXPECT_EQ(msg([](auto& o) { o.min_separation_m = -0.1; }), "min_separation_m must be >= 0");
  EXPECT_EQ(msg([](auto& o) { o.recover_min_boxes = 0; }), "recover_min_boxes must be >= 1");
  EXPECT_EQ(msg([](auto& o) { o.recover_chi2_per_box = NAN; }), "recover_chi2 and recover_chi2_per_box must be >= 0");
}

// Per-frame MODA at 0.5 m (Hungarian matching), as the WILDTRACK protocol counts it.
struct Moda {
  int tp = 0, fp = 0, fn = 0;
  void Add(const std::vector<PersonHypothesis>& hyps, const std::vector<Point2>& truth) {
    int matched = 0;
    if (!hyps.empty() && !truth.empty()) {
      std::vector<std::vector<double>> cost(truth.size(), std::vector<double>(hyps.size()));
      for (size_t i = 0; i < truth.size(); ++i) {
        for (size_t j = 0; j < hyps.size(); ++j) {
          const double d = Distance(hyps[j], truth[i]);
          cost[i][j] = d < 0.5 ? d : 1e6;
        }
      }
      std::vector<int> a = SolveAssignment(cost);
      for (size_t i = 0; i < a.size(); ++i) matched += (a[i] >= 0 && cost[i][a[i]] < 0.5) ? 1 : 0;
    }
    tp += matched;
    fp += static_cast<int>(hyps.size()) - matched;
    fn += static_cast<int>(truth.size()) - matched;
  }
  double Value() const { return 100.0 * (1.0 - static_cast<double>(fp + fn) / (tp + fn)); }
};

MultiViewDetectionOptions WildtrackOptions() {
  MultiViewDetectionOptions o;
  o.roi = {-3, -9, 9, 27};
  return o;
}

TEST(MultiViewDetectionWildtrackTest, AnnotatedBoxesOfFrameZeroGiveEveryPerson) {
  DIDBAN_REQUIRE_DATA(root, "multicam/WILDTRACK");
  auto frames = LoadWildtrackAnnotations(root, 1);
  ASSERT_TRUE(frames.ok()) << frames.status();
  auto cals = LoadWildtrackCalibrations(root);
  ASSERT_TRUE(cals.ok()) << cals.status();
  std::vector<const geo::CameraCalibration*> cams;
  for (const auto& c : *cals) cams.push_back(&c);
  std::vector<std::vector<Box>> boxes(kWildtrackViews);
  std::vector<Point2> truth;
  for (const WildtrackPerson& p : (*frames)[0].people) {
    truth.push_back(WildtrackGround(p.position_id));
    for (int v = 0; v < kWildtrackViews; ++v) {
      if (p.boxes[v]) boxes[v].push_back(*p.boxes[v]);
    }
  }
  // Sorted distances from every annotated person to the nearest hypothesis.
  const auto errors = [&](const std::vector<PersonHypothesis>& hyps) {
    std::vector<double> err;
    err.reserve(truth.size());
    for (Point2 g : truth) err.push_back(Distance(*Nearest(hyps, g), g));
    std::sort(err.begin(), err.end());
    return err;
  };
  auto hyps = DetectPeopleMultiView(cams, boxes, WildtrackOptions());
  ASSERT_TRUE(hyps.ok()) << hyps.status();
  std::vector<double> err = errors(*hyps);
  std::printf("frame 0: %zu people, %zu hypotheses, median error %.3f m, max %.3f m\n", truth.size(), hyps->size(),
              err[err.size() / 2], err.back());
  // Measured: 38 people, 38 hypotheses, median error 0.010 m, max 0.019 m.
  EXPECT_EQ(truth.size(), 38u);
  EXPECT_EQ(hyps->size(), truth.size());
  EXPECT_NEAR(err[err.size() / 2], 0.010, 0.002);
  EXPECT_NEAR(err.back(), 0.019, 0.002);
  Moda m;
  m.Add(*hyps, truth);
  EXPECT_EQ(m.tp, 38);
  // The greedy search alone (no pair re-detection, no joint re-assignment) puts the person at (8.975, -3.325), on the
  // ROI's edge and seen by 4 views, 0.186 m off; 37 of 38 within 0.06 m.
  MultiViewDetectionOptions greedy = WildtrackOptions();
  greedy.polish_iterations = 0;
  greedy.redetect_pair_m = 0;
  hyps = DetectPeopleMultiView(cams, boxes, greedy);
  ASSERT_TRUE(hyps.ok()) << hyps.status();
  err = errors(*hyps);
  EXPECT_EQ(hyps->size(), truth.size());
  EXPECT_NEAR(err[err.size() / 2], 0.010, 0.002);
  EXPECT_NEAR(err[err.size() - 2], 0.057, 0.002);
  EXPECT_NEAR(err.back(), 0.186, 0.002);
}

TEST(MultiViewDetectionWildtrackTest, ProtocolSeedZeroModa) {
  DIDBAN_REQUIRE_DATA(root, "multicam/WILDTRACK");
  auto frames = LoadWildtrackAnnotations(root, 200);
  ASSERT_TRUE(frames.ok()) << frames.status();
  auto cals = LoadWildtrackCalibrations(root);
  ASSERT_TRUE(cals.ok()) << cals.status();
  std::vector<const geo::CameraCalibration*> cams;
  for (const auto& c : *cals) cams.push_back(&c);
  const WildtrackSet set = MakeWildtrackDetections(*frames, 0);
  const int n = static_cast<int>(frames->size());
  std::vector<std::vector<std::vector<Box>>> boxes(n, std::vector<std::vector<Box>>(kWildtrackViews));
  for (int v = 0; v < kWildtrackViews; ++v) {
    for (const MotRow& r : set.detections[v]) boxes[r.frame - 1][v].push_back(r.box);
  }
  std::vector<std::vector<Point2>> truth(n);
  for (const eval::GroundRow& g : set.truth) truth[g.frame - 1].push_back({g.x, g.y});
  const auto moda = [&](const MultiViewDetectionOptions& options) {
    Moda m;
    for (int k = 0; k < n; ++k) {
      auto hyps = DetectPeopleMultiView(cams, boxes[k], options);
      EXPECT_TRUE(hyps.ok()) << hyps.status();
      if (hyps.ok()) m.Add(*hyps, truth[k]);
    }
    std::printf("seed 0: polish %d, pairs %.1f m: MODA %.2f FP %d FN %d GT %d\n", options.polish_iterations,
                options.redetect_pair_m, m.Value(), m.fp, m.fn, m.tp + m.fn);
    return m;
  };
  // Measured: MODA 88.30 % (FP 249, FN 311). The greedy search alone: 86.77 % (FP 332, FN 301), as on the files
  // `didban wildtrack-detections` writes (86.56 %, FP 347, FN 296 without the 0.3 m separation rule, which drops 15
  // duplicates and loses 5 people); the Python prototype gives the same hypotheses with this box model (0.5 m
  // diameter, sigma_width_rel 0.06, no separation rule).
  Moda m = moda(WildtrackOptions());
  EXPECT_EQ(m.tp + m.fn, 4785);
  EXPECT_EQ(m.fp, 249);
  EXPECT_EQ(m.fn, 311);
  MultiViewDetectionOptions greedy = WildtrackOptions();
  greedy.polish_iterations = 0;
  greedy.redetect_pair_m = 0;
  m = moda(greedy);
  EXPECT_EQ(m.fp, 332);
  EXPECT_EQ(m.fn, 301);

  // Frame 57: two people stand 0.83 m apart, (7.95, 17.52) and (8.25, 16.75), each with a box in C1, C2 and C6. The
  // greedy search first takes the best-fitting hypothesis, the first person's C1 and C6 boxes with the second's C2
  // box, 0.5 m from both, and the second person then fits between them without a C2 box. The pair re-detection
  // (seeded with the first person's C2 box) finds both.
  const Point2 first{7.95, 17.525}, second{8.25, 16.75};
  auto greedy57 = DetectPeopleMultiView(cams, boxes[56], greedy);
  ASSERT_TRUE(greedy57.ok()) << greedy57.status();
  EXPECT_GT(Distance(*Nearest(*greedy57, first), first), 0.4);
  EXPECT_GT(Distance(*Nearest(*greedy57, second), second), 0.3);
  auto redetected57 = DetectPeopleMultiView(cams, boxes[56], WildtrackOptions());
  ASSERT_TRUE(redetected57.ok()) << redetected57.status();
  EXPECT_LT(Distance(*Nearest(*redetected57, first), first), 0.05);
  EXPECT_LT(Distance(*Nearest(*redetected57, second), second), 0.05);
}

}  // namespace
}  // namespace didban::fuse
