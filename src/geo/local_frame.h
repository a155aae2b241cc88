// The site's local metric ground frame: east-north-up metres about an anchor latitude/longitude (WGS84), through
// GeographicLib. Immutable after construction; thread-safe.
#ifndef DIDBAN_GEO_LOCAL_FRAME_H_
#define DIDBAN_GEO_LOCAL_FRAME_H_

#include "didban/geometry.h"
#include "didban/status.h"

namespace didban::geo {

struct LatLon {
  double lat = 0;  // degrees, WGS84
  double lon = 0;  // degrees, WGS84
  double alt = 0;  // metres above the ellipsoid (or above the anchor's datum where stated)
};

// Validates a latitude/longitude pair, naming `what` in the error.
absl::Status ValidateLatLon(double lat, double lon, const std::string& what);

class LocalFrame {
 public:
  // Anchor at lat/lon degrees and altitude metres. Use Create() for checked input.
  LocalFrame(double lat0, double lon0, double alt0 = 0);
  static absl::StatusOr<LocalFrame> Create(double lat0, double lon0, double alt0 = 0);

  // WGS84 -> local ENU metres (x east, y north, z up).
  void Forward(const LatLon& ll, double* east, double* north, double* up) const;
  Point2 ToLocal(double lat, double lon) const;
  // Local ENU metres -> WGS84.
  LatLon ToLatLon(double east, double north, double up = 0) const;

  const LatLon& Anchor() const { return anchor_; }

 private:
  LatLon anchor_;
};

}  // namespace didban::geo

#endif  // DIDBAN_GEO_LOCAL_FRAME_H_
