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

}  // namespace
}  // namespace didban
