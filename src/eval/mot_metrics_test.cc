#include "eval/mot_metrics.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace didban::eval {
namespace {

constexpr double kTol = 1e-12;

// Two people (gt 1, 2) over four frames with similarities 0 or 1: gt 2 changes result ID (20 -> 30) in frame 2
// (an ID switch), is missed in frame 3 (a false negative, then a fragment when it resumes), and a stray result 40
// appears in frame 4 (a false positive).
std::vector<EvalFrame> SwitchMissFalsePositive() {
  return {
      {{1, 2}, {10, 20}, {1, 0, 0, 1}},
      {{1, 2}, {10, 30}, {1, 0, 0, 1}},
      {{1, 2}, {10}, {1, 0}},
      {{1, 2}, {10, 30, 40}, {1, 0, 0, 0, 1, 0}},
  };
}

TEST(ClearTest, SwitchMissFalsePositive) {
  ClearMetrics c = ComputeClear(SwitchMissFalsePositive(), 0.5);
  EXPECT_EQ(c.tp, 7);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.idsw, 1);
  EXPECT_EQ(c.frag, 1);
  EXPECT_EQ(c.mt, 1);  // gt 1: 4/4
  EXPECT_EQ(c.pt, 1);  // gt 2: 3/4
  EXPECT_EQ(c.ml, 0);
  EXPECT_EQ(c.num_gt_ids, 2);
  EXPECT_EQ(c.num_frames, 4);
  EXPECT_NEAR(c.mota, 5.0 / 8, kTol);  // (7 - 1 - 1) / 8
  EXPECT_NEAR(c.moda, 6.0 / 8, kTol);
  EXPECT_NEAR(c.motp, 1.0, kTol);
  EXPECT_NEAR(c.recall, 7.0 / 8, kTol);
  EXPECT_NEAR(c.precision, 7.0 / 8, kTol);
}

TEST(IdentityTest, SwitchMissFalsePositive) {
  // Matchable frames: (1,10) 4, (2,20) 1, (2,30) 2; best one-to-one: 1-10 and 2-30.
  IdentityMetrics m = ComputeIdentity(SwitchMissFalsePositive(), 0.5);
  EXPECT_EQ(m.idtp, 6);
  EXPECT_EQ(m.idfn, 2);
  EXPECT_EQ(m.idfp, 2);
  EXPECT_NEAR(m.idf1, 0.75, kTol);
  EXPECT_NEAR(m.idp, 0.75, kTol);
  EXPECT_NEAR(m.idr, 0.75, kTol);
}

TEST(HotaTest, SwitchMissFalsePositive) {
  // Every alpha: TP 7, FN 1, FP 1 -> DetA 7/9. Matches (1,10) 4, (2,20) 1, (2,30) 2 with ID counts gt 4, 4 and
  // result 4, 1, 2: AssA = (4 * 4/4 + 1 * 1/4 + 2 * 2/4) / 7 = 0.75.
  HotaMetrics h = ComputeHota(SwitchMissFalsePositive());
  for (int a = 0; a < HotaMetrics::kNumAlphas; ++a) {
    EXPECT_EQ(h.tp[a], 7);
    EXPECT_EQ(h.fn[a], 1);
    EXPECT_EQ(h.fp[a], 1);
  }
  EXPECT_NEAR(h.deta_mean, 7.0 / 9, kTol);
  EXPECT_NEAR(h.assa_mean, 0.75, kTol);
  EXPECT_NEAR(h.hota_mean, std::sqrt(7.0 / 12), kTol);
  EXPECT_NEAR(h.loca_mean, 1.0, kTol);
  EXPECT_NEAR(h.detre_mean, 7.0 / 8, kTol);
  EXPECT_NEAR(h.detpr_mean, 7.0 / 8, kTol);
  EXPECT_NEAR(h.assre_mean, (4 + 0.25 + 1) / 7, kTol);  // count^2 / gt count
  EXPECT_NEAR(h.asspr_mean, 1.0, kTol);                 // count^2 / result count
}

// One person; result 10 covers it at 0.62 then 0.57 while result 20 appears at 0.93 in frame 2.
std::vector<EvalFrame> KeepPreviousMatch() {
  return {
      {{1}, {10}, {0.62}},
      {{1}, {10, 20}, {0.57, 0.93}},
  };
}

TEST(ClearTest, KeepsPreviousMatchWhileStillValid) {
  ClearMetrics c = ComputeClear(KeepPreviousMatch(), 0.5);
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.fn, 0);
  EXPECT_EQ(c.idsw, 0);  // a fresh best-similarity match would have switched to 20
  EXPECT_NEAR(c.motp, (0.62 + 0.57) / 2, kTol);
  EXPECT_NEAR(c.mota, 0.5, kTol);
}

TEST(ClearTest, ThresholdDecidesMatches) {
  ClearMetrics c = ComputeClear(KeepPreviousMatch(), 0.6);
  // Frame 1 matches (0.62); frame 2: 10 is below 0.6, so 20 takes over: an ID switch.
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.idsw, 1);
}

TEST(ClearTest, FrameWithoutResultsKeepsPreviousMatchAsTrackEval) {
  // Frame 2 has no results at all: TrackEval skips it without clearing "matched in the previous frame", so in
  // frame 3 the old pair (1,10) keeps its bonus over the more similar 20, and no fragment is counted.
  std::vector<EvalFrame> gap = {{{1}, {10}, {0.9}}, {{1}, {}, {}}, {{1}, {10, 20}, {0.55, 0.95}}};
  ClearMetrics c = ComputeClear(gap, 0.5);
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.fp, 1);
  EXPECT_EQ(c.idsw, 0);
  EXPECT_EQ(c.frag, 0);
  // With an unrelated result in frame 2 the previous match is cleared: 20 wins, an ID switch and a fragment.
  gap[1] = {{1}, {30}, {0.0}};
  c = ComputeClear(gap, 0.5);
  EXPECT_EQ(c.tp, 2);
  EXPECT_EQ(c.fn, 1);
  EXPECT_EQ(c.fp, 2);
  EXPECT_EQ(c.idsw, 1);
  EXPECT_EQ(c.frag, 1);
}

TEST(HotaTest, AlphaThresholdsAndLocalisation) {
  // Alignment favours 10 in frame 2 (0.527 x 0.57 > 0.261 x 0.93).
  HotaMetrics h = ComputeHota(KeepPreviousMatch());
  for (int a = 0; a <= 10; ++a) {  // alpha 0.05 .. 0.55: both frames match 10
    EXPECT_EQ(h.tp[a], 2) << a;
    EXPECT_EQ(h.fn[a], 0) << a;
    EXPECT_EQ(h.fp[a], 1) << a;
    EXPECT_NEAR(h.assa[a], 1.0, kTol);
    EXPECT_NEAR(h.deta[a], 2.0 / 3, kTol);
    EXPECT_NEAR(h.loca[a], 0.595, kTol);
  }
  EXPECT_EQ(h.tp[11], 1);  // alpha 0.6: frame 1 only
  EXPECT_EQ(h.fn[11], 1);
  EXPECT_EQ(h.fp[11], 2);
  EXPECT_NEAR(h.assa[11], 1.0 / 3, kTol);
  for (int a = 12; a < HotaMetrics::kNumAlphas; ++a) {
    EXPECT_EQ(h.tp[a], 0) << a;
    EXPECT_NEAR(h.hota[a], 0.0, kTol);
    EXPECT_NEAR(h.loca[a], 1.0, kTol);
  }
  EXPECT_NEAR(h.hota_mean, (11 * std::sqrt(2.0 / 3) + std::sqrt(1.0 / 12)) / 19, kTol);
  EXPECT_NEAR(h.deta_mean, (11 * 2.0 / 3 + 0.25) / 19, kTol);
  EXPECT_NEAR(h.loca_mean, (11 * 0.595 + 0.62 + 7) / 19, kTol);
}

TEST(EvaluateFramesTest, EmptyResultAndEmptyTruth) {
  std::vector<EvalFrame> only_truth = {{{1, 2}, {}, {}}, {{1}, {}, {}}};
  auto m = EvaluateFrames(only_truth, EvalOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->clear.fn, 3);
  EXPECT_EQ(m->clear.ml, 2);
  EXPECT_NEAR(m->clear.mota, 0.0, kTol);
  EXPECT_EQ(m->identity.idfn, 3);
  EXPECT_NEAR(m->hota.hota_mean, 0.0, kTol);
  EXPECT_NEAR(m->hota.loca_mean, 1.0, kTol);

  std::vector<EvalFrame> only_results = {{{}, {5}, {}}};
  m = EvaluateFrames(only_results, EvalOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->clear.fp, 1);
  EXPECT_NEAR(m->clear.mota, -1.0, kTol);  // (0 - 1) / max(1, 0)
  EXPECT_EQ(m->identity.idfp, 1);
  EXPECT_EQ(m->num_res_ids, 1);
}

TEST(EvaluateFramesTest, RejectsBadFrames) {
  std::vector<EvalFrame> dup = {{{1, 1}, {}, {}}};
  EXPECT_EQ(EvaluateFrames(dup, EvalOptions{}).status().message(), "frame index 0: ground-truth ID 1 appears twice");
  std::vector<EvalFrame> wrong_size = {{{1}, {2, 3}, {0.5}}};
  EXPECT_EQ(EvaluateFrames(wrong_size, EvalOptions{}).status().message(),
            "frame index 0: similarity has 1 entries, expected 1 x 2");
  EvalOptions bad;
  bad.match_threshold = 2;
  EXPECT_EQ(EvaluateFrames({}, bad).status().message(), "match_threshold must be in [-1, 1], got 2");
}

}  // namespace
}  // namespace didban::eval
