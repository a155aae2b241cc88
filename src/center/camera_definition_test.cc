#include "center/camera_definition.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "center/overlay.h"
#include "geo/local_frame.h"
#include "testing/data.h"

namespace didban::center {
namespace {

config::SiteConfig Site() {
  config::SiteConfig s;
  s.name = "test";
  s.path = "/sites/north/site.yaml";
  return s;
}

TEST(CameraDefinitionTest, ParsesWhatASiteFileAccepts) {
  nlohmann::json def = {
      {"name", "gate"},
      {"uri", "clips/gate.mp4"},
      {"fps", 12.5},
      {"detector", {{"type", "motion"}, {"warmup_s", 1.0}}},
      {"calibration",
       {{"homography",
         {{"image", {{0, 100}, {100, 100}, {100, 0}, {0, 0}}}, {"ground", {{0, 0}, {10, 0}, {10, 10}, {0, 10}}}}}}},
      {"rules", {{{"type", "line"}, {"name", "l"}, {"points", {{0, 50}, {100, 50}}}}}}};
  absl::StatusOr<config::CameraConfig> cam = ParseCameraDefinition(def, Site());
  ASSERT_TRUE(cam.ok()) << cam.status();
  EXPECT_EQ(cam->name, "gate");
  EXPECT_EQ(cam->uri, "/sites/north/clips/gate.mp4");  // relative to the site file's folder
  EXPECT_EQ(cam->fps, 12.5);
  EXPECT_EQ(cam->detector.type, "motion");
  EXPECT_TRUE(cam->calibration.Calibrated());
  ASSERT_EQ(cam->rules.size(), 1u);
  EXPECT_EQ(cam->rules[0].where, "camera.rules[0]");
  EXPECT_TRUE(CheckCamera(*cam).ok()) << CheckCamera(*cam);

  nlohmann::json back = CameraDefinitionJson(*cam);
  EXPECT_EQ(back["uri"], "/sites/north/clips/gate.mp4");
  EXPECT_EQ(back["detector"]["warmup_s"], 1.0);
  EXPECT_EQ(back["rules"][0]["name"], "l");
  EXPECT_EQ(back["calibration"], nlohmann::json::parse(
                                     R"({"homography": {"image": [[0, 100], [100, 100], [100, 0], [0, 0]],
                                   "ground": [[0, 0], [10, 0], [10, 10], [0, 10]]}})"));
}

// The calibration reaches the motion detector as its ground homography (issue 15), for `motion` at the top of the
// params and for `gated` under `motion`; a homography given in the params is kept; none when uncalibrated. The
// definition written back does not carry it.
TEST(CameraDefinitionTest, DetectorParamsCarryTheGroundHomography) {
  nlohmann::json def = {
      {"name", "gate"},
      {"uri", "gate.mp4"},
      {"calibration",
       {{"homography",
         {{"image", {{0, 100}, {100, 100}, {100, 0}, {0, 0}}}, {"ground", {{0, 0}, {10, 0}, {10, 10}, {0, 10}}}}}}}};
  absl::StatusOr<config::CameraConfig> cam = ParseCameraDefinition(def, Site());
  ASSERT_TRUE(cam.ok()) << cam.status();
  nlohmann::json p = DetectorParams(*cam);
  ASSERT_TRUE(p.contains("ground_homography")) << p.dump();
  const nlohmann::json& h = p["ground_homography"];
  ASSERT_EQ(h.size(), 3u);
  // Pixel (100, 0) is ground (10, 10).
  const double x = 100, y = 0;
  const double w = h[2][0].get<double>() * x + h[2][1].get<double>() * y + h[2][2].get<double>();
  EXPECT_NEAR((h[0][0].get<double>() * x + h[0][1].get<double>() * y + h[0][2].get<double>()) / w, 10, 1e-6);
  EXPECT_NEAR((h[1][0].get<double>() * x + h[1][1].get<double>() * y + h[1][2].get<double>()) / w, 10, 1e-6);
  EXPECT_TRUE(MakeDetector(*cam).ok());
  EXPECT_FALSE(CameraDefinitionJson(*cam)["detector"].contains("ground_homography"));

  config::CameraConfig gated = *cam;
  gated.detector.type = "gated";
  gated.detector.params = {{"dnn", {{"model", "m.onnx"}}}};
  EXPECT_TRUE(DetectorParams(gated)["motion"].contains("ground_homography"));

  config::CameraConfig given = *cam;
  given.detector.params = {{"ground_homography", {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}};
  EXPECT_EQ(DetectorParams(given)["ground_homography"][0][0], 1);

  config::CameraConfig bare = *cam;
  bare.calibration = {};
  EXPECT_FALSE(DetectorParams(bare).contains("ground_homography"));
}

// A site-file camera's calibration is written back (the web UI's map draws its field of view, its editor shows the
// point pairs): latitude/longitude points as local metres, files resolved, other keys as given; the definition
// written back parses to the same homography.
TEST(CameraDefinitionTest, WritesTheCalibrationBackInMetres) {
  config::SiteConfig site = Site();
  site.origin = geo::LatLon{35.7, 51.4, 1200};
  const nlohmann::json def = nlohmann::json::parse(R"({
      "name": "gate", "uri": "gate.mp4",
      "calibration": {"ground_reference": "center", "homography": {
          "image": [[0, 100], [100, 100], [100, 0], [0, 0]],
          "latlon": [[35.7, 51.4], [35.7, 51.4001], [35.7001, 51.4001], [35.7001, 51.4]]}}})");
  absl::StatusOr<config::CameraConfig> cam = ParseCameraDefinition(def, site);
  ASSERT_TRUE(cam.ok()) << cam.status();
  const nlohmann::json back = CameraDefinitionJson(*cam);
  ASSERT_TRUE(back.contains("calibration"));
  const nlohmann::json& cal = back["calibration"];
  EXPECT_EQ(cal["ground_reference"], "center");
  EXPECT_EQ(cal["homography"]["image"], nlohmann::json::parse("[[0, 100], [100, 100], [100, 0], [0, 0]]"));
  EXPECT_FALSE(cal["homography"].contains("latlon"));
  geo::LocalFrame frame(35.7, 51.4, 1200);
  const Point2 zero = frame.ToLocal(35.7, 51.4), east = frame.ToLocal(35.7, 51.4001),
               north = frame.ToLocal(35.7001, 51.4);
  ASSERT_EQ(cal["homography"]["ground"].size(), 4u);
  EXPECT_EQ(cal["homography"]["ground"][0], nlohmann::json({zero.x, zero.y}));
  EXPECT_NEAR(zero.x, 0, 1e-6);
  EXPECT_EQ(cal["homography"]["ground"][1], nlohmann::json({east.x, east.y}));
  EXPECT_EQ(cal["homography"]["ground"][3], nlohmann::json({north.x, north.y}));
  EXPECT_NEAR(east.x, 9.05, 0.05);  // 0.0001 degrees of longitude at 35.7 N
  EXPECT_NEAR(north.y, 11.09, 0.05);
  absl::StatusOr<config::CameraConfig> again = ParseCameraDefinition(back, site);
  ASSERT_TRUE(again.ok()) << again.status();
  const cv::Matx33d a = cam->calibration.homography->ImageToGround(),
                    b = again->calibration.homography->ImageToGround();
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(a.val[i], b.val[i], 1e-9 * (1 + std::abs(a.val[i])));
  EXPECT_EQ(again->calibration.reference, geo::GroundReference::kCenter);
}

TEST(CameraDefinitionTest, ErrorsNameTheField) {
  auto error = [](const nlohmann::json& def) {
    absl::StatusOr<config::CameraConfig> cam = ParseCameraDefinition(def, Site());
    if (!cam.ok()) return std::string(cam.status().message());
    absl::Status s = CheckCamera(*cam);
    return s.ok() ? std::string("ok") : std::string(s.message());
  };
  EXPECT_EQ(error(nlohmann::json::array()), "camera: expected a JSON object");
  EXPECT_EQ(error({{"uri", "a.mp4"}}), "camera: missing name");
  EXPECT_EQ(error({{"name", "a b"}, {"uri", "a.mp4"}}),
            "camera.name: 'a b' must use only letters, digits, '_', '.', '-'");
  EXPECT_EQ(error({{"name", "a"}}), "camera.uri: missing");
  EXPECT_EQ(error({{"name", "a"}, {"uri", "a.mp4"}, {"fps", -1}}), "camera.fps: must be in [0, 1000]");
  EXPECT_EQ(error({{"name", "a"}, {"uri", "a.mp4"}, {"detector", {{"type", "nope"}}}}),
            "camera.detector: unknown detector 'nope' (known: dnn, gated, motion)");
  std::string rule = error({{"name", "a"}, {"uri", "a.mp4"}, {"rules", {{{"type", "line"}, {"points", 3}}}}});
  EXPECT_EQ(rule.rfind("camera.rules[0]", 0), 0u) << rule;
  std::string unknown = error({{"name", "a"}, {"uri", "a.mp4"}, {"colour", "red"}});
  EXPECT_EQ(unknown.rfind("camera.colour: unknown key", 0), 0u) << unknown;
}

TEST(OverlayTest, SavesAtomicallyAndLoadsBack) {
  std::string dir = testing::MakeTempDir("overlay");
  std::string path = DefaultOverlayPath(dir + "/north.yaml");
  EXPECT_EQ(path, dir + "/north.runtime.json");
  absl::StatusOr<Overlay> empty = LoadOverlay(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->put.empty() && empty->removed.empty());

  Overlay o;
  o.put["cam9"] = {{"name", "cam9"}, {"uri", "x.mp4"}};
  o.removed = {"cam1", "cam2"};
  ASSERT_TRUE(SaveOverlay(path, o).ok());
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  absl::StatusOr<Overlay> back = LoadOverlay(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->put.at("cam9")["uri"], "x.mp4");
  EXPECT_EQ(back->removed, (std::set<std::string>{"cam1", "cam2"}));

  std::ofstream(path) << R"({"version": 1, "put": {"c": 3}})";
  EXPECT_EQ(LoadOverlay(path).status().message(), path + ": put.c: expected a camera definition object");
  std::ofstream(path) << "{";
  EXPECT_EQ(LoadOverlay(path).status().message(), path + ": not valid JSON");
}

}  // namespace
}  // namespace didban::center
