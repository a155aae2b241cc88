#include "record/video_writer.h"

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::record {
namespace {

// A frame with a white square moving right on a mid-grey background.
cv::Mat Pattern(int i, int width = 320, int height = 240) {
  cv::Mat m(height, width, CV_8UC3, cv::Scalar(90, 120, 150));
  cv::rectangle(m, cv::Rect(10 + 5 * i, 60, 40, 40), cv::Scalar(255, 255, 255), cv::FILLED);
  return m;
}

struct ReadBack {
  std::vector<FramePtr> frames;
  std::string codec;
};

ReadBack Decode(const std::string& path) {
  ReadBack out;
  source::FfmpegSource src(path, source::SourceOptions{});
  absl::Status opened = src.Open();
  EXPECT_TRUE(opened.ok()) << opened;
  if (!opened.ok()) return out;
  out.codec = src.Info().codec;
  for (;;) {
    absl::StatusOr<FramePtr> f = src.Read();
    EXPECT_TRUE(f.ok()) << f.status();
    if (!f.ok() || *f == nullptr) break;
    out.frames.push_back(*f);
  }
  return out;
}

TEST(VideoWriterTest, H264RoundTripKeepsCountSizeTimesAndPixels) {
  std::string dir = didban::testing::MakeTempDir("didban-writer");
  const std::string path = dir + "/out.mp4";
  VideoWriterOptions options;
  options.fps = 25;
  absl::StatusOr<std::unique_ptr<VideoWriter>> w = VideoWriter::Create(path, options);
  ASSERT_TRUE(w.ok()) << w.status();
  for (int i = 0; i < 30; ++i) ASSERT_TRUE((*w)->Write(Pattern(i), 5'000'000 + i * 40'000).ok());
  EXPECT_EQ((*w)->CodecName(), "libx264");
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->FramesWritten(), 30);

  ReadBack back = Decode(path);
  EXPECT_EQ(back.codec, "h264");
  ASSERT_EQ(back.frames.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    const Frame& f = *back.frames[i];
    EXPECT_EQ(f.full.cols, 320);
    EXPECT_EQ(f.full.rows, 240);
    EXPECT_EQ(f.pts_us, i * 40'000) << i;  // the first written frame is time 0
    double mad = cv::norm(f.full, Pattern(i), cv::NORM_L1) / (320.0 * 240 * 3);
    EXPECT_LT(mad, 3.0) << i;
  }
}

TEST(VideoWriterTest, Mpeg4AndOddSizesAndNominalTimes) {
  std::string dir = didban::testing::MakeTempDir("didban-writer");
  const std::string path = dir + "/odd.avi";
  VideoWriterOptions options;
  options.codec = "mpeg4";
  options.fps = 10;
  absl::StatusOr<std::unique_ptr<VideoWriter>> w = VideoWriter::Create(path, options);
  ASSERT_TRUE(w.ok()) << w.status();
  for (int i = 0; i < 12; ++i) ASSERT_TRUE((*w)->Write(Pattern(i, 161, 121)).ok());
  EXPECT_EQ((*w)->CodecName(), "mpeg4");
  ASSERT_TRUE((*w)->Close().ok());
  ReadBack back = Decode(path);
  EXPECT_EQ(back.codec, "mpeg4");
  ASSERT_EQ(back.frames.size(), 12u);
  EXPECT_EQ(back.frames[0]->full.cols, 162);  // padded to even sizes
  EXPECT_EQ(back.frames[0]->full.rows, 122);
  EXPECT_EQ(back.frames[11]->pts_us, 1'100'000);
}

TEST(VideoWriterTest, ErrorsNameThePath) {
  std::string dir = didban::testing::MakeTempDir("didban-writer");
  EXPECT_EQ(VideoWriter::Create(dir + "/no/such/dir/out.mp4", VideoWriterOptions{}).status().message(),
            "cannot write video '" + dir + "/no/such/dir/out.mp4': No such file or directory");
  EXPECT_EQ(
      VideoWriter::Create(dir + "/out.xyz", VideoWriterOptions{}).status().message(),
      "cannot write video '" + dir + "/out.xyz': no container format for this file name (use .mp4, .mkv or .avi)");
  VideoWriterOptions bad;
  bad.crf = 60;
  EXPECT_EQ(VideoWriter::Create(dir + "/a.mp4", bad).status().message(),
            "video '" + dir + "/a.mp4': video writer option crf: must be in [0, 51], got 60");
  bad = VideoWriterOptions{};
  bad.codec = "nosuchcodec";
  absl::StatusOr<std::unique_ptr<VideoWriter>> w = VideoWriter::Create(dir + "/b.mp4", bad);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Write(Pattern(0)).message(),
            "cannot write video '" + dir + "/b.mp4': no encoder named 'nosuchcodec' in this FFmpeg");

  const std::string path = dir + "/c.mp4";
  w = VideoWriter::Create(path, VideoWriterOptions{});
  ASSERT_TRUE(w.ok());
  EXPECT_EQ((*w)->Write(cv::Mat(10, 10, CV_8UC1)).message(),
            "cannot write video '" + path + "': frame 0 is not an 8-bit BGR image (type 0, 10x10)");
  ASSERT_TRUE((*w)->Write(Pattern(0)).ok());
  EXPECT_EQ((*w)->Write(Pattern(1, 640, 480)).message(),
            "cannot write video '" + path + "': frame 1 is 640x480 but the video started at 320x240");
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ((*w)->Write(Pattern(2)).message(), "cannot write video '" + path + "': already closed");

  const std::string empty = dir + "/empty.mp4";
  w = VideoWriter::Create(empty, VideoWriterOptions{});
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(std::filesystem::exists(empty));
  EXPECT_EQ((*w)->Close().message(), "video '" + empty + "': no frames were written");
  EXPECT_FALSE(std::filesystem::exists(empty));
}

TEST(VideoWriterTest, NonIncreasingTimesAreNudgedForward) {
  std::string dir = didban::testing::MakeTempDir("didban-writer");
  const std::string path = dir + "/dup.mp4";
  absl::StatusOr<std::unique_ptr<VideoWriter>> w = VideoWriter::Create(path, VideoWriterOptions{});
  ASSERT_TRUE(w.ok());
  for (TimeUs t : {0, 40'000, 40'000, 120'000}) ASSERT_TRUE((*w)->Write(Pattern(1), t).ok());
  ASSERT_TRUE((*w)->Close().ok());
  ReadBack back = Decode(path);
  ASSERT_EQ(back.frames.size(), 4u);
  EXPECT_EQ(back.frames[2]->pts_us, 40'011);  // one 90 kHz tick after 40 ms
  EXPECT_EQ(back.frames[3]->pts_us, 120'000);
}

// A fragmented MP4 whose writer dies without Close() (a child process that _exits) still plays up to its last
// complete fragment; a plain MP4 in the same state has no index and does not open.
TEST(VideoWriterTest, FragmentedFileSurvivesAProcessThatDies) {
  std::string dir = didban::testing::MakeTempDir("didban-frag");
  for (bool fragmented : {true, false}) {
    const std::string path = dir + (fragmented ? "/frag.mp4" : "/plain.mp4");
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      VideoWriterOptions o;
      o.fps = 25;  // a key frame every 50 frames: fragments of 2 s
      o.fragmented = fragmented;
      absl::StatusOr<std::unique_ptr<VideoWriter>> w = VideoWriter::Create(path, o);
      if (!w.ok()) _exit(2);
      for (int i = 0; i < 120; ++i) {
        if (!(*w)->Write(Pattern(i % 50), i * 40'000).ok()) _exit(3);
      }
      _exit(0);  // no Close(), no destructor: as if killed
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    if (fragmented) {
      ReadBack back = Decode(path);
      EXPECT_GE(back.frames.size(), 100u);  // two whole fragments; the third was in the muxer
      EXPECT_LT(back.frames.size(), 120u);
    } else {
      source::FfmpegSource src(path, source::SourceOptions{});
      EXPECT_FALSE(src.Open().ok());
    }
  }
}

}  // namespace
}  // namespace didban::record
