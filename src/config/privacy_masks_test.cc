// A camera's `privacy_masks:` and `masked_recording:` in the site file: polygons come through as JSON in pixels;
// bad shapes are refused naming the file, line and field; masked recording needs masks and is refused without.
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

TEST(PrivacyMasksConfigTest, MaskedRecordingWithMasksIsAccepted) {
  auto on = ParseSiteConfig(
      Site("    privacy_masks:\n      - [[10, 20], [100, 20], [100, 80]]\n    masked_recording: true\n"), "site.yaml");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(on->cameras[0].masked_recording);
  // The key may come before the masks.
  auto before = ParseSiteConfig(
      Site("    masked_recording: true\n    privacy_masks:\n      - [[10, 20], [100, 20], [100, 80]]\n"), "site.yaml");
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_TRUE(before->cameras[0].masked_recording);
  auto off = ParseSiteConfig(Site("    masked_recording: false\n"), "site.yaml");
  ASSERT_TRUE(off.ok()) << off.status();
  EXPECT_FALSE(off->cameras[0].masked_recording);
  auto absent = ParseSiteConfig(Site(""), "site.yaml");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_FALSE(absent->cameras[0].masked_recording);
}

TEST(PrivacyMasksConfigTest, MaskedRecordingWithoutMasksIsRefusedNamingTheField) {
  auto none = ParseSiteConfig(Site("    masked_recording: true\n"), "site.yaml");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(none.status().message(),
            "site.yaml:4:23: cameras[0].masked_recording: needs privacy_masks (the polygons filled before the video is "
            "encoded); add privacy_masks to this camera or remove masked_recording");
  auto empty = ParseSiteConfig(Site("    privacy_masks: []\n    masked_recording: true\n"), "site.yaml");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "site.yaml:5:23: cameras[0].masked_recording: needs privacy_masks (the polygons filled before the video is "
            "encoded); add privacy_masks to this camera or remove masked_recording");
  auto maybe = ParseSiteConfig(Site("    masked_recording: maybe\n"), "site.yaml");
  ASSERT_FALSE(maybe.ok());
  EXPECT_EQ(maybe.status().message(), "site.yaml:4:23: cameras[0].masked_recording: expected true or false");
}

}  // namespace
}  // namespace didban::config
