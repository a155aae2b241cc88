#include "core/params.h"

#include <gtest/gtest.h>

namespace didban {
namespace {

TEST(ParamsTest, ReadsValuesAndNamesWrongTypes) {
  const nlohmann::json p = {{"n", 3}, {"x", 2.5}, {"s", "a"}};
  int n = 0;
  double x = 0;
  EXPECT_TRUE(ReadParam(p, "n", &n, "det").ok());
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(ReadParam(p, "x", &x, "det").ok());
  EXPECT_EQ(x, 2.5);
  EXPECT_EQ(ReadParam(p, "s", &n, "det").code(), absl::StatusCode::kInvalidArgument);
}

// Numbers that the target type cannot hold are refused before nlohmann casts them (undefined behaviour otherwise).
TEST(ParamsTest, NumbersOutOfTheTypesRangeAreRefused) {
  const nlohmann::json p = {{"big", 1e300}, {"neg", -1}, {"edge", 2147483647}, {"over", 2147483648LL}};
  int n = 0;
  EXPECT_EQ(ReadParam(p, "big", &n, "site.yaml: det").message(),
            "site.yaml: det.big: 1e+300 is out of range [-2147483648, 2147483647]");
  EXPECT_TRUE(ReadParam(p, "edge", &n, "det").ok());
  EXPECT_EQ(n, 2147483647);
  EXPECT_EQ(ReadParam(p, "over", &n, "det").message(),
            "det.over: 2147483648 is out of range [-2147483648, 2147483647]");
  unsigned u = 0;
  EXPECT_EQ(ReadParam(p, "neg", &u, "det").message(), "det.neg: -1 is out of range [0, 4294967295]");
  float f = 0;
  EXPECT_EQ(ReadParam(p, "big", &f, "det").code(), absl::StatusCode::kOutOfRange);
  double d = 0;
  EXPECT_TRUE(ReadParam(p, "big", &d, "det").ok());
}

}  // namespace
}  // namespace didban
