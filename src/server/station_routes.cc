// GET /api/v1/stations and /api/v1/stations/{station} (see station_routes.h).
#include "server/station_routes.h"

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "server/api_error.h"
#include "server/station_directory.h"
#include "server/station_proxy.h"
#include "server/validation.h"

namespace didban::server {
namespace {

using nlohmann::json;
using In = ParamSpec::In;

json StationSchema() {
  return {{"type", "object"},
          {"properties",
           {{"name", {{"type", "string"}}},
            {"online", {{"type", "boolean"}}},
            {"last_heard_us", {{"type", "integer"}, {"format", "int64"}}},
            {"api", {{"type", "boolean"}}},
            {"cameras", {{"type", "array"}, {"items", {{"type", "string"}}}}}}},
          {"additionalProperties", false}};
}

// True when the caller may see the station: every camera, a grant of its site, or one of its cameras.
bool StationVisible(const ApiRequest& r, const StationInfo& s) {
  if (!r.visible_cameras) return true;
  if (r.principal && r.principal->MaySee({"", "", s.site})) return true;  // a grant of its site
  return std::any_of(s.cameras.begin(), s.cameras.end(), [&](const std::string& c) { return r.CameraVisible(c); });
}

json StationJson(const ApiRequest& r, const StationInfo& s) {
  json cameras = json::array();
  for (const std::string& c : s.cameras) {
    if (r.CameraVisible(c)) cameras.push_back(c);
  }
  return {{"name", s.site},
          {"online", s.online},
          {"last_heard_us", s.last_heard_us},
          {"api", !s.url.empty()},
          {"cameras", cameras}};
}

absl::Status NoSuchStation(const std::string& name) {
  return FieldError(absl::StatusCode::kNotFound, "station", absl::StrCat("station: no station '", name, "'"));
}

constexpr int64_t kTimeMax = 9'000'000'000'000'000'000LL / 2;

json NameSchema() { return {{"type", "string"}, {"format", "name"}, {"pattern", std::string(kNamePattern)}}; }
json Int(int64_t minimum, int64_t maximum) {
  return {{"type", "integer"}, {"format", "int64"}, {"minimum", minimum}, {"maximum", maximum}};
}
json Obj(json properties, std::vector<std::string> required = {}) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) o["required"] = required;
  return o;
}

// The reply for a clip the caller may not see: as the station's for a missing clip (api_routes.cc).
ApiResponse HiddenClip(const std::string& id) {
  return ErrorResponse(
      FieldError(absl::StatusCode::kNotFound, "clip", absl::StrCat("clip: store: no clip \"", id, "\"")));
}

// A small route relayed whole: the checks, then the station's answer as it is (or 502/504).
ApiResponse Relay(const StationDirectory* d, const ApiRequest& r, int timeout_ms = 0) {
  absl::StatusOr<StationCall> call = PrepareStationCall(d, r);
  if (!call.ok()) return ErrorResponse(call.status());
  return FetchFromStation(*call, r.method, r.json.is_object() ? r.json.dump() : "", timeout_ms);
}

// A station's clip, relayed only when its camera is one the caller may see and of that station; otherwise exactly
// the answer for a missing clip. `video`: the clip's state is only checked (the server streams the MP4).
ApiResponse RelayClip(const StationDirectory* d, const ApiRequest& r, bool video) {
  absl::StatusOr<StationCall> call = PrepareStationCall(d, r);
  if (!call.ok()) return ErrorResponse(call.status());
  StationCall state = *call;
  const std::string& id = r.path_params.at("clip");
  const std::string suffix = "/video.mp4";
  if (video) state.target = state.target.substr(0, state.target.size() - suffix.size());
  ApiResponse a = FetchFromStation(state, Method::kGet, "");
  if (a.status == 404) return HiddenClip(id);  // the station's own 404 is this same reply
  if (a.status != 200) return a;
  const json clip = json::parse(a.body, nullptr, false);
  const std::string camera = clip.is_object() && clip.contains("camera") && clip["camera"].is_string()
                                 ? clip["camera"].get<std::string>()
                                 : std::string();
  if (camera.empty() || !r.CameraVisible(camera) || d->SiteOf(camera) != r.path_params.at("station")) {
    return HiddenClip(id);
  }
  if (!video) return a;
  ApiResponse go;  // 200: the server streams the station's MP4 (http_server.cc, RelayStationHttp)
  go.content_type = "video/mp4";
  return go;
}

}  // namespace

absl::Status AddStationRoutes(SiteBackend& backend, Router& router) {
  SiteBackend* b = &backend;
  const json name = {{"type", "string"}, {"format", "name"}, {"pattern", std::string(kNamePattern)}};
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kGet,
       "/api/v1/stations",
       "listStations",
       "A center's stations the caller may see: online or offline, last heard, their cameras (empty for a single "
       "site)",
       "stations",
       Access::kView,
       {},
       nullptr,
       json{{"type", "object"},
            {"properties", {{"stations", {{"type", "array"}, {"items", StationSchema()}}}}},
            {"additionalProperties", false}},
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) {
         json list = json::array();
         if (const StationDirectory* d = b->Stations()) {
           for (const StationInfo& s : d->List()) {
             if (StationVisible(r, s)) list.push_back(StationJson(r, s));
           }
         }
         return JsonResponse({{"stations", list}});
       }}));
  DIDBAN_RETURN_IF_ERROR(
      router.Add({Method::kGet,
                  "/api/v1/stations/{station}",
                  "getStation",
                  "One station (404 for a station the caller may not see, as for one that does not exist)",
                  "stations",
                  Access::kView,
                  {ParamSpec{"station", In::kPath, name, true, "station (site) name"}},
                  nullptr,
                  StationSchema(),
                  200,
                  "application/json",
                  false,
                  [b](const ApiRequest& r) {
                    const std::string& want = r.path_params.at("station");
                    if (const StationDirectory* d = b->Stations()) {
                      for (const StationInfo& s : d->List()) {
                        if (s.site == want && StationVisible(r, s)) return JsonResponse(StationJson(r, s));
                      }
                    }
                    return ErrorResponse(NoSuchStation(want));
                  }}));

  // The proxy to a station's API (server/station_proxy.h): fetched from the station only when asked for.
  const ParamSpec station{"station", In::kPath, name, true, "station (site) name"};
  const ParamSpec camera{"camera", In::kPath, NameSchema(), true, "camera name (one of the station's)"};
  const ParamSpec clip{"clip", In::kPath, NameSchema(), true, "clip id at the station"};
  const char* proxied = " (proxied to the station; 502 when it cannot be reached, 504 when it does not answer)";
  DIDBAN_RETURN_IF_ERROR(router.Add({Method::kGet,
                                     "/api/v1/stations/{station}/cameras/{camera}/snapshot.jpg",
                                     "getStationSnapshot",
                                     absl::StrCat("A station camera's latest analysed frame as JPEG", proxied),
                                     "stations",
                                     Access::kView,
                                     {station, camera},
                                     nullptr,
                                     nullptr,
                                     200,
                                     "image/jpeg",
                                     false,
                                     [b](const ApiRequest& r) { return Relay(b->Stations(), r); }}));
  DIDBAN_RETURN_IF_ERROR(
      router.Add({Method::kGet,
                  "/api/v1/stations/{station}/cameras/{camera}/segments",
                  "listStationSegments",
                  absl::StrCat("A station camera's recorded segments overlapping a time range", proxied),
                  "stations",
                  Access::kView,
                  {station, camera, ParamSpec{"from_us", In::kQuery, Int(0, kTimeMax), true, "µs"},
                   ParamSpec{"to_us", In::kQuery, Int(0, kTimeMax), true, "µs"}},
                  nullptr,
                  nullptr,
                  200,
                  "application/json",
                  false,
                  [b](const ApiRequest& r) { return Relay(b->Stations(), r); }}));
  DIDBAN_RETURN_IF_ERROR(
      router.Add({Method::kGet,
                  kStationLiveMp4Path,
                  "stationLiveVideoMp4",
                  absl::StrCat("WebSocket of a station camera's live video, relayed from the station's own live.mp4 "
                               "WebSocket message by message (the same messages; masked as the station masks it)",
                               proxied),
                  "stations",
                  Access::kView,
                  {station, camera},
                  nullptr,
                  nullptr,
                  101,
                  "application/json",
                  true,
                  nullptr}));
  DIDBAN_RETURN_IF_ERROR(
      router.Add({Method::kGet,
                  kStationLiveMjpegPath,
                  "stationLiveVideoMjpeg",
                  absl::StrCat("A station camera's live MJPEG, streamed from the station while watched", proxied),
                  "stations",
                  Access::kView,
                  {station, camera},
                  nullptr,
                  nullptr,
                  200,
                  "multipart/x-mixed-replace",
                  false,
                  [b](const ApiRequest& r) {
                    absl::StatusOr<StationCall> call = PrepareStationCall(b->Stations(), r);
                    if (!call.ok()) return ErrorResponse(call.status());
                    ApiResponse pre = StationPreflight(*call, r.path_params.at("camera"));
                    if (pre.status != 200) return pre;
                    ApiResponse go;  // 200: the server streams the station's parts (http_server.cc, RelayStationHttp)
                    go.content_type = "multipart/x-mixed-replace";
                    return go;
                  }}));
  const json clip_schema = {{"type", "object"}};
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kPost,
       "/api/v1/stations/{station}/clips",
       "exportStationClip",
       absl::StrCat("Exports a clip of a station camera's recording at the station (its signed evidence package "
                    "stays there; masked as the station masks it)",
                    proxied),
       "stations",
       Access::kOperate,
       {station},
       Obj({{"camera", NameSchema()},
            {"from_us", Int(0, kTimeMax)},
            {"to_us", Int(0, kTimeMax)},
            {"blur_people", {{"type", "boolean"}}},
            {"blur_classes", {{"type", "array"}, {"items", NameSchema()}, {"maxItems", 16}}},
            {"evidence", {{"type", "boolean"}}},
            {"reason", {{"type", "string"}, {"maxLength", 1024}}}},
           {"camera", "from_us", "to_us"}),
       clip_schema,
       202,
       "application/json",
       false,
       [b](const ApiRequest& r) {
         const StationDirectory* d = b->Stations();
         return Relay(d, r, d != nullptr ? d->ProxyOptions().export_timeout_ms : 0);
       }}));
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kGet,
       "/api/v1/stations/{station}/clips/{clip}",
       "getStationClip",
       absl::StrCat("A station's exported clip (404 for a clip of a camera the caller may not see)", proxied),
       "stations",
       Access::kView,
       {station, clip},
       nullptr,
       clip_schema,
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) { return RelayClip(b->Stations(), r, false); }}));
  return router.Add(
      {Method::kGet,
       kStationClipVideoPath,
       "getStationClipVideo",
       absl::StrCat("A station clip's MP4, streamed from the station (masked as the station masks it)", proxied),
       "stations",
       Access::kView,
       {station, clip},
       nullptr,
       nullptr,
       200,
       "video/mp4",
       false,
       [b](const ApiRequest& r) { return RelayClip(b->Stations(), r, true); }});
}

}  // namespace didban::server
