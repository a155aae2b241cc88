// The station routes of a center (scale-out, docs/scale-out.md): GET /api/v1/stations lists the stations the caller
// may see (online or offline, last heard, their cameras the caller may see, whether the center knows their API
// address) and GET /api/v1/stations/{station} answers one; a station the caller may not see answers exactly as one
// that does not exist (404). A single site has no stations (an empty list). Rights: a station is visible to whoever
// sees every camera, holds a grant of its site, or sees one of its cameras.
#ifndef DIDBAN_SERVER_STATION_ROUTES_H_
#define DIDBAN_SERVER_STATION_ROUTES_H_

#include "didban/status.h"
#include "server/router.h"
#include "server/site_backend.h"

namespace didban::server {

// Adds the routes to `router`; `backend` must outlive the router's use.
absl::Status AddStationRoutes(SiteBackend& backend, Router& router);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_STATION_ROUTES_H_
