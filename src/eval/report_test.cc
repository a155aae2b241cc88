#include "eval/report.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace didban::eval {
namespace {

TEST(FormatTableTest, AlignsColumns) {
  EXPECT_EQ(FormatTable({{"MOTA", "52.65"}, {"IDSW", "7"}, {"FN", "150"}}),
            "MOTA   IDSW  FN\n"
            "52.65  7     150\n");
  EXPECT_EQ(FormatNamedRows("Sequence", {{"A", {{"X", "1.00"}}}, {"OVERALL", {{"X", "12.50"}}}}),
            "Sequence  X\n"
            "A         1.00\n"
            "OVERALL   12.50\n");
}

TEST(PercentTest, TwoDecimals) {
  EXPECT_EQ(Percent(0.5264623955431755), "52.65");
  EXPECT_EQ(Percent(-0.25), "-25.00");
}

TEST(MetricsToJsonTest, HoldsEveryFamily) {
  MotMetrics m;
  m.clear.mota = 0.5;
  m.clear.idsw = 3;
  m.identity.idtp = 9;
  m.hota.hota_mean = 0.25;
  m.hota.tp[18] = 4;
  nlohmann::json j = MetricsToJson(m);
  EXPECT_EQ(j["clear"]["MOTA"], 50.0);
  EXPECT_EQ(j["clear"]["IDSW"], 3);
  EXPECT_EQ(j["identity"]["IDTP"], 9);
  EXPECT_EQ(j["hota"]["HOTA"], 25.0);
  EXPECT_EQ(j["hota"]["per_alpha"]["alpha"].size(), 19u);
  EXPECT_EQ(j["hota"]["per_alpha"]["TP"][18], 4);
}

TEST(GroundMetricsToJsonTest, AddsMeanDistance) {
  MotMetrics m;
  m.clear.tp = 4;
  m.clear.motp = 0.75;  // mean similarity 1 - d / 2 m
  nlohmann::json j = GroundMetricsToJson(m, 2.0);
  EXPECT_EQ(j["clear"]["MOTP_m"], 0.5);
  EXPECT_EQ(j["threshold_m"], 2.0);
  EXPECT_EQ(GroundSummaryColumns(m, 2.0)[2], (std::pair<std::string, std::string>("MOTP(m)", "0.500")));
}

}  // namespace
}  // namespace didban::eval
