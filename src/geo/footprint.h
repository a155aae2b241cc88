// The ground footprint of a camera: the polygon its image covers on a horizontal ground plane. Pure functions;
// thread-safe.
#ifndef DIDBAN_GEO_FOOTPRINT_H_
#define DIDBAN_GEO_FOOTPRINT_H_

#include <vector>

#include "didban/geometry.h"
#include "geo/local_frame.h"
#include "geo/pinhole_camera.h"

namespace didban::geo {

struct FootprintOptions {
  int points_per_edge = 8;    // samples along each image edge (>= 1; 1 = the four corners only)
  double max_range_m = 2000;  // rays that miss the ground or reach farther are cut at this horizontal distance, m
};

// The footprint polygon (local metres, counter-clockwise, not closed) of `camera` on the plane z = ground_z: the
// image border projected to the ground; parts above the horizon end at max_range_m from the camera. Empty when the
// camera is below the ground or has no image size.
std::vector<Point2> GroundFootprint(const PinholeCamera& camera, double ground_z, const FootprintOptions& options = {});

// Signed area (m², positive when counter-clockwise) of a polygon.
double PolygonArea(const std::vector<Point2>& polygon);

// Polygon vertices converted to latitude/longitude in `frame`.
std::vector<LatLon> ToLatLon(const LocalFrame& frame, const std::vector<Point2>& polygon);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_FOOTPRINT_H_
