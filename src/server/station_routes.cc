// GET /api/v1/stations and /api/v1/stations/{station} (see station_routes.h).
#include "server/station_routes.h"

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "server/api_error.h"
#include "server/station_directory.h"
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
  return router.Add({Method::kGet,
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
                     }});
}

}  // namespace didban::server
