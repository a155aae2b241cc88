// Camera profiles of common drones (sensor frame and lens from the makers' published specifications), chosen by
// name or recognised from a DJI SRT's layout, and the resolution of a camera spec for georeferencing: a spec whose
// lens is a 35 mm-equivalent focal length needs the sensor frame that focal length refers to. Values and pure
// functions; thread-safe.
#ifndef DIDBAN_GEO_CAMERA_PROFILES_H_
#define DIDBAN_GEO_CAMERA_PROFILES_H_

#include <string>
#include <string_view>
#include <vector>

#include "didban/status.h"
#include "geo/drone_camera.h"
#include "geo/telemetry_types.h"

namespace didban::geo {

// One camera as its maker documents it. The sensor frame's aspect is that of the largest still photo; its size in
// mm is the nominal size of the documented optical format (e.g. 1" = 13.2 x 8.8 mm), which only matters when a true
// focal length is given.
struct CameraProfile {
  const char* name;           // --camera-profile key, e.g. "mavic3"
  const char* model;          // e.g. "DJI Mavic 3 (Hasselblad L2D-20c)"
  const char* sensor_format;  // as documented, e.g. "4/3 CMOS"
  double sensor_w_mm, sensor_h_mm;
  int photo_w, photo_h;   // largest still photo, pixels (documented): the frame's aspect
  double focal35_mm;      // documented 35 mm-format equivalent focal length (the widest for a zoom), mm
  double focal35_max_mm;  // the longest for a zoom lens, else = focal35_mm
  double dfov_deg;        // documented diagonal field of view at focal35_mm, degrees
  const char* source;     // where the figures come from
};

// Every profile, in a fixed order.
const std::vector<CameraProfile>& CameraProfiles();
// "mavic3, mavic2pro, ..." for messages and --help.
std::string CameraProfileNames();
// The profile named `name` (case-insensitive), or nullptr.
const CameraProfile* FindCameraProfile(std::string_view name);
// Fills `spec`'s sensor frame and profile lens from the profile named `name`; an unknown name is an error listing
// the names.
absl::Status ApplyCameraProfile(std::string_view name, CameraSpec* spec);

// What a DJI SRT's text says about its camera.
struct SrtCameraGuess {
  std::string profile;                  // the recognised profile, "" when none
  std::vector<std::string> candidates;  // profiles that fit equally well when none is recognised
  std::string evidence;                 // what in the text led to it, for messages
};
// Recognises the camera from the first cues of a DJI SRT (its layout, focal_len, aperture, attitude tuples): only
// where the layout and lens single out one profile; e.g. the Air 2 and Air 2S write the same layout and focal
// length but have differently shaped sensors (candidates, no profile).
SrtCameraGuess GuessCameraFromSrt(std::string_view srt_text);

// The camera spec georeferencing uses, and how it was chosen.
struct ResolvedCamera {
  CameraSpec spec;
  std::string how;  // one line: the profile (named or recognised, with the evidence) and the lens and fields of view
};
// Resolves `spec` (width/height set) for `telemetry`: `profile_name` (may be empty) is applied under the spec's own
// keys; without it and without a sensor frame in the spec, a profile recognised from `srt_text` (the SRT's first
// cues, may be empty) is applied. A lens given as a 35 mm-equivalent focal length (in the spec or the telemetry)
// with no sensor frame known is refused, naming the options that supply one, since a 16:9 video is a crop of a 4:3
// or 3:2 sensor frame and the frame's diagonal is what the equivalence refers to.
absl::StatusOr<ResolvedCamera> ResolveCameraSpec(const CameraSpec& spec, const std::string& profile_name,
                                                 std::string_view srt_text, const Telemetry& telemetry);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_CAMERA_PROFILES_H_
