#include "detect/dnn_detector.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "testing/data.h"

namespace didban::detect {
namespace {

Detections Persons(const Detections& dets) {
  Detections out;
  for (const Detection& d : dets) {
    if (d.object_class == ObjectClass::kPerson) out.push_back(d);
  }
  return out;
}

// True when every box of `a` has a box in `b` with IoU >= `iou`, one to one.
bool Matches(const Detections& a, const Detections& b, float iou) {
  if (a.size() != b.size()) return false;
  std::vector<bool> used(b.size(), false);
  for (const Detection& x : a) {
    bool found = false;
    for (size_t j = 0; j < b.size() && !found; ++j) {
      if (!used[j] && Iou(x.box, b[j].box) >= iou) used[j] = found = true;
    }
    if (!found) return false;
  }
  return true;
}

void ExpectBox(const Box& b, float x, float y, float w, float h) {
  EXPECT_NEAR(b.x, x, 3);
  EXPECT_NEAR(b.y, y, 3);
  EXPECT_NEAR(b.w, w, 3);
  EXPECT_NEAR(b.h, h, 3);
}

// FastestDet/3.jpg (500x335): four people with frisbees on a field, all four found, nothing else above 0.65.
TEST(DnnDetector, FastestDetFindsTheFourPersons) {
  DIDBAN_REQUIRE_DATA(model, "models/FastestDet/FastestDet.onnx");
  DIDBAN_REQUIRE_DATA(image_path, "models/FastestDet/3.jpg");
  DnnOptions o;
  o.model = model;
  auto d = DnnDetector::Create(o);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)->decoder(), DnnDecoder::kFastestDet);  // auto-detected from the 1x85x22x22 output
  EXPECT_EQ((*d)->input_size(), cv::Size(352, 352));
  EXPECT_FLOAT_EQ((*d)->score_threshold(), 0.65f);
  auto dets = (*d)->DetectImage(cv::imread(image_path));
  ASSERT_TRUE(dets.ok()) << dets.status();
  ASSERT_EQ(dets->size(), 4u);
  for (const Detection& x : *dets) {
    EXPECT_EQ(x.model_class, 0);
    EXPECT_EQ(x.object_class, ObjectClass::kPerson);
  }
  // Sorted by score: the man on the left, the man kneeling on the right, then the two in the middle.
  ExpectBox((*dets)[0].box, 41, 63, 137, 232);
  ExpectBox((*dets)[1].box, 289, 142, 194, 155);
  ExpectBox((*dets)[2].box, 159, 136, 97, 129);
  ExpectBox((*dets)[3].box, 231, 139, 91, 139);
  EXPECT_NEAR((*dets)[0].score, 0.90, 0.01);
}

TEST(DnnDetector, YoloxAndYoloFastestAgreeOnThePersons) {
  DIDBAN_REQUIRE_DATA(image_path, "models/FastestDet/3.jpg");
  DIDBAN_REQUIRE_DATA(yolox, "models/yolox_nano/yolox_nano.onnx");
  DIDBAN_REQUIRE_DATA(cfg, "models/yolo-fastest-1.1_darknet/yolo-fastest-1.1.cfg");
  DIDBAN_REQUIRE_DATA(weights, "models/yolo-fastest-1.1_darknet/yolo-fastest-1.1.weights");
  DIDBAN_REQUIRE_DATA(cfg_xl, "models/yolo-fastest-1.1_darknet/yolo-fastest-1.1-xl.cfg");
  DIDBAN_REQUIRE_DATA(weights_xl, "models/yolo-fastest-1.1_darknet/yolo-fastest-1.1-xl.weights");
  DIDBAN_REQUIRE_DATA(fastestdet, "models/FastestDet/FastestDet.onnx");
  cv::Mat image = cv::imread(image_path);

  DnnOptions ox;
  ox.model = yolox;
  auto x = DnnDetector::Create(ox);
  ASSERT_TRUE(x.ok()) << x.status();
  EXPECT_EQ((*x)->decoder(), DnnDecoder::kYolox);  // auto-detected from the 1x3549x85 output
  EXPECT_EQ((*x)->input_size(), cv::Size(416, 416));
  auto xd = (*x)->DetectImage(image);
  ASSERT_TRUE(xd.ok());
  Detections xp = Persons(*xd);
  ASSERT_EQ(xp.size(), 4u);

  DnnOptions oxl;
  oxl.model = weights_xl;
  oxl.config = cfg_xl;
  auto xl = DnnDetector::Create(oxl);
  ASSERT_TRUE(xl.ok()) << xl.status();
  EXPECT_EQ((*xl)->decoder(), DnnDecoder::kDarknet);
  EXPECT_EQ((*xl)->input_size(), cv::Size(320, 320));  // from the cfg
  auto xld = (*xl)->DetectImage(image);
  ASSERT_TRUE(xld.ok());
  Detections xlp = Persons(*xld);
  EXPECT_EQ(xlp.size(), 4u);
  EXPECT_TRUE(Matches(xlp, xp, 0.6f));

  // The small yolo-fastest misses the half-hidden person at 0.4 but its three persons are YOLOX's.
  DnnOptions of;
  of.model = weights;
  of.config = cfg;
  auto f = DnnDetector::Create(of);
  ASSERT_TRUE(f.ok()) << f.status();
  auto fd = (*f)->DetectImage(image);
  ASSERT_TRUE(fd.ok());
  Detections fp = Persons(*fd);
  ASSERT_EQ(fp.size(), 3u);
  for (const Detection& p : fp) {
    float best = 0;
    for (const Detection& q : xp) best = std::max(best, Iou(p.box, q.box));
    EXPECT_GE(best, 0.6f);
  }

  // And FastestDet's four are YOLOX's four.
  DnnOptions ofd;
  ofd.model = fastestdet;
  auto fdd = DnnDetector::Create(ofd);
  ASSERT_TRUE(fdd.ok());
  auto fdp = (*fdd)->DetectImage(image);
  ASSERT_TRUE(fdp.ok());
  EXPECT_TRUE(Matches(Persons(*fdp), xp, 0.6f));
}

TEST(DnnDetector, ClassFilterKeepsOnlyNamedClasses) {
  DIDBAN_REQUIRE_DATA(yolox, "models/yolox_nano/yolox_nano.onnx");
  DIDBAN_REQUIRE_DATA(image_path, "models/FastestDet/3.jpg");
  DnnOptions o;
  o.model = yolox;
  o.classes = {"frisbee"};
  auto d = DnnDetector::Create(o);
  ASSERT_TRUE(d.ok());
  auto dets = (*d)->DetectImage(cv::imread(image_path));
  ASSERT_TRUE(dets.ok());
  ASSERT_EQ(dets->size(), 4u);  // the four frisbees
  for (const Detection& x : *dets) {
    EXPECT_EQ(x.model_class, 29);
    EXPECT_EQ(x.object_class, ObjectClass::kOther);
  }
}

// intel_car-detection.mp4 looks straight down on a car park. Checked by eye: one car in frames 80, 90 and 330, two
// in frame 210. COCO models call cars seen from above "cell phone"; `relabel` maps that to car.
TEST(DnnDetector, FastestDetFindsTheCarsSeenFromAbove) {
  DIDBAN_REQUIRE_DATA(model, "models/FastestDet/FastestDet.onnx");
  DIDBAN_REQUIRE_DATA(video, "video_fixed/intel_car-detection.mp4");
  DnnOptions o;
  o.model = model;
  o.classes = {"car", "bus", "truck", "cell phone"};
  o.relabel = {{"cell phone", "car"}};
  auto d = DnnDetector::Create(o);
  ASSERT_TRUE(d.ok()) << d.status();
  cv::VideoCapture cap(video);
  ASSERT_TRUE(cap.isOpened());
  std::map<int, Detections> found;
  cv::Mat img;
  for (int i = 0; i <= 330 && cap.read(img); ++i) {
    if (i != 80 && i != 90 && i != 210 && i != 330) continue;
    auto dets = (*d)->DetectImage(img);
    ASSERT_TRUE(dets.ok());
    found[i] = *dets;
  }
  ASSERT_EQ(found.size(), 4u);
  EXPECT_EQ(found[80].size(), 1u);
  EXPECT_EQ(found[90].size(), 1u);
  EXPECT_EQ(found[210].size(), 2u);
  EXPECT_EQ(found[330].size(), 1u);
  for (const auto& [frame, dets] : found) {
    for (const Detection& x : dets) EXPECT_EQ(x.object_class, ObjectClass::kCar) << "frame " << frame;
  }
  ExpectBox(found[80][0].box, 263, 78, 178, 267);
  // Frame 210: the silver car on the left, the red one on the right.
  ASSERT_EQ(found[210].size(), 2u);
  const Box& left = found[210][0].box.x < found[210][1].box.x ? found[210][0].box : found[210][1].box;
  const Box& right = found[210][0].box.x < found[210][1].box.x ? found[210][1].box : found[210][0].box;
  ExpectBox(left, 83, 115, 162, 317);
  ExpectBox(right, 317, 95, 156, 277);
}

TEST(DecodeFastestDet, DecodesOneCell) {
  int sizes[] = {1, 85, 2, 2};
  cv::Mat out(4, sizes, CV_32F, cv::Scalar(0));
  auto at = [&](int c, int y, int x) -> float& { return out.ptr<float>()[(c * 2 + y) * 2 + x]; };
  // Cell (gx=1, gy=0): objectness 0.81, offsets 0 (tanh 0), size sigmoid(0) = 0.5, class 2 at 0.9.
  at(0, 0, 1) = 0.81f;
  at(5 + 2, 0, 1) = 0.9f;
  at(5 + 7, 0, 1) = 0.3f;
  Detections d = DecodeFastestDet(out, cv::Size(100, 200), 0.5f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].model_class, 2);
  EXPECT_NEAR(d[0].score, std::pow(0.81, 0.6) * std::pow(0.9, 0.4), 1e-5);
  // cx = (1 + 0) / 2 = 0.5, cy = 0, w = h = 0.5 of the input.
  EXPECT_NEAR(d[0].box.x, 25, 1e-4);
  EXPECT_NEAR(d[0].box.y, -50, 1e-4);
  EXPECT_NEAR(d[0].box.w, 50, 1e-4);
  EXPECT_NEAR(d[0].box.h, 100, 1e-4);
  EXPECT_TRUE(DecodeFastestDet(out, cv::Size(100, 200), 0.9f).empty());
}

TEST(DecodeYolox, DecodesTheStrideOf16) {
  // Input 64x64: grids 8x8 (stride 8), 4x4 (16), 2x2 (32): 84 rows.
  int sizes[] = {1, 84, 7};
  cv::Mat out(3, sizes, CV_32F, cv::Scalar(0));
  // Row 64 + 4 * 1 + 2 = stride 16, gy 1, gx 2. Offsets 0.5, 0.25; size exp(0) * 16.
  float* p = out.ptr<float>() + (64 + 6) * 7;
  p[0] = 0.5f;
  p[1] = 0.25f;
  p[4] = 0.8f;
  p[5 + 1] = 0.5f;
  Detections d = DecodeYolox(out, cv::Size(64, 64), 0.3f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].model_class, 1);
  EXPECT_NEAR(d[0].score, 0.4, 1e-6);
  EXPECT_NEAR(d[0].box.x, (2.5f * 16) - 8, 1e-4);
  EXPECT_NEAR(d[0].box.y, (1.25f * 16) - 8, 1e-4);
  EXPECT_NEAR(d[0].box.w, 16, 1e-4);
}

TEST(DnnOptions, Errors) {
  EXPECT_EQ(ParseDnnOptions(nlohmann::json::object()).status().message(),
            "dnn.model: required (path of an .onnx or .weights file)");
  EXPECT_EQ(ParseDnnOptions(nlohmann::json{{"model", "m.onnx"}, {"decoder", "ssd"}}).status().message(),
            "dnn.decoder: 'ssd' is not one of auto, fastestdet, yolox, darknet");
  EXPECT_EQ(ParseDnnOptions(nlohmann::json{{"model", "m.onnx"}, {"input_width", 300}, {"input_height", 300}})
                .status()
                .message(),
            "dnn.input_width/input_height: must be multiples of 32");
  EXPECT_EQ(ParseDnnOptions(nlohmann::json{{"model", 3}}).status().message().substr(0, 28),
            "dnn.model: wrong type (numbe");
  EXPECT_EQ(
      ParseDnnOptions(nlohmann::json{{"model", "m.onnx"}, {"relabel", {{"cell phone", "phone"}}}}).status().message(),
      "dnn.relabel.cell phone: 'phone' is not a didban class");
  DnnOptions o;
  o.model = "/nonexistent/model.onnx";
  auto d = DnnDetector::Create(o);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(d.status().message(), "dnn.model: model file not found: /nonexistent/model.onnx");
}

TEST(DnnOptions, UnknownClassName) {
  DIDBAN_REQUIRE_DATA(model, "models/FastestDet/FastestDet.onnx");
  DnnOptions o;
  o.model = model;
  o.classes = {"car", "spaceship"};
  EXPECT_EQ(DnnDetector::Create(o).status().message(), "dnn.classes: unknown class name 'spaceship'");
}

TEST(DnnDetector, ReadsANamesFile) {
  DIDBAN_REQUIRE_DATA(model, "models/FastestDet/FastestDet.onnx");
  DIDBAN_REQUIRE_DATA(names, "models/FastestDet/coco.names");
  DnnOptions o;
  o.model = model;
  o.names = names;
  auto d = DnnDetector::Create(o);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ((*d)->class_names().size(), 80u);
  EXPECT_EQ((*d)->class_names(), CocoNames());
}

}  // namespace
}  // namespace didban::detect
