// What `didban drone analyze` writes: track points as CSV and GeoJSON, the flight path and frame footprints as KML
// and GeoJSON, and the drawing of tracks on frames. Pure formatting and drawing; thread-safe.
#ifndef DIDBAN_DRONE_DRONE_OUTPUTS_H_
#define DIDBAN_DRONE_DRONE_OUTPUTS_H_

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/track.h"
#include "drone/aerial_analyzer.h"
#include "drone/flight_pose.h"
#include "geo/local_frame.h"

namespace didban::drone {

// "frame,time,id,lat,lon,x,y,class": x, y the box centre in pixels, time in seconds; rows without ground are left out.
std::string TracksCsv(const std::vector<GeoTrackPoint>& points);
// A FeatureCollection with one LineString per track (properties: id, class, first_time, last_time, points).
std::string TracksGeoJson(const std::vector<GeoTrackPoint>& points);

// The ground polygon (lat/lon ring, closed) the image covers for a pose; empty when a corner misses the ground.
std::vector<geo::LatLon> Footprint(const FlightPose& pose, const CameraIntrinsics& camera,
                                   const geo::LocalFrame& local);

// Flight path (LineString, altitude = abs_alt) and footprints every `footprint_every` poses (Polygons).
std::string FlightGeoJson(const std::vector<FlightPose>& poses, const CameraIntrinsics& camera,
                          const geo::LocalFrame& local, int footprint_every);
std::string FlightKml(const std::vector<FlightPose>& poses, const CameraIntrinsics& camera,
                      const geo::LocalFrame& local, int footprint_every);

// Draws tracks (box, id) onto a BGR image.
void DrawTracks(const std::vector<Track>& tracks, cv::Mat* image);

}  // namespace didban::drone

#endif  // DIDBAN_DRONE_DRONE_OUTPUTS_H_
