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
inline constexpr char kLiveMp4Path[] = "/api/v1/cameras/{camera}/live.mp4";      // WebSocket, fMP4
inline constexpr char kLiveMjpegPath[] = "/api/v1/cameras/{camera}/live.mjpeg";  // streamed multipart

// Adds every route to `router`. `backend`, `metrics` and `router` must outlive the router's use.
absl::Status AddApiRoutes(SiteBackend& backend, MetricsRegistry& metrics, Router& router);

// Registers the site's figures (per-camera frames, drops, queue depth, reconnects, stage times, latency, recording
// bytes; the store's lag, queue and write counters) as scrape-time collectors of `metrics`.
void AddSiteMetrics(SiteBackend& backend, MetricsRegistry& metrics);

// JSON forms used by the routes.
nlohmann::json CameraStatusToJson(const CameraStatus& s);
nlohmann::json CameraToJson(const CameraInfo& c);
nlohmann::json StoredEventToJson(const store::StoredEvent& e);
nlohmann::json TrackPointToJson(const store::TrackPoint& p);
nlohmann::json StatRowToJson(const store::StatRow& r);
// A segment without its server-side folder: {"camera", "name" (file name), "start_us", "end_us", "bytes", ...}.
nlohmann::json SegmentToJson(const store::Segment& s);
nlohmann::json ClipToJson(const store::Clip& c);

// The schema of a camera definition (POST/PUT /api/v1/cameras): unknown top-level fields refused.
nlohmann::json CameraDefinitionSchema();

}  // namespace didban::server

#endif  // DIDBAN_SERVER_API_ROUTES_H_
