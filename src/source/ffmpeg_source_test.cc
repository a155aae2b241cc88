#include "source/ffmpeg_source.h"

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "source/source.h"
#include "testing/data.h"

namespace didban::source {
namespace {

struct Decoded {
  int64_t frames = 0;
  int width = 0, height = 0;  // of Frame::full
  int image_width = 0, image_height = 0;
  std::vector<TimeUs> pts;
  bool increasing = true;
  bool indices_ok = true;
};

// Reads `uri` to the end, checking the per-frame invariants as it goes.
Decoded ReadAll(const std::string& uri, const SourceOptions& options, FfmpegSource** out_source = nullptr) {
  Decoded d;
  FfmpegSource source(uri, options);
  absl::Status opened = source.Open();
  EXPECT_TRUE(opened.ok()) << opened;
  if (!opened.ok()) return d;
  for (;;) {
    absl::StatusOr<FramePtr> frame = source.Read();
    EXPECT_TRUE(frame.ok()) << frame.status();
    if (!frame.ok() || *frame == nullptr) break;
    const Frame& f = **frame;
    if (d.frames == 0) {
      d.width = f.full.cols;
      d.height = f.full.rows;
      d.image_width = f.image.cols;
      d.image_height = f.image.rows;
    }
    if (f.index != d.frames) d.indices_ok = false;
    if (!d.pts.empty() && f.pts_us <= d.pts.back()) d.increasing = false;
    d.pts.push_back(f.pts_us);
    ++d.frames;
  }
  EXPECT_EQ(source.State(), SourceState::kEnded);
  (void)out_source;
  return d;
}

struct FixedVideo {
  const char* file;
  int64_t frames;  // frames FFmpeg decodes (ffprobe -count_frames), not the container's packet count
  int width, height;
  TimeUs first_pts_us, second_pts_us, last_pts_us;
  const char* codec;
};

class FixedVideoTest : public ::testing::TestWithParam<FixedVideo> {};

TEST_P(FixedVideoTest, DecodesEveryFrameWithStreamTimestamps) {
  const FixedVideo& v = GetParam();
  DIDBAN_REQUIRE_DATA(path, std::string("video_fixed/") + v.file);
  Decoded d = ReadAll(path, SourceOptions{});
  EXPECT_EQ(d.frames, v.frames);
  EXPECT_EQ(d.width, v.width);
  EXPECT_EQ(d.height, v.height);
  EXPECT_EQ(d.image_width, v.width);
  EXPECT_EQ(d.image_height, v.height);
  EXPECT_TRUE(d.increasing);
  EXPECT_TRUE(d.indices_ok);
  ASSERT_GE(d.pts.size(), 2u);
  EXPECT_EQ(d.pts[0], v.first_pts_us);
  EXPECT_EQ(d.pts[1], v.second_pts_us);
  EXPECT_EQ(d.pts.back(), v.last_pts_us);

  FfmpegSource source(path, SourceOptions{});
  ASSERT_TRUE(source.Open().ok());
  EXPECT_EQ(source.Info().codec, v.codec);
  EXPECT_EQ(source.Info().width, v.width);
  EXPECT_EQ(source.Info().height, v.height);
  EXPECT_FALSE(source.Info().live);
}

// Frame counts verified with `ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames`.
// bgslibrary_video02.avi holds 750 packets of which 2 are 1-byte "not coded" placeholders (packed B-frames), so 748
// frames decode, the first at stream time 3/25 s; bgslibrary_video03.avi likewise 1,702 -> 1,699.
INSTANTIATE_TEST_SUITE_P(
    Data, FixedVideoTest,
    ::testing::Values(FixedVideo{"bgslibrary_video02.avi", 748, 320, 240, 120'000, 160'000, 30'000'000, "mpeg4"},
                      FixedVideo{"bgslibrary_video03.avi", 1699, 320, 240, 50'000, 66'666, 28'349'887, "mpeg4"},
                      FixedVideo{"bgslibrary_video.avi", 374, 640, 360, 0, 33'333, 12'433'333, "msmpeg4v2"},
                      FixedVideo{"intel_car-detection.mp4", 377, 768, 432, 0, 80'000, 30'080'000, "h264"},
                      FixedVideo{"intel_one-by-one-person-detection.mp4", 1394, 768, 432, 0, 100'000, 139'300'000,
                                 "h264"}),
    [](const ::testing::TestParamInfo<FixedVideo>& info) {
      std::string name = std::filesystem::path(info.param.file).stem().string();
      for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return name;
    });

constexpr char kCar[] = "video_fixed/intel_car-detection.mp4";

std::string WriteBytes(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TEST(FfmpegSourceTest, DownscalesTheAnalysisImageAndKeepsTheFullFrame) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  SourceOptions options;
  options.max_width = 384;
  options.camera = "north";
  FfmpegSource source(path, options);
  ASSERT_TRUE(source.Open().ok());
  absl::StatusOr<FramePtr> frame = source.Read();
  ASSERT_TRUE(frame.ok() && *frame != nullptr);
  const Frame& f = **frame;
  EXPECT_EQ(f.camera, "north");
  EXPECT_EQ(f.image.cols, 384);
  EXPECT_EQ(f.image.rows, 216);
  EXPECT_EQ(f.full.cols, 768);
  EXPECT_EQ(f.full.rows, 432);
  EXPECT_DOUBLE_EQ(f.scale, 0.5);
  EXPECT_NE(f.image.data, f.full.data);
  EXPECT_EQ(f.image.type(), CV_8UC3);
  // The scaled image is the full frame shrunk (swscale area filter vs OpenCV's: within 2 levels on average).
  cv::Mat reference;
  cv::resize(f.full, reference, f.image.size(), 0, 0, cv::INTER_AREA);
  EXPECT_LT(cv::norm(reference, f.image, cv::NORM_L1) / static_cast<double>(reference.total() * 3), 2.0);
  EXPECT_GT(cv::mean(f.image)[0], 10.0);  // a real picture, not a blank buffer
}

TEST(FfmpegSourceTest, OddTargetSizesRoundTheHeight) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  SourceOptions options;
  options.max_width = 100;
  options.keep_full = false;
  FfmpegSource source(path, options);
  ASSERT_TRUE(source.Open().ok());
  FramePtr f = *source.Read();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->image.cols, 100);
  EXPECT_EQ(f->image.rows, 56);  // 432 * 100 / 768 = 56.25
  EXPECT_TRUE(f->full.empty());
  EXPECT_DOUBLE_EQ(f->scale, 100.0 / 768);
}

TEST(FfmpegSourceTest, UnscaledFramesShareOneBuffer) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  SourceOptions options;
  options.max_width = 1000;  // wider than the video: no scaling
  FfmpegSource source(path, options);
  ASSERT_TRUE(source.Open().ok());
  FramePtr f = *source.Read();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->image.data, f->full.data);
  EXPECT_EQ(f->Width(), 768);
  EXPECT_EQ(f->Height(), 432);
  EXPECT_DOUBLE_EQ(f->scale, 1.0);
  EXPECT_EQ(f->camera, "intel_car-detection.mp4");
}

TEST(FfmpegSourceTest, PoolRecyclesBuffersWhenFramesAreReleased) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  SourceOptions options;
  options.max_width = 384;
  FfmpegSource source(path, options);
  ASSERT_TRUE(source.Open().ok());
  int64_t frames = 0;
  while (FramePtr f = *source.Read()) ++frames;
  EXPECT_EQ(frames, 377);
  // One full-size and one analysis-size buffer, reused for every frame.
  EXPECT_EQ(source.Pool()->Allocations(), 2);
  EXPECT_EQ(source.Pool()->Reuses(), 2 * 377 - 2);
  EXPECT_EQ(source.Pool()->Idle(), 2u);
}

TEST(FfmpegSourceTest, PoolGrowsOnlyToTheFramesHeld) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  FfmpegSource source(path, SourceOptions{});
  ASSERT_TRUE(source.Open().ok());
  std::vector<FramePtr> held;  // a consumer keeping the last 5 frames
  int64_t frames = 0;
  while (FramePtr f = *source.Read()) {
    ++frames;
    held.push_back(std::move(f));
    if (held.size() > 5) held.erase(held.begin());
  }
  EXPECT_EQ(frames, 377);
  EXPECT_EQ(source.Pool()->Allocations(), 6);
  held.clear();
  EXPECT_EQ(source.Pool()->Idle(), 6u);
}

TEST(FfmpegSourceTest, FramesOutliveTheirSource) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  FramePtr kept;
  {
    FfmpegSource source(path, SourceOptions{});
    ASSERT_TRUE(source.Open().ok());
    kept = *source.Read();
  }
  ASSERT_NE(kept, nullptr);
  EXPECT_EQ(kept->full.cols, 768);
  EXPECT_GT(cv::mean(kept->full)[1], 10.0);
  kept.reset();  // returns the buffer to the pool the frame keeps alive
}

TEST(FfmpegSourceTest, ReadsImageSequencesAtTheGivenRate) {
  std::string dir = didban::testing::MakeTempDir("didban-seq");
  ASSERT_FALSE(dir.empty());
  for (int i = 0; i < 12; ++i) {
    cv::Mat img(48, 64, CV_8UC3, cv::Scalar(i * 20, 128, 255 - i * 20));
    char name[32];
    std::snprintf(name, sizeof(name), "/%06d.jpg", i + 1);
    ASSERT_TRUE(cv::imwrite(dir + name, img));
  }
  SourceOptions options;
  options.sequence_fps = 5;
  FfmpegSource source(dir + "/%06d.jpg", options);
  ASSERT_TRUE(source.Open().ok());
  EXPECT_DOUBLE_EQ(source.Info().fps, 5.0);
  EXPECT_EQ(source.Info().codec, "mjpeg");
  int64_t n = 0;
  while (FramePtr f = *source.Read()) {
    EXPECT_EQ(f->pts_us, n * 200'000);
    EXPECT_EQ(f->full.cols, 64);
    EXPECT_EQ(f->full.rows, 48);
    cv::Scalar mean = cv::mean(f->full);
    EXPECT_NEAR(mean[0], n * 20, 3.0) << n;
    EXPECT_NEAR(mean[2], 255 - n * 20, 3.0) << n;
    ++n;
  }
  EXPECT_EQ(n, 12);
  EXPECT_EQ(source.State(), SourceState::kEnded);
}

absl::Status OpenStatus(const std::string& uri, const SourceOptions& options = SourceOptions{}) {
  FfmpegSource source(uri, options);
  return source.Open();
}

TEST(FfmpegSourceTest, BadInputsGiveClearErrors) {
  std::string dir = didban::testing::MakeTempDir("didban-bad");
  ASSERT_FALSE(dir.empty());
  absl::Status missing = OpenStatus(dir + "/missing.mp4");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.message(), "cannot open video '" + dir + "/missing.mp4': no such file");

  EXPECT_EQ(OpenStatus(dir).message(), "cannot open video '" + dir + "': it is a directory");

  std::string empty = WriteBytes(dir, "empty.mp4", "");
  EXPECT_EQ(OpenStatus(empty).message(), "cannot open video '" + empty + "': the file is empty (0 bytes)");

  std::string noise_bytes(8192, '\0');
  std::mt19937 rng(7);
  for (char& c : noise_bytes) c = static_cast<char>(rng() & 0xff);
  std::string noise = WriteBytes(dir, "noise.mp4", noise_bytes);
  EXPECT_EQ(OpenStatus(noise).message(), "cannot open video '" + noise + "': Invalid data found when processing input");

  std::string text = WriteBytes(dir, "notes.avi", "this is not a video\n");
  EXPECT_EQ(OpenStatus(text).message(), "cannot open video '" + text + "': Invalid data found when processing input");

  // A valid WAV file: one second of 8 kHz mono silence.
  std::string wav("RIFF", 4);
  auto put32 = [&wav](uint32_t v) {
    for (int i = 0; i < 4; ++i) wav.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto put16 = [&wav](uint16_t v) {
    wav.push_back(static_cast<char>(v & 0xff));
    wav.push_back(static_cast<char>(v >> 8));
  };
  put32(36 + 16000);
  wav += "WAVEfmt ";
  put32(16);
  put16(1);
  put16(1);
  put32(8000);
  put32(16000);
  put16(2);
  put16(16);
  wav += "data";
  put32(16000);
  wav += std::string(16000, '\0');
  std::string audio = WriteBytes(dir, "sound.wav", wav);
  EXPECT_EQ(OpenStatus(audio).message(), "cannot open video '" + audio + "': no video stream (streams: audio)");

  EXPECT_EQ(OpenStatus(dir + "/%06d.jpg").message(),
            "cannot open video '" + dir + "/%06d.jpg': No such file or directory");
  EXPECT_EQ(OpenStatus("nosuch://camera/1").message(), "cannot open video 'nosuch://camera/1': Protocol not found");

  SourceOptions bad;
  bad.max_width = -1;
  EXPECT_EQ(OpenStatus(empty, bad).message(), "video '" + empty + "': source option max_width: must be >= 0, got -1");

  FfmpegSource unopened(empty, SourceOptions{});
  EXPECT_EQ(unopened.Read().status().message(), "video '" + empty + "': Read() before Open()");
}

TEST(FfmpegSourceTest, TruncatedFilesDecodeWhatIsThereThenEnd) {
  DIDBAN_REQUIRE_DATA(car, kCar);
  DIDBAN_REQUIRE_DATA(avi, "video_fixed/bgslibrary_video02.avi");
  std::string dir = didban::testing::MakeTempDir("didban-trunc");
  std::string mp4 = WriteBytes(dir, "half.mp4", ReadBytes(car).substr(0, 1'400'000));
  Decoded d = ReadAll(mp4, SourceOptions{});
  EXPECT_EQ(d.frames, 170);
  EXPECT_TRUE(d.increasing);
  std::string cut = WriteBytes(dir, "cut.avi", ReadBytes(avi).substr(0, 500'000));
  Decoded e = ReadAll(cut, SourceOptions{});
  EXPECT_EQ(e.frames, 391);
  EXPECT_TRUE(e.increasing);
}

TEST(FfmpegSourceTest, CorruptPacketInTheMiddleIsSkippedAndCounted) {
  std::string dir = didban::testing::MakeTempDir("didban-corrupt");
  std::string path = dir + "/mjpeg.avi";
  {
    cv::VideoWriter writer(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10.0, cv::Size(64, 48));
    ASSERT_TRUE(writer.isOpened());
    for (int i = 0; i < 30; ++i) writer.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(i * 8, 50, 100)));
  }
  std::string bytes = ReadBytes(path);
  // Find the 15th JPEG (SOI marker) and wipe it up to the next one's chunk header.
  std::vector<size_t> soi;
  for (size_t p = bytes.find("\xff\xd8\xff"); p != std::string::npos; p = bytes.find("\xff\xd8\xff", p + 1)) {
    soi.push_back(p);
  }
  ASSERT_EQ(soi.size(), 30u);
  for (size_t p = soi[14]; p < soi[15] - 8; ++p) bytes[p] = '\x5a';
  WriteBytes(dir, "mjpeg.avi", bytes);

  FfmpegSource source(path, SourceOptions{});
  ASSERT_TRUE(source.Open().ok());
  std::vector<TimeUs> pts;
  while (FramePtr f = *source.Read()) pts.push_back(f->pts_us);
  EXPECT_EQ(pts.size(), 29u);
  EXPECT_EQ(source.Counters().decode_errors, 1);
  EXPECT_EQ(source.State(), SourceState::kEnded);
  ASSERT_EQ(pts.size(), 29u);
  EXPECT_EQ(pts[13], 1'300'000);
  EXPECT_EQ(pts[14], 1'500'000);  // frame 14 (1.4 s) was skipped
}

TEST(FfmpegSourceTest, InterruptEndsTheStream) {
  DIDBAN_REQUIRE_DATA(path, kCar);
  FfmpegSource source(path, SourceOptions{});
  ASSERT_TRUE(source.Open().ok());
  ASSERT_NE(*source.Read(), nullptr);
  source.Interrupt();
  absl::StatusOr<FramePtr> next = source.Read();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, nullptr);
  EXPECT_EQ(source.State(), SourceState::kEnded);
}

TEST(FfmpegSourceTest, ClassifiesUris) {
  EXPECT_TRUE(IsNetworkUri("rtsp://10.0.0.2/stream1"));
  EXPECT_TRUE(IsNetworkUri("HTTPS://cam/live.ts"));
  EXPECT_FALSE(IsNetworkUri("/data/a.mp4"));
  EXPECT_FALSE(IsNetworkUri("file:/data/a.mp4"));
  EXPECT_TRUE(IsImageSequence("frames/%06d.jpg"));
  EXPECT_TRUE(IsImageSequence("frames/img%d.png"));
  EXPECT_FALSE(IsImageSequence("frames/100%.jpg"));
  EXPECT_FALSE(IsImageSequence("http://x/%06d.jpg"));
}

}  // namespace
}  // namespace didban::source
