#include <cmath>

#include <gtest/gtest.h>

#include "core/mot_format.h"
#include "drone/aerial_analyzer.h"
#include "drone/drone_outputs.h"
#include "drone/motion_gate.h"
#include "drone/srt_telemetry.h"
#include "drone/stabilized_tracking.h"
#include "geo/telemetry_srt.h"
#include "testing/data.h"
#include "track/byte_tracker.h"

namespace didban::drone {
namespace {

std::vector<geo::TelemetrySample> ThreeSamples() {
  std::vector<geo::TelemetrySample> samples(3);
  for (int i = 0; i < 3; ++i) {
    samples[i].time_us = i * 40'000;
    samples[i].lat = 29.25 + i * 1e-5;
    samples[i].lon = 47.55;
    samples[i].rel_alt_m = 100.25;
    samples[i].abs_alt_m = 210.25;
    samples[i].gimbal_yaw_deg = 90.5;
  }
  return samples;
}

TEST(SrtWriterTest, GeoParserReadsWhatWeWrite) {
  const std::string text = FormatDjiSrt(ThreeSamples(), 40'000, "2026-11-28 09:30:00", 25.16);
  EXPECT_NE(text.find("2\n00:00:00,040 --> 00:00:00,080\n<font size=\"28\">FrameCnt: 2, DiffTime: 40ms\n"),
            std::string::npos);
  auto back = geo::ParseDjiSrt(text, "x.srt");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->format, "dji-srt");
  ASSERT_EQ(back->samples.size(), 3u);
  const geo::TelemetrySample& s = back->samples[1];
  EXPECT_EQ(back->samples[2].time_us, 80'000);
  EXPECT_EQ(s.frame, 2);
  EXPECT_NEAR(back->samples[2].lat, 29.25002, 1e-9);
  EXPECT_DOUBLE_EQ(s.rel_alt_m, 100.25);
  EXPECT_DOUBLE_EQ(s.abs_alt_m, 210.25);
  EXPECT_DOUBLE_EQ(s.gimbal_yaw_deg, 90.5);
  EXPECT_DOUBLE_EQ(s.gimbal_pitch_deg, -90);
  EXPECT_DOUBLE_EQ(s.gimbal_roll_deg, 0);
  EXPECT_DOUBLE_EQ(s.focal_35mm_mm, 25.16);
}

TEST(SrtWriterTest, RealMavic3FileGetsHeadingFromCourse) {
  DIDBAN_REQUIRE_DATA(path, "drone/dji_srt/MAVIC3.srt");
  auto telemetry = geo::ReadTelemetryFile(path);
  ASSERT_TRUE(telemetry.ok()) << telemetry.status();
  ASSERT_GT(telemetry->samples.size(), 10u);
  EXPECT_DOUBLE_EQ(telemetry->samples.front().lat, 3.41531);
  EXPECT_DOUBLE_EQ(telemetry->samples.front().lon, -3.37440);
  EXPECT_DOUBLE_EQ(telemetry->samples.front().rel_alt_m, -2.4);
  EXPECT_FALSE(geo::HasValue(telemetry->samples.front().gimbal_yaw_deg));
  FillYawFromCourse(&*telemetry, SecondsToUs(1.0));
  for (const geo::TelemetrySample& s : telemetry->samples) EXPECT_TRUE(geo::HasValue(s.gimbal_yaw_deg));
}

TEST(SrtWriterTest, FillsHeadingFromCourse) {
  geo::Telemetry telemetry;
  const geo::LocalFrame local(29.0, 47.0);
  for (int i = 0; i < 11; ++i) {
    const geo::LatLon ll = local.ToLatLon(i * 1.0, 0);  // flying east at 10 m/s
    geo::TelemetrySample s;
    s.time_us = i * 100'000;
    s.lat = ll.lat;
    s.lon = ll.lon;
    telemetry.samples.push_back(s);
  }
  telemetry.samples[10].yaw_deg = 12;  // an aircraft heading is kept
  FillYawFromCourse(&telemetry, 500'000);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(telemetry.samples[i].gimbal_yaw_deg, 90, 0.01);
  EXPECT_FALSE(geo::HasValue(telemetry.samples[10].gimbal_yaw_deg));
}

TEST(AerialAnalyzerTest, TakeoffFrameAndCameraErrorsNameTheLine) {
  geo::Telemetry telemetry;
  telemetry.source = "t.srt";
  telemetry.samples = ThreeSamples();
  const geo::LocalFrame local = TakeoffFrame(telemetry);
  EXPECT_DOUBLE_EQ(local.Anchor().lat, 29.25);
  EXPECT_DOUBLE_EQ(local.Anchor().alt, 110.0);
  telemetry.samples[2].line = 17;
  telemetry.samples[2].gimbal_yaw_deg = geo::kNoValue;
  AerialAnalyzerOptions options;
  options.camera.width = 1280;
  options.camera.height = 720;
  options.camera.hfov_deg = 73.7;
  auto analyzer = AerialAnalyzer::Create(options, telemetry);
  ASSERT_FALSE(analyzer.ok());
  EXPECT_EQ(analyzer.status().message(),
            "t.srt:17: telemetry at 0.08 s: no yaw in the telemetry (give the camera yaw)");
}

TEST(AerialAnalyzerTest, FootprintOfANadirCameraIsCentredBelowIt) {
  geo::Telemetry telemetry;
  telemetry.samples = ThreeSamples();
  geo::CameraSpec camera;
  camera.width = 1280;
  camera.height = 720;
  camera.hfov_deg = 90;
  const geo::LocalFrame local = TakeoffFrame(telemetry);
  const std::vector<geo::LatLon> ring = Footprint(telemetry.samples[0], camera, local, {});
  ASSERT_EQ(ring.size(), 5u);
  // The corners are symmetric about the point below the camera (the anchor) and the top edge is 2 x 100.25 m long
  // (hfov 90 degrees at 100.25 m).
  double cx = 0, cy = 0;
  for (int i = 0; i < 4; ++i) {
    const Point2 p = local.ToLocal(ring[i].lat, ring[i].lon);
    cx += p.x / 4;
    cy += p.y / 4;
  }
  EXPECT_NEAR(cx, 0, 1e-6);
  EXPECT_NEAR(cy, 0, 1e-6);
  const Point2 a = local.ToLocal(ring[0].lat, ring[0].lon), b = local.ToLocal(ring[1].lat, ring[1].lon);
  EXPECT_NEAR(std::hypot(b.x - a.x, b.y - a.y), 200.5, 1e-6);
  EXPECT_EQ(ring[4].lat, ring[0].lat);
}

TEST(AerialAnalyzerTest, ExpectedObjectSizeFromTheGroundResolution) {
  geo::Telemetry telemetry;
  telemetry.samples = ThreeSamples();
  geo::CameraSpec camera;
  camera.width = 1280;
  camera.height = 720;
  camera.hfov_deg = 90;  // focal length 640 px
  const geo::LocalFrame local = TakeoffFrame(telemetry);
  // Nadir over flat ground: 100.25 m / 640 px everywhere, a 0.5 m person is 3.19 px.
  EXPECT_NEAR(ExpectedObjectPx(telemetry, camera, local, {}, 0.5), 0.5 * 640 / 100.25, 1e-6);
  EXPECT_NEAR(ExpectedObjectPx(telemetry, camera, local, {}, 1.8), 1.8 * 640 / 100.25, 1e-6);
}

Detections Dets(std::initializer_list<Box> boxes, float score) {
  Detections out;
  for (const Box& b : boxes) out.push_back({b, score, ObjectClass::kUnknown, -1});
  return out;
}

TEST(AerialTrackerTest, ConfirmsLowScoreMotionBlobsAfterThreeHits) {
  const track::ByteTrackerOptions options = AerialTrackerOptions(25);
  ASSERT_TRUE(options.Validate().ok()) << options.Validate();
  track::ByteTracker t(options);
  EXPECT_TRUE(t.Update(0, Dets({{10, 10, 20, 10}}, 0.08f)).empty());
  EXPECT_TRUE(t.Update(40'000, Dets({{12, 10, 20, 10}}, 0.08f)).empty());
  const auto& third = t.Update(80'000, Dets({{14, 10, 20, 10}}, 0.08f));
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].id, 1);
  EXPECT_EQ(third[0].hits, 3);
  t.Update(1'000'000, {});
  EXPECT_TRUE(t.Removed().empty());
  t.Update(1'200'000, {});
  ASSERT_EQ(t.Removed().size(), 1u);
  EXPECT_EQ(t.Removed()[0].id, 1);
}

TEST(StabilizedTrackingTest, KeepsIdentityWhileTheCameraPans) {
  // The camera pans 30 px right per frame (the scene moves 30 px left in the image), the object stands still on the
  // ground: in image pixels it jumps more than its width each frame, in stabilised coordinates it does not move.
  StabilizedTracking tracking(std::make_unique<track::ByteTracker>(AerialTrackerOptions(25)));
  const cv::Matx33d cur_to_prev(1, 0, 30, 0, 1, 0, 0, 0, 1);
  std::vector<Track> last;
  for (int i = 0; i < 6; ++i) {
    const Box b{static_cast<float>(600 - 30 * i), 300, 20, 10};
    last = tracking.Update(i * 40'000, Dets({b}, 0.5f), i == 0 ? cv::Matx33d::eye() : cur_to_prev);
  }
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].id, 1);
  EXPECT_NEAR(last[0].box.x, 450, 1e-3);
  EXPECT_NEAR(last[0].vx, 0, 1e-3);
}

Track MatchedTrack(int64_t id, TimeUs t, float x, float y) {
  Track tr;
  tr.id = id;
  tr.box = {x, y, 10, 10};
  tr.state = TrackState::kConfirmed;
  tr.last_seen_us = t;
  return tr;
}

TEST(MotionGateTest, ReleasesATrackOnceItMovedOverTheGroundAndKeepsIt) {
  // The camera pans 30 px right per frame. Track 1 stands still on the ground (its image position follows the pan)
  // and jitters by 1.5 px; track 2 moves 1 px per frame over the ground: released at its 2nd pixel, then kept.
  MotionGateOptions options;
  options.min_displacement_px = 2;
  MotionGate gate(options);
  cv::Matx33d cur_to_ref = cv::Matx33d::eye();
  std::vector<size_t> released;
  for (int i = 0; i < 8; ++i) {
    if (i > 0) cur_to_ref = cur_to_ref * cv::Matx33d(1, 0, 30, 0, 1, 0, 0, 0, 1);
    const TimeUs t = i * 40'000;
    const float jitter = i % 2 == 0 ? 0.f : 1.5f;
    const std::vector<Track> tracks{MatchedTrack(1, t, 600 - 30.f * i + jitter, 300),
                                    MatchedTrack(2, t, 200 - 30.f * i + i, 100)};
    const std::vector<Track> out = gate.Filter(t, tracks, cur_to_ref);
    released.push_back(out.size());
    for (const Track& tr : out) EXPECT_EQ(tr.id, 2);
  }
  EXPECT_EQ(released, (std::vector<size_t>{0, 0, 1, 1, 1, 1, 1, 1}));
  // Forgotten 3 s after it was last seen.
  EXPECT_EQ(gate.TrackedForTest(), 2u);
  gate.Filter(4'000'000, {}, cur_to_ref);
  EXPECT_EQ(gate.TrackedForTest(), 0u);
}

TEST(MotionGateTest, OffByDefaultReportsEveryTrack) {
  MotionGateOptions o;
  MotionGate gate(o);
  EXPECT_EQ(gate.Filter(0, {MatchedTrack(1, 0, 5, 5)}, cv::Matx33d::eye()).size(), 1u);
  o.min_displacement_px = -1;
  EXPECT_EQ(o.Validate().message(), "motion gate: min_displacement_px must be >= 0, got -1");
}

}  // namespace
}  // namespace didban::drone
