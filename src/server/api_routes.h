// The didban API's route table: every REST route under /api/v1, the live WebSocket, the OpenAPI document, /metrics,
// /healthz and /readyz, with their parameters and schemas, over a SiteBackend. The router and the OpenAPI document
// are both made from this one list.
#ifndef DIDBAN_SERVER_API_ROUTES_H_
#define DIDBAN_SERVER_API_ROUTES_H_

#include <string>

#include <nlohmann/json.hpp>

#include "didban/status.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/site_backend.h"

namespace didban::server {

inline constexpr char kLivePath[] = "/api/v1/live";
inline constexpr char kOpenApiPath[] = "/api/v1/openapi.json";

// Adds every route to `router`. `backend`, `metrics` and `router` must outlive the router's use.
absl::Status AddApiRoutes(SiteBackend& backend, MetricsRegistry& metrics, Router& router);

// Registers the site's figures (per-camera frames, drops, queue depth, reconnects, stage times, latency, recording
// bytes; store lag) as scrape-time collectors of `metrics`.
void AddSiteMetrics(SiteBackend& backend, MetricsRegistry& metrics);

// JSON forms used by the routes and the live WebSocket.
nlohmann::json CameraStatusToJson(const CameraStatus& s);
nlohmann::json CameraToJson(const CameraInfo& c);
nlohmann::json StoredEventToJson(const StoredEvent& e);
nlohmann::json TrackPointToJson(const TrackPoint& p);
// The stats rows as CSV: bucket_start_us,camera,type,rule,count,mean_value (fields quoted when needed).
std::string StatsCsv(const std::vector<StatsRow>& rows);

// The schema of a camera definition (POST/PUT /api/v1/cameras): unknown top-level fields refused.
nlohmann::json CameraDefinitionSchema();

}  // namespace didban::server

#endif  // DIDBAN_SERVER_API_ROUTES_H_
