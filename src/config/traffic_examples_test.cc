// The traffic example site configs (examples/*.yaml) load and build their rule engines.
#include <filesystem>

#include <gtest/gtest.h>

#include "config/site_config.h"
#include "rules/builtin_rules.h"
#include "rules/rule_engine.h"

namespace didban::config {
namespace {

// examples/<name> of the source tree: found from this file's path when absolute, else by walking up from the
// working directory (tests run inside the build tree).
std::string Example(const std::string& name) {
  std::filesystem::path here(__FILE__);
  if (here.is_absolute()) return (here.parent_path() / ".." / ".." / "examples" / name).lexically_normal();
  for (std::filesystem::path dir = std::filesystem::current_path(); !dir.empty(); dir = dir.parent_path()) {
    if (std::filesystem::exists(dir / "examples" / name)) return dir / "examples" / name;
    if (dir == dir.parent_path()) break;
  }
  return name;
}

TEST(TrafficExamples, LoadAndBuildRuleEngines) {
  for (const char* name : {"bgslibrary_video02.yaml", "intel_car_detection.yaml"}) {
    absl::StatusOr<SiteConfig> site = LoadSiteConfig(Example(name));
    ASSERT_TRUE(site.ok()) << site.status();
    ASSERT_EQ(site->cameras.size(), 1u);
    const CameraConfig& cam = site->cameras[0];
    EXPECT_TRUE(std::filesystem::path(cam.uri).lexically_normal().string().ends_with(
        "shared/data/video_fixed/" +
        std::string(name[0] == 'b' ? "bgslibrary_video02.avi" : "intel_car-detection.mp4")));
    auto engine = rules::RuleEngine::FromCamera(cam);
    ASSERT_TRUE(engine.ok()) << engine.status();
    EXPECT_GE((*engine)->Rules().size(), 4u);
    // Issue 15: no per-clip detector settings in the examples (the default detector, given the calibration).
    EXPECT_EQ(cam.detector.type, "motion") << name;
    EXPECT_TRUE(cam.detector.params.is_null() || cam.detector.params.empty() ||
                (cam.detector.params.size() == 1 && cam.detector.params.contains("type")))
        << name << ": " << cam.detector.params.dump();
    EXPECT_TRUE(cam.calibration.Calibrated()) << name;
  }
}

// Every example site loads under the strict reader (unknown keys refused at every level, limits): the WILDTRACK site
// too, whose calibration files are outside the tree (only its keys are checked when they are missing).
TEST(TrafficExamples, EveryExampleSiteHasOnlyKnownKeys) {
  absl::StatusOr<SiteConfig> site = LoadSiteConfig(Example("wildtrack/site.yaml"));
  if (site.ok()) {
    EXPECT_EQ(site->cameras.size(), 7u);
    EXPECT_TRUE(site->sections.contains("fusion"));
    EXPECT_TRUE(site->sections.contains("fusion_batch"));
  } else {
    EXPECT_NE(site.status().message().find("cannot open calibration file"), std::string::npos) << site.status();
  }
}

TEST(TrafficExamples, ErrorsCarryTheYamlLine) {
  auto site =
      ParseSiteConfig("cameras:\n  - name: a\n    rules:\n      - {type: line, name: l, points: [[0, 0]]}\n", "s.yaml");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_EQ(rules::RuleEngine::FromCamera(site->cameras[0]).status().message(),
            "s.yaml:4:9: cameras[0].rules[0]: points: needs at least 2 points, got 1");
}

}  // namespace
}  // namespace didban::config
