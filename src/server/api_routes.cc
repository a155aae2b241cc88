#include "server/api_routes.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/json_io.h"
#include "server/api_error.h"
#include "server/validation.h"

namespace didban::server {
namespace {

using nlohmann::json;
using In = ParamSpec::In;

// Schema helpers: every object schema is closed (unknown fields refused) unless it says otherwise.
json Str(size_t max_length = 256) { return {{"type", "string"}, {"maxLength", max_length}}; }
json NameSchema() { return {{"type", "string"}, {"format", "name"}, {"pattern", std::string(kNamePattern)}}; }
json Int(int64_t minimum, int64_t maximum) {
  return {{"type", "integer"}, {"format", "int64"}, {"minimum", minimum}, {"maximum", maximum}};
}
json Num(double minimum) { return {{"type", "number"}, {"minimum", minimum}}; }
json Bool() { return {{"type", "boolean"}}; }
json Obj(json properties, std::vector<std::string> required = {}, bool closed = true) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}};
  if (!required.empty()) o["required"] = required;
  o["additionalProperties"] = !closed;
  return o;
}
json Arr(json items, size_t max_items = 1000) {
  return {{"type", "array"}, {"items", std::move(items)}, {"maxItems", max_items}};
}
json OpenObj() { return {{"type", "object"}}; }

constexpr int64_t kTimeMax = 9'000'000'000'000'000'000LL / 2;

ParamSpec PathName(const std::string& name, const std::string& description) {
  return ParamSpec{name, In::kPath, NameSchema(), true, description};
}
ParamSpec QueryName(const std::string& name, const std::string& description) {
  return ParamSpec{name, In::kQuery, NameSchema(), false, description};
}
ParamSpec QueryTime(const std::string& name, bool required, const std::string& description) {
  return ParamSpec{name, In::kQuery, Int(0, kTimeMax), required, description};
}
ParamSpec QueryInt(const std::string& name, int64_t lo, int64_t hi, const std::string& description) {
  return ParamSpec{name, In::kQuery, Int(lo, hi), false, description};
}

std::optional<std::string> Opt(const ApiRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  if (it == r.query.end()) return std::nullopt;
  return it->second;
}
// Values here have passed the input guard, so parsing cannot fail.
std::optional<int64_t> OptInt(const ApiRequest& r, const std::string& key) {
  auto v = Opt(r, key);
  if (!v) return std::nullopt;
  auto n = ParseInt64(key, *v);
  return n.ok() ? std::optional<int64_t>(*n) : std::nullopt;
}

absl::Status CheckRange(std::optional<int64_t> from, std::optional<int64_t> to) {
  if (from && to && *to <= *from) return InvalidField("to_us", "to_us: must be after from_us");
  return absl::OkStatus();
}

// A camera URI: rtsp(s)/http(s)/file URL or a relative/absolute file path without ".." segments.
absl::Status CheckUri(const std::string& uri) {
  if (uri.empty()) return InvalidField("uri", "uri: required");
  for (char c : uri) {
    if (static_cast<unsigned char>(c) < 0x20) return InvalidField("uri", "uri: control character");
  }
  const size_t scheme_end = uri.find("://");
  std::string path = uri;
  if (scheme_end != std::string::npos) {
    const std::string scheme = uri.substr(0, scheme_end);
    if (scheme != "rtsp" && scheme != "rtsps" && scheme != "http" && scheme != "https" && scheme != "file" &&
        scheme != "sim") {
      return InvalidField("uri", absl::StrCat("uri: unsupported scheme '", scheme, "'"));
    }
    if (scheme != "file") return absl::OkStatus();
    path = uri.substr(scheme_end + 3);
  }
  for (absl::string_view seg : absl::StrSplit(path, absl::ByAnyChar("/\\"))) {
    if (seg == "..") return InvalidField("uri", "uri: '..' is not allowed in a file path");
  }
  return absl::OkStatus();
}

absl::Status CheckDefinition(const json& def) {
  DIDBAN_RETURN_IF_ERROR(CheckUri(def.value("uri", std::string())));
  return absl::OkStatus();
}

template <typename T>
ApiResponse Reply(const absl::StatusOr<T>& v, const std::function<json(const T&)>& to_json, int status = 200) {
  if (!v.ok()) return ErrorResponse(v.status());
  return JsonResponse(to_json(*v), status);
}

json SegmentToJson(const SegmentInfo& s) {
  return {{"camera", s.camera}, {"name", s.name}, {"start_us", s.start_us}, {"end_us", s.end_us}, {"bytes", s.bytes}};
}
json ClipToJson(const ClipInfo& c) {
  return {{"id", c.id},       {"camera", c.camera}, {"from_us", c.from_us},
          {"to_us", c.to_us}, {"state", c.state},   {"bytes", c.bytes}};
}
json StatsRowToJson(const StatsRow& r) {
  return {{"bucket_start_us", r.bucket_start_us},
          {"camera", r.camera},
          {"type", r.type},
          {"rule", r.rule},
          {"count", r.count},
          {"mean_value", r.mean_value}};
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Response schemas (documentation; the tests compare them with real replies).
json CameraStatusSchema() {
  return Obj({{"state", Str()},
              {"last_error", Str()},
              {"last_frame_us", {{"type", "integer"}}},
              {"frames_per_second", Num(0)},
              {"frames_total", {{"type", "integer"}}},
              {"frames_dropped_total", {{"type", "integer"}}},
              {"reconnects_total", {{"type", "integer"}}},
              {"queue_depth", {{"type", "integer"}}},
              {"stage_seconds", {{"type", "object"}, {"additionalProperties", {{"type", "number"}}}}},
              {"latency_seconds", Num(0)},
              {"recording_bytes_total", {{"type", "integer"}}}});
}
json CameraSchema() {
  return Obj({{"name", NameSchema()}, {"definition", OpenObj()}, {"status", CameraStatusSchema()}});
}
json EventSchema() { return {{"type", "object"}, {"description", "an event with its store id and acknowledgement"}}; }

}  // namespace

json CameraDefinitionSchema() {
  const json spec = Obj({{"type", NameSchema()}, {"name", NameSchema()}}, {"type"}, /*closed=*/false);
  return Obj({{"name", NameSchema()},
              {"uri", Str(2048)},
              {"fps", Num(0)},
              {"analysis_width", Int(0, 16384)},
              {"detector", spec},
              {"tracker", OpenObj()},
              {"calibration", OpenObj()},
              {"rules", Arr(spec, 256)},
              {"record", Bool()}},
             {"uri"});
}

json CameraStatusToJson(const CameraStatus& s) {
  return {{"state", s.state},
          {"last_error", s.last_error},
          {"last_frame_us", s.last_frame_us},
          {"frames_per_second", s.frames_per_second},
          {"frames_total", s.frames_total},
          {"frames_dropped_total", s.frames_dropped_total},
          {"reconnects_total", s.reconnects_total},
          {"queue_depth", s.queue_depth},
          {"stage_seconds", s.stage_seconds},
          {"latency_seconds", s.latency_seconds},
          {"recording_bytes_total", s.recording_bytes_total}};
}

json CameraToJson(const CameraInfo& c) {
  return {{"name", c.name}, {"definition", c.definition}, {"status", CameraStatusToJson(c.status)}};
}

json StoredEventToJson(const StoredEvent& e) {
  json j = EventToJson(e.event);
  j["id"] = e.id;
  j["acknowledged"] = e.acknowledged;
  if (e.acknowledged) {
    j["acknowledged_us"] = e.acknowledged_us;
    j["acknowledged_by"] = e.acknowledged_by;
  }
  return j;
}

json TrackPointToJson(const TrackPoint& p) {
  json j = {{"time_us", p.time_us}, {"track_id", p.track_id}, {"class", p.object_class}};
  if (!p.camera.empty()) {
    j["camera"] = p.camera;
    j["box"] = {p.x, p.y, p.w, p.h};
  }
  if (p.ground_x && p.ground_y) j["ground"] = {*p.ground_x, *p.ground_y};
  return j;
}

std::string StatsCsv(const std::vector<StatsRow>& rows) {
  std::string out = "bucket_start_us,camera,type,rule,count,mean_value\n";
  for (const auto& r : rows) {
    absl::StrAppend(&out, r.bucket_start_us, ",", CsvField(r.camera), ",", CsvField(r.type), ",", CsvField(r.rule), ",",
                    r.count, ",", r.mean_value, "\n");
  }
  return out;
}

void AddSiteMetrics(SiteBackend& backend, MetricsRegistry& m) {
  auto& frames = m.AddCounter("didban_frames_total", "Frames analysed", {"camera"});
  auto& drops = m.AddCounter("didban_frames_dropped_total", "Frames dropped by bounded queues", {"camera"});
  auto& reconnects = m.AddCounter("didban_source_reconnects_total", "Source reconnect attempts", {"camera"});
  auto& bytes = m.AddCounter("didban_recording_bytes_total", "Bytes written by the segment recorder", {"camera"});
  auto& fps = m.AddGauge("didban_frames_per_second", "Analysed frames per second over the last seconds", {"camera"});
  auto& depth = m.AddGauge("didban_queue_depth_frames", "Frames waiting for analysis", {"camera"});
  auto& online = m.AddGauge("didban_camera_online", "1 when the camera delivers frames, else 0", {"camera"});
  auto& stage = m.AddGauge("didban_stage_seconds", "Mean time per frame of each stage", {"camera", "stage"});
  auto& latency = m.AddGauge("didban_latency_seconds", "Capture to publication, recent mean", {"camera"});
  auto& lag = m.AddGauge("didban_store_lag_seconds", "Age of the oldest record not yet committed to the store");
  auto& store_depth = m.AddGauge("didban_store_queue_depth", "Records waiting for the store writer");
  auto& cameras = m.AddGauge("didban_cameras", "Cameras configured");
  m.AddCollector([&, known = std::make_shared<std::vector<std::string>>()](MetricsRegistry&) {
    const auto list = backend.Cameras();
    // Series of removed cameras go away.
    for (const auto& name : *known) {
      bool still = false;
      for (const auto& c : list) still = still || c.name == name;
      if (!still) {
        for (auto* f : {&frames, &drops, &reconnects, &bytes}) f->Remove({name});
        for (auto* f : {&fps, &depth, &online, &latency}) f->Remove({name});
      }
    }
    known->clear();
    for (const auto& c : list) {
      known->push_back(c.name);
      const CameraStatus& s = c.status;
      frames.WithLabels({c.name}).SetTotal(static_cast<double>(s.frames_total));
      drops.WithLabels({c.name}).SetTotal(static_cast<double>(s.frames_dropped_total));
      reconnects.WithLabels({c.name}).SetTotal(static_cast<double>(s.reconnects_total));
      bytes.WithLabels({c.name}).SetTotal(static_cast<double>(s.recording_bytes_total));
      fps.WithLabels({c.name}).Set(s.frames_per_second);
      depth.WithLabels({c.name}).Set(static_cast<double>(s.queue_depth));
      online.WithLabels({c.name}).Set(s.state == "online" ? 1 : 0);
      latency.WithLabels({c.name}).Set(s.latency_seconds);
      for (const auto& [name, seconds] : s.stage_seconds) stage.WithLabels({c.name, name}).Set(seconds);
    }
    const SiteMetrics sm = backend.Metrics();
    lag.WithLabels({}).Set(sm.store_lag_seconds);
    store_depth.WithLabels({}).Set(static_cast<double>(sm.store_queue_depth));
    cameras.WithLabels({}).Set(static_cast<double>(list.size()));
  });
}

absl::Status AddApiRoutes(SiteBackend& backend, MetricsRegistry& metrics, Router& router) {
  SiteBackend* b = &backend;
  std::vector<Route> routes;

  // --- health, readiness, metrics, the document ---
  routes.push_back({Method::kGet,
                    "/healthz",
                    "healthz",
                    "Liveness: the process answers",
                    "operations",
                    Access::kPublic,
                    {},
                    nullptr,
                    Obj({{"status", Str()}}),
                    200,
                    "application/json",
                    false,
                    [](const ApiRequest&) {
                      return JsonResponse({{"status", "ok"}});
                    }});
  routes.push_back({Method::kGet,
                    "/readyz",
                    "readyz",
                    "Readiness: store open and cameras started (503 otherwise)",
                    "operations",
                    Access::kPublic,
                    {},
                    nullptr,
                    Obj({{"ready", Bool()}}),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest&) {
                      const bool ready = b->Ready();
                      return JsonResponse({{"ready", ready}}, ready ? 200 : 503);
                    }});
  routes.push_back({Method::kGet,
                    "/metrics",
                    "metrics",
                    "Prometheus metrics (text exposition format 0.0.4)",
                    "operations",
                    Access::kPublic,
                    {},
                    nullptr,
                    nullptr,
                    200,
                    "text/plain; version=0.0.4",
                    false,
                    [m = &metrics](const ApiRequest&) {
                      ApiResponse r;
                      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                      r.body = m->Render();
                      return r;
                    }});
  routes.push_back({Method::kGet,
                    kOpenApiPath,
                    "openapi",
                    "This document",
                    "operations",
                    Access::kPublic,
                    {},
                    nullptr,
                    OpenObj(),
                    200,
                    "application/json",
                    false,
                    [r = &router](const ApiRequest&) { return JsonResponse(OpenApiDocument(*r)); }});

  // --- site and cameras ---
  routes.push_back(
      {Method::kGet,
       "/api/v1/site",
       "getSite",
       "The site: name, origin, start time, camera count",
       "site",
       Access::kView,
       {},
       nullptr,
       Obj({{"name", Str()},
            {"origin", Obj({{"lat", {{"type", "number"}}}, {"lon", {{"type", "number"}}}})},
            {"started_us", {{"type", "integer"}}},
            {"cameras", {{"type", "integer"}}},
            {"ready", Bool()}}),
       200,
       "application/json",
       false,
       [b](const ApiRequest&) {
         const SiteInfo s = b->Site();
         json j = {
             {"name", s.name}, {"started_us", s.started_us}, {"cameras", b->Cameras().size()}, {"ready", b->Ready()}};
         if (s.origin_lat && s.origin_lon) j["origin"] = {{"lat", *s.origin_lat}, {"lon", *s.origin_lon}};
         return JsonResponse(j);
       }});
  routes.push_back({Method::kGet,
                    "/api/v1/cameras",
                    "listCameras",
                    "Cameras with their definitions and status",
                    "cameras",
                    Access::kView,
                    {},
                    nullptr,
                    Obj({{"cameras", Arr(CameraSchema())}}),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest&) {
                      json list = json::array();
                      for (const auto& c : b->Cameras()) list.push_back(CameraToJson(c));
                      return JsonResponse({{"cameras", list}});
                    }});
  routes.push_back({Method::kPost,
                    "/api/v1/cameras",
                    "addCamera",
                    "Adds a camera at run time (validated whole; nothing changes on refusal)",
                    "cameras",
                    Access::kAdmin,
                    {},
                    [] {
                      json s = CameraDefinitionSchema();
                      s["required"] = {"name", "uri"};
                      return s;
                    }(),
                    CameraSchema(),
                    201,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      if (auto st = CheckDefinition(r.json); !st.ok()) return ErrorResponse(st);
                      return Reply<CameraInfo>(b->AddCamera(r.json), CameraToJson, 201);
                    }});
  const ParamSpec camera_param = PathName("camera", "camera name");
  routes.push_back(
      {Method::kGet,
       "/api/v1/cameras/{camera}",
       "getCamera",
       "One camera's definition and status",
       "cameras",
       Access::kView,
       {camera_param},
       nullptr,
       CameraSchema(),
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) { return Reply<CameraInfo>(b->Camera(r.path_params.at("camera")), CameraToJson); }});
  routes.push_back({Method::kPut,
                    "/api/v1/cameras/{camera}",
                    "updateCamera",
                    "Replaces a camera's definition (validated whole; nothing changes on refusal)",
                    "cameras",
                    Access::kAdmin,
                    {camera_param},
                    CameraDefinitionSchema(),
                    CameraSchema(),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      const std::string& name = r.path_params.at("camera");
                      if (r.json.contains("name") && r.json["name"] != name) {
                        return ErrorResponse(InvalidField("name", "name: differs from the camera in the path"));
                      }
                      if (auto st = CheckDefinition(r.json); !st.ok()) return ErrorResponse(st);
                      return Reply<CameraInfo>(b->UpdateCamera(name, r.json), CameraToJson);
                    }});
  routes.push_back({Method::kDelete,
                    "/api/v1/cameras/{camera}",
                    "removeCamera",
                    "Stops and removes a camera",
                    "cameras",
                    Access::kAdmin,
                    {camera_param},
                    nullptr,
                    Obj({{"removed", NameSchema()}}),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      const std::string& name = r.path_params.at("camera");
                      if (auto st = b->RemoveCamera(name); !st.ok()) return ErrorResponse(st);
                      return JsonResponse({{"removed", name}});
                    }});
  routes.push_back({Method::kGet,
                    "/api/v1/cameras/{camera}/status",
                    "getCameraStatus",
                    "One camera's live status",
                    "cameras",
                    Access::kView,
                    {camera_param},
                    nullptr,
                    CameraStatusSchema(),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      auto c = b->Camera(r.path_params.at("camera"));
                      if (!c.ok()) return ErrorResponse(c.status());
                      return JsonResponse(CameraStatusToJson(c->status));
                    }});
  routes.push_back({Method::kGet,
                    "/api/v1/cameras/{camera}/snapshot.jpg",
                    "getSnapshot",
                    "The camera's latest analysed frame as JPEG",
                    "cameras",
                    Access::kView,
                    {camera_param},
                    nullptr,
                    nullptr,
                    200,
                    "image/jpeg",
                    false,
                    [b](const ApiRequest& r) {
                      auto jpeg = b->SnapshotJpeg(r.path_params.at("camera"));
                      if (!jpeg.ok()) return ErrorResponse(jpeg.status());
                      ApiResponse resp;
                      resp.content_type = "image/jpeg";
                      resp.body = std::move(*jpeg);
                      resp.headers.emplace_back("Cache-Control", "no-store");
                      return resp;
                    }});

  // --- events ---
  routes.push_back(
      {Method::kGet,
       "/api/v1/events",
       "listEvents",
       "Events, newest first, filtered, in pages (cursor)",
       "events",
       Access::kView,
       {QueryName("camera", "only this camera"), QueryName("type", "only this event type"),
        QueryName("rule", "only this rule"), QueryTime("from_us", false, "from this time, µs since the epoch"),
        QueryTime("to_us", false, "before this time, µs since the epoch"),
        ParamSpec{"acknowledged", In::kQuery, Bool(), false, "only (un)acknowledged events"},
        ParamSpec{"cursor",
                  In::kQuery,
                  {{"type", "string"}, {"format", "cursor"}, {"maxLength", 256}},
                  false,
                  "next_cursor of the previous page"},
        QueryInt("limit", 1, 1000, "page size (default 100)")},
       nullptr,
       Obj({{"events", Arr(EventSchema())}, {"next_cursor", Str()}}),
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) {
         EventFilter f;
         f.camera = Opt(r, "camera");
         f.type = Opt(r, "type");
         f.rule = Opt(r, "rule");
         f.from_us = OptInt(r, "from_us");
         f.to_us = OptInt(r, "to_us");
         if (auto st = CheckRange(f.from_us, f.to_us); !st.ok()) return ErrorResponse(st);
         if (auto a = Opt(r, "acknowledged")) f.acknowledged = *a == "true" || *a == "1";
         f.cursor = Opt(r, "cursor").value_or("");
         f.limit = static_cast<int>(OptInt(r, "limit").value_or(100));
         return Reply<EventPage>(b->Events(f), [](const EventPage& p) {
           json list = json::array();
           for (const auto& e : p.events) list.push_back(StoredEventToJson(e));
           return json{{"events", list}, {"next_cursor", p.next_cursor}};
         });
       }});
  const ParamSpec id_param = PathName("id", "event id (16 hex digits)");
  routes.push_back({Method::kGet,
                    "/api/v1/events/{id}",
                    "getEvent",
                    "One event",
                    "events",
                    Access::kView,
                    {id_param},
                    nullptr,
                    EventSchema(),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      return Reply<StoredEvent>(b->EventById(r.path_params.at("id")), StoredEventToJson);
                    }});
  routes.push_back({Method::kPost,
                    "/api/v1/events/{id}/ack",
                    "acknowledgeEvent",
                    "Acknowledges an event (idempotent: the first acknowledgement is kept)",
                    "events",
                    Access::kOperate,
                    {id_param},
                    Obj({{"by", NameSchema()}}),
                    EventSchema(),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      return Reply<StoredEvent>(
                          b->Acknowledge(r.path_params.at("id"), r.json.value("by", std::string())), StoredEventToJson);
                    }});

  // --- statistics ---
  const std::vector<ParamSpec> stats_params = {
      QueryName("camera", "only this camera"), QueryTime("from_us", true, "µs since the epoch"),
      QueryTime("to_us", true, "µs since the epoch"), QueryInt("bucket_s", 60, 86400, "bucket width, s (3600)")};
  auto stats_query = [](const ApiRequest& r) -> absl::StatusOr<StatsQuery> {
    StatsQuery q;
    q.camera = Opt(r, "camera");
    q.from_us = *OptInt(r, "from_us");
    q.to_us = *OptInt(r, "to_us");
    DIDBAN_RETURN_IF_ERROR(CheckRange(q.from_us, q.to_us));
    q.bucket_s = OptInt(r, "bucket_s").value_or(3600);
    return q;
  };
  routes.push_back({Method::kGet, "/api/v1/stats", "getStats", "Event counts per bucket, camera, type and rule",
                    "statistics", Access::kView, stats_params, nullptr,
                    Obj({{"rows", Arr(Obj({{"bucket_start_us", {{"type", "integer"}}},
                                           {"camera", Str()},
                                           {"type", Str()},
                                           {"rule", Str()},
                                           {"count", {{"type", "integer"}}},
                                           {"mean_value", {{"type", "number"}}}}),
                                      100000)}}),
                    200, "application/json", false, [b, stats_query](const ApiRequest& r) {
                      auto q = stats_query(r);
                      if (!q.ok()) return ErrorResponse(q.status());
                      return Reply<std::vector<StatsRow>>(b->Stats(*q), [](const std::vector<StatsRow>& rows) {
                        json list = json::array();
                        for (const auto& row : rows) list.push_back(StatsRowToJson(row));
                        return json{{"rows", list}};
                      });
                    }});
  routes.push_back({Method::kGet, "/api/v1/stats.csv", "getStatsCsv", "The statistics as CSV", "statistics",
                    Access::kView, stats_params, nullptr, nullptr, 200, "text/csv", false,
                    [b, stats_query](const ApiRequest& r) {
                      auto q = stats_query(r);
                      if (!q.ok()) return ErrorResponse(q.status());
                      auto rows = b->Stats(*q);
                      if (!rows.ok()) return ErrorResponse(rows.status());
                      ApiResponse resp;
                      resp.content_type = "text/csv; charset=utf-8";
                      resp.body = StatsCsv(*rows);
                      return resp;
                    }});

  // --- tracks, segments, clips ---
  const std::vector<ParamSpec> range = {QueryTime("from_us", true, "µs since the epoch"),
                                        QueryTime("to_us", true, "µs since the epoch"),
                                        QueryInt("limit", 1, 100000, "points (10000)")};
  const json points_schema = Obj({{"points", Arr(Obj({{"time_us", {{"type", "integer"}}},
                                                      {"camera", Str()},
                                                      {"track_id", {{"type", "integer"}}},
                                                      {"class", Str()},
                                                      {"box", Arr({{"type", "number"}}, 4)},
                                                      {"ground", Arr({{"type", "number"}}, 2)}}),
                                                 100000)}});
  auto tracks = [b](const ApiRequest& r, std::optional<std::string> camera) {
    TrackQuery q;
    q.camera = std::move(camera);
    q.from_us = *OptInt(r, "from_us");
    q.to_us = *OptInt(r, "to_us");
    if (auto st = CheckRange(q.from_us, q.to_us); !st.ok()) return ErrorResponse(st);
    q.limit = static_cast<int>(OptInt(r, "limit").value_or(10000));
    return Reply<std::vector<TrackPoint>>(b->Tracks(q), [](const std::vector<TrackPoint>& pts) {
      json list = json::array();
      for (const auto& p : pts) list.push_back(TrackPointToJson(p));
      return json{{"points", list}};
    });
  };
  std::vector<ParamSpec> camera_range = range;
  camera_range.insert(camera_range.begin(), camera_param);
  routes.push_back({Method::kGet, "/api/v1/cameras/{camera}/tracks", "getCameraTracks",
                    "A camera's track points (pixels and ground) in a time range", "tracks", Access::kView,
                    camera_range, nullptr, points_schema, 200, "application/json", false,
                    [tracks](const ApiRequest& r) { return tracks(r, r.path_params.at("camera")); }});
  routes.push_back({Method::kGet, "/api/v1/tracks", "getGlobalTracks",
                    "Fused (global) track points on the ground in a time range", "tracks", Access::kView, range,
                    nullptr, points_schema, 200, "application/json", false,
                    [tracks](const ApiRequest& r) { return tracks(r, std::nullopt); }});
  routes.push_back(
      {Method::kGet,
       "/api/v1/cameras/{camera}/segments",
       "listSegments",
       "Recorded segments overlapping a time range",
       "recordings",
       Access::kView,
       {camera_param, QueryTime("from_us", true, "µs since the epoch"), QueryTime("to_us", true, "µs since the epoch")},
       nullptr,
       Obj({{"segments", Arr(Obj({{"camera", NameSchema()},
                                  {"name", NameSchema()},
                                  {"start_us", {{"type", "integer"}}},
                                  {"end_us", {{"type", "integer"}}},
                                  {"bytes", {{"type", "integer"}}}}),
                             100000)}}),
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) {
         const int64_t from = *OptInt(r, "from_us");
         const int64_t to = *OptInt(r, "to_us");
         if (auto st = CheckRange(from, to); !st.ok()) return ErrorResponse(st);
         return Reply<std::vector<SegmentInfo>>(b->Segments(r.path_params.at("camera"), from, to),
                                                [](const std::vector<SegmentInfo>& v) {
                                                  json list = json::array();
                                                  for (const auto& s : v) list.push_back(SegmentToJson(s));
                                                  return json{{"segments", list}};
                                                });
       }});
  const json clip_schema = Obj({{"id", NameSchema()},
                                {"camera", NameSchema()},
                                {"from_us", {{"type", "integer"}}},
                                {"to_us", {{"type", "integer"}}},
                                {"state", {{"type", "string"}, {"enum", {"pending", "ready", "failed"}}}},
                                {"bytes", {{"type", "integer"}}}});
  routes.push_back({Method::kPost,
                    "/api/v1/clips",
                    "exportClip",
                    "Exports a clip of a camera's recording (stream copy; blurred when asked)",
                    "recordings",
                    Access::kOperate,
                    {},
                    Obj({{"camera", NameSchema()},
                         {"from_us", Int(0, kTimeMax)},
                         {"to_us", Int(0, kTimeMax)},
                         {"blur_people", Bool()}},
                        {"camera", "from_us", "to_us"}),
                    clip_schema,
                    202,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      ClipRequest c;
                      c.camera = r.json["camera"].get<std::string>();
                      c.from_us = r.json["from_us"].get<int64_t>();
                      c.to_us = r.json["to_us"].get<int64_t>();
                      c.blur_people = r.json.value("blur_people", false);
                      if (auto st = CheckRange(c.from_us, c.to_us); !st.ok()) return ErrorResponse(st);
                      return Reply<ClipInfo>(b->ExportClip(c), ClipToJson, 202);
                    }});
  routes.push_back(
      {Method::kGet,
       "/api/v1/clips/{clip}",
       "getClip",
       "An exported clip's state",
       "recordings",
       Access::kView,
       {PathName("clip", "clip id")},
       nullptr,
       clip_schema,
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) { return Reply<ClipInfo>(b->Clip(r.path_params.at("clip")), ClipToJson); }});

  // --- live ---
  routes.push_back({Method::kGet,
                    kLivePath,
                    "live",
                    "WebSocket of live hub messages {topic, seq, camera, data}: events, camera tracks (pixels and "
                    "ground), camera states, fused ground tracks. A client that does not keep up is disconnected.",
                    "live",
                    Access::kView,
                    {ParamSpec{"topics",
                               In::kQuery,
                               {{"type", "string"}, {"maxLength", 64}},
                               false,
                               "comma-separated subset of event,tracks,camera_state,fused_tracks (default all)"},
                     QueryName("camera", "only this camera")},
                    nullptr,
                    nullptr,
                    101,
                    "application/json",
                    true,
                    nullptr});

  for (auto& r : routes) DIDBAN_RETURN_IF_ERROR(router.Add(std::move(r)));
  return absl::OkStatus();
}

}  // namespace didban::server
