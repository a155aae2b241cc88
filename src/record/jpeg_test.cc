#include "record/jpeg.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace didban::record {
namespace {

TEST(JpegTest, RoundTripsThroughADecoder) {
  cv::Mat image(48, 64, CV_8UC3, cv::Scalar(30, 120, 200));
  cv::rectangle(image, cv::Rect(10, 8, 20, 16), cv::Scalar(255, 255, 255), cv::FILLED);
  absl::StatusOr<std::string> jpeg = EncodeJpeg(image, 90);
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  ASSERT_GT(jpeg->size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>((*jpeg)[0]), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>((*jpeg)[1]), 0xD8);  // SOI
  cv::Mat decoded = cv::imdecode(std::vector<unsigned char>(jpeg->begin(), jpeg->end()), cv::IMREAD_COLOR);
  ASSERT_EQ(decoded.size(), image.size());
  cv::Mat diff;
  cv::absdiff(decoded, image, diff);
  EXPECT_LT(cv::mean(diff)[0], 6.0);
  EXPECT_LT(cv::mean(diff)[2], 6.0);
}

TEST(JpegTest, GreyAndNonContiguousImages) {
  cv::Mat grey(32, 32, CV_8UC1, cv::Scalar(128));
  ASSERT_TRUE(EncodeJpeg(grey).ok());
  cv::Mat big(64, 64, CV_8UC3, cv::Scalar(1, 2, 3));
  cv::Mat roi = big(cv::Rect(5, 5, 30, 20));
  absl::StatusOr<std::string> jpeg = EncodeJpeg(roi);
  ASSERT_TRUE(jpeg.ok());
  cv::Mat decoded = cv::imdecode(std::vector<unsigned char>(jpeg->begin(), jpeg->end()), cv::IMREAD_COLOR);
  EXPECT_EQ(decoded.cols, 30);
  EXPECT_EQ(decoded.rows, 20);
}

TEST(JpegTest, RefusesWhatItCannotEncode) {
  EXPECT_EQ(EncodeJpeg(cv::Mat()).status().message(), "EncodeJpeg: empty image");
  cv::Mat floats(4, 4, CV_32FC3);
  EXPECT_EQ(EncodeJpeg(floats).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteJpeg("/nonexistent-dir/x.jpg", cv::Mat(4, 4, CV_8UC3)).message(),
            "/nonexistent-dir/x.jpg: cannot write JPEG");
}

}  // namespace
}  // namespace didban::record
