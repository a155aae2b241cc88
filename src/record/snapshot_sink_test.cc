#include "record/snapshot_sink.h"

#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "testing/data.h"

namespace didban::record {
namespace {

TEST(SnapshotSinkTest, WritesOneJpegPerEventAndFillsThePath) {
  std::string dir = didban::testing::MakeTempDir("snap");
  SnapshotSink sink(dir);
  auto frame = std::make_shared<Frame>();
  frame->image = cv::Mat(120, 160, CV_8UC3, cv::Scalar(40, 40, 40));
  frame->pts_us = 2'000'000;
  TrackSnapshot tracks;
  Track t;
  t.id = 7;
  t.box = {10, 20, 30, 40};
  tracks.tracks.push_back(t);
  std::vector<Event> events(1);
  events[0].time_us = 2'000'000;
  events[0].type = "stopped";
  events[0].track_id = 7;
  ASSERT_TRUE(sink.Consume(frame, tracks, &events).ok());
  EXPECT_EQ(events[0].snapshot_path, dir + "/2000000_stopped_7.jpg");
  cv::Mat back = cv::imread(events[0].snapshot_path);
  ASSERT_EQ(back.cols, 160);
  EXPECT_GT(back.at<cv::Vec3b>(20, 25)[2], 150);  // the red box edge at the track's top
  EXPECT_EQ(sink.Written(), 1);
  std::vector<Event> none;
  ASSERT_TRUE(sink.Consume(frame, tracks, &none).ok());
  EXPECT_EQ(sink.Written(), 1);
}

TEST(SnapshotSinkTest, UnwritableFolderIsAnError) {
  SnapshotSink sink("/nonexistent/folder");
  auto frame = std::make_shared<Frame>();
  frame->image = cv::Mat(10, 10, CV_8UC3, cv::Scalar(0, 0, 0));
  std::vector<Event> events(1);
  events[0].type = "dwell";
  absl::Status s = sink.Consume(frame, TrackSnapshot{}, &events);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "/nonexistent/folder/0_dwell_0.jpg: cannot write JPEG");
}

}  // namespace
}  // namespace didban::record
