#include "config/site_config.h"

#include <gtest/gtest.h>

namespace didban::config {
namespace {

constexpr char kSite[] = R"(site:
  name: test
  origin: {lat: 35.7, lon: 51.4}
cameras:
  - name: north
    uri: clips/north.mp4
    detector: {type: dnn, model: m.onnx, score: 0.5}
    calibration:
      homography:
        image: [[0, 100], [100, 100], [100, 0], [0, 0]]
        ground: [[0, 0], [10, 0], [10, 20], [0, 20]]
    rules:
      - {type: line, name: stop-line, points: [[0, 50], [100, 50]]}
)";

TEST(SiteConfigTest, ParsesCamerasCalibrationAndRules) {
  auto site = ParseSiteConfig(kSite, "/sites/a/site.yaml");
  ASSERT_TRUE(site.ok()) << site.status();
  ASSERT_EQ(site->cameras.size(), 1u);
  const CameraConfig& c = site->cameras[0];
  EXPECT_EQ(c.uri, "/sites/a/clips/north.mp4");
  EXPECT_EQ(c.detector.type, "dnn");
  EXPECT_EQ(c.detector.params["score"], 0.5);
  ASSERT_TRUE(c.calibration.homography.has_value());
  auto g = c.calibration.PixelToGround({50, 50});
  ASSERT_TRUE(g.has_value());
  EXPECT_NEAR(g->x, 5, 1e-6);
  EXPECT_NEAR(g->y, 10, 1e-6);
  ASSERT_EQ(c.rules.size(), 1u);
  EXPECT_EQ(c.rules[0].type, "line");
  EXPECT_EQ(c.rules[0].name, "stop-line");
  EXPECT_EQ(c.rules[0].where, "/sites/a/site.yaml:13:9: cameras[0].rules[0]");
}

TEST(SiteConfigTest, ErrorsNameFileLineAndField) {
  EXPECT_EQ(ParseSiteConfig("cameras:\n  - name: a\n    fps: fast\n", "s.yaml").status().message(),
            "s.yaml:3:10: cameras[0].fps: expected a number, got 'fast'");
  EXPECT_EQ(ParseSiteConfig("cameras:\n  - name: a\n    colour: red\n", "s.yaml").status().message(),
            "s.yaml:3:5: cameras[0].colour: unknown key (known: analysis_width, calibration, detector, fps, name, "
            "rules, tracker, uri)");
  EXPECT_EQ(ParseSiteConfig("cameras: [\n", "s.yaml").status().message().substr(0, 24), "s.yaml:2:1: YAML syntax ");
  EXPECT_EQ(ParseSiteConfig("cameras:\n  - name: a\n  - name: a\n", "s.yaml").status().message(),
            "s.yaml:3:5: cameras[1]: duplicate camera name 'a'");
  EXPECT_EQ(ParseSiteConfig("cameras:\n  - name: a\n    calibration:\n      homography:\n        image: [[0, 0]]\n"
                            "        ground: [[0, 0]]\n",
                            "s.yaml")
                .status()
                .message(),
            "s.yaml:5:9: cameras[0].calibration.homography: homography needs at least 4 point pairs, got 1");
}

}  // namespace
}  // namespace didban::config
