// What the aerial pipeline adds to geo's telemetry (geo/telemetry_types.h reads every DJI SRT format, CSV and ULog):
// a DJI SRT *writer* (Mavic 3 layout, for synthetic flights) and the heading from the course over ground for
// telemetry without one. Pure functions; thread-safe.
#ifndef DIDBAN_DRONE_SRT_TELEMETRY_H_
#define DIDBAN_DRONE_SRT_TELEMETRY_H_

#include <string>
#include <vector>

#include "didban/time.h"
#include "geo/telemetry_types.h"

namespace didban::drone {

// Writes one SRT cue per sample (Mavic 3 layout: FrameCnt, DiffTime, date line, [focal_len: ..] [latitude: ..]
// [longitude: ..] [rel_alt: .. abs_alt: ..] [gb_yaw: .. gb_pitch: .. gb_roll: ..]), readable by geo::ParseDjiSrt.
// `start_time` is printed as the date line (e.g. "2026-11-28 10:00:00"); `focal35_mm` as focal_len. Each cue lasts
// until the next sample (the last one lasts `frame_us`). Absent gimbal angles are written as 0 (pitch -90).
std::string FormatDjiSrt(const std::vector<geo::TelemetrySample>& samples, TimeUs frame_us,
                         const std::string& start_time, double focal35_mm);

// For samples without any heading (neither gimbal nor aircraft yaw), sets the gimbal yaw to the course over ground
// from positions `span_us` apart (the camera is assumed to look along the flight direction). Samples with no
// movement keep the previous heading.
void FillYawFromCourse(geo::Telemetry* telemetry, TimeUs span_us);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_SRT_TELEMETRY_H_
