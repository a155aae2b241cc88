#include "eval/mot_inputs.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "core/mot_format.h"
#include "testing/data.h"

namespace didban::eval {
namespace {

constexpr double kTol = 1e-12;

// Published values for these exact files: py-motmetrics' test_motchallenge_files (IDF1 ... MOTP, 6 decimals;
// its MOTP is the mean 1 - IoU) and test_evaluation (HOTA, DetA, AssA for TUD-Campus, 16 digits), which its
// TrackEval-parity test checks against TrackEval to 1e-6.
TEST(EvaluateMotFilesTest, TudCampusMatchesPublishedValues) {
  DIDBAN_REQUIRE_DATA(gt, "mot/MOT15/TUD-Campus/gt/gt.txt");
  DIDBAN_REQUIRE_DATA(res, "mot/MOT15/TUD-Campus/res_motmetrics/test.txt");
  auto m = EvaluateMotFiles(gt, res);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->identity.idf1, 0.557659, 1e-6);
  EXPECT_NEAR(m->identity.idp, 0.729730, 1e-6);
  EXPECT_NEAR(m->identity.idr, 0.451253, 1e-6);
  EXPECT_NEAR(m->clear.recall, 0.582173, 1e-6);
  EXPECT_NEAR(m->clear.precision, 0.941441, 1e-6);
  EXPECT_EQ(m->clear.num_gt_ids, 8);
  EXPECT_EQ(m->clear.mt, 1);
  EXPECT_EQ(m->clear.pt, 6);
  EXPECT_EQ(m->clear.ml, 1);
  EXPECT_EQ(m->clear.fp, 13);
  EXPECT_EQ(m->clear.fn, 150);
  EXPECT_EQ(m->clear.idsw, 7);
  EXPECT_EQ(m->clear.frag, 7);
  EXPECT_EQ(m->clear.tp, 209);
  EXPECT_NEAR(m->clear.mota, 0.526462, 1e-6);
  EXPECT_NEAR(1 - m->clear.motp, 0.277201, 1e-6);
  EXPECT_EQ(m->identity.idtp, 162);
  EXPECT_EQ(m->identity.idfp, 60);
  EXPECT_EQ(m->identity.idfn, 197);
  EXPECT_NEAR(m->hota.hota_mean, 0.3913974378451139, kTol);
  EXPECT_NEAR(m->hota.deta_mean, 0.418047030142763, kTol);
  EXPECT_NEAR(m->hota.assa_mean, 0.36912068120832836, kTol);
  EXPECT_EQ(m->num_gt_dets, 359);
}

TEST(EvaluateMotFilesTest, TudStadtmitteMatchesPublishedValues) {
  DIDBAN_REQUIRE_DATA(gt, "mot/MOT15/TUD-Stadtmitte/gt/gt.txt");
  DIDBAN_REQUIRE_DATA(res, "mot/MOT15/TUD-Stadtmitte/res_motmetrics/test.txt");
  auto m = EvaluateMotFiles(gt, res);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_NEAR(m->identity.idf1, 0.644619, 1e-6);
  EXPECT_NEAR(m->identity.idp, 0.819760, 1e-6);
  EXPECT_NEAR(m->identity.idr, 0.531142, 1e-6);
  EXPECT_NEAR(m->clear.recall, 0.608997, 1e-6);
  EXPECT_NEAR(m->clear.precision, 0.939920, 1e-6);
  EXPECT_EQ(m->clear.num_gt_ids, 10);
  EXPECT_EQ(m->clear.mt, 5);
  EXPECT_EQ(m->clear.pt, 4);
  EXPECT_EQ(m->clear.ml, 1);
  EXPECT_EQ(m->clear.fp, 45);
  EXPECT_EQ(m->clear.fn, 452);
  EXPECT_EQ(m->clear.idsw, 7);
  EXPECT_EQ(m->clear.frag, 6);
  EXPECT_NEAR(m->clear.mota, 0.564014, 1e-6);
  EXPECT_NEAR(1 - m->clear.motp, 0.345904, 1e-6);
  // Not published per sequence; our values, pinned (OVERALL with TUD-Campus is checked in the combine test).
  EXPECT_NEAR(m->hota.hota_mean, 0.3978490169927877, 1e-12);
  EXPECT_NEAR(m->hota.deta_mean, 0.3922675723693166, 1e-12);
  EXPECT_NEAR(m->hota.assa_mean, 0.40884075181129965, 1e-12);
}

// py-motmetrics' OVERALL row of the same test (its TrackEval-parity test covers OVERALL too) and test_evaluation's
// OVERALL HOTA, DetA, AssA for the two sequences together.
TEST(CombineSequencesTest, TudOverallMatchesPublishedValues) {
  DIDBAN_REQUIRE_DATA(campus_gt, "mot/MOT15/TUD-Campus/gt/gt.txt");
  DIDBAN_REQUIRE_DATA(campus_res, "mot/MOT15/TUD-Campus/res_motmetrics/test.txt");
  DIDBAN_REQUIRE_DATA(stadt_gt, "mot/MOT15/TUD-Stadtmitte/gt/gt.txt");
  DIDBAN_REQUIRE_DATA(stadt_res, "mot/MOT15/TUD-Stadtmitte/res_motmetrics/test.txt");
  auto campus = EvaluateMotFiles(campus_gt, campus_res);
  auto stadt = EvaluateMotFiles(stadt_gt, stadt_res);
  ASSERT_TRUE(campus.ok()) << campus.status();
  ASSERT_TRUE(stadt.ok()) << stadt.status();
  MotMetrics m = CombineSequences({*campus, *stadt});
  EXPECT_NEAR(m.identity.idf1, 0.624296, 1e-6);
  EXPECT_NEAR(m.identity.idp, 0.799176, 1e-6);
  EXPECT_NEAR(m.identity.idr, 0.512211, 1e-6);
  EXPECT_NEAR(m.clear.recall, 0.602640, 1e-6);
  EXPECT_NEAR(m.clear.precision, 0.940268, 1e-6);
  EXPECT_EQ(m.clear.num_gt_ids, 18);
  EXPECT_EQ(m.clear.mt, 6);
  EXPECT_EQ(m.clear.pt, 10);
  EXPECT_EQ(m.clear.ml, 2);
  EXPECT_EQ(m.clear.fp, 58);
  EXPECT_EQ(m.clear.fn, 602);
  EXPECT_EQ(m.clear.idsw, 14);
  EXPECT_EQ(m.clear.frag, 13);
  EXPECT_NEAR(m.clear.mota, 0.555116, 1e-6);
  EXPECT_NEAR(1 - m.clear.motp, 0.330177, 1e-6);
  EXPECT_NEAR(m.hota.hota_mean, 0.3999570912884786, kTol);
  EXPECT_NEAR(m.hota.deta_mean, 0.3976832912424188, kTol);
  EXPECT_NEAR(m.hota.assa_mean, 0.4124495298453543, kTol);
}

TEST(EvaluateBoxesTest, ZeroMarkedGroundTruthIsIgnored) {
  std::vector<MotRow> gt(2);
  gt[0] = {1, 1, {0, 0, 10, 10}, 1.f};
  gt[1] = {1, 2, {50, 0, 10, 10}, 0.f};  // "do not consider"
  std::vector<MotRow> res = {{1, 7, {0, 0, 10, 10}, 1.f}};
  auto m = EvaluateBoxes(gt, res);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->clear.fn, 0);
  EXPECT_EQ(m->num_gt_dets, 1);
  EXPECT_NEAR(m->clear.mota, 1.0, kTol);
}

TEST(EvaluateBoxesTest, Mot17DistractorsAndClasses) {
  auto row = [](int64_t id, float x, float score, double cls) {
    MotRow r;
    r.frame = 1;
    r.id = id;
    r.box = {x, 0, 10, 20};
    r.score = score;
    r.c8 = cls;
    return r;
  };
  // A pedestrian (class 1), a static person (7, a distractor), a zero-marked pedestrian; results cover all three
  // and one more box on empty ground.
  std::vector<MotRow> gt = {row(1, 0, 1, 1), row(2, 100, 1, 7), row(3, 200, 0, 1)};
  std::vector<MotRow> res = {row(10, 0, 1, -1), row(20, 101, 1, -1), row(30, 200, 1, -1), row(40, 300, 1, -1)};
  BoxEvalOptions mot17;
  mot17.benchmark = MotBenchmark::kMot17;
  auto m = EvaluateBoxes(gt, res, mot17);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->num_gt_dets, 1);   // only the considered pedestrian
  EXPECT_EQ(m->num_res_dets, 3);  // result 20 on the distractor is removed
  EXPECT_EQ(m->clear.tp, 1);
  EXPECT_EQ(m->clear.fp, 2);  // 30 (on a zero-marked box) and 40
  EXPECT_EQ(m->clear.fn, 0);
  // MOT15 conventions ignore classes: person 2 counts, nothing is removed from the results.
  m = EvaluateBoxes(gt, res);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->num_gt_dets, 2);
  EXPECT_EQ(m->clear.tp, 2);
  EXPECT_EQ(m->clear.fp, 2);
  EXPECT_EQ(ParseMotBenchmark("MOT20").value(), MotBenchmark::kMot20);
  EXPECT_EQ(ParseMotBenchmark("MOT16").value(), MotBenchmark::kMot17);
  EXPECT_EQ(ParseMotBenchmark("KITTI").status().message(), "unknown benchmark 'KITTI' (MOT15, MOT16, MOT17 or MOT20)");
}

TEST(BoxIouTest, TrackEvalConvention) {
  EXPECT_NEAR(BoxIou({0, 0, 10, 10}, {5, 0, 10, 10}), 50.0 / 150, kTol);
  EXPECT_NEAR(BoxIou({0, 0, 10, 10}, {0, 0, 10, 10}), 1.0, kTol);
  EXPECT_EQ(BoxIou({0, 0, 10, 10}, {10, 0, 10, 10}), 0.0);  // touching
  EXPECT_EQ(BoxIou({0, 0, 0, 10}, {0, 0, 10, 10}), 0.0);    // empty box
}

TEST(FilterGroundTruthTest, DropsZeroMarkedRows) {
  std::vector<MotRow> gt(3);
  gt[1].score = 0;
  EXPECT_EQ(FilterGroundTruth(gt).size(), 2u);
}

std::string WriteFile(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  EXPECT_TRUE(WriteTextFile(path, text).ok());
  return path;
}

TEST(EvaluateMotFilesTest, ErrorsNameFileAndLine) {
  std::string dir = testing::MakeTempDir("eval_mot");
  std::string gt = WriteFile(dir, "gt.txt", "1,1,10,10,20,20,1,-1,-1,-1\n");
  std::string bad = WriteFile(dir, "bad.txt", "# comment\n1,1,10,10,20,20\n\n2,1,1O,10,20,20\n");
  EXPECT_EQ(std::string(EvaluateMotFiles(gt, bad).status().message()), bad + ":4: column 3: unexpected character 'O'");
  std::string dup = WriteFile(dir, "dup.txt", "1,1,10,10,20,20\n# x\n1,2,10,10,20,20\n1,1,0,0,5,5\n");
  EXPECT_EQ(EvaluateMotFiles(gt, dup).status().message(), dup + ":4: ID 1 appears twice in frame 1 (first on line 1)");
  EXPECT_EQ(EvaluateMotFiles(dir + "/missing.txt", gt).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(EvaluateMotFiles(gt, gt, 0).status().message(), "IoU threshold must be in (0, 1], got 0");
}

// Two people on the ground, threshold 1 m. Result 7 follows person 1 (0.32 m, then 0 m away); result 8 is 2 m
// from person 2 in frame 0 (a miss and a false positive), then 0.44 m away.
constexpr char kGroundTruth[] =
    "frame,id,x,y,label\n"
    "0,1,0,0,person\n"
    "0,2,5,0,person\n"
    "1,1,0,1,person\n"
    "1,2,5,1,person\n";
constexpr char kGroundResult[] =
    "id, x, y, frame\n"
    "7, 0, 0.32, 0\n"
    "8, 5, 2, 0\n"
    "\n"
    "7, 0, 1, 1\n"
    "8, 5, 1.44, 1\n";

TEST(EvaluateGroundTest, HandComputed) {
  auto gt = ParseGroundCsv(kGroundTruth, "gt.csv");
  auto res = ParseGroundCsv(kGroundResult, "res.csv");
  ASSERT_TRUE(gt.ok()) << gt.status();
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ((*res)[2].line, 5);
  auto m = EvaluateGround(*gt, *res, 1.0);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->clear.tp, 3);
  EXPECT_EQ(m->clear.fn, 1);
  EXPECT_EQ(m->clear.fp, 1);
  EXPECT_EQ(m->clear.idsw, 0);
  EXPECT_NEAR(m->clear.mota, 0.5, kTol);
  EXPECT_NEAR(m->clear.moda, 0.5, kTol);
  EXPECT_NEAR(MeanMatchDistance(m->clear, 1.0), (0.32 + 0 + 0.44) / 3, kTol);
  EXPECT_EQ(m->identity.idtp, 3);
  EXPECT_NEAR(m->identity.idf1, 0.75, kTol);
  // Alignment (1,7) = 1, (2,8) = 1/3. Alpha <= 0.55: TP 3, FN 1, FP 1, AssA (2 + 1/3) / 3; alpha 0.60-0.65:
  // TP 2, FN 2, FP 2, AssA 1; alpha >= 0.70: TP 1, FN 3, FP 3, AssA 1/3.
  double expected = (11 * std::sqrt(3.0 / 5 * 7.0 / 9) + 2 * std::sqrt(2.0 / 6) + 6 * std::sqrt(1.0 / 7 / 3)) / 19;
  EXPECT_NEAR(m->hota.hota_mean, expected, kTol);
  // A tighter threshold: 0.4 m drops the 0.44 m match.
  m = EvaluateGround(*gt, *res, 0.4);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->clear.tp, 2);
  EXPECT_EQ(m->clear.fn, 2);
  EXPECT_EQ(m->clear.fp, 2);
}

TEST(FormatGroundCsvTest, WritesMillimetresAndParsesBack) {
  const std::vector<GroundRow> rows = {{1, 2, 3.5, -4.0004}, {2, 17, 0.0, 12.3456}};
  const std::string text = FormatGroundCsv(rows);
  EXPECT_EQ(text, "frame,id,x,y\n1,2,3.500,-4.000\n2,17,0.000,12.346\n");
  auto back = ParseGroundCsv(text, "round.csv");
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].id, 17);
  EXPECT_DOUBLE_EQ((*back)[1].y, 12.346);
  EXPECT_EQ((*back)[1].line, 3);
  EXPECT_EQ(FormatGroundCsv({}), "frame,id,x,y\n");
}

TEST(ParseGroundCsvTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(ParseGroundCsv("frame,id,x\n0,1,2\n", "a.csv").status().message(),
            "a.csv:1: header has no column 'y' (needs id, x, y, frame)");
  EXPECT_EQ(ParseGroundCsv("frame,id,x,y\n0,1,2,3\n0,2,2,abc\n", "a.csv").status().message(),
            "a.csv:3: column 'y': not a number: 'abc'");
  EXPECT_EQ(ParseGroundCsv("frame,id,x,y\n\n0,1,2\n", "a.csv").status().message(),
            "a.csv:3: expected at least 4 fields, got 3");
  EXPECT_EQ(ParseGroundCsv("frame,id,x,y\n1.5,1,2,3\n", "a.csv").status().message(),
            "a.csv:2: frame must be an integer >= 0, got 1.5");
  EXPECT_EQ(ParseGroundCsv("frame,id,x,y\n1,1,2,3\n1,1,4,4\n", "a.csv").status().message(),
            "a.csv:3: ID 1 appears twice in frame 1 (first on line 2)");
  EXPECT_EQ(ParseGroundCsv("\n", "a.csv").status().message(), "a.csv: empty file (expected a header line)");
  std::vector<GroundRow> none;
  EXPECT_EQ(EvaluateGround(none, none, 0).status().message(), "distance threshold must be > 0 metres, got 0");
}

// Two small files whose one frame would need 4000 x 4000 = 16 million similarities are refused before any is made.
TEST(EvaluateMotFilesTest, FramesWithTooManyPairsAreRefused) {
  std::string dir = testing::MakeTempDir("eval_pairs");
  std::string rows;
  for (int id = 1; id <= 4000; ++id) rows += absl::StrCat("1,", id, ",10,10,5,5,1,-1,-1,-1\n");
  ASSERT_TRUE(WriteTextFile(dir + "/gt.txt", rows).ok());
  ASSERT_TRUE(WriteTextFile(dir + "/res.txt", rows).ok());
  EXPECT_EQ(EvaluateMotFiles(dir + "/gt.txt", dir + "/res.txt").status().message(),
            dir +
                "/res.txt: frame 1 pairs 4000 ground-truth rows with 4000 results (16000000 similarities), above "
                "the limit of 10000000");
}

}  // namespace
}  // namespace didban::eval
