#include "geo/telemetry_georef.h"

#include <gtest/gtest.h>

namespace didban::geo {
namespace {

// A drone flying north at 10 m/s, 100 m up, camera nadir, yaw 0, 25 fps with FrameCnt: a box fixed at the image
// centre walks north with the drone; a box 1000 px right of centre lies 50 m east.
TEST(GeorefTest, SyntheticTrackOverAMovingDrone) {
  Telemetry t;
  t.source = "synthetic";
  LocalFrame f(47.0, 8.0);
  for (int i = 0; i < 51; ++i) {
    TelemetrySample s;
    s.time_us = i * 40'000;
    s.frame = i + 1;
    LatLon ll = f.ToLatLon(0, 0.4 * i);
    s.lat = ll.lat;
    s.lon = ll.lon;
    s.rel_alt_m = 100;
    s.gimbal_pitch_deg = -90;
    s.gimbal_yaw_deg = 0;
    t.samples.push_back(s);
  }
  std::vector<MotRow> rows;
  for (int frame = 1; frame <= 51; frame += 10) {
    MotRow r;
    r.frame = frame;
    r.id = 7;
    r.box = {1950, 1450, 100, 100};
    rows.push_back(r);
    r.id = 8;
    r.box = {2950, 1450, 100, 100};
    rows.push_back(r);
  }
  GeorefOptions o;
  o.camera = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  o.footprint_step = 25;
  auto res = GeorefTracks(t, rows, o);
  ASSERT_TRUE(res.ok()) << res.status();
  ASSERT_EQ(res->points.size(), 12u);
  EXPECT_EQ(res->skipped, 0);
  for (const GeorefPoint& p : res->points) {
    double north = 0.4 * (p.frame - 1);
    EXPECT_NEAR(p.y, north, 1e-6);
    EXPECT_NEAR(p.x, p.id == 7 ? 0.0 : 50.0, 1e-6);
    EXPECT_EQ(p.time_us, (p.frame - 1) * 40'000);
    Point2 back = f.ToLocal(p.lat, p.lon);
    EXPECT_NEAR(back.x, p.x, 1e-6);
    EXPECT_NEAR(back.y, p.y, 1e-6);
  }
  ASSERT_EQ(res->footprints.size(), 3u);  // frames 1, 26, 51
  EXPECT_EQ(res->footprints[1].frame, 26);
  EXPECT_NEAR(PolygonArea(res->footprints[1].polygon), 30000, 1e-3);
  EXPECT_EQ(res->path.size(), 51u);
  std::string csv = GeorefCsv(*res);
  EXPECT_EQ(csv.substr(0, csv.find('\n', csv.find('\n') + 1) + 1),
            "frame,time,id,lat,lon,x,y\n1,0.000,7,47.00000000,8.00000000,0.00,0.00\n");
  // A frame outside the telemetry is an error naming it.
  rows.push_back({60, 9, {0, 0, 1, 1}});
  EXPECT_EQ(GeorefTracks(t, rows, o).status().message(),
            "frame 60: synthetic: frame 60 is outside the telemetry's frames 1..51");
}

// Footprints follow the video's frames (the tracks' last frame, or video_frames), not the telemetry's clock, and a
// request for too many is refused before any is made.
TEST(GeorefTest, FootprintsFollowTheVideoNotTheTelemetryClock) {
  Telemetry t;
  t.source = "tel.csv";
  for (double time_s : {0.0, 80000.0}) {  // 22 h of clock, two samples
    TelemetrySample s;
    s.time_us = SecondsToUs(time_s);
    s.lat = 47.0;
    s.lon = 8.0;
    s.rel_alt_m = 100;
    s.gimbal_pitch_deg = -90;
    s.gimbal_yaw_deg = 0;
    t.samples.push_back(s);
  }
  std::vector<MotRow> rows(1);
  rows[0].frame = 100;
  rows[0].id = 1;
  rows[0].box = {1950, 1450, 100, 100};
  GeorefOptions o;
  o.camera = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  o.fps = 25;
  auto res = GeorefTracks(t, rows, o);
  ASSERT_TRUE(res.ok()) << res.status();
  EXPECT_EQ(res->footprints.size(), 4u);  // frames 1, 31, 61, 91 of the 100-frame video
  o.video_frames = 2'000'000;
  o.footprint_step = 10;
  EXPECT_EQ(GeorefTracks(t, rows, o).status().message(),
            "tel.csv: 200000 footprints (2000000 frames, one every 10) is above the limit of 100000; raise "
            "--footprint-step");
  o.footprint_step = 30;
  o.max_footprints = 10;
  o.video_frames = 1000;
  EXPECT_EQ(GeorefTracks(t, rows, o).status().message(),
            "tel.csv: 34 footprints (1000 frames, one every 30) is above the limit of 10; raise --footprint-step");
}

}  // namespace
}  // namespace didban::geo
