#include "core/mot_format.h"

#include <gtest/gtest.h>

namespace didban {
namespace {

TEST(MotFormatTest, ParsesCommaAndSpaceSeparatedRows) {
  auto rows = ParseMot("1,-1,10.5,20,30,40,0.9,-1,-1,-1\n\n# comment\n2 3 1 2 3 4\n", "det.txt");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].frame, 1);
  EXPECT_FLOAT_EQ((*rows)[0].box.x, 10.5f);
  EXPECT_FLOAT_EQ((*rows)[0].score, 0.9f);
  EXPECT_EQ((*rows)[1].id, 3);
  EXPECT_FLOAT_EQ((*rows)[1].score, 1.f);
}

TEST(MotFormatTest, ErrorsNameFileLineAndProblem) {
  EXPECT_EQ(ParseMot("1,-1,1,2,3,4\n2,-1,x,2,3,4\n", "det.txt").status().message(),
            "det.txt:2: column 3: not a number: 'x'");
  EXPECT_EQ(ParseMot("1,-1,1,2\n", "d").status().message(),
            "d:1: expected at least 6 columns (frame,id,x,y,w,h), got 4");
  EXPECT_EQ(ParseMot("0,-1,1,2,3,4\n", "d").status().message(), "d:1: frame must be an integer >= 1, got 0");
  EXPECT_EQ(ParseMot("1,-1,1,2,-3,4\n", "d").status().message(), "d:1: negative box size -3x4");
  EXPECT_EQ(ParseMot("1,-1,1,2,3,4,\n", "d").status().message(), "d:1: trailing comma");
  EXPECT_EQ(ParseMot("1,-1,1,2,3,nan\n", "d").status().message(), "d:1: column 6: not a number: 'nan'");
}

TEST(MotFormatTest, LimitsAreCheckedBeforeUse) {
  EXPECT_EQ(ParseMot("100000000,-1,1,2,3,4\n", "d").status().message(),
            "d:1: frame 100000000 is above the limit of 1000000 (raise it with --max-frame)");
  EXPECT_EQ(ParseMot("1,-1,1,2,3,4\n2147483648,-1,1,2,3,4\n", "d").status().message(),
            "d:2: frame 2147483648 is above the limit of 1000000 (raise it with --max-frame)");
  EXPECT_EQ(ParseMot("9223372036854775808,-1,1,2,3,4\n", "d").status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(ParseMot("1000001,-1,1,2,3,4\n", "d", {.max_frame = 1'000'001}).status().code(), absl::StatusCode::kOk);
  EXPECT_EQ(ParseMot("1,1e300,1,2,3,4\n", "d").status().message(),
            "d:1: id must be an integer of magnitude at most 9e+15, got 1e300");
  EXPECT_EQ(ParseMot("1,2.5,1,2,3,4\n", "d").status().message(),
            "d:1: id must be an integer of magnitude at most 9e+15, got 2.5");
  EXPECT_EQ(ParseMot("1,-1,1,2,3e9,4\n", "d").status().message(), "d:1: box w 3e9 is beyond the limit of 1e+06 px");
  EXPECT_EQ(ParseMot("1,-1,1,2,3,4\n", "d", {.max_frame = int64_t{1} << 40}).status().message(),
            "the frame limit must be in [1, 2147483647], got 1099511627776");
}

TEST(MotFormatTest, TextFilesAboveTheSizeLimitAreRefusedBeforeReading) {
  const std::string path = ::testing::TempDir() + "/mot_format_big.txt";
  ASSERT_TRUE(WriteTextFile(path, std::string(100, 'x')).ok());
  EXPECT_EQ(ReadTextFile(path, 99).status().message(),
            path + ": 100 bytes is above the limit of 99 bytes for a text input");
  EXPECT_TRUE(ReadTextFile(path, 100).ok());
}

TEST(MotFormatTest, RoundTrips) {
  std::vector<MotRow> rows = {{.frame = 3, .id = 7, .box = {1.25f, 2.5f, 30.f, 40.75f}, .score = 1.f}};
  auto back = ParseMot(FormatMot(rows), "x");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].frame, 3);
  EXPECT_EQ((*back)[0].id, 7);
  EXPECT_FLOAT_EQ((*back)[0].box.h, 40.75f);
}

TEST(MotFormatTest, MissingFileNamesPath) {
  auto r = ReadMotFile("/nonexistent/det.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "/nonexistent/det.txt: cannot open (No such file or directory)");
}

}  // namespace
}  // namespace didban
