#include "detect/motion_detector.h"

#include <algorithm>

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "detect/background_model.h"
#include "testing/data.h"

namespace didban::detect {
namespace {

// A textured grey road with a little sensor noise, deterministic per `seed`.
cv::Mat Scene(int seed) {
  cv::Mat img(240, 320, CV_8UC3);
  cv::RNG base(7);
  base.fill(img, cv::RNG::UNIFORM, cv::Scalar::all(90), cv::Scalar::all(130));
  cv::GaussianBlur(img, img, cv::Size(5, 5), 0);
  cv::Mat noise(img.size(), CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(noise, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(3));
  img += noise;
  return img;
}

Frame MakeFrame(cv::Mat image, TimeUs t) {
  Frame f;
  f.image = std::move(image);
  f.full = f.image;
  f.pts_us = t;
  return f;
}

constexpr TimeUs kFrameUs = 40'000;  // 25 fps

TEST(MotionDetector, NothingOnAStaticScene) {
  MotionDetector m(MotionOptions{});
  for (int i = 0; i < 200; ++i) {
    auto dets = m.Detect(MakeFrame(Scene(i), i * kFrameUs));
    ASSERT_TRUE(dets.ok());
    EXPECT_TRUE(dets->empty()) << "frame " << i;
  }
  EXPECT_FALSE(m.WarmingUp());
}

TEST(MotionDetector, WarmUpIsTimedByTimestampsNotFrames) {
  MotionOptions o;
  o.warmup_us = 1'000'000;
  MotionDetector m(o);
  // A bright square moving across the scene: seen from the first frame after warm-up, never before.
  auto frame_at = [](int i) {
    cv::Mat img = Scene(i);
    cv::rectangle(img, cv::Rect(20 + 4 * i, 100, 30, 20), cv::Scalar(240, 240, 240), cv::FILLED);
    return img;
  };
  // 10 frames 100 ms apart: 0.0 .. 0.9 s, all inside the warm-up.
  for (int i = 0; i < 10; ++i) {
    auto dets = m.Detect(MakeFrame(frame_at(i), i * 100'000));
    ASSERT_TRUE(dets.ok());
    EXPECT_TRUE(dets->empty()) << "frame " << i;
    EXPECT_TRUE(m.WarmingUp());
  }
  auto dets = m.Detect(MakeFrame(frame_at(10), 1'000'000));
  ASSERT_TRUE(dets.ok());
  EXPECT_FALSE(m.WarmingUp());
  // One box holding the square (x 60..90); it also holds the square's trail learnt during warm-up.
  // The model starts from the median of the warm-up frames: the square, 30 px wide and moving 4 px a frame, covered
  // x 60..70 in more than half of them (so that part is background, like the square) and x 40..60 too (where it is
  // gone now: a ghost). Two boxes: the square's leading part (x 70..90) and the ghost (x 40..60).
  ASSERT_EQ(dets->size(), 2u);
  EXPECT_EQ((*dets)[0].box.x, 40);
  EXPECT_EQ((*dets)[0].box.Right(), 60);
  EXPECT_EQ((*dets)[1].box.x, 70);
  EXPECT_EQ((*dets)[1].box.Right(), 90);
  for (const Detection& d : *dets) {
    EXPECT_EQ(d.box.y, 100);
    EXPECT_EQ(d.box.h, 20);
    EXPECT_EQ(d.object_class, ObjectClass::kUnknown);
  }
}

TEST(MotionDetector, ShadowsAreDroppedObjectsAreKept) {
  MotionOptions o;
  o.warmup_us = 0;
  MotionDetector m(o);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(m.Detect(MakeFrame(Scene(i), i * kFrameUs)).ok());
  cv::Mat img = Scene(50);
  // A shadow: the background darkened to 75 %, same chromaticity.
  cv::Mat shadow = img(cv::Rect(40, 40, 60, 40));
  shadow.convertTo(shadow, -1, 0.75);
  // An object: saturated red.
  cv::rectangle(img, cv::Rect(200, 150, 40, 30), cv::Scalar(30, 30, 200), cv::FILLED);
  auto dets = m.Detect(MakeFrame(img, 50 * kFrameUs));
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_NEAR((*dets)[0].box.x, 200, 2);
  EXPECT_NEAR((*dets)[0].box.y, 150, 2);
  // The raw mask marks the shadow as shadow (127), not foreground.
  const cv::Mat& raw = m.RawMaskForTest();
  EXPECT_EQ(cv::countNonZero(raw(cv::Rect(45, 45, 50, 30)) == GaussianBackground::kShadow), 50 * 30);
  EXPECT_EQ(cv::countNonZero(raw(cv::Rect(205, 155, 30, 20)) == GaussianBackground::kForeground), 30 * 20);
}

TEST(MotionDetector, WithoutShadowDetectionTheShadowIsAnObject) {
  MotionOptions o;
  o.warmup_us = 0;
  o.shadows = false;
  MotionDetector m(o);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(m.Detect(MakeFrame(Scene(i), i * kFrameUs)).ok());
  cv::Mat img = Scene(50);
  cv::Mat shadow = img(cv::Rect(40, 40, 60, 40));
  shadow.convertTo(shadow, -1, 0.75);
  auto dets = m.Detect(MakeFrame(img, 50 * kFrameUs));
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_NEAR((*dets)[0].box.x, 40, 2);
}

TEST(MotionDetector, BoxesMapBackFromTheInternalResolution) {
  MotionOptions o;
  o.warmup_us = 0;
  MotionDetector m(o);
  auto big = [](int i) {
    cv::Mat img;
    cv::resize(Scene(i), img, cv::Size(1280, 960), 0, 0, cv::INTER_LINEAR);
    return img;
  };
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(m.Detect(MakeFrame(big(i), i * kFrameUs)).ok());
  cv::Mat img = big(30);
  cv::rectangle(img, cv::Rect(800, 400, 160, 120), cv::Scalar(30, 200, 30), cv::FILLED);
  auto dets = m.Detect(MakeFrame(img, 30 * kFrameUs));
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_NEAR((*dets)[0].box.x, 800, 8);
  EXPECT_NEAR((*dets)[0].box.y, 400, 8);
  EXPECT_NEAR((*dets)[0].box.w, 160, 16);
  EXPECT_NEAR((*dets)[0].box.h, 120, 16);
  EXPECT_EQ(m.ForegroundMaskForTest().cols, 160);  // 320 internal, blobs at half of that
}

// Real highway CCTV (320x240, 25 fps). Frame 100, checked by eye on the drawn boxes: two on-screen-display changes
// at the top (the clock digits), the van at the top, four cars one behind the other in the far right lane (one
// blob), the car on the left carriageway, the car in the middle lane, the jeep in the foreground, the motorcyclist
// at the bottom right, and one false spot on the road (162,118 10x6): 9 boxes.
TEST(MotionDetector, HighwayClipFrame100) {
  DIDBAN_REQUIRE_DATA(path, "video_fixed/bgslibrary_video02.avi");
  cv::VideoCapture cap(path);
  ASSERT_TRUE(cap.isOpened());
  MotionDetector m(MotionOptions{});
  cv::Mat img;
  Detections dets;
  for (int i = 0; i <= 100; ++i) {
    ASSERT_TRUE(cap.read(img));
    auto d = m.Detect(MakeFrame(img.clone(), i * kFrameUs));
    ASSERT_TRUE(d.ok());
    if (i < 25) {
      EXPECT_TRUE(d->empty()) << "warm-up frame " << i;  // 1 s at 25 fps
    }
    dets = *d;
  }
  ASSERT_EQ(dets.size(), 8u);
  auto has = [&](float x, float y, float w, float h) {
    for (const Detection& d : dets) {
      if (std::abs(d.box.x - x) <= 6 && std::abs(d.box.y - y) <= 6 && std::abs(d.box.w - w) <= 8 &&
          std::abs(d.box.h - h) <= 8) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(168, 152, 48, 44)) << "jeep";
  EXPECT_TRUE(has(246, 200, 16, 24)) << "motorcyclist";
  EXPECT_TRUE(has(184, 88, 28, 30)) << "middle-lane car";
  EXPECT_TRUE(has(82, 58, 26, 24)) << "left carriageway car";
  EXPECT_TRUE(has(178, 14, 20, 22)) << "van";
  // Cut at the silhouette step (split_ratio 2.5 by default): the farthest car off the three behind it.
  EXPECT_TRUE(has(254, 10, 20, 12)) << "farthest car in the far right lane";
  EXPECT_TRUE(has(246, 24, 50, 86)) << "three cars in the far right lane";
  EXPECT_TRUE(has(6, 8, 12, 20)) << "the burned-in statistics overlay at the top left (its digits change)";
}

TEST(MotionDetector, ResetsWhenTimeGoesBack) {
  MotionOptions o;
  o.warmup_us = 200'000;
  MotionDetector m(o);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(m.Detect(MakeFrame(Scene(i), i * kFrameUs)).ok());
  EXPECT_FALSE(m.WarmingUp());
  ASSERT_TRUE(m.Detect(MakeFrame(Scene(10), 0)).ok());
  EXPECT_TRUE(m.WarmingUp());
}

TEST(MotionOptions, ParseAndValidate) {
  auto o = ParseMotionOptions(
      nlohmann::json{{"process_width", 160}, {"warmup_s", 0.5}, {"shadows", false}, {"model", "mog2"}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->process_width, 160);
  EXPECT_EQ(o->warmup_us, 500'000);
  EXPECT_FALSE(o->shadows);
  EXPECT_EQ(o->model, "mog2");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"open_px", "big"}}).status().message().substr(0, 32),
            "motion.open_px: wrong type (stri");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"openpx", 3}}).status().message(),
            "motion: unknown parameter 'openpx' (known: model, process_width, var_threshold, background_time_s, "
            "grey, shadows, blob_downscale, open_px, close_px, min_area_px, merge_gap_px, warmup_s, split_ratio, "
            "split_min_px, init_frames, foreground_rate, max_foreground, shadow_tau, ground_homography, "
            "split_width_m, min_vehicle_width_m, split_dip, long_vehicle_m)");
  auto h = ParseMotionOptions(nlohmann::json{{"ground_homography", {{0.1, 0, 0}, {0, -0.1, 24}, {0, 0, 1}}}});
  ASSERT_TRUE(h.ok()) << h.status();
  ASSERT_TRUE(h->ground_homography.has_value());
  EXPECT_EQ((*h->ground_homography)(1, 2), 24);
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"ground_homography", {{1, 0}, {0, 1}}}}).status().message(),
            "motion.ground_homography: expected 3 rows of 3 numbers");
  EXPECT_EQ(
      ParseMotionOptions(nlohmann::json{{"ground_homography", {{1, 0, 0}, {0, 1, 0}, {0, 0, 0}}}}).status().message(),
      "motion.ground_homography: singular");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"split_dip", 0}}).status().message(),
            "motion.split_dip: must be in (0, 1]");
  auto split = ParseMotionOptions(nlohmann::json{{"split_ratio", 2.5}, {"split_min_px", 10}});
  ASSERT_TRUE(split.ok()) << split.status();
  EXPECT_EQ(split->split_ratio, 2.5);
  EXPECT_EQ(split->split_min_px, 10.0);
  EXPECT_EQ(MotionOptions{}.split_ratio, 2.5);     // on by default (issue 15: the default counts on real roads)
  EXPECT_EQ(MotionOptions{}.split_width_m, 6.0);   // on with a calibration
  EXPECT_EQ(MotionOptions{}.long_vehicle_m, 0.0);  // length classes off by default
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"foreground_rate", 1.5}}).status().message(),
            "motion.foreground_rate: must be in [0, 1]");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"init_frames", 0}}).status().message(),
            "motion.init_frames: must be in [1, 31]");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"max_foreground", 0}}).status().message(),
            "motion.max_foreground: must be in (0, 1]");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"shadow_tau", 1}}).status().message(),
            "motion.shadow_tau: must be in (0, 1)");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"split_ratio", 1.0}}).status().message(),
            "motion.split_ratio: must be 0 or > 1");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"split_min_px", 0.5}}).status().message(),
            "motion.split_min_px: must be >= 1");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"model", "vibe"}}).status().message(),
            "motion.model: 'vibe' is not one of gaussian, mog2");
  EXPECT_EQ(ParseMotionOptions(nlohmann::json{{"process_width", 16}}).status().message(),
            "motion.process_width: must be 0 (native) or at least 32");
}

// A small van standing on the roof of a lorry in the image (touching): one blob, cut in two with split_ratio. Blob
// cells are 2x2 pixels; all edges are even so the boxes are exact. No closing: it would fill the corners where the
// van meets the roof (the van's box one cell wider on each side).
TEST(MotionDetector, SplitsANarrowBlobOffAWideOne) {
  auto run = [](double split_ratio) {
    MotionOptions o;
    o.warmup_us = 0;
    o.close_px = 0;
    o.split_ratio = split_ratio;
    MotionDetector m(o);
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(m.Detect(MakeFrame(Scene(i), i * kFrameUs)).ok());
    cv::Mat img = Scene(50);
    cv::rectangle(img, cv::Rect(140, 60, 24, 20), cv::Scalar(230, 230, 230), cv::FILLED);  // van, rows 60..79
    cv::rectangle(img, cv::Rect(100, 80, 100, 60), cv::Scalar(30, 30, 200), cv::FILLED);   // lorry, rows 80..139
    auto dets = m.Detect(MakeFrame(img, 50 * kFrameUs));
    EXPECT_TRUE(dets.ok());
    std::vector<Box> boxes;
    for (const Detection& d : *dets) boxes.push_back(d.box);
    return boxes;
  };
  std::vector<Box> whole = run(0.0);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(whole[0].x, 100);
  EXPECT_EQ(whole[0].y, 60);
  EXPECT_EQ(whole[0].w, 100);
  EXPECT_EQ(whole[0].h, 80);
  std::vector<Box> cut = run(2.0);
  ASSERT_EQ(cut.size(), 2u);
  EXPECT_EQ(cut[0].x, 140);
  EXPECT_EQ(cut[0].y, 60);
  EXPECT_EQ(cut[0].w, 24);
  EXPECT_EQ(cut[0].h, 20);
  EXPECT_EQ(cut[1].x, 100);
  EXPECT_EQ(cut[1].y, 80);
  EXPECT_EQ(cut[1].w, 100);
  EXPECT_EQ(cut[1].h, 60);
}

// Calibrated (issue 15): a top view at 10 px per metre. Two 3 m wide vehicles side by side joined by a thin bridge
// (a shadow, a closing) are one blob 7 m wide, cut at the bridge; with length classes on each part is a car by its
// ground length (3 m), and a 16 m long blob is a truck. Uncalibrated: one box, class unknown.
TEST(MotionDetector, CalibratedCutOfBlobsWiderThanTwoLanesAndLengthClasses) {
  auto run = [](bool calibrated) {
    MotionOptions o;
    o.warmup_us = 0;
    o.split_ratio = 0;
    if (calibrated) {
      o.ground_homography = cv::Matx33d(0.1, 0, 0, 0, -0.1, 24, 0, 0, 1);
      o.long_vehicle_m = 14;
    }
    MotionDetector m(o);
    for (int i = 0; i < 50; ++i) EXPECT_TRUE(m.Detect(MakeFrame(Scene(i), i * kFrameUs)).ok());
    cv::Mat img = Scene(50);
    cv::rectangle(img, cv::Rect(100, 100, 30, 30), cv::Scalar(230, 230, 230), cv::FILLED);
    cv::rectangle(img, cv::Rect(140, 100, 30, 30), cv::Scalar(230, 230, 230), cv::FILLED);
    cv::rectangle(img, cv::Rect(130, 120, 10, 6), cv::Scalar(230, 230, 230), cv::FILLED);  // the bridge
    cv::rectangle(img, cv::Rect(250, 40, 26, 160), cv::Scalar(30, 30, 200), cv::FILLED);   // 16 m long
    auto dets = m.Detect(MakeFrame(img, 50 * kFrameUs));
    EXPECT_TRUE(dets.ok());
    return *dets;
  };
  Detections whole = run(false);
  ASSERT_EQ(whole.size(), 2u);
  for (const Detection& d : whole) EXPECT_EQ(d.object_class, ObjectClass::kUnknown);
  Detections cut = run(true);
  ASSERT_EQ(cut.size(), 3u);
  std::sort(cut.begin(), cut.end(), [](const Detection& a, const Detection& b) { return a.box.x < b.box.x; });
  // Cut in the middle of the bridge (x 130-139).
  EXPECT_NEAR(cut[0].box.x, 100, 2);
  EXPECT_NEAR(cut[0].box.x + cut[0].box.w, 135, 3);
  EXPECT_NEAR(cut[1].box.x, 135, 3);
  EXPECT_NEAR(cut[1].box.x + cut[1].box.w, 170, 2);
  EXPECT_EQ(cut[0].object_class, ObjectClass::kCar);
  EXPECT_EQ(cut[1].object_class, ObjectClass::kCar);
  EXPECT_EQ(cut[2].object_class, ObjectClass::kTruck);
}

TEST(MotionDetector, Mog2ModelFindsTheSameObject) {
  MotionOptions o;
  o.warmup_us = 0;
  o.model = "mog2";
  MotionDetector m(o);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(m.Detect(MakeFrame(Scene(i), i * kFrameUs)).ok());
  cv::Mat img = Scene(50);
  cv::rectangle(img, cv::Rect(200, 150, 40, 30), cv::Scalar(30, 30, 200), cv::FILLED);
  auto dets = m.Detect(MakeFrame(img, 50 * kFrameUs));
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_NEAR((*dets)[0].box.x, 200, 2);
}

// The median start: a pixel's model is the median of the start images, so a value seen in one of three is not learnt.
TEST(GaussianBackground, StartsFromTheMedian) {
  GaussianBackgroundOptions o;
  o.compensate_gain = false;
  o.shadows = false;
  GaussianBackground bg(o);
  EXPECT_FALSE(bg.Initialised());
  std::vector<cv::Mat> start = {cv::Mat(4, 4, CV_8UC1, cv::Scalar(10)), cv::Mat(4, 4, CV_8UC1, cv::Scalar(200)),
                                cv::Mat(4, 4, CV_8UC1, cv::Scalar(30))};
  bg.Initialise(start);
  EXPECT_TRUE(bg.Initialised());
  cv::Mat mask;
  bg.Apply(cv::Mat(4, 4, CV_8UC1, cv::Scalar(30)), 0.f, &mask);
  EXPECT_EQ(cv::countNonZero(mask), 0);
  bg.Apply(cv::Mat(4, 4, CV_8UC1, cv::Scalar(200)), 0.f, &mask);  // 170^2 > 16 x 15: foreground
  EXPECT_EQ(cv::countNonZero(mask == GaussianBackground::kForeground), 16);
}

// Selective update: with foreground_rate 0 a foreground pixel does not move the mean; with 1 it does.
TEST(GaussianBackground, ForegroundLearnsAtTheForegroundRate) {
  for (float fg_rate : {0.f, 1.f}) {
    GaussianBackgroundOptions o;
    o.compensate_gain = false;
    o.shadows = false;
    o.foreground_rate = fg_rate;
    GaussianBackground bg(o);
    bg.Initialise({cv::Mat(4, 4, CV_8UC1, cv::Scalar(100))});
    cv::Mat mask;
    bg.Apply(cv::Mat(4, 4, CV_8UC1, cv::Scalar(200)), 0.5f, &mask);
    EXPECT_EQ(cv::countNonZero(mask), 16) << fg_rate;
    // Back to 100: against the unchanged mean 100 (rate 0) it is background; against 150 (rate 1) still foreground.
    bg.Apply(cv::Mat(4, 4, CV_8UC1, cv::Scalar(100)), 0.f, &mask);
    EXPECT_EQ(cv::countNonZero(mask), fg_rate == 0.f ? 0 : 16) << fg_rate;
  }
}

// A frame mostly foreground (a corrupted frame) gives no boxes; the next normal frame does.
TEST(MotionDetector, GlitchFrameGivesNoBoxes) {
  MotionOptions o;
  o.warmup_us = 0;
  MotionDetector m(o);
  ASSERT_TRUE(m.Detect(MakeFrame(Scene(0), 0)).ok());
  cv::Mat glitch(Scene(1).size(), CV_8UC3, cv::Scalar(250, 250, 250));
  auto dets = m.Detect(MakeFrame(glitch, kFrameUs));
  ASSERT_TRUE(dets.ok());
  EXPECT_TRUE(dets->empty());
  cv::Mat img = Scene(2);
  cv::rectangle(img, cv::Rect(100, 100, 40, 30), cv::Scalar(240, 240, 240), cv::FILLED);
  dets = m.Detect(MakeFrame(img, 2 * kFrameUs));
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 1u);
  EXPECT_EQ((*dets)[0].box.x, 100);
  EXPECT_EQ((*dets)[0].box.y, 100);
  EXPECT_EQ((*dets)[0].box.w, 40);
  EXPECT_EQ((*dets)[0].box.h, 30);
}

}  // namespace
}  // namespace didban::detect
