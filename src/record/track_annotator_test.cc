#include "record/track_annotator.h"

#include <set>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

namespace didban::record {
namespace {

Track MakeTrack(int64_t id, Box box, ObjectClass c = ObjectClass::kCar, TrackState s = TrackState::kConfirmed) {
  Track t;
  t.id = id;
  t.box = box;
  t.object_class = c;
  t.state = s;
  return t;
}

TrackSnapshot Snapshot(std::vector<Track> tracks) {
  TrackSnapshot s;
  s.tracks = std::move(tracks);
  return s;
}

TEST(TrailHistoryTest, KeepsTheLastPointsAndForgetsVanishedTracks) {
  TrailHistory trails(3);
  for (int i = 0; i < 5; ++i) {
    trails.Update(Snapshot({MakeTrack(1, {10.f * i, 0, 10, 20}), MakeTrack(2, {0, 5.f * i, 4, 4})}));
  }
  ASSERT_EQ(trails.Trail(1).size(), 3u);
  EXPECT_DOUBLE_EQ(trails.Trail(1).front().x, 25.0);  // bottom centre of the 3rd box (x = 20)
  EXPECT_DOUBLE_EQ(trails.Trail(1).back().x, 45.0);
  EXPECT_DOUBLE_EQ(trails.Trail(1).back().y, 20.0);
  EXPECT_EQ(trails.TrackCount(), 2u);
  trails.Update(
      Snapshot({MakeTrack(2, {0, 0, 4, 4}), MakeTrack(1, {0, 0, 1, 1}, ObjectClass::kCar, TrackState::kRemoved)}));
  EXPECT_EQ(trails.TrackCount(), 1u);
  EXPECT_TRUE(trails.Trail(1).empty());
  EXPECT_EQ(trails.Trail(2).size(), 3u);
  trails.Update(Snapshot({}));
  EXPECT_EQ(trails.TrackCount(), 0u);
}

TEST(TrailHistoryTest, ZeroPointsKeepsNothing) {
  TrailHistory trails(0);
  trails.Update(Snapshot({MakeTrack(1, {0, 0, 4, 4})}));
  EXPECT_EQ(trails.TrackCount(), 0u);
}

TEST(TrackAnnotatorTest, DrawsOnACopyInTheTrackColour) {
  Frame frame;
  frame.full = cv::Mat(120, 160, CV_8UC3, cv::Scalar(0, 0, 0));
  frame.image = frame.full;
  TrackAnnotator annotator(AnnotatorOptions{});
  cv::Mat out = annotator.Annotate(frame, Snapshot({MakeTrack(7, {40, 50, 30, 40})}));
  EXPECT_EQ(cv::countNonZero(frame.full.reshape(1)), 0);  // the shared frame is untouched
  ASSERT_EQ(out.size(), frame.full.size());
  const cv::Scalar c = TrackColor(7);
  const cv::Vec3b expect(static_cast<uchar>(c[0]), static_cast<uchar>(c[1]), static_cast<uchar>(c[2]));
  EXPECT_EQ(out.at<cv::Vec3b>(70, 40), expect);              // left edge
  EXPECT_EQ(out.at<cv::Vec3b>(90, 55), expect);              // bottom edge
  EXPECT_EQ(out.at<cv::Vec3b>(70, 55), cv::Vec3b(0, 0, 0));  // inside stays clear
  EXPECT_EQ(TrackLabel(MakeTrack(7, {})), "#7 car");
  EXPECT_EQ(TrackLabel(MakeTrack(3, {}, ObjectClass::kUnknown)), "#3");
}

TEST(TrackAnnotatorTest, DrawsOnTheFullFrameScaled) {
  Frame frame;
  frame.full = cv::Mat(200, 200, CV_8UC3, cv::Scalar(0, 0, 0));
  frame.image = cv::Mat(100, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  frame.scale = 0.5;
  AnnotatorOptions options;
  options.on_full = true;
  options.thickness = 1;
  TrackAnnotator annotator(options);
  cv::Mat out = annotator.Annotate(frame, Snapshot({MakeTrack(1, {20, 30, 20, 20})}));
  ASSERT_EQ(out.cols, 200);
  const cv::Scalar c = TrackColor(1);
  EXPECT_EQ(out.at<cv::Vec3b>(100, 40), cv::Vec3b(c[0], c[1], c[2]));  // x = 20 * 2, y between 60 and 100
  EXPECT_EQ(out.at<cv::Vec3b>(100, 20), cv::Vec3b(0, 0, 0));
}

TEST(TrackAnnotatorTest, LostTracksCanBeHidden) {
  Frame frame;
  frame.image = cv::Mat(60, 60, CV_8UC3, cv::Scalar(0, 0, 0));
  AnnotatorOptions options;
  options.draw_lost = false;
  TrackAnnotator annotator(options);
  cv::Mat out =
      annotator.Annotate(frame, Snapshot({MakeTrack(2, {10, 10, 30, 30}, ObjectClass::kPerson, TrackState::kLost)}));
  EXPECT_EQ(cv::countNonZero(out.reshape(1)), 0);
}

TEST(TrackAnnotatorTest, ColoursDifferBetweenNeighbouringIds) {
  std::set<std::vector<double>> colours;
  for (int64_t id = 1; id <= 8; ++id) {
    cv::Scalar c = TrackColor(id);
    colours.insert({c[0], c[1], c[2]});
  }
  EXPECT_EQ(colours.size(), 8u);
  AnnotatorOptions bad;
  bad.thickness = 0;
  EXPECT_EQ(bad.Validate().message(), "annotator option thickness: must be >= 1, got 0");
}

}  // namespace
}  // namespace didban::record
