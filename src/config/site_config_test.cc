#include "config/site_config.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

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

std::string Err(const absl::StatusOr<SiteConfig>& site) { return std::string(site.status().message()); }

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
            "s.yaml:3:5: cameras[0].colour: unknown key (known: analysis_width, calibration, detector, fps, "
            "masked_recording, name, owner, privacy_masks, recording, rules, tracker, uri)");
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

TEST(SiteConfigTest, RefusesTextThatIsNotUtf8WithItsLineAndColumn) {
  const std::string yaml =
      "site:\n  name: t\ncameras:\n  - name: cam\n    rules:\n      - {type: zone, name: \"la\xB4"
      "e\"}\n";
  EXPECT_EQ(Err(ParseSiteConfig(yaml, "s.yaml")), "s.yaml:6:31: not UTF-8 (byte 0xb4); save the file as UTF-8");
  EXPECT_EQ(Err(ParseSiteConfig("\xFF", "s.yaml")), "s.yaml:1:1: not UTF-8 (byte 0xff); save the file as UTF-8");
}

TEST(SiteConfigTest, LimitsAliasExpansionDepthAndSize) {
  // Nine copies of nine copies ...: 9^6 nodes once expanded, from a few lines.
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i <= 6; ++i) {
    bomb += absl::StrCat("a", i, ": &a", i, " [");
    for (int k = 0; k < 9; ++k) absl::StrAppend(&bomb, k ? ", " : "", "*a", i - 1);
    bomb += "]\n";
  }
  EXPECT_EQ(Err(ParseSiteConfig(bomb, "s.yaml")),
            "s.yaml:6:10: the document holds more than 100000 YAML nodes with its aliases expanded (limit max_nodes; "
            "aliases that repeat large nodes are refused)");
  // An alias to the node that holds it would be a cycle.
  EXPECT_EQ(Err(ParseSiteConfig("fusion: &a {x: *a}\n", "s.yaml")),
            "s.yaml:1:16: YAML alias to a node that contains it (a cycle); aliases must refer to a complete node");
  // Small aliases are fine.
  auto ok = ParseSiteConfig("fusion: &f {step_s: 0.5}\nfusion_batch: {a: *f}\n", "s.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->sections["fusion_batch"]["a"]["step_s"], 0.5);
  EXPECT_EQ(Err(ParseSiteConfig(std::string(70, '[') + std::string(70, ']'), "s.yaml")),
            "s.yaml:1:65: YAML nested deeper than 64 levels (limit max_depth)");
  EXPECT_EQ(Err(ParseSiteConfig(std::string(2000, '#'), "s.yaml", {.max_bytes = 1000})),
            "s.yaml: 2000 bytes is above the limit of 1000 bytes for a site file");
}

TEST(SiteConfigTest, RefusesUnknownKeysAtEveryLevel) {
  EXPECT_EQ(Err(ParseSiteConfig("site: {name: t}\nfoo: 1\ncamras: []\n", "s.yaml")),
            "s.yaml:2:1: foo: unknown key (known: cameras, fusion, fusion_batch, recording, site, sources)");
  EXPECT_EQ(Err(ParseSiteConfig("site: {name: t, nmae: u}\n", "s.yaml")),
            "s.yaml:1:17: site.nmae: unknown key (known: name, origin)");
  EXPECT_EQ(Err(ParseSiteConfig("site: {origin: {lat: 1, lon: 2, altitude: 3}}\n", "s.yaml")),
            "s.yaml:1:33: site.origin.altitude: unknown key (known: alt, lat, lon)");
  EXPECT_EQ(
      Err(ParseSiteConfig("cameras:\n  - {name: c, url: x}\n", "s.yaml")),
      "s.yaml:2:15: cameras[0].url: unknown key (known: analysis_width, calibration, detector, fps, masked_recording, "
      "name, owner, privacy_masks, recording, rules, tracker, uri)");
}

TEST(SiteConfigTest, RecordingSectionGivesDefaultsThatCamerasOverrideKeyByKey) {
  constexpr char kYaml[] = R"(recording:
  mode: continuous
  segment_s: 30
  max_age: 7d
  max_bytes: 2GiB
  min_free_bytes: 500MB
  min_free_percent: 5
  check_every_s: 45
  pre_s: 4
cameras:
  - name: gate
    uri: gate.mp4
    recording: {mode: events, post_s: 8, max_age: 36h}
  - name: yard
    uri: yard.mp4
    recording: {mode: off}
  - name: road
    uri: road.mp4
)";
  auto site = ParseSiteConfig(kYaml, "s.yaml");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_EQ(site->recording.min_free_bytes, 500'000'000);
  EXPECT_EQ(site->recording.min_free_percent, 5);
  EXPECT_EQ(site->recording.retention_every_s, 45);
  EXPECT_EQ(site->recording.where, "s.yaml:2:3: recording");
  EXPECT_FALSE(site->sections.contains("recording"));
  const RecordingSettings gate = ResolveRecording(site->recording, site->cameras[0].recording);
  EXPECT_EQ(gate.mode, RecordingMode::kEvents);
  EXPECT_EQ(gate.segment_s, 30);
  EXPECT_EQ(gate.max_age_s, 36 * 3600);
  EXPECT_EQ(gate.max_bytes, int64_t{2} << 30);
  EXPECT_EQ(gate.pre_s, 4);
  EXPECT_EQ(gate.post_s, 8);
  EXPECT_EQ(site->cameras[0].recording.json, nlohmann::json::parse(R"({"mode":"events","post_s":8,"max_age":"36h"})"));
  EXPECT_EQ(ResolveRecording(site->recording, site->cameras[1].recording).mode, RecordingMode::kOff);
  const RecordingSettings road = ResolveRecording(site->recording, site->cameras[2].recording);
  EXPECT_EQ(road.mode, RecordingMode::kContinuous);
  EXPECT_EQ(road.max_age_s, 7 * 86400);
  EXPECT_EQ(road.post_s, 5);  // RecordingSettings' default
  // No section at all: continuous, 60-s segments, nothing deleted.
  auto bare = ParseSiteConfig("cameras:\n  - {name: a, uri: a.mp4}\n", "s.yaml");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(ResolveRecording(bare->recording, bare->cameras[0].recording), RecordingSettings{});
}

TEST(SiteConfigTest, RecordingErrorsNameTheKeyAndLine) {
  EXPECT_EQ(Err(ParseSiteConfig("recording:\n  mode: sometimes\n", "s.yaml")),
            "s.yaml:2:9: recording.mode: expected continuous, events or off, got 'sometimes'");
  EXPECT_EQ(Err(ParseSiteConfig("recording:\n  max_age: 7y\n", "s.yaml")),
            "s.yaml:2:12: recording.max_age: '7y': unknown duration unit 'y' (s, m, h, d, w)");
  EXPECT_EQ(Err(ParseSiteConfig("recording:\n  max_bytes: lots\n", "s.yaml")),
            "s.yaml:2:14: recording.max_bytes: 'lots' is not a size (bytes, or e.g. 500MB, 2GiB)");
  EXPECT_EQ(Err(ParseSiteConfig("recording:\n  segment_s: 0.5\n", "s.yaml")),
            "s.yaml:2:14: recording.segment_s: must be in [1, 3600] seconds");
  EXPECT_EQ(Err(ParseSiteConfig("recording:\n  min_free_percent: 95\n", "s.yaml")),
            "s.yaml:2:21: recording.min_free_percent: must be in [0, 90]");
  EXPECT_EQ(Err(ParseSiteConfig("recording: [1]\n", "s.yaml")), "s.yaml:1:12: recording: expected a mapping");
  // The node-wide floor is not a camera's key.
  EXPECT_EQ(Err(ParseSiteConfig("cameras:\n  - name: a\n    recording:\n      min_free_bytes: 1GB\n", "s.yaml")),
            "s.yaml:4:7: cameras[0].recording.min_free_bytes: unknown key (known: max_age, max_bytes, mode, "
            "post_s, pre_s, segment_s)");
  EXPECT_EQ(Err(ParseSiteConfig("cameras:\n  - name: a\n    recording: {pre_s: -1}\n", "s.yaml")),
            "s.yaml:3:24: cameras[0].recording.pre_s: '-1' is not a duration (seconds, or e.g. 90s, 36h, 7d)");
}

TEST(SiteConfigTest, DurationsAndSizesWithUnits) {
  EXPECT_EQ(*ParseDurationSeconds("90"), 90);
  EXPECT_EQ(*ParseDurationSeconds("90s"), 90);
  EXPECT_EQ(*ParseDurationSeconds("15m"), 900);
  EXPECT_EQ(*ParseDurationSeconds("1.5h"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("2w"), 14 * 86400);
  EXPECT_FALSE(ParseDurationSeconds("h").ok());
  EXPECT_EQ(*ParseByteSize("1024"), 1024);
  EXPECT_EQ(*ParseByteSize("500MB"), 500'000'000);
  EXPECT_EQ(*ParseByteSize("500M"), 500'000'000);
  EXPECT_EQ(*ParseByteSize("2GiB"), int64_t{2} << 30);
  EXPECT_EQ(*ParseByteSize("1.5 TB"), 1'500'000'000'000);
  EXPECT_EQ(*ParseByteSize("64KiB"), 65536);
  EXPECT_FALSE(ParseByteSize("5XB").ok());
}

}  // namespace
}  // namespace didban::config
