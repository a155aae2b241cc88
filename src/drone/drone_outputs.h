// What `didban drone analyze` writes: track points as CSV and GeoJSON, the flight path and frame footprints as KML
// and GeoJSON, and the drawing of tracks on frames. Pure formatting and drawing; thread-safe.
#ifndef DIDBAN_DRONE_DRONE_OUTPUTS_H_
#define DIDBAN_DRONE_DRONE_OUTPUTS_H_

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/track.h"
#include "drone/aerial_analyzer.h"
#include "geo/drone_camera.h"
#include "geo/local_frame.h"

namespace didban::drone {

// "frame,time,id,lat,lon,x,y,class": x, y the box centre in pixels, time in seconds; rows without ground are left out.
std::string TracksCsv(const std::vector<GeoTrackPoint>& points);
// A FeatureCollection with one LineString per track (properties: id, class, first_time, last_time, points).
std::string TracksGeoJson(const std::vector<GeoTrackPoint>& points);

// The ground polygon (lat/lon ring, closed) the image covers for a pose; empty when a corner misses the ground.
std::vector<geo::LatLon> Footprint(const geo::TelemetrySample& pose, const geo::CameraSpec& camera,
                                   const geo::LocalFrame& local, const geo::DronePoseOptions& options);

// Flight path (LineString of the samples with a position, altitude = abs_alt, else rel_alt) and footprints every
// `footprint_every` samples (Polygons).
std::string FlightGeoJson(const geo::Telemetry& telemetry, const geo::CameraSpec& camera, const geo::LocalFrame& local,
                          const geo::DronePoseOptions& options, int footprint_every);
std::string FlightKml(const geo::Telemetry& telemetry, const geo::CameraSpec& camera, const geo::LocalFrame& local,
                      const geo::DronePoseOptions& options, int footprint_every);

// Draws tracks (box, id) onto a BGR image.
void DrawTracks(const std::vector<Track>& tracks, cv::Mat* image);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_DRONE_OUTPUTS_H_
