#include "geo/control_points.h"

#include <cmath>

#include <gtest/gtest.h>

namespace didban::geo {
namespace {

TEST(ControlPointsTest, ParsesWithCommentsAndAnyColumnOrder) {
  auto p = ParseControlPoints(
      "# clicked in frame 1 and 40\nlat,lon,frame,x,y,note\n47.0,8.0,1,100.5,200,crossroads\n\n"
      "47.001,8.002,40,3000,1800,corner\n",
      "cp.csv");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->size(), 2u);
  EXPECT_EQ((*p)[0].line, 3);
  EXPECT_EQ((*p)[0].frame, 1);
  EXPECT_EQ((*p)[0].x, 100.5);
  EXPECT_EQ((*p)[1].line, 5);
  EXPECT_EQ((*p)[1].lon, 8.002);
}

TEST(ControlPointsTest, ExactErrorsNameLineAndField) {
  auto err = [](const std::string& text) { return std::string(ParseControlPoints(text, "cp.csv").status().message()); };
  EXPECT_EQ(err("frame,x,y,lat\n1,2,3,4\n"), "cp.csv:1: missing column 'lon' (the header needs frame, x, y, lat, lon)");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,2,3,47,8\n2,2,3,abc,8\n"), "cp.csv:3: lat: not a number: 'abc'");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,2,3,47\n"), "cp.csv:2: expected 5 fields, got 4");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,2,3,47,200\n"), "cp.csv:2: lon: 200 is outside [-180, 180]");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,2,3,-91,8\n"), "cp.csv:2: lat: -91 is outside [-90, 90]");
  EXPECT_EQ(err("frame,x,y,lat,lon\n0,2,3,47,8\n"), "cp.csv:2: frame: expected a video frame number >= 1, got '0'");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1.5,2,3,47,8\n"), "cp.csv:2: frame: expected a video frame number >= 1, got '1.5'");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,,3,47,8\n"), "cp.csv:2: x: not a number: ''");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,2,1e9,47,8\n"), "cp.csv:2: y: 1e+09 is outside [-100000, 100000]");
  EXPECT_EQ(err("frame,x,y,lat,lon\n1,2,3,47,\"8\\x01\"\n"), "cp.csv:2: lon: not a number: '\"8\\\\x01\"'");
  EXPECT_EQ(err("frame,x,y,lat,lon\n"), "cp.csv: no control points");
  EXPECT_EQ(err("# nothing\n"), "cp.csv: no header (frame,x,y,lat,lon)");
  EXPECT_EQ(ReadControlPointsFile("/nonexistent/cp.csv").status().message(),
            "/nonexistent/cp.csv: cannot open (No such file or directory)");
}

// Hovering 100 m over (47, 8), nadir, 90 deg hfov on 4000x3000: 1000 px = 50 m. The telemetry has no yaw; the true
// camera yaw is 30 deg and the GNSS position is 2 m west and 1 m north of the truth. Control points made with the
// truth give back exactly that yaw and the opposite offset, with zero residuals.
TEST(ControlPointsTest, FitRecoversYawAndOffsetExactly) {
  Telemetry t;
  t.source = "tel.csv";
  LocalFrame f(47.0, 8.0);
  for (int i = 0; i < 3; ++i) {
    TelemetrySample s;
    s.time_us = i * 1'000'000;
    LatLon ll = f.ToLatLon(0.0, 0.0);
    s.lat = ll.lat, s.lon = ll.lon, s.rel_alt_m = 100, s.gimbal_pitch_deg = -90;
    t.samples.push_back(s);
  }
  GeorefOptions o;
  o.camera = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  o.fps = 1;
  // The true camera sits 2 m east and 1 m south of where the telemetry says, looking 30 deg east of north.
  DronePoseOptions truth;
  truth.yaw_deg = 30;
  truth.offset_east_m = 2, truth.offset_north_m = -1;
  std::vector<ControlPoint> points;
  const Point2 pixels[] = {{500, 400}, {3500, 600}, {2000, 2900}, {1000, 2500}};
  int line = 2;
  for (const Point2& px : pixels) {
    auto cam = CameraFromTelemetry(t.samples[0], o.camera, f, truth);
    ASSERT_TRUE(cam.ok()) << cam.status();
    auto g = cam->PixelToGround(px, 0);
    LatLon ll = f.ToLatLon((*g)[0], (*g)[1]);
    points.push_back({line++, 1 + (line % 3), px.x, px.y, ll.lat, ll.lon});
  }
  auto fit = FitYawAndOffset(t, points, o);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->base_yaw_from_telemetry);
  EXPECT_NEAR(fit->yaw_deg, 30, 1e-6);
  EXPECT_NEAR(fit->offset_east_m, 2, 1e-5);
  EXPECT_NEAR(fit->offset_north_m, -1, 1e-5);
  EXPECT_LT(fit->max_m, 1e-5);
  DronePoseOptions applied;
  ApplyPoseFit(*fit, &applied);
  EXPECT_EQ(applied.yaw_deg, 0);
  EXPECT_NEAR(applied.yaw_offset_deg, 30, 1e-6);
  // With a biased yaw in the telemetry (25 deg): the fit is the +5 deg correction.
  for (TelemetrySample& s : t.samples) s.gimbal_yaw_deg = 25;
  fit = FitYawAndOffset(t, points, o);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_TRUE(fit->base_yaw_from_telemetry);
  EXPECT_NEAR(fit->yaw_deg, 5, 1e-6);
  const std::string described = DescribePoseFit(*fit);
  EXPECT_EQ(described.substr(0, described.find(';')),
            "yaw correction +5.00 deg (added to the telemetry's yaw), offset east 2.00 m north -1.00 m");
  EXPECT_EQ(PoseFitResidualsCsv(*fit).substr(0, 70),
            "line,frame,east_residual_m,north_residual_m,residual_m\n2,1,0.000,0.000");
  // A point moved 3 m north shows in the residuals: the largest is its line.
  LatLon moved = f.ToLatLon(f.ToLocal(points[2].lat, points[2].lon).x, f.ToLocal(points[2].lat, points[2].lon).y + 3);
  points[2].lat = moved.lat, points[2].lon = moved.lon;
  fit = FitYawAndOffset(t, points, o);
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->max_line, 4);
  EXPECT_GT(fit->max_m, 1.5);
}

TEST(ControlPointsTest, FitErrors) {
  Telemetry t;
  t.source = "tel.csv";
  TelemetrySample s;
  s.lat = 47, s.lon = 8, s.rel_alt_m = 100, s.gimbal_pitch_deg = -90;
  t.samples = {s, s};
  t.samples[1].time_us = 1'000'000;
  GeorefOptions o;
  o.camera = *ParseCameraSpec("hfov=90,width=4000,height=3000");
  o.fps = 1;
  std::vector<ControlPoint> one = {{2, 1, 10, 10, 47, 8}};
  EXPECT_EQ(FitYawAndOffset(t, one, o).status().message(),
            "control points: 1 given; at least 2 are needed to fit the yaw and the position offset");
  std::vector<ControlPoint> same = {{2, 1, 10, 10, 47, 8}, {3, 1, 10.5, 10, 47, 8}};
  EXPECT_EQ(FitYawAndOffset(t, same, o).status().message(),
            "control points: their image points all fall within a metre of one another on the ground; the yaw needs "
            "points spread across the image (lines 2..3)");
  std::vector<ControlPoint> late = {{2, 1, 10, 10, 47, 8}, {3, 9, 10, 10, 47, 8}};
  EXPECT_EQ(FitYawAndOffset(t, late, o).status().message(),
            "control point at line 3 (frame 9): tel.csv: time 8 s is after the telemetry ends (1 s)");
  t.samples[0].gimbal_pitch_deg = t.samples[1].gimbal_pitch_deg = 0;  // looking at the horizon
  std::vector<ControlPoint> sky = {{2, 1, 10, 10, 47, 8}, {3, 1, 3000, 1000, 47, 8}};
  EXPECT_EQ(FitYawAndOffset(t, sky, o).status().message(),
            "control point at line 2 (frame 1): pixel (10, 10) does not reach the ground (above the horizon)");
}

}  // namespace
}  // namespace didban::geo
