#include "geo/camera_profiles.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/mot_format.h"
#include "geo/footprint.h"
#include "testing/data.h"

namespace didban::geo {
namespace {

constexpr double kDeg = M_PI / 180.0;

double HfovDeg(const CameraSpec& spec, const TelemetrySample* s = nullptr) {
  auto f = spec.FocalPx(s);
  EXPECT_TRUE(f.ok()) << f.status();
  return 2 * std::atan(0.5 * spec.width / *f) / kDeg;
}

// Ground width (metres) of the image's horizontal centre line at nadir from `height_m`.
double GroundWidthM(const CameraSpec& spec, double height_m, const TelemetrySample* lens = nullptr) {
  LocalFrame frame(29.25, 47.55);
  TelemetrySample s = lens ? *lens : TelemetrySample{};
  s.lat = 29.25, s.lon = 47.55, s.rel_alt_m = height_m;
  DronePoseOptions o;
  o.yaw_deg = 0;
  auto cam = CameraFromTelemetry(s, spec, frame, o);
  EXPECT_TRUE(cam.ok()) << cam.status();
  auto l = cam->PixelToGround({0, 0.5 * spec.height}, 0);
  auto r = cam->PixelToGround({static_cast<double>(spec.width), 0.5 * spec.height}, 0);
  return (*r)[0] - (*l)[0];
}

// A 4:3 sensor frame, 24 mm equivalent, seen through a 16:9 video that uses the frame's full width. The 35 mm
// equivalence scales the FRAME's diagonal to 43.2666 mm; a 4:3 frame is a 3-4-5 triangle, so its width is 4/5 of
// that: 34.613 mm, and hfov = 2 atan(34.613 / 2 / 24) = 71.5915 deg; at 100 m the ground is 2 * 100 * 34.613 / 48 =
// 144.222 m wide. The old conversion over the 16:9 VIDEO's diagonal (f_px = 24 * hypot(3840, 2160) / 43.2666) gave
// hfov 76.308 deg and 157.125 m: the ground 8.9 % too wide. For a 3:2 sensor frame (Phantom 4 RTK, Mavic 2 Pro,
// Air 2S) the width is 36 mm (150.000 m at 100 m) and the old error 4.8 %; the "6-7 %" lies between.
TEST(CameraModelTest, FourThreeSensorSixteenNineVideoFromTheFrameDiagonal) {
  const double frame_width_mm = 0.8 * 43.2666;
  const double want_hfov = 2 * std::atan(frame_width_mm / 2 / 24) / kDeg;
  EXPECT_NEAR(want_hfov, 71.5915, 1e-4);
  auto spec = ParseCameraSpec("focal35=24,aspect=4:3,width=3840,height=2160");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_NEAR(HfovDeg(*spec), want_hfov, 1e-9);
  EXPECT_NEAR(GroundWidthM(*spec, 100), 144.222, 1e-3);
  // The same lens from the telemetry (DJI focal_len) with the frame's aspect.
  auto bare = ParseCameraSpec("aspect=4:3,width=1920,height=1080");
  TelemetrySample s;
  s.focal_35mm_mm = 24;
  EXPECT_NEAR(HfovDeg(*bare, &s), want_hfov, 1e-9);
  // Without the sensor frame: the video is taken as the whole frame (the old conversion), 8.9 % wider.
  auto legacy = ParseCameraSpec("focal35=24,width=3840,height=2160");
  EXPECT_NEAR(GroundWidthM(*legacy, 100), 157.125, 1e-3);
  EXPECT_NEAR(GroundWidthM(*legacy, 100) / GroundWidthM(*spec, 100), 1.0895, 1e-4);
  // A 3:2 frame (36 mm wide equivalent): 150 m at 100 m; the old conversion 4.75 % wider.
  auto p32 = ParseCameraSpec("focal35=24,sensor=13.2x8.8,width=3840,height=2160");
  EXPECT_NEAR(GroundWidthM(*p32, 100), 150.0, 1e-3);
  // A 4:3 video of the 4:3 frame is the whole frame; a portrait 9:16 video uses its full height: it shows
  // (9/16) / (4/3) of the width.
  auto whole = ParseCameraSpec("focal35=24,aspect=4:3,width=4000,height=3000");
  EXPECT_NEAR(HfovDeg(*whole), want_hfov, 1e-9);
  auto portrait = ParseCameraSpec("focal35=24,aspect=4:3,width=1080,height=1920");
  EXPECT_NEAR(HfovDeg(*portrait), 2 * std::atan(0.421875 * frame_width_mm / 48) / kDeg, 1e-9);
  // A further crop of 1.5 narrows the field: tan(hfov / 2) / 1.5.
  auto cropped = ParseCameraSpec("focal35=24,aspect=4:3,crop=1.5,width=3840,height=2160");
  EXPECT_NEAR(std::tan(0.5 * HfovDeg(*cropped) * kDeg), std::tan(0.5 * want_hfov * kDeg) / 1.5, 1e-12);
  // The frame's diagonal field of view instead of the focal length: 84 deg (DJI's figure) is 24.03 mm.
  auto dfov = ParseCameraSpec("dfov=84,aspect=4:3,width=3840,height=2160");
  EXPECT_NEAR(std::tan(0.5 * HfovDeg(*dfov) * kDeg), 0.8 * std::tan(42 * kDeg), 1e-12);
  // A measured hfov of the video bypasses the model.
  auto measured = ParseCameraSpec("hfov=70,aspect=4:3,crop=2,width=3840,height=2160");
  EXPECT_NEAR(HfovDeg(*measured), 70, 1e-9);
}

TEST(CameraProfileTest, ProfilesByNameAndTheirDocumentedFigures) {
  ASSERT_EQ(CameraProfiles().size(), 10u);
  for (const CameraProfile& p : CameraProfiles()) {
    SCOPED_TRACE(p.name);
    // The documented diagonal field of view agrees with the documented equivalent focal length within 2.5 deg
    // (largest: the H20 zoom, 31.7 mm = 68.6 deg vs 66.6; the Mavic 2 Pro, 28 mm = 75.4 deg vs "about 77").
    const double dfov = 2 * std::atan(43.2666 / 2 / p.focal35_mm) / kDeg;
    EXPECT_NEAR(dfov, p.dfov_deg, 2.5);
    EXPECT_EQ(FindCameraProfile(p.name), &p);
  }
  EXPECT_EQ(FindCameraProfile("MAVIC3")->model, std::string("DJI Mavic 3 (Hasselblad L2D-20c)"));
  EXPECT_EQ(FindCameraProfile("mavic4"), nullptr);
  // The Mavic 3 on 16:9 video: its 5280x3956 frame (aspect 1.3347) at 24 mm.
  auto m3 = ParseCameraSpec("profile=mavic3,width=3840,height=2160");
  ASSERT_TRUE(m3.ok()) << m3.status();
  EXPECT_EQ(m3->profile, "mavic3");
  const double a = 5280.0 / 3956.0;
  EXPECT_NEAR(HfovDeg(*m3), 2 * std::atan(0.5 * 43.2666 / std::hypot(1.0, 1.0 / a) / 24) / kDeg, 1e-9);
  EXPECT_NEAR(HfovDeg(*m3), 71.611, 1e-3);
  EXPECT_EQ(*m3->Describe(),
            "profile mavic3: 4:3 sensor frame 17.3x12.9619 mm, lens 24 mm equivalent (profile), 3840x2160 video = 100 "
            "% of the frame's width: hfov 71.61 deg, vfov 44.17 deg");
  // The telemetry's focal length (a zoom) wins over the profile's lens; keys of the spec win over both.
  auto zoom = ParseCameraSpec("profile=mavic2zoom,width=3840,height=2160");
  TelemetrySample s;
  s.focal_35mm_mm = 48;
  EXPECT_NEAR(std::tan(0.5 * HfovDeg(*zoom, &s) * kDeg), 0.5 * std::tan(0.5 * HfovDeg(*zoom) * kDeg), 1e-12);
  auto over = ParseCameraSpec("focal35=28,profile=mavic3,width=3840,height=2160");
  EXPECT_NEAR(std::tan(0.5 * HfovDeg(*over, &s) * kDeg), 24.0 / 28 * std::tan(0.5 * HfovDeg(*m3) * kDeg), 1e-12);
  // The Phantom 4 RTK's 3:2 frame at 24 mm: 150 m wide at 100 m on any 16:9 video.
  EXPECT_NEAR(GroundWidthM(*ParseCameraSpec("profile=p4rtk,width=1920,height=1080"), 100), 150.0, 1e-3);
}

// The sample SRT files (../shared/data/drone/dji_srt) name no camera; their layout and lens single out one profile
// where they can.
TEST(CameraProfileTest, RecognisedFromRealSrtFiles) {
  struct Case {
    const char* file;
    const char* profile;
    const char* candidates;
  };
  const Case cases[] = {
      {"MAVIC3.srt", "mavic3", ""},         {"mavic_2pro_new.SRT", "mavic2pro", ""},
      {"m2zoom.SRT", "mavic2zoom", ""},     {"p4_rtk.SRT", "p4rtk", ""},
      {"mavic_pro.SRT", "mavicpro", ""},    {"air2s.srt", "", "air2,air2s"},
      {"mavic_air2.srt", "", "air2,air2s"}, {"mavic_mini.SRT", "", ""},
      {"matrice_300.srt", "", ""},          {"old_format.SRT", "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    DIDBAN_REQUIRE_DATA(path, std::string("drone/dji_srt/") + c.file);
    auto text = ReadTextFile(path);
    ASSERT_TRUE(text.ok()) << text.status();
    SrtCameraGuess g = GuessCameraFromSrt(*text);
    EXPECT_EQ(g.profile, c.profile);
    std::string candidates;
    for (const std::string& n : g.candidates) candidates += (candidates.empty() ? "" : ",") + n;
    EXPECT_EQ(candidates, c.candidates);
  }
  EXPECT_EQ(GuessCameraFromSrt("FrameCnt : 1, [focal_len : 280] [latitude : 1] [longtitude : 2]").evidence,
            "focal_len 28 mm (of the profiles, only the Mavic 2 Pro's lens is 28 mm equivalent)");
}

TEST(CameraProfileTest, ResolveRefusesAnEquivalentFocalLengthWithoutTheFrame) {
  Telemetry t;
  t.source = "flight.srt";
  TelemetrySample s;
  s.lat = 1, s.lon = 2, s.focal_35mm_mm = 24;
  t.samples.push_back(s);
  CameraSpec bare = *ParseCameraSpec("width=3840,height=2160");
  const std::string names =
      "mavic3, mavic2pro, mavic2zoom, air2s, air2, mavicpro, mini, p4rtk, m300-h20-wide, m300-h20-zoom";
  EXPECT_EQ(ResolveCameraSpec(bare, "", "", t).status().message(),
            "flight.srt: the telemetry's 35 mm-equivalent focal length (24 mm) refers to the camera's full sensor "
            "frame, which is not known (a 16:9 video is a crop of a 4:3 or 3:2 frame): give --camera-profile NAME (" +
                names + "), aspect=W:H of the sensor in --camera, or the video's own hfov=DEG");
  EXPECT_EQ(ResolveCameraSpec(bare, "", "1\n[iso : 100] SrtCnt : 1 [focal_len : 240]", t).status().message(),
            "flight.srt: the telemetry's 35 mm-equivalent focal length (24 mm) refers to the camera's full sensor "
            "frame, which is not known (a 16:9 video is a crop of a 4:3 or 3:2 frame): give --camera-profile NAME (" +
                names +
                "), aspect=W:H of the sensor in --camera, or the video's own hfov=DEG; the SRT does not single out "
                "a camera: the SrtCnt layout with focal_len 24 mm, written by both the Air 2 (4:3 sensor) and the "
                "Air 2S (3:2 sensor)");
  auto given = ResolveCameraSpec(bare, "air2s", "", t);
  ASSERT_TRUE(given.ok()) << given.status();
  EXPECT_EQ(given->how,
            "camera profile air2s (given); 3:2 sensor frame 13.2x8.8 mm, lens 24 mm equivalent (telemetry focal "
            "length), 3840x2160 video = 100 % of the frame's width: hfov 73.74 deg, vfov 45.75 deg");
  auto guessed = ResolveCameraSpec(bare, "", "FrameCnt: 1 [focal_len: 24.00] [rel_alt: 1.0 abs_alt: 2.0]", t);
  ASSERT_TRUE(guessed.ok()) << guessed.status();
  EXPECT_EQ(guessed->spec.profile, "mavic3");
  EXPECT_EQ(ResolveCameraSpec(bare, "mini", "", t)->spec.profile, "mini");
  EXPECT_EQ(ResolveCameraSpec(*ParseCameraSpec("profile=mini,width=8,height=6"), "air2", "", t).status().message(),
            "camera profile air2 contradicts profile=mini in the camera spec");
  Telemetry none = t;
  none.samples[0].focal_35mm_mm = kNoValue;
  EXPECT_EQ(ResolveCameraSpec(bare, "", "", none).status().message(),
            "flight.srt: no lens: the camera spec has none (hfov=DEG, focal35=MM, focal=MM with sensor=WxH) and the "
            "telemetry has no focal length: give one, or --camera-profile NAME (" +
                names + ")");
  // A measured hfov needs no frame.
  EXPECT_TRUE(ResolveCameraSpec(*ParseCameraSpec("hfov=70,width=3840,height=2160"), "", "", t).ok());
}

}  // namespace
}  // namespace didban::geo
