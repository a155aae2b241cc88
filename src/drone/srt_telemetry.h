// DJI-style SRT telemetry (one subtitle per video frame, Mavic 3 layout: FrameCnt, DiffTime, [latitude: ...]
// [longitude: ...] [rel_alt: ... abs_alt: ...], plus the [gb_yaw: ... gb_pitch: ... gb_roll: ...] gimbal block of
// newer DJI models) written and read as FlightPose samples. Pure functions; thread-safe.
#ifndef DIDBAN_DRONE_SRT_TELEMETRY_H_
#define DIDBAN_DRONE_SRT_TELEMETRY_H_

#include <string>
#include <vector>

#include "didban/status.h"
#include "drone/flight_pose.h"

namespace didban::drone {

// Writes one SRT block per pose. `start_time` is printed as the wall-clock date line (e.g. "2026-11-28 10:00:00").
// Each block lasts until the next pose (the last one lasts `frame_us`).
std::string FormatDjiSrt(const std::vector<FlightPose>& poses, TimeUs frame_us, const std::string& start_time);

// Parses DJI SRT text with [latitude: ..] [longitude: ..] [rel_alt: .. abs_alt: ..] fields (Mavic 3, Mini, Air 2S
// "altitude") and the optional gimbal block; a block without gimbal angles gets yaw NaN, pitch -90 and roll 0.
// Time is the subtitle start time. Errors name `name` and the block's line.
absl::StatusOr<std::vector<FlightPose>> ParseDjiSrt(const std::string& text, const std::string& name);

// When the telemetry has no heading (yaw NaN), fills it with the course over ground from positions `span_us` apart
// (the camera is assumed to look along the flight direction). Samples with no movement keep the previous heading.
void FillYawFromCourse(std::vector<FlightPose>* poses, TimeUs span_us);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_SRT_TELEMETRY_H_
