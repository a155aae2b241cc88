#include "geo/telemetry_types.h"

#include <gtest/gtest.h>

#include "geo/telemetry_csv.h"

namespace didban::geo {
namespace {

TelemetrySample Sample(TimeUs t, int64_t frame, double lat, double yaw) {
  TelemetrySample s;
  s.time_us = t;
  s.frame = frame;
  s.lat = lat;
  s.lon = 10;
  s.rel_alt_m = 50;
  s.yaw_deg = yaw;
  return s;
}

TEST(TelemetryInterpolationTest, LinearPositionShortestArcAngles) {
  Telemetry t;
  t.source = "x.srt";
  t.samples = {Sample(0, 1, 40.0, 350), Sample(1'000'000, 3, 40.001, 10)};
  auto p = PoseAtTime(t, 500'000);
  ASSERT_TRUE(p.ok());
  EXPECT_NEAR(p->lat, 40.0005, 1e-12);
  EXPECT_NEAR(p->yaw_deg, 0.0, 1e-9);  // not 180
  auto q = PoseAtTime(t, 250'000);
  EXPECT_NEAR(q->yaw_deg, -5.0, 1e-9);
  // By frame number: frame 2 lies half-way between frames 1 and 3.
  auto f = PoseAtFrame(t, 2, 0);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->time_us, 500'000);
  EXPECT_EQ(f->frame, 2);
  EXPECT_NEAR(f->lat, 40.0005, 1e-12);
  EXPECT_EQ(PoseAtFrame(t, 5, 0).status().message(), "x.srt: frame 5 is outside the telemetry's frames 1..3");
  // Clamped within 2 s, refused beyond.
  EXPECT_EQ(PoseAtTime(t, 2'500'000)->lat, 40.001);
  EXPECT_EQ(PoseAtTime(t, 3'500'000).status().message(), "x.srt: time 3.5 s is after the telemetry ends (1 s)");
  // Numbering that starts above 1 (DJI FrameCnt 218...): video frame 2 is FrameCnt 219.
  Telemetry late = t;
  late.frame_counter = true;
  late.samples[0].frame = 218;
  late.samples[1].frame = 220;
  auto l = PoseAtFrame(late, 2, 0);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->frame, 219);
  EXPECT_EQ(l->time_us, 500'000);
  // Unnumbered telemetry: by time from the frame rate.
  t.samples[0].frame = t.samples[1].frame = -1;
  EXPECT_EQ(PoseAtFrame(t, 2, 0).status().message(),
            "x.srt: telemetry has no frame numbers; a frame rate (fps) is needed");
  auto g = PoseAtFrame(t, 16, 30);  // 0.5 s
  ASSERT_TRUE(g.ok());
  EXPECT_NEAR(g->lat, 40.0005, 1e-12);
}

TEST(TelemetryInterpolationTest, MissingFieldsComeFromTheOtherSide) {
  TelemetrySample a = Sample(0, -1, 1, kNoValue);
  TelemetrySample b = Sample(10, -1, 2, 30);
  TelemetrySample m = InterpolateSamples(a, b, 5);
  EXPECT_EQ(m.yaw_deg, 30);
  EXPECT_EQ(m.lat, 1.5);
  EXPECT_TRUE(std::isnan(m.gimbal_pitch_deg));
}

TEST(TelemetryCsvTest, PlainCsv) {
  auto t = ParseTelemetryCsv(
      "time_s,lat,lon,alt_m,yaw_deg,pitch_deg,roll_deg,gimbal_pitch_deg,gimbal_yaw_deg,extra\n"
      "0.0,47.1,8.2,100,90,1,2,-90,91,x\n"
      "0.5,47.2,8.3,101,,,,-80,,y\n",
      "t.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->format, "csv");
  ASSERT_EQ(t->samples.size(), 2u);
  EXPECT_EQ(t->samples[1].time_us, 500000);
  EXPECT_EQ(t->samples[0].gimbal_yaw_deg, 91);
  EXPECT_EQ(t->samples[1].rel_alt_m, 101);
  EXPECT_TRUE(std::isnan(t->samples[1].yaw_deg));
  EXPECT_EQ(t->samples[1].line, 3);
  // Round trip through the writer.
  auto back = ParseTelemetryCsv(FormatTelemetryCsv(*t), "back.csv");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->samples[1].gimbal_pitch_deg, -80);
  EXPECT_EQ(back->samples[0].lat, 47.1);
}

TEST(TelemetryCsvTest, DjiFlightLogWithFeetAndVideoFlag) {
  auto t = ParseTelemetryCsv(
      "time(millisecond),datetime(utc),latitude,longitude,height_above_takeoff(feet),altitude_above_seaLevel(feet),"
      " compass_heading(degrees), pitch(degrees), roll(degrees),gimbal_heading(degrees),gimbal_pitch(degrees),"
      "isVideo\n"
      "0,2020-01-01 10:00:00,47.1,8.2,0,1000,10,0,0,10,0,0\n"
      "100,2020-01-01 10:00:00,47.1,8.2,100,1100,20,0,0,20,-90,1\n"
      "200,2020-01-01 10:00:00,47.2,8.2,200,1200,30,0,0,30,-90,1\n"
      "300,2020-01-01 10:00:00,47.3,8.2,300,1300,40,0,0,40,-90,0\n",
      "log.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->format, "dji-csv");
  ASSERT_EQ(t->samples.size(), 2u);
  EXPECT_EQ(t->samples[0].time_us, 0);
  EXPECT_EQ(t->samples[1].time_us, 100000);
  EXPECT_NEAR(t->samples[0].rel_alt_m, 30.48, 1e-12);
  EXPECT_NEAR(t->samples[1].abs_alt_m, 1200 * 0.3048, 1e-12);
  EXPECT_EQ(t->samples[0].yaw_deg, 20);
  EXPECT_EQ(t->samples[0].gimbal_pitch_deg, -90);
  EXPECT_TRUE(t->warnings.empty());
  // Two recordings in one flight log: the first is used, with a warning that names both.
  auto two = ParseTelemetryCsv(
      "time(millisecond),latitude,longitude,isVideo\n0,47.1,8.2,1\n100,47.1,8.2,1\n200,47.2,8.2,0\n"
      "300,47.3,8.2,1\n",
      "two.csv");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ(two->samples.size(), 2u);
  ASSERT_EQ(two->warnings.size(), 1u);
  EXPECT_EQ(two->warnings[0],
            "two.csv: the flight log holds 2 recordings (rows with isVideo = 1 on lines 2..3, 5..5); the first is "
            "used, its line 2 being the video's start: for a video of another recording, give the log cut to that "
            "recording's rows");
}

TEST(TelemetryCsvTest, ExactErrors) {
  EXPECT_EQ(ParseTelemetryCsv("lat,lon\n1,2\n", "a.csv").status().message(),
            "a.csv:1: missing time column (time_s, time_ms, time(millisecond) or time_us)");
  EXPECT_EQ(ParseTelemetryCsv("time_s,lat\n1,2\n", "a.csv").status().message(),
            "a.csv:1: missing latitude/longitude columns (lat, lon or latitude, longitude)");
  EXPECT_EQ(ParseTelemetryCsv("time_s,lat,lon\n0,1,2\n1,1x,2\n", "a.csv").status().message(),
            "a.csv:3: column 'lat': not a number: '1x'");
  EXPECT_EQ(ParseTelemetryCsv("time_s,lat,lon\n0,1,2\n1,1\n", "a.csv").status().message(),
            "a.csv:3: expected 3 columns, got 2");
  EXPECT_EQ(ParseTelemetryCsv("time_s,lat,lon\n1,1,2\n0,1,2\n", "a.csv").status().message(),
            "a.csv:3: time goes backwards (0 s after 1 s)");
  EXPECT_EQ(ParseTelemetryCsv("", "a.csv").status().message(), "a.csv: empty file (expected a CSV header)");
  EXPECT_EQ(ParseTelemetryCsv("time_s,lat,lon\n", "a.csv").status().message(),
            "a.csv:1: no data rows after the header");
}

// Times and frame numbers are checked against TelemetryLimits before they are cast or used to size any work.
TEST(TelemetryCsvTest, LimitsOfTimeAndFrameNumbers) {
  auto msg = [](const std::string& text) { return std::string(ParseTelemetryCsv(text, "a.csv").status().message()); };
  EXPECT_EQ(msg("time_s,lat,lon\n0,1,2\n100000,1,2\n"),
            "a.csv:3: time 100000 s is beyond the limit of 86400 s (24 h) from the start");
  EXPECT_EQ(msg("time_s,lat,lon\n1e300,1,2\n"),
            "a.csv:2: time 1e+300 s is beyond the limit of 86400 s (24 h) from the start");
  EXPECT_EQ(msg("time_s,frame,lat,lon\n0,9e18,1,2\n"),
            "a.csv:2: column 'frame': frame 9e18 is above the limit of 100000000");
  EXPECT_TRUE(ParseTelemetryCsv("time_s,lat,lon\n0,1,2\n86400,1,2\n", "a.csv").ok());
  Telemetry t;
  t.source = "log.ulg";
  t.samples.resize(3);
  t.samples[2].time_us = -86'400'000'001;
  EXPECT_EQ(CheckTelemetryLimits(t).message(),
            "log.ulg: sample 3: time -86400 s is beyond the limit of 86400 s (24 h) from the start");
  t.samples[2].time_us = 0;
  t.samples[1].frame = 100'000'001;
  t.samples[1].line = 7;
  EXPECT_EQ(CheckTelemetryLimits(t).message(), "log.ulg:7: frame 100000001 is above the limit of 100000000");
  EXPECT_EQ(CheckTelemetryLimits(t, {.max_samples = 2}).message(), "log.ulg: 3 samples is above the limit of 2");
}

// A frame column is read 0-based when it has frame 0 (or when told), 1-based otherwise; frames are video frames
// (no shift to the first row's number); text from the file is escaped in messages.
TEST(TelemetryCsvTest, FrameColumnZeroOrOneBased) {
  auto zero = ParseTelemetryCsv("time_s,frame,lat,lon\n0,0,47.0,8.0\n0.04,1,47.001,8.0\n", "z.csv");
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_FALSE(zero->frame_counter);
  EXPECT_EQ(zero->samples[0].frame, 1);
  EXPECT_EQ(zero->samples[1].frame, 2);
  EXPECT_EQ(PoseAtFrame(*zero, 1, 0)->lat, 47.0);
  EXPECT_EQ(PoseAtFrame(*zero, 2, 0)->lat, 47.001);
  // 1-based, starting at frame 5: video frame 5 is its first row, video frame 1 is before the telemetry.
  auto late = ParseTelemetryCsv("time_s,frame,lat,lon\n0,5,47.0,8.0\n0.04,6,47.001,8.0\n", "a.csv");
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(PoseAtFrame(*late, 5, 0)->lat, 47.0);
  EXPECT_EQ(PoseAtFrame(*late, 1, 0).status().message(), "a.csv: frame 1 is outside the telemetry's frames 5..6");
  // Told 0-based: frame 5 is video frame 6.
  auto told = ParseTelemetryCsv("time_s,frame,lat,lon\n0,5,47.0,8.0\n", "a.csv", {.frame_base = 0});
  ASSERT_TRUE(told.ok()) << told.status();
  EXPECT_EQ(told->samples[0].frame, 6);
  auto msg = [](const std::string& text, int base = -1) {
    return std::string(ParseTelemetryCsv(text, "a.csv", {.frame_base = base}).status().message());
  };
  EXPECT_EQ(msg("time_s,frame,lat,lon\n0,0,47.0,8.0\n", 1),
            "a.csv:1: the frame column has frame 0 but was given as 1-based (frame base 1)");
  EXPECT_EQ(msg("time_s,frame,lat,lon\n0,0,47.0,8.0\n", 2),
            "the frame base must be 0 or 1 (or -1: decided per file), got 2");
  EXPECT_EQ(msg("time_s,frame,lat,lon\n0,2,47.0,8.0\n1,1,47.0,8.0\n"),
            "a.csv:3: frame goes backwards (1 after 2): one recording per file");
  EXPECT_EQ(msg("time_s,frame,lat,lon\n0,-1,47.0,8.0\n"),
            "a.csv:2: column 'frame': frame -1 is not a frame number (0, 1, 2...)");
  EXPECT_EQ(msg("time_s,frame,lat,lon\n0,1.5,47.0,8.0\n"),
            "a.csv:2: column 'frame': frame 1.5 is not a frame number (0, 1, 2...)");
  EXPECT_EQ(msg("time_s,lat,lon\n0,4\x1b[2J7,8.0\n"), "a.csv:2: column 'lat': not a number: '4\\x1B[2J7'");
  EXPECT_EQ(msg("time_s,lat,lon\n0," + std::string(50, '9') + "x,8.0\n"),
            "a.csv:2: column 'lat': not a number: '" + std::string(40, '9') + "...'");
}

}  // namespace
}  // namespace didban::geo
