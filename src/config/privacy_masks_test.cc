// A camera's `privacy_masks:` and `masked_recording:` in the site file: polygons come through as JSON in pixels;
// bad shapes are refused naming the file, line and field; masked recording is refused as not built.
#include <gtest/gtest.h>

#include "config/site_config.h"

namespace didban::config {
namespace {

std::string Site(const std::string& camera_extra) {
  return "cameras:\n  - name: gate\n    uri: gate.mp4\n" + camera_extra;
}

TEST(PrivacyMasksConfigTest, PolygonsComeThroughInPixels) {
  auto site = ParseSiteConfig(Site("    privacy_masks:\n      - [[10, 20], [100, 20], [100, 80.5]]\n"), "site.yaml");
  ASSERT_TRUE(site.ok()) << site.status();
  EXPECT_EQ(site->cameras[0].privacy_masks, nlohmann::json::parse("[[[10.0, 20.0], [100.0, 20.0], [100.0, 80.5]]]"));
  auto none = ParseSiteConfig(Site(""), "site.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->cameras[0].privacy_masks.is_null());
}

TEST(PrivacyMasksConfigTest, BadShapesAreNamed) {
  auto two = ParseSiteConfig(Site("    privacy_masks:\n      - [[10, 20], [100, 20]]\n"), "site.yaml");
  ASSERT_FALSE(two.ok());
  EXPECT_NE(two.status().message().find("site.yaml:5:"), std::string::npos) << two.status();
  EXPECT_NE(two.status().message().find("cameras[0].privacy_masks[0]"), std::string::npos) << two.status();
  auto far = ParseSiteConfig(Site("    privacy_masks:\n      - [[10, 20], [100, 20], [1e9, 3]]\n"), "site.yaml");
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.status().message().find("coordinates beyond 100000 px"), std::string::npos) << far.status();
  auto word = ParseSiteConfig(Site("    privacy_masks: everywhere\n"), "site.yaml");
  EXPECT_FALSE(word.ok());
}

TEST(PrivacyMasksConfigTest, MaskedRecordingIsRefusedAsNotBuilt) {
  auto on = ParseSiteConfig(Site("    masked_recording: true\n"), "site.yaml");
  ASSERT_FALSE(on.ok());
  EXPECT_NE(on.status().message().find("masked (re-encoded) recording is not available yet"), std::string::npos)
      << on.status();
  EXPECT_TRUE(ParseSiteConfig(Site("    masked_recording: false\n"), "site.yaml").ok());
  EXPECT_FALSE(ParseSiteConfig(Site("    masked_recording: maybe\n"), "site.yaml").ok());
}

}  // namespace
}  // namespace didban::config
