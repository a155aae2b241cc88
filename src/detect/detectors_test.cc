#include "detect/detectors.h"

#include <gtest/gtest.h>

#include "testing/data.h"

namespace didban::detect {
namespace {

TEST(DetectorRegistry, KnowsTheBuiltInDetectors) {
  std::vector<std::string> names = DetectorRegistry().Names();
  EXPECT_EQ(names, (std::vector<std::string>{"dnn", "gated", "motion"}));
}

TEST(DetectorRegistry, CreatesByName) {
  auto m = CreateDetector("motion", nlohmann::json{{"process_width", 256}});
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ((*m)->Name(), "motion");
  DIDBAN_REQUIRE_DATA(model, "models/FastestDet/FastestDet.onnx");
  auto d = CreateDetector("dnn", nlohmann::json{{"model", model}, {"score_threshold", 0.5}});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ((*d)->Name(), "dnn");
  auto g = CreateDetector("gated", nlohmann::json{{"dnn", {{"model", model}}}});
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_EQ((*g)->Name(), "gated");
}

TEST(DetectorRegistry, Errors) {
  auto unknown = CreateDetector("foo");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(unknown.status().message(), "unknown detector 'foo' (known: dnn, gated, motion)");
  EXPECT_EQ(CreateDetector("motion", nlohmann::json{{"min_area_px", "many"}}).status().message().substr(0, 34),
            "motion.min_area_px: wrong type (st");
  EXPECT_EQ(CreateDetector("motion", nlohmann::json{{"size", 3}}).status().message().substr(0, 39),
            "motion: unknown parameter 'size' (known");
  EXPECT_EQ(CreateDetector("motion", nlohmann::json::array()).status().message(), "motion: expected a mapping");
  EXPECT_EQ(CreateDetector("dnn", nlohmann::json{{"model", "/no/such/FastestDet.onnx"}}).status().message(),
            "dnn.model: model file not found: /no/such/FastestDet.onnx");
  EXPECT_EQ(CreateDetector("dnn", nlohmann::json{{"model", "/no/such/yolo.weights"}, {"config", "/no/such/yolo.cfg"}})
                .status()
                .message(),
            "dnn.model: model file not found: /no/such/yolo.weights");
  EXPECT_EQ(CreateDetector("gated", nlohmann::json{{"dnn", {{"model", "/no/such/m.onnx"}}}}).status().message(),
            "dnn.model: model file not found: /no/such/m.onnx");
}

}  // namespace
}  // namespace didban::detect
