#include "fuse/junction_linker.h"

#include <cmath>

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace didban::fuse {
namespace {

// Two people born 9 cm apart: A walks east at 0.7 m per step, B at 15 degrees to the north of east.
std::vector<Point2> PathA() {
  std::vector<Point2> p;
  for (int k = 0; k < 8; ++k) p.push_back({0.7 * k, 0.0});
  return p;
}
std::vector<Point2> PathB() {
  return {{0.05, -0.08}, {0.72, 0.1}, {1.4, 0.28}, {2.08, 0.46}, {2.75, 0.64}, {3.43, 0.82}, {4.1, 1.0}, {4.78, 1.18}};
}

std::vector<Point2> Positions(const LinkedTrack& t) {
  std::vector<Point2> out;
  for (const auto& [k, p] : t.positions) out.push_back(p);
  return out;
}

void ExpectPath(const std::vector<Point2>& got, const std::vector<Point2>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_DOUBLE_EQ(got[i].x, want[i].x) << i;
    EXPECT_DOUBLE_EQ(got[i].y, want[i].y) << i;
  }
}

TEST(JunctionLinkerTest, JunctionSearchUndoesTheSwapOfTheForwardPass) {
  std::vector<std::vector<Point2>> steps;
  for (int k = 0; k < 8; ++k) steps.push_back({PathA()[k], PathB()[k]});
  JunctionLinkerOptions o;
  o.min_hits = 1;
  o.optimize_junctions = false;
  std::vector<LinkedTrack> forward = LinkJunctions(steps, o);
  ASSERT_EQ(forward.size(), 2u);
  // The forward pass has no velocity at the first step: A's start is continued by B and vice versa.
  std::vector<Point2> swapped = PathB();
  swapped[0] = PathA()[0];
  ExpectPath(Positions(forward[0]), swapped);
  o.optimize_junctions = true;
  for (const char* cost : {"kalman", "acceleration"}) {
    SCOPED_TRACE(cost);
    o.junction_cost = cost;
    std::vector<LinkedTrack> fixed = LinkJunctions(steps, o);
    ASSERT_EQ(fixed.size(), 2u);
    ExpectPath(Positions(fixed[0]), PathA());
    ExpectPath(Positions(fixed[1]), PathB());
    for (const auto& [k, d] : fixed[0].detections) EXPECT_EQ(d, 0) << k;
    for (const auto& [k, d] : fixed[1].detections) EXPECT_EQ(d, 1) << k;
  }
}

TEST(JunctionLinkerTest, DetectionCovarianceKeepsAnUncertainDetectionOnItsTrack) {
  // One walker east at 0.5 m per step; at step 5 the detection is 0.8 m off to the north, along the direction its
  // own covariance says is uncertain (sigma 0.8 m; e.g. a person fitted from two nearly parallel views).
  std::vector<std::vector<Point2>> steps;
  std::vector<std::vector<Eigen::Matrix2d>> cov;
  for (int k = 0; k < 10; ++k) {
    steps.push_back({{0.5 * k, k == 5 ? 0.8 : 0.0}});
    Eigen::Matrix2d c = Eigen::Matrix2d::Identity() * 1e-4;
    if (k == 5) c(1, 1) = 0.64;
    cov.push_back({c});
  }
  JunctionLinkerOptions o;
  // Without the covariances the outlier is outside the gate: it starts a track of its own (dropped, too short) and
  // the walker's step 5 is interpolated.
  std::vector<LinkedTrack> plain = LinkJunctions(steps, o);
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].detections.at(5), -1);
  EXPECT_DOUBLE_EQ(plain[0].positions.at(5).y, 0.0);
  // With them it is the walker's.
  std::vector<LinkedTrack> with = LinkJunctions(steps, o, nullptr, cov);
  ASSERT_EQ(with.size(), 1u);
  EXPECT_EQ(with[0].detections.size(), 10u);
  EXPECT_EQ(with[0].detections.at(5), 0);
  // The option turns them off; standard deviations above max_detection_sigma_m are capped (0.1 m: outside again).
  o.detection_covariance = false;
  EXPECT_EQ(LinkJunctions(steps, o, nullptr, cov)[0].detections.at(5), -1);
  o.detection_covariance = true;
  o.max_detection_sigma_m = 0.1;
  EXPECT_EQ(LinkJunctions(steps, o, nullptr, cov)[0].detections.at(5), -1);
  // A covariance with a non-finite entry counts as the cap (1 m: the outlier is the walker's again).
  o.max_detection_sigma_m = 1.0;
  cov[5][0](0, 1) = cov[5][0](1, 0) = NAN;
  EXPECT_EQ(LinkJunctions(steps, o, nullptr, cov)[0].detections.at(5), 0);
}

TEST(JunctionLinkerTest, FillsShortGapsAndDropsShortTracks) {
  // One walker seen at steps 0-2 and 5-7 (two steps missed), and a two-step false track far away.
  std::vector<std::vector<Point2>> steps(8);
  for (int k : {0, 1, 2, 5, 6, 7}) steps[k].push_back({0.5 * k, 1.0});
  steps[3].push_back({20, 20});
  steps[4].push_back({20.1, 20});
  JunctionLinkerOptions o;
  std::vector<LinkedTrack> tracks = LinkJunctions(steps, o);
  ASSERT_EQ(tracks.size(), 1u);
  ASSERT_EQ(tracks[0].positions.size(), 8u);
  EXPECT_NEAR(tracks[0].positions.at(3).x, 1.5, 1e-12);
  EXPECT_NEAR(tracks[0].positions.at(4).x, 2.0, 1e-12);
  EXPECT_EQ(tracks[0].detections.at(3), -1);
  EXPECT_EQ(tracks[0].detections.at(5), 0);
  // Gaps longer than max_fill_gap_steps stay gaps.
  o.max_fill_gap_steps = 1;
  tracks = LinkJunctions(steps, o);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].positions.size(), 6u);
  // The forward pass ends a track unmatched for longer than max_missed_steps (1 by default); the junction search
  // joins the two pieces back across the two missed steps (a window of one step on each side of the boundary
  // between steps 3 and 4 is enough). Without gap junctions they stay two tracks.
  o.max_fill_gap_steps = 2;
  o.junction_window_steps = 1;
  tracks = LinkJunctions(steps, o);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].positions.size(), 8u);
  o.junction_window_steps = 0;
  o.min_hits = 3;  // keep the three-detection pieces
  tracks = LinkJunctions(steps, o);
  ASSERT_EQ(tracks.size(), 2u);
  EXPECT_EQ(tracks[0].positions.begin()->first, 0);
  EXPECT_EQ(tracks[1].positions.begin()->first, 5);
}

TEST(JunctionLinkerTest, GapJunctionsPairTracksAcrossMissedStepsByTheirMotion) {
  // Two people cross diagonally; both are missed at the crossing step 4, so the forward pass (no missed steps
  // allowed here) ends both tracks and starts two new ones after the crossing.
  std::vector<std::vector<Point2>> steps(9);
  for (int k = 0; k < 9; ++k) {
    if (k == 4) continue;
    steps[k] = {{0.5 * k, 0.5 * k}, {0.5 * k, 4 - 0.5 * k}};
  }
  JunctionLinkerOptions o;
  o.max_missed_steps = 0;
  o.junction_window_steps = 0;
  o.min_hits = 4;  // keep the four-detection pieces
  ASSERT_EQ(LinkJunctions(steps, o).size(), 4u);
  o.junction_window_steps = 1;
  for (const char* cost : {"kalman", "acceleration"}) {
    SCOPED_TRACE(cost);
    o.junction_cost = cost;
    std::vector<LinkedTrack> tracks = LinkJunctions(steps, o);
    if (o.junction_cost == "acceleration") {  // the acceleration cost needs adjacent steps: no gap junctions
      EXPECT_EQ(tracks.size(), 4u);
      continue;
    }
    ASSERT_EQ(tracks.size(), 2u);
    // Each keeps its direction through the crossing; the missed step is interpolated at the crossing point.
    for (const LinkedTrack& t : tracks) {
      ASSERT_EQ(t.positions.size(), 9u);
      EXPECT_EQ(t.detections.at(4), -1);
      EXPECT_DOUBLE_EQ(t.positions.at(4).x, 2.0);
      EXPECT_DOUBLE_EQ(t.positions.at(4).y, 2.0);
    }
    for (int k : {0, 3, 5, 8}) {
      EXPECT_DOUBLE_EQ(tracks[0].positions.at(k).y, 0.5 * k) << k;
      EXPECT_DOUBLE_EQ(tracks[1].positions.at(k).y, 4 - 0.5 * k) << k;
    }
  }
}

TEST(JunctionLinkerTest, RecovererFillsMissedStepsOfEstablishedTracks) {
  // The walker of the test above, missed at steps 3 and 4; with max_missed_steps 1 the track ends there unless the
  // recoverer finds the person. The recoverer is asked only for established tracks (two or more detections).
  std::vector<std::vector<Point2>> steps(8);
  for (int k : {0, 1, 2, 5, 6, 7}) steps[k].push_back({0.5 * k, 1.0});
  steps[4].push_back({20, 20});  // a one-step false detection: never asked about
  JunctionLinkerOptions o;
  o.max_missed_steps = 1;
  std::vector<std::pair<int, Point2>> asked;
  const Recoverer recover = [&](int step, std::vector<RecoveryRequest>* requests) {
    for (RecoveryRequest& r : *requests) {
      asked.push_back({step, r.predicted});
      EXPECT_GT(r.covariance(0, 0), 0);
      r.found = Point2{0.5 * step + 0.01, 1.0};
    }
  };
  std::vector<LinkedTrack> tracks = LinkJunctions(steps, o, recover);
  ASSERT_EQ(asked.size(), 2u);
  EXPECT_EQ(asked[0].first, 3);
  EXPECT_NEAR(asked[0].second.x, 1.5, 0.05);  // predicted by the constant-velocity filter
  EXPECT_EQ(asked[1].first, 4);
  ASSERT_EQ(tracks.size(), 1u);
  ASSERT_EQ(tracks[0].positions.size(), 8u);
  EXPECT_DOUBLE_EQ(tracks[0].positions.at(3).x, 1.51);
  // Recovered positions are numbered after the step's detections: none at step 3, one at step 4.
  EXPECT_EQ(tracks[0].detections.at(3), 0);
  EXPECT_EQ(tracks[0].detections.at(4), 1);
  // Without the recoverer (and without gap junctions) the track is split at the gap.
  o.junction_window_steps = 0;
  o.min_hits = 3;
  EXPECT_EQ(LinkJunctions(steps, o).size(), 2u);
}

TEST(JunctionLinkerTest, OptionsFromJson) {
  absl::StatusOr<JunctionLinkerOptions> o =
      JunctionLinkerOptions::FromJson(nlohmann::json{{"min_hits", 2}, {"end_cost", 6.5}}, "site.yaml: junction");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->min_hits, 2);
  EXPECT_EQ(o->end_cost, 6.5);
  EXPECT_TRUE(o->detection_covariance);
  o = JunctionLinkerOptions::FromJson(nlohmann::json{{"detection_covariance", false}, {"max_detection_sigma_m", 0.5}},
                                      "site.yaml: junction");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_FALSE(o->detection_covariance);
  EXPECT_EQ(o->max_detection_sigma_m, 0.5);
  o = JunctionLinkerOptions::FromJson(nlohmann::json{{"min_hit", 2}}, "site.yaml: junction");
  EXPECT_TRUE(absl::StartsWith(o.status().message(), "site.yaml: junction: unknown parameter 'min_hit' (known: "))
      << o.status();
  o = JunctionLinkerOptions::FromJson(nlohmann::json{{"min_hits", 0}}, "site.yaml: junction");
  EXPECT_EQ(std::string(o.status().message()), "site.yaml: junction: min_hits must be >= 1");
  o = JunctionLinkerOptions::FromJson(nlohmann::json{{"junction_cost", "cubic"}}, "site.yaml: junction");
  EXPECT_EQ(std::string(o.status().message()),
            "site.yaml: junction: junction_cost must be kalman or acceleration, not 'cubic'");
  o = JunctionLinkerOptions::FromJson(nlohmann::json{{"junction_cost", "acceleration"}, {"kalman_tail_steps", 2}},
                                      "site.yaml: junction");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->junction_cost, "acceleration");
  EXPECT_EQ(o->kalman_tail_steps, 2);
  for (const auto& [bad, message] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"kalman_accel_sigma", 0}}, "kalman_accel_sigma must be > 0"},
           {{{"max_detection_sigma_m", -1}}, "max_detection_sigma_m must be >= 0"},
           {{{"kalman_head_steps", 0}}, "kalman_head_steps and kalman_tail_steps must be >= 1"},
           {{{"innovation_cap", -1}}, "innovation_cap must be > 0"},
           {{{"death_cost", -1}}, "birth_cost and death_cost must be >= 0"},
           {{{"junction_window_steps", -1}}, "junction_window_steps must be >= 0"}}) {
    EXPECT_EQ(std::string(JunctionLinkerOptions::FromJson(bad, "j").status().message()), "j: " + message) << bad;
  }
}

}  // namespace
}  // namespace didban::fuse
