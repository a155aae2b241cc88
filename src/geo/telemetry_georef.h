// Georeferencing of pixel tracks from a drone video: each MOTChallenge row's reference pixel is projected to flat
// ground through the camera posed from the telemetry at its frame; plus the flight path and frame footprints, with
// CSV / GeoJSON / KML writers. Pure functions; thread-safe.
#ifndef DIDBAN_GEO_TELEMETRY_GEOREF_H_
#define DIDBAN_GEO_TELEMETRY_GEOREF_H_

#include <string>
#include <vector>

#include "core/mot_format.h"
#include "didban/status.h"
#include "geo/drone_camera.h"
#include "geo/footprint.h"
#include "geo/local_frame.h"
#include "geo/telemetry_types.h"

namespace didban::geo {

struct GeorefOptions {
  CameraSpec camera;
  DronePoseOptions pose;
  double fps = 0;                 // video frame rate, for telemetry without frame numbers (frames/s)
  double ground_elevation_m = 0;  // elevation of the flat ground, same vertical datum as the camera height, m
  bool bottom_centre = false;     // reference pixel: box bottom centre (oblique views) instead of box centre (nadir)
  int footprint_step = 30;        // a footprint every this many frames (>= 1)
  // Frames of the video: footprints are made for frames 1..video_frames (within the telemetry), so that their
  // number follows the video, not the span of the telemetry's clock; 0 = up to the last frame of the tracks.
  int64_t video_frames = 0;
  int64_t max_footprints = 100'000;  // refuse a request for more footprints than this (docs/security.md)
  // Flight height above the take-off point for records without an altitude (metres; NaN = none): for telemetry that
  // has no altitude at all, such as some DJI SRT formats (latitude and longitude only).
  double height_m = kNoValue;
  FootprintOptions footprint;

  absl::Status Validate() const;
};

struct GeorefPoint {
  int frame = 0;
  TimeUs time_us = 0;  // the frame's video time from the telemetry
  int64_t id = -1;
  double lat = 0, lon = 0;  // degrees
  double x = 0, y = 0;      // local ENU metres about GeorefResult::frame's anchor
};

struct FrameFootprint {
  int frame = 0;
  std::vector<Point2> polygon;  // local metres
};

struct GeorefResult {
  LocalFrame frame{0, 0};  // anchored at the home point when known, else the first position
  std::vector<GeorefPoint> points;
  int skipped = 0;                    // rows whose pixel does not reach the ground (above the horizon)
  std::vector<TelemetrySample> path;  // samples with a position (at most ~5000, evenly thinned)
  std::vector<FrameFootprint> footprints;
};

// Georeferences `rows` (frames matched to the telemetry: by frame number or time, see PoseAtFrame). First checks
// that the telemetry has a position, an altitude (or height_m) and a yaw (or pose.yaw_deg) somewhere, naming what is
// missing and the option that supplies it; later errors name the frame and what is missing there. More than
// max_footprints footprints is OutOfRange, naming
// --footprint-step, before any is made.
absl::StatusOr<GeorefResult> GeorefTracks(const Telemetry& telemetry, const std::vector<MotRow>& rows,
                                          const GeorefOptions& options);

// `frame,time,id,lat,lon,x,y` with a header (time s with 3 decimals, lat/lon 8, x/y 2).
std::string GeorefCsv(const GeorefResult& result);
// A FeatureCollection: one LineString per track id (properties id, first_frame, last_frame).
std::string GeorefTracksGeoJson(const GeorefResult& result);
// The flight path (LineString) and the frame footprints (Polygons with property frame), as GeoJSON and as KML.
std::string FlightGeoJson(const GeorefResult& result);
std::string FlightKml(const GeorefResult& result);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_TELEMETRY_GEOREF_H_
