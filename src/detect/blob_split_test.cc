#include "detect/blob_split.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

namespace didban::detect {
namespace {

cv::Mat Blank(int width = 120, int height = 100) { return cv::Mat::zeros(height, width, CV_8UC1); }

void Fill(cv::Mat& mask, const cv::Rect& r) { mask(r).setTo(255); }

const cv::Rect kAll(0, 0, 120, 100);

TEST(Silhouette, RowWidthsAndColumnHeights) {
  cv::Mat m = Blank(6, 4);
  m.at<unsigned char>(0, 1) = 255;
  m.at<unsigned char>(0, 4) = 255;  // row 0: columns 1..4 (a hole between counts as width)
  m.at<unsigned char>(2, 1) = 255;  // row 1 empty
  Silhouette s = SilhouetteOf(m);
  EXPECT_EQ(s.row_width, (std::vector<int>{4, 0, 1, 0}));
  EXPECT_EQ(s.column_height, (std::vector<int>{0, 3, 0, 0, 1, 0}));
}

// A van ahead of a lorry: a narrow block standing on a wide one, touching. Cut between rows 40 and 41.
TEST(SplitAtSteps, NarrowPartOnTopOfAWideOne) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(40, 20, 20, 21));  // rows 20..40
  Fill(m, cv::Rect(10, 41, 80, 40));  // rows 41..80
  auto parts = SplitAtSteps(m, kAll, StepSplitOptions{});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], cv::Rect(40, 20, 20, 21));
  EXPECT_EQ(parts[1], cv::Rect(10, 41, 80, 40));
}

// The same upside down: the narrow part below.
TEST(SplitAtSteps, NarrowPartBelowAWideOne) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(10, 10, 80, 40));
  Fill(m, cv::Rect(30, 50, 16, 12));
  auto parts = SplitAtSteps(m, kAll, StepSplitOptions{});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], cv::Rect(10, 10, 80, 40));
  EXPECT_EQ(parts[1], cv::Rect(30, 50, 16, 12));
}

// A car beside a lorry: a short block beside a tall one (column heights 20 vs 70).
TEST(SplitAtSteps, ShortPartBesideATallOne) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(5, 60, 30, 20));
  Fill(m, cv::Rect(35, 10, 50, 70));
  auto parts = SplitAtSteps(m, kAll, StepSplitOptions{});
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], cv::Rect(5, 60, 30, 20));
  EXPECT_EQ(parts[1], cv::Rect(35, 10, 50, 70));
}

// Both at once: the van is cut off first (the larger step, 60 / 12 = 5 against 70 / 20 = 3.5), then the car.
TEST(SplitAtSteps, RecursesIntoTheParts) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(60, 2, 12, 8));    // van, rows 2..9
  Fill(m, cv::Rect(35, 10, 60, 70));  // lorry, rows 10..79, columns 35..94
  Fill(m, cv::Rect(5, 60, 30, 20));   // car, columns 5..34
  auto parts = SplitAtSteps(m, kAll, StepSplitOptions{});
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(parts[0], cv::Rect(60, 2, 12, 8));
  EXPECT_EQ(parts[1], cv::Rect(5, 60, 30, 20));
  EXPECT_EQ(parts[2], cv::Rect(35, 10, 60, 70));
  StepSplitOptions one_cut;
  one_cut.max_depth = 1;
  parts = SplitAtSteps(m, kAll, one_cut);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], cv::Rect(60, 2, 12, 8));
  EXPECT_EQ(parts[1], cv::Rect(5, 10, 90, 70));
}

// A car from behind: the roof (28 wide) on the body (40 wide) steps by 1.43 only; holes do not matter.
TEST(SplitAtSteps, KeepsAVehicleWithANarrowerRoof) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(26, 30, 28, 10));
  Fill(m, cv::Rect(20, 40, 40, 20));
  m(cv::Rect(30, 45, 20, 5)).setTo(0);  // a dark rear window missed by the background model
  auto parts = SplitAtSteps(m, cv::Rect(0, 0, 120, 100), StepSplitOptions{});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], cv::Rect(20, 30, 40, 30));  // the box tightened to the foreground
  StepSplitOptions loose;  // cuts the roof off; parts of 8 or more rows and columns only (no column cut here)
  loose.ratio = 1.3;
  loose.min_part_px = 8;
  parts = SplitAtSteps(m, kAll, loose);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], cv::Rect(26, 30, 28, 10));
  EXPECT_EQ(parts[1], cv::Rect(20, 40, 40, 20));
}

// Parts shorter than min_part_px are not cut off (a 2-row strip under a block: with 6-row parts the lower part holds
// 4 block rows and its median width is the block's); a narrow part narrower than min_part_px neither (a 3-column
// pole on a block).
TEST(SplitAtSteps, MinimumPartLength) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(40, 20, 20, 20));
  Fill(m, cv::Rect(10, 40, 80, 2));
  StepSplitOptions six;
  six.min_part_px = 6;
  auto parts = SplitAtSteps(m, kAll, six);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], cv::Rect(10, 20, 80, 22));
  StepSplitOptions two;
  two.min_part_px = 2;
  parts = SplitAtSteps(m, kAll, two);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], cv::Rect(40, 20, 20, 20));
  EXPECT_EQ(parts[1], cv::Rect(10, 40, 80, 2));

  cv::Mat pole = Blank();
  Fill(pole, cv::Rect(50, 10, 3, 30));
  Fill(pole, cv::Rect(20, 40, 60, 30));
  parts = SplitAtSteps(pole, kAll, StepSplitOptions{});
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], cv::Rect(20, 10, 60, 60));
}

TEST(SplitAtSteps, SmallPartsDroppedOnlyPixelsInsideTheBoxCount) {
  cv::Mat m = Blank();
  Fill(m, cv::Rect(40, 20, 20, 21));  // 420 pixels
  Fill(m, cv::Rect(10, 41, 80, 40));  // 3200 pixels
  Fill(m, cv::Rect(100, 90, 10, 5));  // outside the box below
  StepSplitOptions o;
  o.min_area_px = 500;
  auto parts = SplitAtSteps(m, cv::Rect(0, 0, 95, 85), o);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0], cv::Rect(10, 41, 80, 40));
  EXPECT_TRUE(SplitAtSteps(m, cv::Rect(0, 0, 5, 5), o).empty());           // no foreground
  EXPECT_TRUE(SplitAtSteps(m, cv::Rect(200, 200, 5, 5), o).empty());       // outside the mask
  EXPECT_TRUE(SplitAtSteps(cv::Mat(m.size(), CV_8UC3), kAll, o).empty());  // not a mask
  // Clipped to the mask, the box also holds the small block (50 pixels, cut off below and dropped).
  EXPECT_EQ(SplitAtSteps(m, cv::Rect(-10, -10, 200, 200), o), std::vector<cv::Rect>{cv::Rect(10, 41, 80, 40)});
}

TEST(StepSplitOptions, Validate) {
  EXPECT_TRUE(StepSplitOptions{}.Validate().ok());
  StepSplitOptions o;
  o.ratio = 1.0;
  EXPECT_EQ(o.Validate().message(), "split ratio: must be > 1");
  o = {};
  o.min_part_px = 0;
  EXPECT_EQ(o.Validate().message(), "split min_part_px: must be >= 1");
  o = {};
  o.min_area_px = -1;
  EXPECT_EQ(o.Validate().message(), "split min_area_px: must be >= 0");
  o = {};
  o.max_depth = 9;
  EXPECT_EQ(o.Validate().message(), "split max_depth: must be in [0, 8]");
}

}  // namespace
}  // namespace didban::detect
