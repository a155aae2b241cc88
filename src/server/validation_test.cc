#include "server/validation.h"

#include <string>

#include <gtest/gtest.h>

#include "server/api_error.h"

namespace didban::server {
namespace {

TEST(ValidationTest, NamesRefuseTraversalAndSqlMetacharacters) {
  for (const char* ok : {"cam1", "north_gate-2", "a.b", "0", "A_b.c-d"}) EXPECT_TRUE(IsValidName(ok)) << ok;
  for (const char* bad :
       {"", ".", "..", ".hidden", "../etc", "a/b", "a\\b", "a b", "a'", "a;DROP", "a--", "x%2F", "\xC3\xA9"}) {
    if (std::string(bad) == "a--") continue;  // dashes are fine in names
    EXPECT_FALSE(IsValidName(bad)) << bad;
  }
  EXPECT_FALSE(IsValidName(std::string(65, 'a')));
  EXPECT_TRUE(IsValidName(std::string(64, 'a')));
  const absl::Status st = ValidateName("camera", "../x");
  EXPECT_EQ(StatusField(st), "camera");
  EXPECT_EQ(st.message(), "camera: invalid name (1 to 64 of A-Z a-z 0-9 _ . -, not starting with '.')");
}

TEST(ValidationTest, JsonBodyMustBeOneObject) {
  auto bad = ParseJsonObject("{\"a\": 1,");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(StatusField(bad.status()), "body");
  EXPECT_EQ(bad.status().message(), "body: malformed JSON at byte 9");
  auto arr = ParseJsonObject("[1]");
  ASSERT_FALSE(arr.ok());
  EXPECT_EQ(arr.status().message(), "body: expected a JSON object, got array");
  auto deep = ParseJsonObject(std::string(100000, '['));
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().message(), "body: JSON nested deeper than 32 at byte 32");
  auto huge = ParseJsonObject(R"({"fps": 1e309})");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(StatusField(huge.status()), "body");
  // Brackets inside strings do not count.
  auto ok = ParseJsonObject("{\"s\": \"" + std::string(100, '[') + "\"}");
  ASSERT_TRUE(ok.ok()) << ok.status();
}

TEST(ValidationTest, SchemaNamesTheFirstOffendingField) {
  const nlohmann::json schema = nlohmann::json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["uri"],
    "properties": {
      "uri": {"type": "string", "maxLength": 8},
      "fps": {"type": "number", "minimum": 0},
      "rules": {"type": "array", "maxItems": 2, "items": {
        "type": "object", "required": ["type"], "additionalProperties": true,
        "properties": {"type": {"type": "string", "format": "name"}}}}
    }})");
  auto check = [&](const std::string& text) { return ValidateJson(nlohmann::json::parse(text), schema); };
  EXPECT_TRUE(check(R"({"uri": "a.mp4", "rules": [{"type": "line", "extra": 1}]})").ok());
  absl::Status st = check(R"({"uri": "a", "bogus": 1})");
  EXPECT_EQ(StatusField(st), "bogus");
  EXPECT_EQ(st.message(), "bogus: unknown field");
  st = check(R"({"fps": 1})");
  EXPECT_EQ(StatusField(st), "uri");
  EXPECT_EQ(st.message(), "uri: required");
  st = check(R"({"uri": "a", "fps": -1})");
  EXPECT_EQ(StatusField(st), "fps");
  EXPECT_EQ(st.message(), "fps: must be >= 0");
  st = check(R"({"uri": "a", "fps": "x"})");
  EXPECT_EQ(st.message(), "fps: expected number, got string");
  st = check(R"({"uri": "123456789"})");
  EXPECT_EQ(st.message(), "uri: longer than 8 characters");
  st = check(R"({"uri": "a", "rules": [{"type": "line"}, {"name": "x"}]})");
  EXPECT_EQ(StatusField(st), "rules[1].type");
  st = check(R"({"uri": "a", "rules": [{"type": "../x"}]})");
  EXPECT_EQ(StatusField(st), "rules[0].type");
  st = check(R"({"uri": "a", "rules": [{"type": "a"}, {"type": "b"}, {"type": "c"}]})");
  EXPECT_EQ(st.message(), "rules: more than 2 items");
}

TEST(ValidationTest, IntegersParseWhole) {
  EXPECT_EQ(*ParseInt64("from_us", "-12"), -12);
  for (const char* bad : {"", " 1", "1 ", "1e3", "0x10", "1;DROP TABLE events", "99999999999999999999"}) {
    auto v = ParseInt64("from_us", bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(StatusField(v.status()), "from_us");
  }
  EXPECT_TRUE(*ParseBool("acknowledged", "true"));
  EXPECT_FALSE(ParseBool("acknowledged", "yes").ok());
  EXPECT_TRUE(IsValidCursor("1700000000:abc-DEF_1.2="));
  EXPECT_FALSE(IsValidCursor("a'b"));
}

}  // namespace
}  // namespace didban::server
