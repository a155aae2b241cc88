// One yaw convention for every reader and command: the camera yaw is the compass heading of the image top,
// clockwise from north (at nadir the image top points there; in oblique views the optical axis does), gimbal pitch
// -90 = nadir, roll right side down. Each reader's attitude goes through geo::CameraFromTelemetry here and the
// direction of the image is checked on the ground.
#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "geo/drone_camera.h"
#include "geo/telemetry_csv.h"
#include "geo/telemetry_srt.h"
#include "geo/telemetry_ulog.h"

namespace didban::geo {
namespace {

constexpr double kDeg = M_PI / 180.0;

// Compass bearing (degrees clockwise from north, [0, 360)) from the camera's nadir to where `pixel` meets the ground.
// A sample without a position (a ULog with attitude only) is placed at (47, 8), 100 m up.
double Bearing(TelemetrySample s, const Point2& pixel) {
  if (!s.HasPosition()) s.lat = 47, s.lon = 8, s.rel_alt_m = 100;
  LocalFrame frame(s.lat, s.lon);
  auto cam = CameraFromTelemetry(s, *ParseCameraSpec("hfov=90,width=4000,height=3000"), frame);
  EXPECT_TRUE(cam.ok()) << cam.status();
  auto g = cam->PixelToGround(pixel, 0);
  EXPECT_TRUE(g.has_value());
  const cv::Vec3d c = cam->Center();
  double b = std::atan2((*g)[0] - c[0], (*g)[1] - c[1]) / kDeg;
  return b < -1e-6 ? b + 360 : std::max(b, 0.0);
}

TEST(AttitudeConventionTest, DjiSrtGimbalTuplesArePitchRollYaw) {
  // The first cue of ../shared/data/drone/dji_srt/p4_rtk.SRT (Phantom 4 RTK): F.PRY and G.PRY are (pitch, roll,
  // yaw); the gimbal's yaw 110.4 agrees with the aircraft's 110.1, so both are compass headings.
  auto t = ParseDjiSrt(
      "1\n00:00:00,000 --> 00:00:01,000\nF/5.6, SS 400, ISO 100, EV 0, GPS (-58.851745, -34.237922, 15), HOME "
      "(-58.847509, -34.232707, -57.98m), D 698.70m, H 85.80m, H.S 0.00m/s, V.S 0.00m/s, F.PRY (2.7\xC2\xB0, "
      "-7.0\xC2\xB0, 110.1\xC2\xB0), G.PRY (-24.4\xC2\xB0, 0.0\xC2\xB0, 110.4\xC2\xB0)\n",
      "p4.srt");
  ASSERT_TRUE(t.ok()) << t.status();
  const TelemetrySample& s = t->samples.at(0);
  EXPECT_EQ(s.pitch_deg, 2.7);
  EXPECT_EQ(s.roll_deg, -7.0);
  EXPECT_EQ(s.yaw_deg, 110.1);
  EXPECT_EQ(s.gimbal_pitch_deg, -24.4);
  EXPECT_EQ(s.gimbal_roll_deg, 0.0);
  EXPECT_EQ(s.gimbal_yaw_deg, 110.4);
  // The oblique view's image centre lies along the gimbal's heading, at H / tan(24.4 deg) from the nadir.
  EXPECT_NEAR(Bearing(s, {2000, 1500}), 110.4, 1e-9);
  // Mavic 3 Enterprise style gb_yaw / gb_pitch / gb_roll: the same convention.
  auto e = ParseDjiSrt(
      "1\n00:00:00,000 --> 00:00:00,033\n[latitude: 47.0] [longitude: 8.0] [rel_alt: 100.0 abs_alt: 500.0] "
      "[gb_yaw : -90.0 gb_pitch : -90.0 gb_roll : 0.0]\n",
      "m3e.srt");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_NEAR(Bearing(e->samples.at(0), {2000, 0}), 270, 1e-9);  // image top west
}

TEST(AttitudeConventionTest, CsvHeadingsAreCompassHeadings) {
  // Plain CSV and a DJI flight-log CSV (compass_heading / gimbal_heading, 0..360).
  auto plain = ParseTelemetryCsv("time_s,lat,lon,alt_m,yaw_deg,gimbal_pitch_deg\n0,47,8,100,270,-90\n", "p.csv");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_NEAR(Bearing(plain->samples.at(0), {2000, 0}), 270, 1e-9);
  EXPECT_NEAR(Bearing(plain->samples.at(0), {4000, 1500}), 0, 1e-9);  // the right edge points north
  auto dji = ParseTelemetryCsv(
      "time(millisecond),latitude,longitude,height_above_takeoff(meters),compass_heading(degrees),"
      "gimbal_heading(degrees),gimbal_pitch(degrees)\n0,47,8,100,10,350,-90\n",
      "dji.csv");
  ASSERT_TRUE(dji.ok()) << dji.status();
  EXPECT_EQ(dji->format, "dji-csv");
  EXPECT_NEAR(Bearing(dji->samples.at(0), {2000, 0}), 350, 1e-9);  // the gimbal's heading, not the aircraft's
}

// ULog helpers: a message is uint16 size, type byte, body.
std::string Message(char type, const std::string& body) {
  std::string m(3, '\0');
  m[0] = static_cast<char>(body.size() & 0xFF);
  m[1] = static_cast<char>(body.size() >> 8);
  m[2] = type;
  return m + body;
}

template <typename T>
std::string Bytes(const T& v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
}

// Hamilton quaternion (w, x, y, z) of yaw (about down), then pitch (about right), in NED: FRD -> NED.
std::string YawPitchQ(double yaw_deg, double pitch_deg) {
  const double cy = std::cos(0.5 * yaw_deg * kDeg), sy = std::sin(0.5 * yaw_deg * kDeg);
  const double cp = std::cos(0.5 * pitch_deg * kDeg), sp = std::sin(0.5 * pitch_deg * kDeg);
  const float q[4] = {static_cast<float>(cy * cp), static_cast<float>(-sy * sp), static_cast<float>(cy * sp),
                      static_cast<float>(sy * cp)};
  return std::string(reinterpret_cast<const char*>(q), sizeof(q));
}

// A log with the vehicle heading 90 deg (east) and one gimbal record.
absl::StatusOr<Telemetry> LogWithGimbal(const std::string& gimbal_format, const std::string& gimbal_body) {
  std::string log = std::string("ULog\x01\x12\x35\x01", 8) + std::string(8, '\0');
  log += Message('F', "vehicle_attitude:uint64_t timestamp;float[4] q;");
  log += Message('F', gimbal_format);
  log += Message('A', std::string("\x00\x00\x00", 3) + "vehicle_attitude");
  log += Message('A', std::string("\x00\x01\x00", 3) + gimbal_format.substr(0, gimbal_format.find(':')));
  for (uint64_t t : {1'000'000ULL, 2'000'000ULL}) {
    log += Message('D', std::string("\x00\x00", 2) + Bytes(t) + YawPitchQ(90, 0));
    log += Message('D', std::string("\x01\x00", 2) + Bytes(t) + gimbal_body);
  }
  auto parsed = ParseULog(log, "g.ulg");
  if (!parsed.ok()) return parsed.status();
  return ULogToTelemetry(*parsed, "g.ulg");
}

TEST(AttitudeConventionTest, ULogGimbalYawIsMadeACompassHeading) {
  const std::string status = "gimbal_device_attitude_status:uint64_t timestamp;float[4] q;uint16_t device_flags;";
  // Nadir, yaw 0 in the vehicle frame (no frame flag, no yaw lock): the camera heads where the vehicle does (east).
  auto t = LogWithGimbal(status, YawPitchQ(0, -90) + Bytes(uint16_t{0}));
  ASSERT_TRUE(t.ok()) << t.status();
  const TelemetrySample& s = t->samples.at(0);
  EXPECT_NEAR(s.yaw_deg, 90, 1e-4);
  EXPECT_NEAR(s.gimbal_pitch_deg, -90, 0.05);  // asin near -1 magnifies the float quaternion's rounding
  EXPECT_NEAR(s.gimbal_yaw_deg, 90, 1e-3);     // the ZYX Euler yaw is undefined here; the image top is not
  EXPECT_NEAR(s.gimbal_roll_deg, 0, 1e-3);
  EXPECT_NEAR(Bearing(s, {2000, 0}), 90, 1e-3);
  // Earth frame (YAW_IN_EARTH_FRAME, 64): 30 deg is the heading itself.
  t = LogWithGimbal(status, YawPitchQ(30, -90) + Bytes(uint16_t{64}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(t->samples.at(0).gimbal_yaw_deg, 30, 1e-3);
  // Legacy YAW_LOCK (16) without frame flags: earth frame; YAW_IN_VEHICLE_FRAME (32): vehicle frame.
  t = LogWithGimbal(status, YawPitchQ(30, -45) + Bytes(uint16_t{16}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(t->samples.at(0).gimbal_yaw_deg, 30, 1e-3);
  EXPECT_NEAR(t->samples.at(0).gimbal_pitch_deg, -45, 1e-3);
  t = LogWithGimbal(status, YawPitchQ(30, -45) + Bytes(uint16_t{32 | 16}));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(t->samples.at(0).gimbal_yaw_deg, 120, 1e-3);
  EXPECT_NEAR(Bearing(t->samples.at(0), {2000, 1500}), 120, 1e-3);
  // PX4 mount_orientation: Euler angles (roll, pitch, yaw) in radians, yaw relative to the vehicle.
  const float euler[3] = {0.0f, static_cast<float>(-60 * kDeg), static_cast<float>(-20 * kDeg)};
  t = LogWithGimbal("mount_orientation:uint64_t timestamp;float[3] attitude_euler_angle;",
                    std::string(reinterpret_cast<const char*>(euler), sizeof(euler)));
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_NEAR(t->samples.at(0).gimbal_yaw_deg, 70, 1e-3);
  EXPECT_NEAR(t->samples.at(0).gimbal_pitch_deg, -60, 1e-3);
}

}  // namespace
}  // namespace didban::geo
