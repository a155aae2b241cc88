#include "detect/gated_detector.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <opencv2/videoio.hpp>

#include "testing/data.h"

namespace didban::detect {
namespace {

GatedOptions IntelOptions(const std::string& model) {
  GatedOptions o;
  o.dnn.model = model;
  o.dnn.classes = {"car", "bus", "truck", "cell phone"};
  o.dnn.relabel = {{"cell phone", "car"}};
  o.detect_hz = 2.0;
  return o;
}

// The car park seen from above at 12.5 fps: the DNN runs at most twice a second and only with motion; in between,
// the motion boxes carry the class of the DNN box they continue.
TEST(GatedDetector, IntelCarParkClip) {
  DIDBAN_REQUIRE_DATA(model, "models/FastestDet/FastestDet.onnx");
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  auto g = GatedDetector::Create(IntelOptions(model));
  ASSERT_TRUE(g.ok()) << g.status();
  cv::VideoCapture cap(video);
  ASSERT_TRUE(cap.isOpened());
  cv::Mat img;
  std::map<int, Detections> per_frame;
  int frames = 0;
  int64_t prev_runs = 0;
  TimeUs last_run_us = -1;
  for (int i = 0; cap.read(img); ++i, ++frames) {
    Frame f;
    f.image = img;
    f.full = img;
    f.index = i;
    f.pts_us = i * 80'000;
    auto dets = (*g)->Detect(f);
    ASSERT_TRUE(dets.ok()) << dets.status();
    per_frame[i] = *dets;
    if ((*g)->dnn_runs() != prev_runs) {
      if (last_run_us >= 0) {
        EXPECT_GE(f.pts_us - last_run_us, 500'000) << "frame " << i;  // at most 2 Hz
      }
      last_run_us = f.pts_us;
      prev_runs = (*g)->dnn_runs();
    }
  }
  EXPECT_EQ(frames, 377);
  // 30 s of video: at most 2 runs a second and only while something moves (or during the 2 s warm-up).
  EXPECT_LE((*g)->dnn_runs(), 61);
  EXPECT_GE((*g)->dnn_runs(), 10);
  // The empty car park: nothing. Cars, checked by eye: one in frames 80 and 90, two in 210 and 212, one in 335.
  // (The car entering at the top from frame 326 is first recognised at the run of frame 331.)
  EXPECT_TRUE(per_frame[150].empty());
  EXPECT_TRUE(per_frame[280].empty());
  EXPECT_EQ(per_frame[80].size(), 1u);
  EXPECT_EQ(per_frame[90].size(), 1u);
  EXPECT_EQ(per_frame[210].size(), 2u);
  EXPECT_EQ(per_frame[212].size(), 2u);
  EXPECT_EQ(per_frame[335].size(), 1u);
  for (int i : {80, 90, 210, 212, 335}) {
    for (const Detection& d : per_frame[i]) EXPECT_EQ(d.object_class, ObjectClass::kCar) << "frame " << i;
  }
  // Frames 210 and 212: the silver car on the left (x 62..83 as it drives down-left), the red one on the right.
  for (int i : {210, 212}) {
    Detections& d = per_frame[i];
    ASSERT_EQ(d.size(), 2u);
    std::sort(d.begin(), d.end(), [](const Detection& a, const Detection& b) { return a.box.x < b.box.x; });
    EXPECT_NEAR(d[0].box.x, 72, 15) << "frame " << i;
    EXPECT_NEAR(d[1].box.x, 314, 10) << "frame " << i;
  }
}

TEST(GatedOptions, ParsesNestedParamsAndNamesTheirFields) {
  auto o = ParseGatedOptions(nlohmann::json{
      {"dnn", {{"model", "x.onnx"}, {"threads", 2}}}, {"motion", {{"process_width", 160}}}, {"detect_hz", 3}});
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->dnn.model, "x.onnx");
  EXPECT_EQ(o->dnn.threads, 2);
  EXPECT_EQ(o->motion.process_width, 160);
  EXPECT_DOUBLE_EQ(o->detect_hz, 3.0);
  EXPECT_EQ(ParseGatedOptions(nlohmann::json{{"dnn", {{"model", "x.onnx"}}}, {"motion", {{"warmup", 1}}}})
                .status()
                .message()
                .substr(0, 45),
            "gated.motion: unknown parameter 'warmup' (kno");
  EXPECT_EQ(ParseGatedOptions(nlohmann::json{{"dnn", {{"model", "x.onnx"}}}, {"detect_hz", -1}}).status().message(),
            "gated.detect_hz: must be >= 0");
  EXPECT_EQ(ParseGatedOptions(nlohmann::json{{"dnn", {{"model", "x.onnx"}}}, {"crop", "yes"}})
                .status()
                .message()
                .substr(0, 28),
            "gated.crop: wrong type (stri");
}

}  // namespace
}  // namespace didban::detect
