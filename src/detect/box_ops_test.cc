#include "detect/box_ops.h"

#include <gtest/gtest.h>

namespace didban::detect {
namespace {

Detection D(float x, float y, float w, float h, float score, int cls) {
  return {{x, y, w, h}, score, ObjectClass::kUnknown, cls};
}

TEST(NmsPerClass, SuppressesOverlapsOfTheSameClassOnly) {
  Detections in = {D(0, 0, 10, 10, 0.6f, 0), D(1, 0, 10, 10, 0.9f, 0), D(1, 0, 10, 10, 0.8f, 2),
                   D(50, 50, 10, 10, 0.7f, 0)};
  Detections out = NmsPerClass(in, 0.45f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_EQ(out[0].model_class, 0);
  EXPECT_FLOAT_EQ(out[1].score, 0.8f);
  EXPECT_EQ(out[1].model_class, 2);
  EXPECT_FLOAT_EQ(out[2].score, 0.7f);
  EXPECT_FLOAT_EQ(out[2].box.x, 50.f);
}

TEST(NmsPerClass, ThresholdIsStrictAndMaxDetectionsCaps) {
  // IoU of these two is exactly 1/3 (overlap 50 of union 150).
  Detections in = {D(0, 0, 10, 10, 0.9f, 1), D(5, 0, 10, 10, 0.8f, 1)};
  EXPECT_EQ(NmsPerClass(in, 1.f / 3.f + 1e-6f).size(), 2u);
  EXPECT_EQ(NmsPerClass(in, 0.3f).size(), 1u);
  EXPECT_EQ(NmsPerClass(in, 0.9f, 1).size(), 1u);
  EXPECT_TRUE(NmsPerClass({}, 0.5f).empty());
}

TEST(LetterboxImage, KeepsAspectAtTopLeftWithGrey) {
  cv::Mat img(100, 200, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::Mat out;
  Letterbox lb = LetterboxImage(img, 416, 416, true, &out);
  EXPECT_EQ(out.size(), cv::Size(416, 416));
  EXPECT_FLOAT_EQ(lb.scale_x, 2.08f);
  EXPECT_FLOAT_EQ(lb.scale_y, 2.08f);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(out.at<cv::Vec3b>(207, 415), cv::Vec3b(10, 20, 30));  // last image row is 207 (100 * 2.08 = 208 rows)
  EXPECT_EQ(out.at<cv::Vec3b>(208, 0), cv::Vec3b(114, 114, 114));
  EXPECT_EQ(out.at<cv::Vec3b>(415, 415), cv::Vec3b(114, 114, 114));
  Box b = lb.ToImage({208, 104, 41.6f, 20.8f});
  EXPECT_NEAR(b.x, 100, 1e-4);
  EXPECT_NEAR(b.y, 50, 1e-4);
  EXPECT_NEAR(b.w, 20, 1e-4);
  EXPECT_NEAR(b.h, 10, 1e-4);
}

TEST(LetterboxImage, StretchesWithoutAspect) {
  cv::Mat img(240, 320, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat out;
  Letterbox lb = LetterboxImage(img, 352, 352, false, &out);
  EXPECT_EQ(out.size(), cv::Size(352, 352));
  EXPECT_FLOAT_EQ(lb.scale_x, 1.1f);
  EXPECT_FLOAT_EQ(lb.scale_y, 352.f / 240.f);
  Box b = lb.ToImage({35.2f, 352.f / 2, 35.2f, 352.f / 4});
  EXPECT_NEAR(b.x, 32, 1e-4);
  EXPECT_NEAR(b.y, 120, 1e-4);
  EXPECT_NEAR(b.w, 32, 1e-4);
  EXPECT_NEAR(b.h, 60, 1e-4);
}

TEST(ClipBox, ClipsAndEmptiesOutside) {
  Box b = ClipBox({-5, 10, 20, 300}, 100, 200);
  EXPECT_FLOAT_EQ(b.x, 0);
  EXPECT_FLOAT_EQ(b.y, 10);
  EXPECT_FLOAT_EQ(b.w, 15);
  EXPECT_FLOAT_EQ(b.h, 190);
  EXPECT_FLOAT_EQ(ClipBox({150, 10, 20, 20}, 100, 200).Area(), 0.f);
}

TEST(MergeNearbyBoxes, MergesChainsWithinGap) {
  std::vector<Box> boxes = {{0, 0, 10, 10}, {12, 0, 10, 10}, {24, 0, 10, 10}, {60, 60, 5, 5}};
  std::vector<Box> merged = MergeNearbyBoxes(boxes, 2.f);
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_FLOAT_EQ(merged[0].x, 0);
  EXPECT_FLOAT_EQ(merged[0].w, 34);
  EXPECT_FLOAT_EQ(merged[1].x, 60);
  EXPECT_EQ(MergeNearbyBoxes(boxes, 1.9f).size(), 4u);
}

}  // namespace
}  // namespace didban::detect
