#include "geo/telemetry_ulog.h"

#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/mot_format.h"
#include "testing/data.h"

namespace didban::geo {
namespace {

std::string ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Every message of the published dump (sample_info.txt: "name (multi id, size) count total") matches ours.
TEST(ULogTest, SampleMatchesTheMessageDump) {
  DIDBAN_REQUIRE_DATA(path, "drone/px4_ulog/sample.ulg");
  DIDBAN_REQUIRE_DATA(info_path, "drone/px4_ulog/sample_info.txt");
  auto log = ParseULog(ReadBytes(path), "sample.ulg");
  ASSERT_TRUE(log.ok()) << log.status();
  auto info = ReadTextFile(info_path);
  ASSERT_TRUE(info.ok());
  std::istringstream in(*info);
  std::string line;
  int rows = 0;
  while (std::getline(in, line)) {
    char name[128];
    int multi = 0, size = 0;
    int64_t count = 0, total = 0;
    if (std::sscanf(line.c_str(), " %127s (%d, %d) %" SCNd64 " %" SCNd64, name, &multi, &size, &count, &total) != 5) {
      continue;
    }
    SCOPED_TRACE(name);
    ++rows;
    auto it = log->data.find({name, multi});
    ASSERT_NE(it, log->data.end());
    EXPECT_EQ(static_cast<int64_t>(it->second.size()), count);
    int64_t bytes = 0;
    for (const std::string& b : it->second) bytes += static_cast<int64_t>(b.size());
    EXPECT_EQ(bytes, total);
    EXPECT_EQ(static_cast<int>(it->second.front().size()), size);
  }
  EXPECT_EQ(rows, 15);
  EXPECT_EQ(log->data.size(), 15u);
  // Header of the dump: start 0:01:52, duration 0:01:08, 4 dropouts (0.1 s total).
  EXPECT_EQ(log->start_timestamp_us / 1'000'000, 112u);
  EXPECT_EQ((log->last_timestamp_us - log->start_timestamp_us) / 1'000'000, 68u);
  EXPECT_EQ(log->dropouts, 4);
  EXPECT_EQ(log->dropout_ms / 100, 1u);
  EXPECT_EQ(log->info.at("sys_name"), "PX4");
  EXPECT_EQ(log->info.at("ver_hw"), "AUAV_X21");
  EXPECT_EQ(log->info.at("ver_sw"), "fd483321a5cf50ead91164356d15aa474643aa73");
  // sample_messages.txt: four "no barometer" errors at 0:02:38, 0:02:42, 0:02:51, 0:02:56.
  ASSERT_EQ(log->messages.size(), 4u);
  const uint64_t seconds[] = {158, 162, 171, 176};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(log->messages[i].level, 3);
    EXPECT_EQ(log->messages[i].timestamp_us / 1'000'000, seconds[i]);
    EXPECT_EQ(log->messages[i].text, "[sensors] no barometer found on /dev/baro0 (2)");
  }
}

TEST(ULogTest, TelemetryFromAttitudeAndPosition) {
  DIDBAN_REQUIRE_DATA(path, "drone/px4_ulog/sample.ulg");
  auto t = ReadULogTelemetry(path);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->format, "px4-ulog");
  ASSERT_EQ(t->samples.size(), 6461u);  // one per vehicle_attitude message
  EXPECT_EQ(t->samples.front().time_us, 0);
  for (const TelemetrySample& s : t->samples) {
    ASSERT_TRUE(HasValue(s.yaw_deg));
    ASSERT_GE(s.yaw_deg, -180.0);
    ASSERT_LE(s.yaw_deg, 180.0);
    ASSERT_LE(std::abs(s.pitch_deg), 90.0);
  }
  DIDBAN_REQUIRE_DATA(events, "drone/px4_ulog/sample_px4_events.ulg");
  auto log = ParseULog(ReadBytes(events), "events.ulg");
  ASSERT_TRUE(log.ok()) << log.status();
  auto ts = ULogToTelemetry(*log, "events.ulg");
  ASSERT_TRUE(ts.ok()) << ts.status();
  ASSERT_FALSE(ts->samples.empty());
  int with_position = 0;
  for (const TelemetrySample& s : ts->samples) with_position += s.HasPosition() ? 1 : 0;
  EXPECT_EQ(ts->samples.size(), 622u);  // vehicle_attitude messages
  EXPECT_EQ(with_position, 448);        // the global position is valid for part of the flight only
  // The positions match the raw global-position messages.
  const auto& gp = log->data.at({"vehicle_global_position", 0});
  double lat0 = log->Value("vehicle_global_position", gp.front(), "lat");
  EXPECT_GT(std::abs(lat0), 0.0);
  bool found = false;
  for (const TelemetrySample& s : ts->samples) found = found || std::abs(s.lat - lat0) < 1e-5;
  EXPECT_TRUE(found);
  // Without global positions: the GPS receiver's (sample_log_small.ulg).
  DIDBAN_REQUIRE_DATA(small, "drone/px4_ulog/sample_log_small.ulg");
  auto tsmall = ReadULogTelemetry(small);
  ASSERT_TRUE(tsmall.ok()) << tsmall.status();
  EXPECT_EQ(tsmall->samples.size(), 1298u);
  EXPECT_GE(tsmall->FirstWithPosition(), 0);
}

TEST(ULogTest, CorruptedInputsAreErrors) {
  EXPECT_EQ(ParseULog("not a log at all", "x.ulg").status().message(), "x.ulg: not a ULog file (bad magic)");
  DIDBAN_REQUIRE_DATA(path, "drone/px4_ulog/sample.ulg");
  std::string bytes = ReadBytes(path);
  // A log cut in the middle keeps its complete messages.
  auto cut = ParseULog(bytes.substr(0, bytes.size() / 2), "cut.ulg");
  ASSERT_TRUE(cut.ok()) << cut.status();
  EXPECT_LT(cut->data.at({"vehicle_attitude", 0}).size(), 6461u);
  // A data message whose msg_id was never subscribed.
  std::string bad = bytes.substr(0, 16);
  bad += std::string(
      "\x02\x00"
      "D"
      "\x63\x00",
      5);
  EXPECT_EQ(ParseULog(bad, "bad.ulg").status().message(), "bad.ulg: byte 16: data for unknown msg_id 99");
  EXPECT_EQ(ReadULogTelemetry("/nonexistent.ulg").status().message(), "/nonexistent.ulg: cannot open");
}

// A ULog message: uint16 size, type byte, body.
std::string Message(char type, const std::string& body) {
  std::string m(3, '\0');
  m[0] = static_cast<char>(body.size() & 0xFF);
  m[1] = static_cast<char>(body.size() >> 8);
  m[2] = type;
  return m + body;
}

std::string Header() { return std::string("ULog\x01\x12\x35\x01", 8) + std::string(8, '\0'); }

std::string Attitude(uint64_t timestamp) {
  std::string body("\x00\x00", 2);  // msg_id 0
  body.append(reinterpret_cast<const char*>(&timestamp), 8);
  const float q[4] = {1, 0, 0, 0};
  body.append(reinterpret_cast<const char*>(q), sizeof(q));
  return Message('D', body);
}

TEST(ULogTest, FormatsAndTimestampsBeyondTheLimitsAreRefused) {
  const std::string att = Message('F', "vehicle_attitude:uint64_t timestamp;float[4] q;") +
                          Message('A', std::string("\x00\x00\x00", 3) + "vehicle_attitude");
  // A format larger than a message can carry (sizes would overflow int otherwise).
  EXPECT_EQ(ParseULog(Header() + Message('F', "big:float[65535] a;float[65535] b;") +
                          Message('A', std::string("\x00\x00\x00", 3) + "big"),
                      "f.ulg")
                .status()
                .message(),
            "f.ulg: byte 53: format big is larger than a ULog message (65535 bytes) at field a");
  EXPECT_EQ(ParseULog(Header() + Message('F', "big:float[70000] a;"), "f.ulg").status().message(),
            "f.ulg: byte 16: bad array type 'float[70000]' in big");
  // A timestamp beyond 2^53 µs is refused, naming the topic and the message.
  auto log = ParseULog(Header() + att + Attitude(1'000'000) + Attitude(3'689'066'265'185'965'139ULL), "t.ulg");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(ULogToTelemetry(*log, "t.ulg").status().message(),
            "t.ulg: vehicle_attitude message 2: timestamp 3.68907e+18 us is beyond the limit of 2^53 us (the log's "
            "clock counts microseconds since boot)");
  // One within 2^53 but more than 24 h after the first sample is refused by the telemetry limits.
  log = ParseULog(Header() + att + Attitude(1'000'000) + Attitude(100'000'000'000ULL), "t.ulg");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(ULogToTelemetry(*log, "t.ulg").status().message(),
            "t.ulg: sample 2: time 99999 s is beyond the limit of 86400 s (24 h) from the start");
  log = ParseULog(Header() + att + Attitude(1'000'000) + Attitude(2'000'000), "t.ulg");
  ASSERT_TRUE(log.ok()) << log.status();
  auto t = ULogToTelemetry(*log, "t.ulg");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->samples.back().time_us, 1'000'000);
}

// A log that ends mid-record is read up to its last complete record, with a warning naming the byte offset and the
// last complete timestamp (a warning: the log of a flight cut by a crash or power loss is worth reading).
TEST(ULogTest, CutMidRecordWarnsWithOffsetAndLastTimestamp) {
  const std::string att = Message('F', "vehicle_attitude:uint64_t timestamp;float[4] q;") +
                          Message('A', std::string("\x00\x00\x00", 3) + "vehicle_attitude");
  const std::string whole = Header() + att + Attitude(1'000'000) + Attitude(2'000'000);
  auto complete = ParseULog(whole, "c.ulg");
  ASSERT_TRUE(complete.ok()) << complete.status();
  EXPECT_EQ(complete->cut_at, -1);
  EXPECT_TRUE(ULogToTelemetry(*complete, "c.ulg")->warnings.empty());
  auto body = ParseULog(whole + Attitude(3'000'000).substr(0, 10), "c.ulg");
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ(body->cut_at, 146);
  auto t = ULogToTelemetry(*body, "c.ulg");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->samples.size(), 2u);
  ASSERT_EQ(t->warnings.size(), 1u);
  EXPECT_EQ(t->warnings[0],
            "c.ulg: the log is cut at byte 146, inside a 'D' record of 29 bytes (10 present); its last complete data "
            "timestamp is 2.000000 s on the log's clock, 1.000000 s into the telemetry, where the telemetry ends");
  auto header = ParseULog(whole + Attitude(3'000'000).substr(0, 2), "c.ulg");
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(ULogToTelemetry(*header, "c.ulg")->warnings.at(0),
            "c.ulg: the log is cut at byte 146, inside a record header; its last complete data timestamp is "
            "2.000000 s on the log's clock, 1.000000 s into the telemetry, where the telemetry ends");
  // The real sample cut in half.
  DIDBAN_REQUIRE_DATA(path, "drone/px4_ulog/sample.ulg");
  std::string bytes = ReadBytes(path);
  auto cut = ParseULog(bytes.substr(0, bytes.size() / 2), "sample.ulg");
  ASSERT_TRUE(cut.ok()) << cut.status();
  auto ct = ULogToTelemetry(*cut, "sample.ulg");
  ASSERT_TRUE(ct.ok()) << ct.status();
  ASSERT_EQ(ct->warnings.size(), 1u);
  EXPECT_EQ(ct->warnings[0],
            "sample.ulg: the log is cut at byte 2026617, inside a 'D' record of 128 bytes (65 present); its last "
            "complete data timestamp is 146.694306 s on the log's clock, 34.119999 s into the telemetry, where the "
            "telemetry ends");
  EXPECT_EQ(ct->samples.back().time_us, 34'119'999);
  auto full = ParseULog(bytes, "sample.ulg");
  ASSERT_TRUE(full.ok()) << full.status();
  EXPECT_EQ(full->cut_at, -1);
}

}  // namespace
}  // namespace didban::geo
