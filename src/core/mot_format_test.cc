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
