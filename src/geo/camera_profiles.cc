#include "geo/camera_profiles.h"

#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace didban::geo {
namespace {

// Figures from the makers' specification pages named in `source` (DJI "Specs" pages: image sensor, lens FOV and
// 35 mm format equivalent, largest still image size). The sensor sizes in mm are the nominal sizes of the optical
// formats (4/3" 17.3 x 13 mm, 1" 13.2 x 8.8 mm, 1/1.7" 7.6 x 5.7 mm, 1/2" 6.4 x 4.8 mm, 1/2.3" 6.17 x 4.55 mm), not
// DJI figures; ApplyCameraProfile takes the height from the photo's aspect. Where DJI's FOV and equivalent focal
// length disagree (Mavic 2 Pro: 28 mm is 75.4 deg diagonal, the page says "about 77 deg"), the focal length is used.
const std::vector<CameraProfile>& Profiles() {
  static const std::vector<CameraProfile> kProfiles = {
      {"mavic3", "DJI Mavic 3 (Hasselblad L2D-20c)", "4/3 CMOS", 17.3, 13.0, 5280, 3956, 24, 24, 84,
       "https://www.dji.com/mavic-3/specs"},
      {"mavic2pro", "DJI Mavic 2 Pro (Hasselblad L1D-20c)", "1\" CMOS", 13.2, 8.8, 5472, 3648, 28, 28, 77,
       "https://www.dji.com/mavic-2/info#specs"},
      {"mavic2zoom", "DJI Mavic 2 Zoom (24-48 mm)", "1/2.3\" CMOS", 6.17, 4.55, 4000, 3000, 24, 48, 83,
       "https://www.dji.com/mavic-2/info#specs"},
      {"air2s", "DJI Air 2S", "1\" CMOS", 13.2, 8.8, 5472, 3648, 22, 22, 88, "https://www.dji.com/air-2s/specs"},
      {"air2", "DJI Mavic Air 2", "1/2\" CMOS", 6.4, 4.8, 8000, 6000, 24, 24, 84,
       "https://www.dji.com/mavic-air-2/specs"},
      {"mavicpro", "DJI Mavic Pro", "1/2.3\" CMOS", 6.17, 4.55, 4000, 3000, 26, 26, 78.8,
       "https://www.dji.com/mavic/info#specs"},
      {"mini", "DJI Mavic Mini", "1/2.3\" CMOS", 6.17, 4.55, 4000, 3000, 24, 24, 83,
       "https://www.dji.com/mavic-mini/specs"},
      {"p4rtk", "DJI Phantom 4 RTK (8.8 mm)", "1\" CMOS", 13.2, 8.8, 5472, 3648, 24, 24, 84,
       "https://www.dji.com/phantom-4-rtk/info#specs"},
      {"m300-h20-wide", "DJI Zenmuse H20 wide camera (Matrice 300 RTK; 4.5 mm)", "1/2.3\" CMOS", 6.17, 4.55, 4056, 3040,
       24, 24, 82.9, "https://enterprise.dji.com/zenmuse-h20-series/specs"},
      {"m300-h20-zoom", "DJI Zenmuse H20 zoom camera (Matrice 300 RTK; 6.83-119.94 mm)", "1/1.7\" CMOS", 7.6, 5.7, 5184,
       3888, 31.7, 556.2, 66.6, "https://enterprise.dji.com/zenmuse-h20-series/specs"},
  };
  return kProfiles;
}

// The number after `key` and a colon (spaces allowed) in lower-cased `text`, and whether it had a decimal point.
std::optional<std::pair<double, bool>> NumberAfter(std::string_view text, std::string_view key) {
  size_t at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + key.size();
  while (i < text.size() && (text[i] == ' ' || text[i] == ':')) ++i;
  size_t j = i;
  while (j < text.size() && (absl::ascii_isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
  if (j == i || j - i > 12) return std::nullopt;
  std::string number(text.substr(i, j - i));
  return std::make_pair(std::strtod(number.c_str(), nullptr), number.find('.') != std::string::npos);
}

bool Has(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

}  // namespace

const std::vector<CameraProfile>& CameraProfiles() { return Profiles(); }

std::string CameraProfileNames() {
  std::vector<std::string> names;
  for (const CameraProfile& p : Profiles()) names.emplace_back(p.name);
  return absl::StrJoin(names, ", ");
}

const CameraProfile* FindCameraProfile(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(std::string(name));
  for (const CameraProfile& p : Profiles()) {
    if (lower == p.name) return &p;
  }
  return nullptr;
}

absl::Status ApplyCameraProfile(std::string_view name, CameraSpec* spec) {
  const CameraProfile* p = FindCameraProfile(name);
  if (p == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("camera profile: unknown '", SafeForMessage(name), "' (known: ", CameraProfileNames(), ")"));
  }
  spec->profile = p->name;
  spec->sensor_w_mm = p->sensor_w_mm;
  spec->sensor_h_mm = p->sensor_w_mm * p->photo_h / p->photo_w;
  spec->sensor_aspect = static_cast<double>(p->photo_w) / p->photo_h;
  spec->profile_focal35_mm = p->focal35_mm;
  return absl::OkStatus();
}

SrtCameraGuess GuessCameraFromSrt(std::string_view srt_text) {
  SrtCameraGuess g;
  // The first cues suffice: the layout and lens do not change within a recording.
  const std::string text = absl::AsciiStrToLower(std::string(srt_text.substr(0, 4096)));
  if (Has(text, "g.pry") && Has(text, "f.pry")) {
    g.profile = "p4rtk";
    g.evidence = "F.PRY and G.PRY attitude tuples (the Phantom 4 RTK's SRT layout)";
    return g;
  }
  if (auto f = NumberAfter(text, "focal_len")) {
    // Older firmware prints tenths of a millimetre without a decimal point (`240` = 24 mm).
    const double mm = !f->second && f->first >= 100 ? f->first / 10 : f->first;
    const std::string lens = absl::StrFormat("focal_len %g mm", mm);
    if (std::abs(mm - 28) < 0.05) {
      g.profile = "mavic2pro";
      g.evidence = absl::StrCat(lens, " (of the profiles, only the Mavic 2 Pro's lens is 28 mm equivalent)");
    } else if (Has(text, "srtcnt") && std::abs(mm - 24) < 0.05) {
      g.candidates = {"air2", "air2s"};
      g.evidence = absl::StrCat("the SrtCnt layout with ", lens,
                                ", written by both the Air 2 (4:3 sensor) and the Air 2S (3:2 sensor)");
    } else if (Has(text, "framecnt") && Has(text, "longtitude") && mm >= 24 - 0.05 && mm <= 48 + 0.05) {
      g.profile = "mavic2zoom";
      g.evidence = absl::StrCat("the Mavic 2 layout (FrameCnt, 'longtitude') with ", lens,
                                " (in the Mavic 2 Zoom's 24-48 mm range)");
    } else if (Has(text, "rel_alt") && Has(text, "abs_alt") && std::abs(mm - 24) < 0.05) {
      g.profile = "mavic3";
      g.evidence = absl::StrCat("the Mavic 3 layout (FrameCnt, rel_alt and abs_alt) with ", lens);
    }
    return g;
  }
  if (Has(text, "home(") && Has(text, "barometer")) {
    if (auto fnum = NumberAfter(text, "fnum"); fnum && std::abs(fnum->first - 2.2) < 0.01) {
      g.profile = "mavicpro";
      g.evidence = "the HOME/GPS/BAROMETER layout with Fnum 2.2 (the Mavic Pro's f/2.2 lens)";
    }
  }
  return g;
}

absl::StatusOr<ResolvedCamera> ResolveCameraSpec(const CameraSpec& given, const std::string& profile_name,
                                                 std::string_view srt_text, const Telemetry& telemetry) {
  ResolvedCamera out;
  out.spec = given;
  std::string chosen;
  const bool own_frame = HasValue(given.FrameAspect()) || !given.profile.empty();
  if (!profile_name.empty()) {
    if (!given.profile.empty() && absl::AsciiStrToLower(profile_name) != given.profile) {
      return absl::InvalidArgumentError(absl::StrCat("camera profile ", SafeForMessage(profile_name),
                                                     " contradicts profile=", given.profile, " in the camera spec"));
    }
    // The spec's own keys stay above the profile's: apply the profile to a copy, then put them back.
    CameraSpec s = given;
    DIDBAN_RETURN_IF_ERROR(ApplyCameraProfile(profile_name, &s));
    if (HasValue(given.sensor_w_mm)) s.sensor_w_mm = given.sensor_w_mm, s.sensor_h_mm = given.sensor_h_mm;
    if (HasValue(given.sensor_aspect)) {
      s.sensor_aspect = given.sensor_aspect;
      if (!HasValue(given.sensor_w_mm)) s.sensor_w_mm = s.sensor_h_mm = kNoValue;
    }
    out.spec = s;
    chosen = absl::StrCat("camera profile ", s.profile, " (given)");
  } else if (!own_frame && !HasValue(given.hfov_deg) && !srt_text.empty()) {
    SrtCameraGuess guess = GuessCameraFromSrt(srt_text);
    if (!guess.profile.empty()) {
      DIDBAN_RETURN_IF_ERROR(ApplyCameraProfile(guess.profile, &out.spec));
      chosen = absl::StrCat("camera profile ", guess.profile, " recognised from the SRT: ", guess.evidence);
    } else if (!guess.candidates.empty()) {
      chosen = absl::StrCat("the SRT does not single out a camera: ", guess.evidence);
    }
  }
  DIDBAN_RETURN_IF_ERROR(out.spec.Validate());
  const int first = telemetry.FirstWithPosition();
  const TelemetrySample* sample =
      first >= 0 ? &telemetry.samples[first] : (telemetry.samples.empty() ? nullptr : &telemetry.samples.front());
  if (!HasValue(out.spec.hfov_deg) && !HasValue(out.spec.FrameAspect())) {
    const bool focal35 = HasValue(out.spec.focal35_mm) || HasValue(out.spec.dfov_deg) ||
                         (!HasValue(out.spec.focal_mm) && sample != nullptr && HasValue(sample->focal_35mm_mm));
    if (focal35) {
      const std::string what = HasValue(out.spec.focal35_mm) ? absl::StrFormat("focal35=%g", out.spec.focal35_mm)
                               : HasValue(out.spec.dfov_deg) ? absl::StrFormat("dfov=%g", out.spec.dfov_deg)
                                                             : absl::StrFormat(
                                                                   "the telemetry's 35 mm-equivalent "
                                                                   "focal length (%g mm)",
                                                                   sample->focal_35mm_mm);
      return absl::InvalidArgumentError(absl::StrCat(
          telemetry.source, ": ", what,
          " refers to the camera's full sensor frame, which is not known (a 16:9 video is a crop of a 4:3 or 3:2 "
          "frame): give --camera-profile NAME (",
          CameraProfileNames(), "), aspect=W:H of the sensor in --camera, or the video's own hfov=DEG",
          chosen.empty() ? "" : absl::StrCat("; ", chosen)));
    }
  }
  CameraSpec described = out.spec;
  if (!chosen.empty()) described.profile.clear();  // already named in `chosen`
  auto description = described.Describe(sample);
  if (!description.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(telemetry.source,
                     ": no lens: the camera spec has none (hfov=DEG, focal35=MM, focal=MM with sensor=WxH) and "
                     "the telemetry has no focal length: give one, or --camera-profile NAME (",
                     CameraProfileNames(), ")"));
  }
  out.how = chosen.empty() ? *description : absl::StrCat(chosen, "; ", *description);
  return out;
}

}  // namespace didban::geo
