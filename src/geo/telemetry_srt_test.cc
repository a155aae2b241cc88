#include "geo/telemetry_srt.h"

#include <sstream>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_format.h"
#include "core/mot_format.h"
#include "geo/telemetry_csv.h"
#include "testing/data.h"

namespace didban::geo {
namespace {

struct SrtGolden {
  const char* file;
  size_t count;
  TimeUs first_time_us, last_time_us;
  int64_t first_frame, last_frame;
  double first_lat, first_lon, first_rel, first_abs;
  double last_lat, last_lon, last_rel, last_abs;
};

constexpr double N = kNoValue;

// Every sample file of ../shared/data/drone/dji_srt, with values read by eye from the files.
const SrtGolden kGoldens[] = {
    {"MAVIC3.srt", 12318, 0, 246340000, 1, 12318, 3.41531, -3.37440, -2.4, 0.401, 3.41368, -3.37721, 3.6, 6.401},
    {"air2s.srt", 17, 0, 533000, -1, -1, 41.424724, 2.234156, N, 117.0, 41.424730, 2.234102, N, 117.1},
    {"m2zoom.SRT", 7113, 0, 118651000, 1, 7113, 31.452012, 74.398751, N, 213.983002, 31.450438, 74.398905, N,
     264.541992},
    {"matrice_300.srt", 381, 0, 380000000, -1, -1, 36.6146, -6.1120, 0.3, 0.0, 36.6146, -6.1120, 0.0, 0.0},
    {"mavic_2_style.SRT", 468, 0, 468000000, -1, -1, -20.2533, 149.0251, N, N, -20.2532, 149.0251, N, N},
    {"mavic_2pro_new.SRT", 8952, 0, 369840000, 218, 1049, -35.080155, -60.286702, N, N, -35.077976, -60.314572, N, N},
    {"mavic_air.SRT", 2, 0, 39000, 1, 2, N, N, N, N, N, N, N, N},
    {"mavic_air2.srt", 25, 0, 400000, -1, -1, 41.420684, 2.162162, N, 27.3, 41.420686, 2.162162, N, 29.2},
    {"mavic_mini.SRT", 117, 0, 116000000, -1, -1, 48.0771, -121.7458, 200.70, N, 48.0775, -121.7476, 200.80, N},
    {"mavic_pro.SRT", 468, 1000000, 468000000, -1, -1, -20.2533, 149.0251, 1.9, N, -20.2532, 149.0251, 0.0, N},
    {"mix_p4rtk_mavic2pro.srt", 12, 904904000, 910242000, -1, 9, -34.650200, -59.409424, 17.39, N, -34.651180,
     -59.409483, N, 120.140999},
    {"old_format.SRT", 468, 1000000, 468000000, -1, -1, -20.2533, 149.0251, 1.9, N, -20.2532, 149.0251, 0.0, N},
    {"p4_rtk.SRT", 55, 0, 54000000, -1, -1, -34.237922, -58.851745, 85.80, N, -34.232349, -58.849196, 85.80, N},
    {"p4p_sample.SRT", 5, 0, 4000000, -1, -1, 47.4692, 8.2090, 45.60, N, 47.4692, 8.2090, 45.60, N},
};

void ExpectSame(double expected, double actual, const std::string& what) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << what << " = " << actual;
  } else {
    EXPECT_EQ(expected, actual) << what;
  }
}

std::string ReadSample(const std::string& path) {
  auto text = ReadTextFile(path);
  EXPECT_TRUE(text.ok()) << text.status();
  return text.ok() ? *text : std::string();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::string Join(const std::vector<std::string>& lines, size_t count) {
  std::string out;
  for (size_t i = 0; i < count && i < lines.size(); ++i) out += lines[i] + "\n";
  return out;
}

TEST(DjiSrtTest, EverySampleFileParsesWithExactFirstAndLastValues) {
  for (const SrtGolden& g : kGoldens) {
    SCOPED_TRACE(g.file);
    DIDBAN_REQUIRE_DATA(path, std::string("drone/dji_srt/") + g.file);
    auto t = ParseDjiSrt(ReadSample(path), g.file);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_EQ(t->format, "dji-srt");
    ASSERT_EQ(t->samples.size(), g.count);
    const TelemetrySample& a = t->samples.front();
    const TelemetrySample& b = t->samples.back();
    EXPECT_EQ(a.time_us, g.first_time_us);
    EXPECT_EQ(b.time_us, g.last_time_us);
    EXPECT_EQ(a.frame, g.first_frame);
    EXPECT_EQ(b.frame, g.last_frame);
    ExpectSame(g.first_lat, a.lat, "first lat");
    ExpectSame(g.first_lon, a.lon, "first lon");
    ExpectSame(g.first_rel, a.rel_alt_m, "first rel_alt");
    ExpectSame(g.first_abs, a.abs_alt_m, "first abs_alt");
    ExpectSame(g.last_lat, b.lat, "last lat");
    ExpectSame(g.last_lon, b.lon, "last lon");
    ExpectSame(g.last_rel, b.rel_alt_m, "last rel_alt");
    ExpectSame(g.last_abs, b.abs_alt_m, "last abs_alt");
  }
}

TEST(DjiSrtTest, PhantomRtkAttitudeHomeAndFocalLength) {
  DIDBAN_REQUIRE_DATA(path, "drone/dji_srt/p4_rtk.SRT");
  auto t = ParseDjiSrt(ReadSample(path), "p4_rtk.SRT");
  ASSERT_TRUE(t.ok()) << t.status();
  const TelemetrySample& a = t->samples.front();
  // F.PRY (2.7°, -7.0°, 110.1°), G.PRY (-24.4°, 0.0°, 110.4°)
  EXPECT_EQ(a.pitch_deg, 2.7);
  EXPECT_EQ(a.roll_deg, -7.0);
  EXPECT_EQ(a.yaw_deg, 110.1);
  EXPECT_EQ(a.gimbal_pitch_deg, -24.4);
  EXPECT_EQ(a.gimbal_roll_deg, 0.0);
  EXPECT_EQ(a.gimbal_yaw_deg, 110.4);
  ASSERT_TRUE(t->home_lat.has_value());
  EXPECT_EQ(*t->home_lat, -34.232707);  // HOME (-58.847509, -34.232707, -57.98m)
  EXPECT_EQ(*t->home_lon, -58.847509);
  EXPECT_EQ(t->home_alt_m, -57.98);
  EXPECT_EQ(a.line, 1);
  EXPECT_EQ(t->samples[1].line, 5);

  DIDBAN_REQUIRE_DATA(mavic3, "drone/dji_srt/MAVIC3.srt");
  auto m = ParseDjiSrt(ReadSample(mavic3), "MAVIC3.srt");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->samples[0].focal_35mm_mm, 24.0);                        // [focal_len: 24.00]
  EXPECT_EQ(m->samples[0].wall_us % 86'400'000'000LL, 44872373000LL);  // 12:27:52.373
  DIDBAN_REQUIRE_DATA(zoom, "drone/dji_srt/m2zoom.SRT");
  auto z = ParseDjiSrt(ReadSample(zoom), "m2zoom.SRT");
  ASSERT_TRUE(z.ok()) << z.status();
  EXPECT_EQ(z->samples.front().focal_35mm_mm, 24.0);  // [focal_len : 240]
  EXPECT_EQ(z->samples.back().focal_35mm_mm, 48.0);   // [focal_len : 480]
}

TEST(DjiSrtTest, CoordinateOrderCanBeForced) {
  const std::string text = "1\n00:00:00,000 --> 00:00:01,000\nGPS (8.2090, 47.4692, 18), H 45.60m\n";
  auto lonlat = ParseDjiSrt(text, "a.srt");
  ASSERT_TRUE(lonlat.ok()) << lonlat.status();
  EXPECT_EQ(lonlat->samples[0].lat, 47.4692);
  SrtOptions o;
  o.order = SrtCoordinateOrder::kLatLon;
  auto latlon = ParseDjiSrt(text, "a.srt", o);
  ASSERT_TRUE(latlon.ok()) << latlon.status();
  EXPECT_EQ(latlon->samples[0].lat, 8.2090);
  auto both = ParseDjiSrt(
      "1\n00:00:00,000 --> 00:00:01,000\nGPS (149.1, -20.2, 16)\n\n2\n00:00:01,000 --> 00:00:02,000\nGPS (-20.2, "
      "149.1, 16)\n",
      "b.srt");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(),
            "b.srt:5: GPS coordinates in both orders: line 1 has a first number beyond 90 degrees, this cue a second "
            "one");
}

// A number replaced by garbage: the error names the file, the line and the field; no crash.
TEST(DjiSrtTest, CorruptedNumberInEverySampleIsAnErrorWithItsLine) {
  for (const SrtGolden& g : kGoldens) {
    SCOPED_TRACE(g.file);
    DIDBAN_REQUIRE_DATA(path, std::string("drone/dji_srt/") + g.file);
    std::vector<std::string> lines = Lines(ReadSample(path));
    // The middle line that carries a position (or, without one, a frame count).
    std::vector<size_t> candidates;
    for (size_t i = 0; i < lines.size(); ++i) {
      if (lines[i].find("atitude") != std::string::npos || lines[i].find("GPS") != std::string::npos ||
          (g.first_lat != g.first_lat && lines[i].find("FrameCnt") != std::string::npos)) {
        candidates.push_back(i);
      }
    }
    ASSERT_FALSE(candidates.empty());
    size_t li = candidates[candidates.size() / 2];
    std::string& l = lines[li];
    size_t at = l.find("atitude");
    if (at == std::string::npos) at = l.find("GPS");
    if (at == std::string::npos) at = l.find("FrameCnt");
    size_t digit = l.find_first_of("0123456789", at);
    ASSERT_NE(digit, std::string::npos);
    l.insert(digit + 1, "x");
    auto t = ParseDjiSrt(Join(lines, lines.size()), g.file);
    ASSERT_FALSE(t.ok());
    std::string msg(t.status().message());
    EXPECT_EQ(msg.rfind(absl::StrCat(g.file, ":", li + 1, ": "), 0), 0u) << msg;
    EXPECT_TRUE(msg.find("not a number") != std::string::npos || msg.find("not an integer") != std::string::npos)
        << msg;
  }
}

// A file cut in the middle of its last bracketed group: "unterminated" with the line; cut after a timing line:
// "truncated cue".
TEST(DjiSrtTest, TruncatedEverySampleIsAnErrorWithItsLine) {
  for (const SrtGolden& g : kGoldens) {
    SCOPED_TRACE(g.file);
    DIDBAN_REQUIRE_DATA(path, std::string("drone/dji_srt/") + g.file);
    std::vector<std::string> lines = Lines(ReadSample(path));
    size_t li = lines.size();
    size_t open = std::string::npos;
    while (li > 0 && open == std::string::npos) {
      --li;
      open = lines[li].find_last_of("[(");
    }
    ASSERT_NE(open, std::string::npos);
    std::vector<std::string> cut(lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(li) + 1);
    cut.back() = cut.back().substr(0, open + 3);
    auto t = ParseDjiSrt(Join(cut, cut.size()), g.file);
    ASSERT_FALSE(t.ok());
    std::string msg(t.status().message());
    EXPECT_EQ(msg.rfind(absl::StrCat(g.file, ":", li + 1, ": unterminated '"), 0), 0u) << msg;

    size_t timing = lines.size();
    while (timing > 0 && lines[timing - 1].find("-->") == std::string::npos) --timing;
    if (timing == 0) continue;  // cues without timing lines
    auto t2 = ParseDjiSrt(Join(lines, timing), g.file);
    ASSERT_FALSE(t2.ok());
    std::string msg2(t2.status().message());
    EXPECT_EQ(msg2.rfind(absl::StrCat(g.file, ":", timing, ": truncated cue "), 0), 0u) << msg2;
  }
}

TEST(DjiSrtTest, ExactErrorMessages) {
  auto bad_index = ParseDjiSrt("x1\n00:00:00,000 --> 00:00:01,000\n[latitude: 1] [longitude: 2]\n", "c.srt");
  EXPECT_EQ(bad_index.status().message(), "c.srt:1: expected a subtitle cue number, got 'x1'");
  auto bad_time = ParseDjiSrt("1\n00:00:00,000 -> 00:00:01,000\n", "c.srt");
  // No "-->": the second line is payload; there is no position and no date.
  EXPECT_EQ(bad_time.status().message(), "c.srt:1: cue 1 has neither a timing line nor a date");
  auto bad_clock = ParseDjiSrt("1\n00:00:0x,000 --> 00:00:01,000\n[latitude: 1] [longitude: 2]\n", "c.srt");
  EXPECT_EQ(bad_clock.status().message(), "c.srt:2: bad cue timing '00:00:0x,000 --> 00:00:01,000'");
  auto backwards = ParseDjiSrt(
      "1\n00:00:02,000 --> 00:00:03,000\n[latitude: 1] [longitude: 2]\n\n2\n00:00:01,000 --> 00:00:02,000\n"
      "[latitude: 1] [longitude: 2]\n",
      "c.srt");
  EXPECT_EQ(backwards.status().message(), "c.srt:5: time goes backwards (1 s after 2 s)");
  auto range = ParseDjiSrt("1\n00:00:00,000 --> 00:00:01,000\n[latitude: 91] [longitude: 2]\n", "c.srt");
  EXPECT_EQ(range.status().message(), "c.srt:1: latitude/longitude out of range (91, 2)");
  auto font =
      ParseDjiSrt("1\n00:00:00,000 --> 00:00:01,000\n<font size=\"28\">[latitude: 1] [longitude: 2]\n", "c.srt");
  EXPECT_EQ(font.status().message(), "c.srt:3: truncated cue 1: '<font' without '</font>'");
  auto missing = ParseDjiSrt(
      "1\n00:00:00,000 --> 00:00:01,000\n[latitude: 1] [longitude: 2]\n\n2\n00:00:01,000 --> 00:00:02,000\n"
      "[iso: 100]\n",
      "c.srt");
  EXPECT_EQ(missing.status().message(), "c.srt:5: cue has no position while other cues have one (truncated cue?)");
  EXPECT_EQ(ParseDjiSrt("\n\n", "e.srt").status().message(), "e.srt: no subtitle cues");
}

TEST(DjiSrtTest, TimesAndFrameNumbersBeyondTheLimitsAreRefused) {
  auto msg = [](const std::string& text) { return std::string(ParseDjiSrt(text, "a.srt").status().message()); };
  EXPECT_EQ(msg("1\n25:00:00,000 --> 25:00:01,000\n[latitude: 47.0] [longitude: 8.0]\n"),
            "a.srt:1: time 90000 s is beyond the limit of 86400 s (24 h) from the start");
  EXPECT_EQ(msg("1\n00:00:00,000 --> 00:00:01,000\nFrameCnt: 99999999999999999999999, DiffTime: 33ms\n"
                "[latitude: 47.0] [longitude: 8.0]\n"),
            "a.srt:1: frame 9223372036854775807 is above the limit of 100000000");
}

}  // namespace
}  // namespace didban::geo

namespace didban::geo {
namespace {

// The subtitles of several recordings joined into one file (mavic_2pro_new.SRT): split where the counter restarts.
TEST(DjiSrtSegmentsTest, MavicTwoProNewHoldsTwelveRecordings) {
  DIDBAN_REQUIRE_DATA(path, "drone/dji_srt/mavic_2pro_new.SRT");
  auto t = ParseDjiSrt(ReadSample(path), "mavic_2pro_new.SRT");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->segments.size(), 12u);
  const std::pair<int64_t, int64_t> counters[] = {{218, 820}, {1, 1229}, {2, 837},  {2, 492}, {1, 622}, {2, 529},
                                                  {1, 615},   {1, 936},  {2, 1035}, {1, 496}, {1, 793}, {1, 1049}};
  size_t next = 0;
  for (size_t k = 0; k < 12; ++k) {
    EXPECT_EQ(t->segments[k].first, next) << k;
    next += t->segments[k].count;
    EXPECT_EQ(t->segments[k].first_frame, counters[k].first) << k;
    EXPECT_EQ(t->segments[k].last_frame, counters[k].second) << k;
  }
  EXPECT_EQ(next, 8952u);
  EXPECT_EQ(t->segments[1].start_us, 24'160'000);
  EXPECT_EQ(t->segments[1].end_us, 73'400'000);
  EXPECT_EQ(t->segments[11].end_us, 369'880'000);
  const std::string described = DescribeSegments(*t);
  EXPECT_EQ(described.substr(0, described.find('\n', described.find('\n') + 1) + 1),
            "  1: frames 218..820 (603), 0.000..24.160 s, recorded 2019-09-27 10:28:08.438, lines 1..3217\n"
            "  2: frames 1..1229 (1229), 24.160..73.400 s, recorded 2019-09-27 10:28:46.732, lines 3223..10567\n");
  // No pose from the joined file: frame 300 exists in 10 of its recordings.
  auto pose = PoseAtFrame(*t, 300, 25);
  ASSERT_EQ(pose.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(std::string(pose.status().message()),
            "mavic_2pro_new.SRT: no pose by frame: the file holds 12 recordings (its frame counter restarts):\n" +
                described +
                "choose the video's recording with --telemetry-segment N (0: the video is all of them joined)");
  EXPECT_EQ(PoseAtTime(*t, 0).status().code(), absl::StatusCode::kFailedPrecondition);

  // A video of 1229 frames at 25 frames/s is recording 2, by its counter and its time; its frame 1 is FrameCnt 1.
  TelemetrySelection by_video;
  by_video.video_frames = 1229;
  by_video.fps = 25;
  auto two = SelectTelemetrySegment(*t, by_video);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->samples.size(), 1225u);
  EXPECT_TRUE(two->segments.empty());
  EXPECT_EQ(two->samples.front().time_us, 0);
  auto first = PoseAtFrame(*two, 1, 25);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->frame, 1);
  EXPECT_EQ(first->lat, -35.081357);
  EXPECT_EQ(first->lon, -60.286307);
  EXPECT_EQ(first->line, 3223);
  // Chosen by number: recording 12.
  TelemetrySelection twelve;
  twelve.segment = 12;
  auto last = SelectTelemetrySegment(*t, twelve);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->samples.size(), 1049u);
  EXPECT_EQ(last->samples.front().lat, -35.079595);
  // A video of the whole file's length (369.88 s) is all the recordings joined: matched by cue time.
  TelemetrySelection whole;
  whole.video_frames = 9247;
  whole.fps = 25;
  auto all = SelectTelemetrySegment(*t, whole);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->samples.size(), 8952u);
  EXPECT_FALSE(all->HasFrameNumbers());
  auto at = PoseAtFrame(*all, 605, 25);  // 24.16 s: recording 2's first cue
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->lat, -35.081357);
  // Without the video's length: refused, listing the recordings.
  auto none = SelectTelemetrySegment(*t, {});
  EXPECT_EQ(std::string(none.status().message()),
            "mavic_2pro_new.SRT: cannot match the video without its frame count or duration (--frames): the file "
            "holds 12 recordings (its frame counter restarts):\n" +
                described +
                "choose the video's recording with --telemetry-segment N (0: the video is all of them joined)");
  // Every other sample file is one recording.
  for (const SrtGolden& g : kGoldens) {
    if (std::string(g.file) == "mavic_2pro_new.SRT") continue;
    DIDBAN_REQUIRE_DATA(other, std::string("drone/dji_srt/") + g.file);
    auto o = ParseDjiSrt(ReadSample(other), g.file);
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_TRUE(o->segments.empty()) << g.file;
  }
}

// Made-up recordings: A (counter 1..3), B (1..3), C (1..5), 40 ms cues.
std::string JoinedRecordings() {
  std::string out;
  const int64_t frames[] = {1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5};
  for (int i = 0; i < 11; ++i) {
    absl::StrAppend(&out, i + 1, "\n00:00:00,", absl::StrFormat("%03d --> 00:00:00,%03d", i * 40, i * 40 + 40),
                    "\nFrameCnt: ", frames[i], ", [latitude: ", 47 + i * 0.001, "] [longitude: 8.0]\n\n");
  }
  return out;
}

TEST(DjiSrtSegmentsTest, MatchedByCounterAndTimeOrRefusedWithExactMessages) {
  auto t = ParseDjiSrt(JoinedRecordings(), "m.srt");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->segments.size(), 3u);
  const std::string described =
      "  1: frames 1..3 (3), 0.000..0.120 s, lines 1..9\n"
      "  2: frames 1..3 (3), 0.120..0.240 s, lines 13..21\n"
      "  3: frames 1..5 (5), 0.240..0.440 s, lines 25..41\n";
  EXPECT_EQ(DescribeSegments(*t), described);
  const std::string tail =
      ": the file holds 3 recordings (its frame counter restarts):\n" + described +
      "choose the video's recording with --telemetry-segment N (0: the video is all of them joined)";
  auto select = [&](int segment, int64_t frames, double fps) {
    TelemetrySelection s;
    s.segment = segment;
    s.video_frames = frames;
    s.fps = fps;
    return SelectTelemetrySegment(*t, s);
  };
  EXPECT_EQ(std::string(select(-1, 3, 25).status().message()),
            "m.srt: the video (3 frames, 0.120 s) matches recordings 1, 2" + tail);
  EXPECT_EQ(std::string(select(-1, 7, 25).status().message()),
            "m.srt: the video (7 frames, 0.280 s) matches none of its recordings" + tail);
  EXPECT_EQ(std::string(select(4, 0, 0).status().message()),
            "m.srt: there is no recording 4 (1..3, or 0 for all of them joined):\n" + described);
  auto c = select(-1, 5, 25);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->samples.size(), 5u);
  EXPECT_EQ(c->samples.back().time_us, 160'000);
  auto pose = PoseAtFrame(*c, 2, 25);
  ASSERT_TRUE(pose.ok()) << pose.status();
  EXPECT_DOUBLE_EQ(pose->lat, 47.007);
  auto b = select(2, 0, 0);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_DOUBLE_EQ(PoseAtFrame(*b, 3, 0)->lat, 47.005);
  auto all = select(-1, 11, 25);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->samples.size(), 11u);
  EXPECT_DOUBLE_EQ(PoseAtFrame(*all, 11, 25)->lat, 47.010);
  // Written as CSV, a chosen recording's frames are video frames.
  const std::string csv = FormatTelemetryCsv(*c);
  EXPECT_EQ(csv.substr(csv.find('\n') + 1, 33), "0.000000,1,47.00600000,8.00000000");
}

// Text from the file in a message is escaped and cut: no terminal control bytes.
TEST(DjiSrtSegmentsTest, InputEchoedInMessagesIsEscaped) {
  auto t = ParseDjiSrt("1\n00:00:00,000 --> 00:00:01,000\n[latitude: 4\x1b[31m7] [longitude: 8]\n", "e.srt");
  EXPECT_EQ(t.status().message(), "e.srt:3: latitude: not a number: '4\\x1B[31m7'");
  auto index = ParseDjiSrt(std::string(60, 'x') + "\n00:00:00,000 --> 00:00:01,000\n[latitude: 4]\n", "e.srt");
  EXPECT_EQ(index.status().message(), "e.srt:1: expected a subtitle cue number, got '" + std::string(40, 'x') + "...'");
  EXPECT_EQ(SafeForMessage("a'b\\c\xff\n"), "a\\'b\\\\c\\xFF\\x0A");
}

}  // namespace
}  // namespace didban::geo
