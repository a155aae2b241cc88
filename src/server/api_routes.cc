#include "server/api_routes.h"

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "audit/audit_log.h"
#include "core/json_io.h"
#include "geo/local_frame.h"
#include "record/evidence_package.h"
#include "record/privacy_mask.h"
#include "record/segment_recorder.h"
#include "rules/interval_stats.h"
#include "server/access_policy.h"
#include "server/api_error.h"
#include "server/audit_routes.h"
#include "server/fusion_routes.h"
#include "server/live_video.h"
#include "server/station_routes.h"
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
constexpr size_t kHotspotEvents = 100000;  // events gathered into one hotspot reply at most (the rest: truncated)

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

// The store, or Unavailable (503) while none is open.
absl::StatusOr<store::Store*> StoreOf(SiteBackend* b) {
  store::Store* st = b->EventStore();
  if (!st) return absl::UnavailableError("store: not open");
  return st;
}

// A store refusal about a request value names `field` when it does not name one itself.
absl::Status Named(absl::Status st, const std::string& field) {
  if (st.ok() || !StatusField(st).empty() || st.code() != absl::StatusCode::kInvalidArgument) return st;
  return InvalidField(field, absl::StrCat(field, ": ", std::string(st.message())));
}

// A store NotFound names `field`.
absl::Status NamedNotFound(absl::Status st, const std::string& field) {
  if (st.code() != absl::StatusCode::kNotFound || !StatusField(st).empty()) return st;
  return FieldError(absl::StatusCode::kNotFound, field, absl::StrCat(field, ": ", std::string(st.message())));
}

// Narrows a store query's camera list to the caller's visible cameras; false when nothing is left to show.
bool Restrict(const ApiRequest& r, std::vector<std::string>* cameras) {
  if (!r.visible_cameras) return true;
  if (cameras->empty()) {
    cameras->assign(r.visible_cameras->begin(), r.visible_cameras->end());
  } else {
    std::erase_if(*cameras, [&](const std::string& c) { return !r.CameraVisible(c); });
  }
  return !cameras->empty();
}

// What the store answers for an event or clip that does not exist: a hidden one answers the same.
absl::Status HiddenEvent(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("store: no event \"", id, "\""));
}
absl::Status HiddenClip(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("store: no clip \"", id, "\""));
}

// ---- playback of recorded video with the camera's privacy masks ----

// Whether the caller asked for `unmask` (query "1" or "true") and whether they may have it: admins, or everyone when
// access control is off (no principal).
bool AskedUnmask(const ApiRequest& r) {
  auto v = Opt(r, "unmask");
  return v && (*v == "1" || *v == "true");
}
bool MayUnmask(const ApiRequest& r) { return !r.principal || r.principal->role == auth::Role::kAdmin; }

// The camera's privacy masks from its definition (`privacy_masks`): empty for a camera without any, nullopt for one
// that no longer exists (its masks are unknown).
absl::StatusOr<std::optional<record::PrivacyMask>> CameraMask(SiteBackend* b, const std::string& camera) {
  absl::StatusOr<CameraInfo> info = b->Camera(camera);
  if (!info.ok()) return std::optional<record::PrivacyMask>();
  const json masks = info->definition.is_object() ? info->definition.value("privacy_masks", json()) : json();
  absl::StatusOr<record::PrivacyMask> mask =
      record::ParsePrivacyMask(masks, absl::StrCat("camera ", camera, ": privacy_masks"));
  if (!mask.ok()) return absl::InternalError(std::string(mask.status().message()));
  return std::optional<record::PrivacyMask>(*std::move(mask));
}

// What an exported clip's evidence manifest (beside its video) says of its pixels: masked when it was made
// (processing.masked), or exported unmasked from a camera with masks (processing.unmasked_by_permission). No
// manifest, or one that cannot be read: neither.
struct ClipProcessing {
  bool masked = false;
  bool unmasked_by_permission = false;
};
ClipProcessing ClipProcessingOf(const std::string& video_path) {
  ClipProcessing out;
  const std::filesystem::path manifest = std::filesystem::path(video_path).parent_path() / record::kManifestFile;
  std::ifstream in(manifest);
  if (!in) return out;
  const json m = json::parse(in, nullptr, false);
  if (!m.is_object() || !m.contains("processing") || !m["processing"].is_object()) return out;
  const json& p = m["processing"];
  out.masked = p.value("masked", false) == true;
  out.unmasked_by_permission = p.value("unmasked_by_permission", false) == true;
  return out;
}

struct ClipVideo {
  std::string path;       // the file to send
  bool masked = false;    // its pixels are masked (or the camera has no masks)
  bool unmasked = false;  // a masked camera's video goes out without its masks (audited)
};

// Which file of a clip a caller gets: the file as exported when the camera has no masks or the file is masked, or
// the caller asked for `unmask` and may have it; otherwise the masked re-encode, made once per clip and mask and kept
// in <clips>/.masked/ (outside the signed package, whose folder must hold only its files). Asking for `unmask`
// without the right is refused (403, field unmask). A clip exported unmasked from a camera that has since been
// removed (its masks unknown) plays only with `unmask`.
absl::StatusOr<ClipVideo> ClipVideoFor(SiteBackend* b, const ApiRequest& r, const store::Clip& clip) {
  const bool asked = AskedUnmask(r);
  if (asked && !MayUnmask(r)) {
    return FieldError(absl::StatusCode::kPermissionDenied, "unmask",
                      "unmask: playing a clip without the camera's privacy masks needs the admin role");
  }
  DIDBAN_ASSIGN_OR_RETURN(std::optional<record::PrivacyMask> mask, CameraMask(b, clip.camera));
  const ClipProcessing processing = ClipProcessingOf(clip.path);
  ClipVideo out;
  out.path = clip.path;
  if (processing.masked || (mask && mask->empty()) || (!mask && !processing.unmasked_by_permission)) {
    out.masked = true;
    return out;
  }
  if (asked) {
    out.unmasked = true;
    return out;
  }
  if (!mask) {
    return FieldError(absl::StatusCode::kPermissionDenied, "unmask",
                      absl::StrCat("clip '", clip.id, "' was exported unmasked and its camera '", clip.camera,
                                   "' (with its privacy masks) is gone: it plays only with unmask (admins)"));
  }
  const std::filesystem::path cache = std::filesystem::path(clip.path).parent_path().parent_path() / ".masked";
  absl::StatusOr<std::string> copy = record::CachedMaskedCopy(clip.path, clip.start_us, *mask, cache.string(), clip.id);
  if (!copy.ok()) {
    return absl::InternalError(absl::StrCat("clip '", clip.id, "': masked copy: ", copy.status().message()));
  }
  out.path = *copy;
  out.masked = true;
  return out;
}

void RecordUnmaskedPlayback(SiteBackend* b, const ApiRequest& r, const store::Clip& clip) {
  audit::AuditLog* log = b->Audit();
  if (log == nullptr) return;
  audit::AuditEntry e;
  e.actor = r.principal ? r.principal->Actor() : "local";
  e.action = "playback_unmasked";
  e.target = absl::StrCat("clip:", clip.id);
  e.source = r.remote;
  e.detail = {
      {"camera", clip.camera}, {"from_us", clip.start_us}, {"to_us", clip.end_us}, {"request_id", r.request_id}};
  log->Record(std::move(e));
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
              {"owner", NameSchema()},
              {"record", Bool()},
              {"recording", OpenObj()},
              {"privacy_masks", Arr(Arr(Arr({{"type", "number"}}, 2), 1000), 64)},
              {"masked_recording", Bool()}},
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

json StoredEventToJson(const store::StoredEvent& e) {
  json j = EventToJson(e.event);
  j["id"] = e.id;
  j["acknowledged"] = e.acknowledged();
  if (e.acknowledged()) {
    j["acknowledged_us"] = e.acked_at_us;
    j["acknowledged_by"] = e.acked_by;
  }
  return j;
}

json TrackPointToJson(const store::TrackPoint& p) {
  json j = {{"time_us", p.time_us}, {"track_id", p.track_id}, {"class", std::string(ObjectClassName(p.object_class))}};
  if (!p.camera.empty()) {
    j["camera"] = p.camera;
    j["box"] = {p.box.x, p.box.y, p.box.w, p.box.h};
  }
  if (p.global_id != 0) j["global_id"] = p.global_id;
  if (p.ground) j["ground"] = {p.ground->x, p.ground->y};
  if (p.speed_kmh != 0) j["speed_kmh"] = p.speed_kmh;
  if (p.last) j["last"] = true;
  return j;
}

json StatRowToJson(const store::StatRow& r) {
  return {{"start_us", r.start_us}, {"end_us", r.end_us},      {"camera", r.camera},       {"rule", r.rule},
          {"metric", r.metric},     {"class", r.object_class}, {"direction", r.direction}, {"value", r.value}};
}

json SegmentToJson(const store::Segment& s) {
  const size_t slash = s.path.find_last_of('/');
  return {{"camera", s.camera},
          {"name", slash == std::string::npos ? s.path : s.path.substr(slash + 1)},
          {"start_us", s.start_us},
          {"end_us", s.end_us},
          {"bytes", s.bytes},
          {"keyframes", s.keyframes},
          {"open", s.open},
          {"evidence", s.evidence},
          {"masked", record::IsMaskedSegment(s.path, s.camera)}};
}

json ClipToJson(const store::Clip& c) {
  json j = {{"id", c.id},
            {"camera", c.camera},
            {"from_us", c.start_us},
            {"to_us", c.end_us},
            {"state", std::string(store::ClipStateName(c.state))},
            {"bytes", c.bytes},
            {"evidence", c.evidence},
            {"created_us", c.created_us}};
  if (!c.event_id.empty()) j["event_id"] = c.event_id;
  if (!c.detail.empty()) j["detail"] = c.detail;
  return j;
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
  auto& lag = m.AddGauge("didban_store_lag_seconds", "Age of the oldest write not yet committed to the store");
  auto& store_depth = m.AddGauge("didban_store_queue_depth", "Writes waiting for the store writer");
  auto& store_written = m.AddCounter("didban_store_writes_total", "Writes committed to the store");
  auto& store_dropped = m.AddCounter("didban_store_writes_dropped_total", "Writes dropped (queue full, failing batch)");
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
    if (store::Store* st = backend.EventStore()) {
      const store::StoreStats ss = st->Stats();
      lag.WithLabels({}).Set(UsToSeconds(ss.lag_us));
      store_depth.WithLabels({}).Set(static_cast<double>(ss.queue_depth));
      store_written.WithLabels({}).SetTotal(static_cast<double>(ss.written_total));
      store_dropped.WithLabels({}).SetTotal(static_cast<double>(ss.dropped_total));
    }
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
                    "Prometheus metrics (text exposition format 0.0.4); with access control, an admin or a metrics "
                    "token",
                    "operations",
                    Access::kAdmin,
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
       [b](const ApiRequest& r) {
         const SiteInfo s = b->Site();
         size_t cameras = 0;
         for (const auto& c : b->Cameras()) cameras += r.CameraVisible(c.name) ? 1 : 0;
         json j = {{"name", s.name}, {"started_us", s.started_us}, {"cameras", cameras}, {"ready", b->Ready()}};
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
                    [b](const ApiRequest& r) {
                      json list = json::array();
                      for (const auto& c : b->Cameras()) {
                        if (r.CameraVisible(c.name)) list.push_back(CameraToJson(c));
                      }
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
  // Live video (server/live_video.h). The MP4 WebSocket is upgraded by the server; the MJPEG handler only checks the
  // camera and the site's video, and the server then streams the multipart body itself (http_server.cc).
  routes.push_back(
      {Method::kGet,
       kLiveMp4Path,
       "liveVideoMp4",
       "WebSocket of the camera's live video by stream copy, for Media Source Extensions: a text message "
       "{type: init, mime, width, height, origin_us}, then binary messages: the fMP4 init segment and "
       "fragments from the latest keyframe. Media time t s is origin_us + t*1e6 on the pts_us time base "
       "of the live tracks messages. A viewer that does not keep up skips to the next keyframe, and is "
       "disconnected after skipping too often. A camera with privacy masks is a masked re-encode (one "
       "per camera, init message masked: true) unless `unmask` is asked and allowed (admins; audited).",
       "live",
       Access::kView,
       {camera_param, ParamSpec{"unmask", In::kQuery, Bool(), false,
                                "watch the stream copy, without the camera's privacy masks (admins; audited)"}},
       nullptr,
       nullptr,
       101,
       "application/json",
       true,
       nullptr});
  routes.push_back({Method::kGet,
                    kLiveMjpegPath,
                    "liveVideoMjpeg",
                    "The camera's live analysed frames as MJPEG (multipart/x-mixed-replace of JPEG parts, each with "
                    "X-Timestamp-Us), encoded once per camera at a capped rate while anyone watches",
                    "live",
                    Access::kView,
                    {camera_param},
                    nullptr,
                    nullptr,
                    200,
                    absl::StrCat("multipart/x-mixed-replace; boundary=", LiveVideo::kBoundary),
                    false,
                    [b](const ApiRequest& r) {
                      auto c = b->Camera(r.path_params.at("camera"));
                      if (!c.ok()) return ErrorResponse(c.status());
                      if (b->Video() == nullptr || !b->Video()->HasMjpeg()) {
                        return ErrorResponse(absl::UnimplementedError("live MJPEG: not available on this site"));
                      }
                      ApiResponse resp;  // 200: the server streams the parts (http_server.cc)
                      resp.content_type = absl::StrCat("multipart/x-mixed-replace; boundary=", LiveVideo::kBoundary);
                      resp.headers.emplace_back("Cache-Control", "no-store");
                      return resp;
                    }});

  // --- events (the store) ---
  routes.push_back({Method::kGet,
                    "/api/v1/events",
                    "listEvents",
                    "Events, newest first, filtered, in pages (keyset cursor)",
                    "events",
                    Access::kView,
                    {QueryName("camera", "only this camera"), QueryName("type", "only this event type"),
                     QueryName("rule", "only this rule"), QueryName("class", "only this object class"),
                     QueryTime("from_us", false, "from this time (inclusive), µs"),
                     QueryTime("to_us", false, "before this time, µs"),
                     ParamSpec{"acknowledged", In::kQuery, Bool(), false, "only (un)acknowledged events"},
                     ParamSpec{"oldest_first", In::kQuery, Bool(), false, "oldest first instead of newest first"},
                     ParamSpec{"cursor",
                               In::kQuery,
                               {{"type", "string"}, {"format", "cursor"}, {"maxLength", 256}},
                               false,
                               "next_cursor of the previous page (same filters)"},
                     QueryInt("limit", 1, 1000, "page size (default 100)")},
                    nullptr,
                    Obj({{"events", Arr(EventSchema())}, {"next_cursor", Str()}}),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      auto st = StoreOf(b);
                      if (!st.ok()) return ErrorResponse(st.status());
                      store::EventQuery q;
                      if (auto v = Opt(r, "camera")) q.cameras = {*v};
                      if (!Restrict(r, &q.cameras))
                        return JsonResponse({{"events", json::array()}, {"next_cursor", ""}});
                      if (auto v = Opt(r, "type")) q.types = {*v};
                      if (auto v = Opt(r, "rule")) q.rules = {*v};
                      if (auto v = Opt(r, "class")) {
                        const ObjectClass c = ObjectClassFromName(*v);
                        if (c == ObjectClass::kOther && *v != ObjectClassName(ObjectClass::kOther)) {
                          return ErrorResponse(InvalidField("class", "class: unknown object class"));
                        }
                        q.classes = {c};
                      }
                      q.from_us = OptInt(r, "from_us");
                      q.to_us = OptInt(r, "to_us");
                      if (auto s = CheckRange(q.from_us, q.to_us); !s.ok()) return ErrorResponse(s);
                      if (auto a = Opt(r, "acknowledged")) q.acknowledged = *a == "true" || *a == "1";
                      if (auto a = Opt(r, "oldest_first")) q.oldest_first = *a == "true" || *a == "1";
                      q.cursor = Opt(r, "cursor").value_or("");
                      q.limit = static_cast<int>(OptInt(r, "limit").value_or(100));
                      auto page = (*st)->QueryEvents(q);
                      if (!page.ok()) return ErrorResponse(Named(page.status(), "cursor"));
                      json list = json::array();
                      for (const auto& e : page->events) list.push_back(StoredEventToJson(e));
                      return JsonResponse({{"events", list}, {"next_cursor", page->next_cursor}});
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
                      auto st = StoreOf(b);
                      if (!st.ok()) return ErrorResponse(st.status());
                      auto e = (*st)->GetEvent(r.path_params.at("id"));
                      if (e.ok() && !r.CameraVisible(e->event.camera)) e = HiddenEvent(r.path_params.at("id"));
                      if (!e.ok()) return ErrorResponse(NamedNotFound(e.status(), "id"));
                      return JsonResponse(StoredEventToJson(*e));
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
                      auto st = StoreOf(b);
                      if (!st.ok()) return ErrorResponse(st.status());
                      if (!r.visible_cameras) {
                      } else if (auto seen = (*st)->GetEvent(r.path_params.at("id"));
                                 seen.ok() && !r.CameraVisible(seen->event.camera)) {
                        return ErrorResponse(NamedNotFound(HiddenEvent(r.path_params.at("id")), "id"));
                      }
                      // With access control the acknowledgement is the caller's, whatever `by` says.
                      const std::string by = r.principal ? r.principal->name : r.json.value("by", std::string());
                      auto e = (*st)->Acknowledge(r.path_params.at("id"), by);
                      if (!e.ok()) return ErrorResponse(NamedNotFound(e.status(), "id"));
                      return JsonResponse(StoredEventToJson(*e));
                    }});

  // --- statistics (the rules' interval statistics, from the store) ---
  const std::vector<ParamSpec> stats_params = {QueryName("camera", "only this camera"),
                                               QueryName("rule", "only this rule"),
                                               QueryName("metric", "only this metric (count, speed_mean_kmh, ...)"),
                                               QueryTime("from_us", true, "intervals starting at or after, µs"),
                                               QueryTime("to_us", true, "intervals starting before, µs"),
                                               QueryInt("limit", 1, 1000000, "rows (100000)")};
  auto stats = [b](const ApiRequest& r) -> absl::StatusOr<std::vector<store::StatRow>> {
    DIDBAN_ASSIGN_OR_RETURN(store::Store * st, StoreOf(b));
    store::StatsQuery q;
    if (auto v = Opt(r, "camera")) q.cameras = {*v};
    if (!Restrict(r, &q.cameras)) return std::vector<store::StatRow>{};
    if (auto v = Opt(r, "rule")) q.rules = {*v};
    if (auto v = Opt(r, "metric")) q.metrics = {*v};
    q.from_us = OptInt(r, "from_us");
    q.to_us = OptInt(r, "to_us");
    DIDBAN_RETURN_IF_ERROR(CheckRange(q.from_us, q.to_us));
    q.limit = static_cast<int>(OptInt(r, "limit").value_or(100000));
    return st->QueryStats(q);
  };
  routes.push_back({Method::kGet, "/api/v1/stats", "getStats",
                    "Interval statistics (counts, speeds, occupancy) per camera, rule, metric, class and direction",
                    "statistics", Access::kView, stats_params, nullptr,
                    Obj({{"rows", Arr(Obj({{"start_us", {{"type", "integer"}}},
                                           {"end_us", {{"type", "integer"}}},
                                           {"camera", Str()},
                                           {"rule", Str()},
                                           {"metric", Str()},
                                           {"class", Str()},
                                           {"direction", Str()},
                                           {"value", {{"type", "number"}}}}),
                                      1000000)}}),
                    200, "application/json", false, [stats](const ApiRequest& r) {
                      auto rows = stats(r);
                      if (!rows.ok()) return ErrorResponse(rows.status());
                      json list = json::array();
                      for (const auto& row : *rows) list.push_back(StatRowToJson(row));
                      return JsonResponse({{"rows", list}});
                    }});
  routes.push_back({Method::kGet, "/api/v1/stats.csv", "getStatsCsv",
                    "The statistics as CSV (interval_start_s,interval_end_s,camera,rule,metric,class,direction,value)",
                    "statistics", Access::kView, stats_params, nullptr, nullptr, 200, "text/csv", false,
                    [stats](const ApiRequest& r) {
                      auto rows = stats(r);
                      if (!rows.ok()) return ErrorResponse(rows.status());
                      ApiResponse resp;
                      resp.content_type = "text/csv; charset=utf-8";
                      resp.body = store::StatRowsToCsv(*rows);
                      return resp;
                    }});

  // --- hotspots: incidents and near-misses of the store gathered on the site's ground plane ---
  // The same cells as `didban analyze`'s hotspots.geojson (rules::IntervalStats::HotspotsGeoJson), from the events
  // of the caller's cameras that have a ground position (calibrated cameras).
  routes.push_back(
      {Method::kGet,
       "/api/v1/hotspots",
       "getHotspots",
       "Hotspots: the near-miss, stopped-vehicle and wrong-way events with a ground position in a time range, "
       "gathered in grid cells of the site's ground plane, as a GeoJSON FeatureCollection of Points (the cell's "
       "mean position) with properties {count, near_miss, stopped, wrong_way}; in local metres [east, north] "
       "(properties.crs local-metres), or with frame=wgs84 [lon, lat] (sites with an origin)",
       "statistics",
       Access::kView,
       {QueryName("camera", "only this camera"), QueryTime("from_us", true, "events at or after, µs"),
        QueryTime("to_us", true, "events before, µs"),
        ParamSpec{"cell_m", In::kQuery, Int(1, 1000), false, "grid cell, metres (10)"},
        ParamSpec{"frame",
                  In::kQuery,
                  {{"type", "string"}, {"enum", {"local", "wgs84"}}},
                  false,
                  "coordinates: local metres (default) or wgs84 longitude/latitude"}},
       nullptr,
       Obj({{"type", Str()},
            {"features", Arr(OpenObj(), kHotspotEvents)},
            {"events", {{"type", "integer"}}},
            {"truncated", Bool()},
            {"cell_m", {{"type", "number"}}}}),
       200,
       "application/geo+json",
       false,
       [b](const ApiRequest& r) {
         auto st = StoreOf(b);
         if (!st.ok()) return ErrorResponse(st.status());
         const bool wgs84 = Opt(r, "frame").value_or("local") == "wgs84";
         const SiteInfo site = b->Site();
         if (wgs84 && !(site.origin_lat && site.origin_lon)) {
           return ErrorResponse(InvalidField("frame", "frame: wgs84 needs a site with an origin (site.origin)"));
         }
         rules::IntervalStatsOptions so;
         so.hotspot_cell_m = static_cast<double>(OptInt(r, "cell_m").value_or(10));
         so.max_hotspot_events = kHotspotEvents;
         rules::IntervalStats gathered(so);
         store::EventQuery q;
         if (auto v = Opt(r, "camera")) q.cameras = {*v};
         const bool visible = Restrict(r, &q.cameras);
         q.types = {"near_miss", "stopped", "wrong_way"};
         q.from_us = OptInt(r, "from_us");
         q.to_us = OptInt(r, "to_us");
         if (auto s = CheckRange(q.from_us, q.to_us); !s.ok()) return ErrorResponse(s);
         q.oldest_first = true;
         q.limit = 1000;
         int64_t events = 0, scanned = 0;
         bool truncated = false;
         while (visible) {
           auto page = (*st)->QueryEvents(q);
           if (!page.ok()) return ErrorResponse(page.status());
           scanned += static_cast<int64_t>(page->events.size());
           for (const auto& e : page->events) {
             if (!e.event.ground) continue;
             if (events == static_cast<int64_t>(kHotspotEvents)) {
               truncated = true;
               break;
             }
             gathered.AddEvent(e.event);
             ++events;
           }
           if (!truncated && !page->next_cursor.empty() && scanned >= 10 * static_cast<int64_t>(kHotspotEvents)) {
             truncated = true;  // events without a ground position (uncalibrated cameras) scanned long enough
           }
           if (truncated || page->next_cursor.empty()) break;
           q.cursor = page->next_cursor;
         }
         std::optional<geo::LocalFrame> frame;
         if (wgs84) frame.emplace(*site.origin_lat, *site.origin_lon, 0.0);
         json fc = gathered.HotspotsGeoJson(frame ? &*frame : nullptr);
         fc["events"] = events;
         fc["truncated"] = truncated;
         fc["cell_m"] = so.hotspot_cell_m;
         ApiResponse resp = JsonResponse(fc);
         resp.content_type = "application/geo+json";
         return resp;
       }});

  // --- tracks, segments, clips ---
  const json points_schema = Obj({{"points", Arr(Obj({{"time_us", {{"type", "integer"}}},
                                                      {"camera", Str()},
                                                      {"track_id", {{"type", "integer"}}},
                                                      {"global_id", {{"type", "integer"}}},
                                                      {"class", Str()},
                                                      {"box", Arr({{"type", "number"}}, 4)},
                                                      {"ground", Arr({{"type", "number"}}, 2)},
                                                      {"speed_kmh", {{"type", "number"}}},
                                                      {"last", Bool()}}),
                                                 1000000)}});
  auto tracks = [b](const ApiRequest& r, std::optional<std::string> camera) {
    auto st = StoreOf(b);
    if (!st.ok()) return ErrorResponse(st.status());
    store::TrackQuery q;
    if (camera) {
      q.cameras = {*camera};
    } else {
      // Fused tracks mix cameras: only for callers who see every camera.
      if (r.visible_cameras) return JsonResponse({{"points", json::array()}});
      q.global_only = true;
    }
    q.track_id = OptInt(r, "track_id");
    q.from_us = OptInt(r, "from_us");
    q.to_us = OptInt(r, "to_us");
    if (auto s = CheckRange(q.from_us, q.to_us); !s.ok()) return ErrorResponse(s);
    q.limit = static_cast<int>(OptInt(r, "limit").value_or(100000));
    auto points = (*st)->QueryTracks(q);
    if (!points.ok()) return ErrorResponse(points.status());
    json list = json::array();
    for (const auto& p : *points) list.push_back(TrackPointToJson(p));
    return JsonResponse({{"points", list}});
  };
  const std::vector<ParamSpec> range = {QueryTime("from_us", true, "from this time (inclusive), µs"),
                                        QueryTime("to_us", true, "before this time, µs"),
                                        QueryInt("track_id", 1, kTimeMax, "only this track (or global) ID"),
                                        QueryInt("limit", 1, 1000000, "points (100000)")};
  std::vector<ParamSpec> camera_range = range;
  camera_range.insert(camera_range.begin(), camera_param);
  routes.push_back({Method::kGet, "/api/v1/cameras/{camera}/tracks", "getCameraTracks",
                    "A camera's track points (pixels, and ground when calibrated) in a time range", "tracks",
                    Access::kView, camera_range, nullptr, points_schema, 200, "application/json", false,
                    [tracks](const ApiRequest& r) { return tracks(r, r.path_params.at("camera")); }});
  routes.push_back({Method::kGet, "/api/v1/tracks", "getGlobalTracks",
                    "Fused (global) track points on the ground in a time range", "tracks", Access::kView, range,
                    nullptr, points_schema, 200, "application/json", false,
                    [tracks](const ApiRequest& r) { return tracks(r, std::nullopt); }});
  routes.push_back({Method::kGet,
                    "/api/v1/cameras/{camera}/segments",
                    "listSegments",
                    "Recorded segments overlapping a time range (`masked`: recorded re-encoded with the camera's "
                    "privacy masks, masked_recording)",
                    "recordings",
                    Access::kView,
                    {camera_param, QueryTime("from_us", true, "µs"), QueryTime("to_us", true, "µs")},
                    nullptr,
                    Obj({{"segments", Arr(Obj({{"camera", NameSchema()},
                                               {"name", Str()},
                                               {"start_us", {{"type", "integer"}}},
                                               {"end_us", {{"type", "integer"}}},
                                               {"bytes", {{"type", "integer"}}},
                                               {"keyframes", {{"type", "integer"}}},
                                               {"open", Bool()},
                                               {"evidence", Bool()},
                                               {"masked", Bool()}}),
                                          100000)}}),
                    200,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      auto st = StoreOf(b);
                      if (!st.ok()) return ErrorResponse(st.status());
                      store::SegmentQuery q;
                      q.cameras = {r.path_params.at("camera")};
                      q.from_us = OptInt(r, "from_us");
                      q.to_us = OptInt(r, "to_us");
                      if (auto s = CheckRange(q.from_us, q.to_us); !s.ok()) return ErrorResponse(s);
                      auto segments = (*st)->QuerySegments(q);
                      if (!segments.ok()) return ErrorResponse(segments.status());
                      json list = json::array();
                      for (const auto& s : *segments) list.push_back(SegmentToJson(s));
                      return JsonResponse({{"segments", list}});
                    }});
  const json clip_schema = Obj({{"id", Str()},
                                {"event_id", Str()},
                                {"camera", NameSchema()},
                                {"from_us", {{"type", "integer"}}},
                                {"to_us", {{"type", "integer"}}},
                                {"state", {{"type", "string"}, {"enum", {"pending", "ready", "failed"}}}},
                                {"bytes", {{"type", "integer"}}},
                                {"evidence", Bool()},
                                {"created_us", {{"type", "integer"}}},
                                {"detail", Str(4096)}});
  routes.push_back({Method::kPost,
                    "/api/v1/clips",
                    "exportClip",
                    "Exports a clip of a camera's recording as a signed evidence package (stream copy; re-encoded "
                    "with the camera's privacy masks unless `unmask` is allowed, and with tracked objects of "
                    "`blur_classes` blurred)",
                    "recordings",
                    Access::kOperate,
                    {},
                    Obj({{"camera", NameSchema()},
                         {"from_us", Int(0, kTimeMax)},
                         {"to_us", Int(0, kTimeMax)},
                         {"blur_people", Bool()},
                         {"blur_classes", Arr(NameSchema(), 16)},
                         {"evidence", Bool()},
                         {"reason", Str(1024)},
                         {"unmask", Bool()}},
                        {"camera", "from_us", "to_us"}),
                    clip_schema,
                    202,
                    "application/json",
                    false,
                    [b](const ApiRequest& r) {
                      ClipRequest c;
                      c.camera = r.json["camera"].get<std::string>();
                      if (!r.CameraVisible(c.camera)) return ErrorResponse(NoSuchCamera(c.camera));
                      c.from_us = r.json["from_us"].get<int64_t>();
                      c.to_us = r.json["to_us"].get<int64_t>();
                      c.blur_people = r.json.value("blur_people", false);
                      // Evidence packages (record/evidence_package.h): who, why, blurred classes, masks.
                      if (r.json.contains("blur_classes")) c.blur_classes = r.json["blur_classes"];
                      c.evidence = r.json.value("evidence", false);
                      c.reason = r.json.value("reason", std::string());
                      c.unmask =
                          r.json.value("unmask", false) && (!r.principal || r.principal->role == auth::Role::kAdmin);
                      if (r.principal) c.actor = r.principal->Actor();
                      c.source = r.remote;
                      if (auto st = CheckRange(c.from_us, c.to_us); !st.ok()) return ErrorResponse(st);
                      auto clip = b->ExportClip(c);
                      if (!clip.ok()) return ErrorResponse(clip.status());
                      return JsonResponse(ClipToJson(*clip), 202);
                    }});
  routes.push_back({Method::kGet,
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
                    [b](const ApiRequest& r) {
                      auto st = StoreOf(b);
                      if (!st.ok()) return ErrorResponse(st.status());
                      auto clip = (*st)->GetClip(r.path_params.at("clip"));
                      if (clip.ok() && !r.CameraVisible(clip->camera)) clip = HiddenClip(r.path_params.at("clip"));
                      if (!clip.ok()) return ErrorResponse(NamedNotFound(clip.status(), "clip"));
                      return JsonResponse(ClipToJson(*clip));
                    }});
  // The clip's MP4 for the web UI's player (whole file: clips are short). For a camera with privacy masks, a clip
  // whose file is not masked (exported with `unmask`, or before the camera had masks) is played as a masked re-encode
  // (ClipVideoFor); `?unmask=1` plays the file as exported, for admins (or anyone without access control), audited
  // as playback_unmasked.
  routes.push_back(
      {Method::kGet,
       "/api/v1/clips/{clip}/video.mp4",
       "getClipVideo",
       "An exported clip's MP4 file (ready clips only); masked with the camera's privacy masks unless "
       "`unmask` is asked and allowed (admins), which is audited",
       "recordings",
       Access::kView,
       {PathName("clip", "clip id"),
        ParamSpec{"unmask", In::kQuery, Bool(), false,
                  "play the clip as exported, without the camera's privacy masks (admins; audited)"}},
       nullptr,
       nullptr,
       200,
       "video/mp4",
       false,
       [b](const ApiRequest& r) {
         auto st = StoreOf(b);
         if (!st.ok()) return ErrorResponse(st.status());
         auto clip = (*st)->GetClip(r.path_params.at("clip"));
         if (clip.ok() && !r.CameraVisible(clip->camera)) clip = HiddenClip(r.path_params.at("clip"));
         if (!clip.ok()) return ErrorResponse(NamedNotFound(clip.status(), "clip"));
         std::error_code ec;
         if (clip->state != store::ClipState::kReady || clip->path.empty() ||
             !std::filesystem::is_regular_file(clip->path, ec)) {
           return ErrorResponse(FieldError(absl::StatusCode::kNotFound, "clip",
                                           absl::StrCat("clip '", clip->id, "': no file (state ",
                                                        std::string(store::ClipStateName(clip->state)), ")")));
         }
         auto video = ClipVideoFor(b, r, *clip);
         if (!video.ok()) return ErrorResponse(video.status());
         std::ifstream in(video->path, std::ios::binary);
         if (!in) {
           return ErrorResponse(absl::InternalError(absl::StrCat("clip '", clip->id, "': cannot read its video")));
         }
         std::ostringstream body;
         body << in.rdbuf();
         if (video->unmasked) RecordUnmaskedPlayback(b, r, *clip);
         ApiResponse resp;
         resp.content_type = "video/mp4";
         resp.body = std::move(body).str();
         resp.headers.emplace_back("X-Didban-Masked", video->masked ? "true" : "false");
         // An unmasked copy is never kept by a browser's cache (a later user of the browser would see it).
         resp.headers.emplace_back("Cache-Control", video->unmasked ? "no-store" : "private, max-age=3600");
         return resp;
       }});

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
  DIDBAN_RETURN_IF_ERROR(AddAuditRoutes(backend, router));   // server/audit_routes.h
  DIDBAN_RETURN_IF_ERROR(AddFusionRoutes(backend, router));  // server/fusion_routes.h
  DIDBAN_RETURN_IF_ERROR(AddStationRoutes(backend, router));
  return absl::OkStatus();
}

}  // namespace didban::server
