#include "core/json_io.h"

#include <gtest/gtest.h>

namespace didban {
namespace {

TEST(JsonIoTest, EventHasOnlySetFields) {
  Event e;
  e.time_us = 1'500'000;
  e.camera = "north";
  e.type = "overspeed";
  e.track_id = 4;
  e.object_class = ObjectClass::kCar;
  e.value = 92.5;
  e.unit = "km/h";
  EXPECT_EQ(EventToJson(e).dump(),
            R"({"camera":"north","class":"car","time_s":1.5,"time_us":1500000,"track_id":4,"type":"overspeed",)"
            R"("unit":"km/h","value":92.5})");
}

TEST(JsonIoTest, Utf8CheckFindsTheFirstBadByte) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x97"));  // é € 🚗
  EXPECT_EQ(FirstInvalidUtf8("la\xB4"
                             "e"),
            2u);                                        // a lone continuation byte
  EXPECT_EQ(FirstInvalidUtf8("ab\xC3"), 2u);            // truncated sequence
  EXPECT_EQ(FirstInvalidUtf8("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(FirstInvalidUtf8("x\xED\xA0\x80"), 1u);     // UTF-16 surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(ToValidUtf8("la\xB4"
                        "e"),
            "la\xEF\xBF\xBD"
            "e");
}

TEST(JsonIoTest, EventStringsAreMadeValidUtf8) {
  Event e;
  e.camera = "cam";
  e.type = "zone_enter";
  e.rule =
      "la\xB4"
      "e";
  const nlohmann::json j = EventToJson(e);
  EXPECT_EQ(j["rule"],
            "la\xEF\xBF\xBD"
            "e");
  EXPECT_NO_THROW(j.dump());
  nlohmann::json raw = {{"name",
                         "la\xB4"
                         "e"}};
  EXPECT_THROW(raw.dump(), nlohmann::json::type_error);
  EXPECT_EQ(DumpJson(raw),
            "{\"name\":\"la\xEF\xBF\xBD"
            "e\"}");
}

}  // namespace
}  // namespace didban
