#include "geo/local_frame.h"

#include <cmath>

#include <GeographicLib/LocalCartesian.hpp>

namespace didban::geo {

absl::Status ValidateLatLon(double lat, double lon, const std::string& what) {
  if (!std::isfinite(lat) || !std::isfinite(lon) || lat < -90 || lat > 90 || lon < -180 || lon > 180) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": latitude/longitude out of range (", lat, ", ", lon, ")"));
  }
  return absl::OkStatus();
}

LocalFrame::LocalFrame(double lat0, double lon0, double alt0) : anchor_{lat0, lon0, alt0} {}

absl::StatusOr<LocalFrame> LocalFrame::Create(double lat0, double lon0, double alt0) {
  DIDBAN_RETURN_IF_ERROR(ValidateLatLon(lat0, lon0, "local frame anchor"));
  return LocalFrame(lat0, lon0, alt0);
}

void LocalFrame::Forward(const LatLon& ll, double* east, double* north, double* up) const {
  // LocalCartesian is cheap to construct and not thread-safe to share mutably; keep one per call.
  GeographicLib::LocalCartesian lc(anchor_.lat, anchor_.lon, anchor_.alt);
  lc.Forward(ll.lat, ll.lon, ll.alt, *east, *north, *up);
}

Point2 LocalFrame::ToLocal(double lat, double lon) const {
  double e = 0, n = 0, u = 0;
  Forward({lat, lon, anchor_.alt}, &e, &n, &u);
  return {e, n};
}

LatLon LocalFrame::ToLatLon(double east, double north, double up) const {
  GeographicLib::LocalCartesian lc(anchor_.lat, anchor_.lon, anchor_.alt);
  LatLon out;
  lc.Reverse(east, north, up, out.lat, out.lon, out.alt);
  return out;
}

}  // namespace didban::geo
