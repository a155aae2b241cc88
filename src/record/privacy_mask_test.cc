// Privacy masks: the polygon is parsed with its errors named, filled exactly on a frame (and on a downscaled one), and
// stays filled after the masked re-encode: decoding the H.264 output, every pixel inside the polygon is black while the
// rest of the picture is not. Blurring removes the detail of a box. Masked copies for playback are made once per mask;
// masked segments are recognised by name.
#include "record/privacy_mask.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "record/segment_recorder.h"
#include "source/ffmpeg_source.h"
#include "testing/data.h"

namespace didban::record {
namespace {

PrivacyMask Square(float x0, float y0, float x1, float y1) {
  PrivacyMask m;
  m.polygons.push_back({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}});
  return m;
}

TEST(PrivacyMaskTest, Parses) {
  auto m = ParsePrivacyMask(nlohmann::json::parse("[[[10, 20], [100, 20], [100, 80.5]]]"), "cameras[0].privacy_masks");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->polygons.size(), 1u);
  EXPECT_FLOAT_EQ(m->polygons[0][2].y, 80.5f);
  EXPECT_EQ(PrivacyMaskToJson(*m), nlohmann::json::parse("[[[10.0, 20.0], [100.0, 20.0], [100.0, 80.5]]]"));
  EXPECT_TRUE(ParsePrivacyMask(nullptr, "x")->empty());
}

TEST(PrivacyMaskTest, RefusesBadPolygonsNamingThem) {
  EXPECT_EQ(ParsePrivacyMask(nlohmann::json::parse("[[[1, 2], [3, 4]]]"), "cam.privacy_masks").status().message(),
            "cam.privacy_masks: [0]: a polygon needs at least 3 [x, y] points");
  EXPECT_EQ(ParsePrivacyMask(nlohmann::json::parse("[[[1, 2], [3, 4], [5, \"a\"]]]"), "m").status().message(),
            "m: [0][2]: expected [x, y] in pixels");
  EXPECT_EQ(ParsePrivacyMask(nlohmann::json::parse("[[[1, 2], [3, 4], [5, 1e9]]]"), "m").status().message(),
            "m: [0][2]: coordinates beyond 100000 px");
  EXPECT_FALSE(ParsePrivacyMask(nlohmann::json::parse("{\"a\": 1}"), "m").ok());
}

TEST(PrivacyMaskTest, FillsInsideAndLeavesOutside) {
  cv::Mat img(100, 200, CV_8UC3, cv::Scalar(200, 150, 100));
  ApplyPrivacyMask(Square(20, 10, 60, 50), img);
  EXPECT_EQ(img.at<cv::Vec3b>(30, 40), cv::Vec3b(0, 0, 0));        // inside
  EXPECT_EQ(img.at<cv::Vec3b>(10, 20), cv::Vec3b(0, 0, 0));        // corner (the edge is covered)
  EXPECT_EQ(img.at<cv::Vec3b>(50, 60), cv::Vec3b(0, 0, 0));        // opposite corner
  EXPECT_EQ(img.at<cv::Vec3b>(30, 61), cv::Vec3b(200, 150, 100));  // just outside
  EXPECT_EQ(img.at<cv::Vec3b>(80, 150), cv::Vec3b(200, 150, 100));
  EXPECT_EQ(cv::countNonZero(img.reshape(1) == 0), 41 * 41 * 3);
}

TEST(PrivacyMaskTest, ScalesToADownscaledFrame) {
  cv::Mat img(50, 100, CV_8UC3, cv::Scalar::all(255));
  ApplyPrivacyMask(Square(20, 10, 60, 50), img, 0.5);  // full frame 200x100 shown at 100x50
  EXPECT_EQ(img.at<cv::Vec3b>(15, 20), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(img.at<cv::Vec3b>(5, 10), cv::Vec3b(0, 0, 0));
  EXPECT_EQ(img.at<cv::Vec3b>(15, 32), cv::Vec3b(255, 255, 255));
}

TEST(PrivacyMaskTest, BlurRemovesDetail) {
  cv::Mat img(120, 160, CV_8UC3);
  cv::randu(img, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::Mat before = img.clone();
  BlurBoxes(img, {Box{40, 30, 64, 64}});
  cv::Scalar m0, s0, m1, s1;
  const cv::Rect inner(45, 35, 54, 54);
  cv::meanStdDev(before(inner), m0, s0);
  cv::meanStdDev(img(inner), m1, s1);
  EXPECT_GT(s0[0], 60);
  EXPECT_LT(s1[0], 15);  // noise of std ~74 averaged over 8x8 blocks and smoothed
  EXPECT_EQ(cv::norm(before(cv::Rect(0, 0, 20, 20)), img(cv::Rect(0, 0, 20, 20)), cv::NORM_INF), 0);
}

// A 25-frame 320x240 clip of moving bright noise, re-encoded with a mask: every decoded pixel inside the polygon is
// black (H.264 of a flat black area decodes to black), and the picture outside is not.
TEST(PrivacyMaskTest, ReencodedClipStaysMaskedWhenDecoded) {
  const std::filesystem::path dir = testing::MakeTempDir("mask");
  const std::string in = (dir / "in.mp4").string();
  {
    VideoWriterOptions o;
    o.fps = 25;
    auto w = VideoWriter::Create(in, o);
    ASSERT_TRUE(w.ok()) << w.status();
    cv::RNG rng(7);
    for (int i = 0; i < 25; ++i) {
      cv::Mat f(240, 320, CV_8UC3);
      rng.fill(f, cv::RNG::UNIFORM, cv::Scalar::all(100), cv::Scalar::all(255));
      cv::rectangle(f, cv::Rect(10 + 8 * i, 60, 40, 80), cv::Scalar(255, 255, 255), cv::FILLED);
      ASSERT_TRUE((*w)->Write(f, i * 40'000).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  MaskedExportOptions mo;
  mo.mask.polygons.push_back({{96, 48}, {224, 48}, {224, 176}, {160, 200}, {96, 176}});
  int64_t asked = 0;
  mo.blur_boxes = [&asked](TimeUs t) {
    ++asked;
    EXPECT_EQ(t % 40'000, 0);
    return std::vector<Box>{Box{0, 180, 40, 40}};
  };
  const std::string out = (dir / "out.mp4").string();
  auto r = ReencodeMasked(in, 1'000'000, out, mo);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->clip.frames, 25);
  EXPECT_EQ(asked, 25);
  EXPECT_EQ(r->blurred_boxes, 25);
  EXPECT_NEAR(r->video_seconds, 1.0, 1e-6);
  EXPECT_GT(r->cpu_seconds, 0);

  cv::Mat inside(240, 320, CV_8UC1, cv::Scalar(0));
  {
    PrivacyMask m = mo.mask;
    cv::Mat canvas(240, 320, CV_8UC3, cv::Scalar::all(255));
    ApplyPrivacyMask(m, canvas);
    cv::Mat gray;
    cv::cvtColor(canvas, gray, cv::COLOR_BGR2GRAY);
    inside = gray == 0;
  }
  source::FfmpegSource src(out, {});
  ASSERT_TRUE(src.Open().ok());
  int frames = 0;
  for (;;) {
    auto f = src.Read();
    ASSERT_TRUE(f.ok());
    if (*f == nullptr) break;
    const cv::Mat& img = (*f)->full.empty() ? (*f)->image : (*f)->full;
    ASSERT_EQ(img.size(), cv::Size(320, 240));
    double max_inside = 0;
    cv::Mat gray;
    cv::cvtColor(img, gray, cv::COLOR_BGR2GRAY);
    cv::minMaxLoc(gray, nullptr, &max_inside, nullptr, nullptr, inside);
    // Inside the polygon the picture is black: H.264 at CRF 23 leaves a few levels of ringing within one macroblock
    // (16 px) of the boundary, next to bright noise; beyond that every pixel is at most 2 of 255.
    cv::Mat core;
    cv::erode(inside, core, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(33, 33)));
    double max_core = 0;
    cv::minMaxLoc(gray, nullptr, &max_core, nullptr, nullptr, core);
    EXPECT_LE(max_core, 2) << "frame " << frames;
    EXPECT_LE(cv::mean(gray, inside)[0], 3) << "frame " << frames;
    EXPECT_GT(cv::mean(gray, ~inside)[0], 120) << "frame " << frames;
    ++frames;
  }
  EXPECT_EQ(frames, 25);
}

TEST(PrivacyMaskTest, KeyFollowsThePolygons) {
  const std::string a = PrivacyMaskKey(Square(0, 0, 10, 10));
  EXPECT_EQ(a.size(), 16u);
  EXPECT_EQ(a, PrivacyMaskKey(Square(0, 0, 10, 10)));
  EXPECT_NE(a, PrivacyMaskKey(Square(0, 0, 10, 11)));
  EXPECT_NE(a, PrivacyMaskKey(PrivacyMask{}));
}

TEST(PrivacyMaskTest, MaskedSegmentsAreKnownByName) {
  EXPECT_TRUE(IsMaskedSegment("/r/gate/gate.masked-20261202T014957.123456Z.mp4", "gate"));
  EXPECT_TRUE(IsMaskedSegment("gate.masked-20261202T014957.123456Z.mp4.part", "gate"));
  EXPECT_FALSE(IsMaskedSegment("/r/gate/gate-20261202T014957.123456Z.mp4", "gate"));
  // A camera named "x.masked" recorded by stream copy is not taken for a masked one.
  EXPECT_FALSE(IsMaskedSegment("/r/x.masked/x.masked-20261202T014957.123456Z.mp4", "x.masked"));
  EXPECT_TRUE(IsMaskedSegment("/r/x.masked/x.masked.masked-20261202T014957.123456Z.mp4", "x.masked"));
  EXPECT_FALSE(IsMaskedSegment("/r/gate/notes.txt", "gate"));
  // Names as the recorder makes them (SegmentFileName of the camera plus the tag).
  EXPECT_TRUE(IsMaskedSegment(SegmentFileName(std::string("north gate") + kMaskedSegmentTag, 5), "north gate"));
}

TEST(PrivacyMaskTest, CachedMaskedCopyIsMadeOncePerMask) {
  const std::filesystem::path dir = testing::MakeTempDir("mask_cache");
  const std::string in = (dir / "in.mp4").string();
  {
    VideoWriterOptions o;
    o.fps = 25;
    auto w = VideoWriter::Create(in, o);
    ASSERT_TRUE(w.ok()) << w.status();
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE((*w)->Write(cv::Mat(120, 160, CV_8UC3, cv::Scalar::all(200)), i * 40'000).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  }
  bool reencoded = false;
  auto first = CachedMaskedCopy(in, 0, Square(0, 0, 80, 60), (dir / "cache").string(), "clip", &reencoded);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(reencoded);
  EXPECT_EQ(*first, (dir / "cache" / ("clip-" + PrivacyMaskKey(Square(0, 0, 80, 60)) + ".mp4")).string());
  auto again = CachedMaskedCopy(in, 0, Square(0, 0, 80, 60), (dir / "cache").string(), "clip", &reencoded);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(reencoded);
  EXPECT_EQ(*again, *first);
  auto other = CachedMaskedCopy(in, 0, Square(0, 0, 40, 30), (dir / "cache").string(), "clip", &reencoded);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_TRUE(reencoded);
  EXPECT_NE(*other, *first);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "cache")) {
    EXPECT_EQ(e.path().extension(), ".mp4") << e.path();  // no temporary file left
    ++files;
  }
  EXPECT_EQ(files, 2);
  EXPECT_FALSE(
      CachedMaskedCopy((dir / "missing.mp4").string(), 0, Square(0, 0, 8, 8), (dir / "cache").string(), "m").ok());
}

}  // namespace
}  // namespace didban::record
