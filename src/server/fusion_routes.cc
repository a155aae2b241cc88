// The fusion routes (fusion_routes.h).
#include "server/fusion_routes.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "audit/audit_log.h"
#include "record/evidence_package.h"
#include "record/follow_export.h"
#include "record/privacy_mask.h"
#include "record/segment.h"
#include "server/api_error.h"
#include "server/api_routes.h"

namespace didban::server {
namespace {

using nlohmann::json;
using In = ParamSpec::In;

constexpr int64_t kTimeMax = 9'000'000'000'000'000'000LL / 2;

json Int(int64_t lo, int64_t hi) {
  return {{"type", "integer"}, {"format", "int64"}, {"minimum", lo}, {"maximum", hi}};
}
json Integer() { return {{"type", "integer"}}; }
json Str(size_t max_length) { return {{"type", "string"}, {"maxLength", max_length}}; }
json Bool() { return {{"type", "boolean"}}; }
json Name() { return {{"type", "string"}, {"format", "name"}}; }
json Arr(json items, size_t max_items = 100000) {
  return {{"type", "array"}, {"items", std::move(items)}, {"maxItems", max_items}};
}
json Obj(json properties, std::vector<std::string> required = {}) {
  json o = {{"type", "object"}, {"properties", std::move(properties)}, {"additionalProperties", false}};
  if (!required.empty()) o["required"] = required;
  return o;
}

int64_t GlobalIdOf(const ApiRequest& r) {
  return std::stoll(r.path_params.at("global_id"));  // passed the input guard (an integer >= 1)
}

// A global track that does not exist, or that no camera the caller may see saw: the same answer.
absl::Status NoGlobalTrack(int64_t id) {
  return FieldError(absl::StatusCode::kNotFound, "global_id", absl::StrCat("global_id: no global track ", id));
}

// The caller's view of global track `id`: only the intervals of cameras they may see, and the ground path only while
// one of those sees the object. NotFound (NoGlobalTrack) when nothing is left.
absl::StatusOr<fuse::GlobalTrackView> VisibleView(SiteBackend* b, const ApiRequest& r, int64_t id) {
  store::Store* st = b->EventStore();
  if (st == nullptr) return absl::UnavailableError("store: not open");
  absl::StatusOr<fuse::GlobalTrackView> view = fuse::LoadGlobalTrack(*st, id);
  if (view.status().code() == absl::StatusCode::kNotFound) return NoGlobalTrack(id);
  if (!view.ok()) return view.status();
  if (!r.visible_cameras) return view;
  fuse::GlobalTrackView v =
      fuse::RestrictView(*std::move(view), [&r](const std::string& camera) { return r.CameraVisible(camera); });
  if (v.intervals.empty()) return NoGlobalTrack(id);
  std::erase_if(v.ground_path, [&v](const fuse::GroundSample& g) {
    return std::none_of(v.intervals.begin(), v.intervals.end(),
                        [&g](const fuse::CameraInterval& i) { return i.from_us <= g.time_us && g.time_us <= i.to_us; });
  });
  v.from_us = v.intervals.front().from_us;
  v.to_us = v.intervals.front().to_us;
  for (const fuse::CameraInterval& i : v.intervals) v.to_us = std::max(v.to_us, i.to_us);
  return v;
}

json GroundPathJson(const std::vector<fuse::GroundSample>& path) {
  json out = json::array();
  for (const fuse::GroundSample& g : path)
    out.push_back({{"time_us", g.time_us}, {"ground", {g.ground.x, g.ground.y}}});
  return out;
}

// What a piece's package manifest says of its pixels (processing.masked / unmasked_by_permission / reencoded).
json PieceProcessing(const std::string& video_path) {
  const std::filesystem::path manifest = std::filesystem::path(video_path).parent_path() / record::kManifestFile;
  std::ifstream in(manifest);
  if (!in) return json::object();
  const json m = json::parse(in, nullptr, false);
  if (!m.is_object() || !m.contains("processing") || !m["processing"].is_object()) return json::object();
  return m["processing"];
}

bool CameraHasMasks(SiteBackend* b, const std::string& camera) {
  absl::StatusOr<CameraInfo> info = b->Camera(camera);
  if (!info.ok() || !info->definition.is_object()) return true;  // unknown masks: treat as masked camera
  const json masks = info->definition.value("privacy_masks", json());
  return masks.is_array() && !masks.empty();
}

struct ExportedPiece {
  fuse::FollowPiece plan;
  store::Clip clip;
  json processing;
};

ApiResponse FollowExport(SiteBackend* b, const ApiRequest& r) {
  const int64_t id = GlobalIdOf(r);
  store::Store* st = b->EventStore();
  if (st == nullptr) return ErrorResponse(absl::UnavailableError("store: not open"));
  absl::StatusOr<fuse::GlobalTrackView> view = VisibleView(b, r, id);
  if (!view.ok()) return ErrorResponse(view.status());
  std::vector<fuse::FollowPiece> plan = fuse::PlanFollow(*view);
  // An optional time range narrows the plan.
  const bool has_from = r.json.contains("from_us"), has_to = r.json.contains("to_us");
  const int64_t from = has_from ? r.json["from_us"].get<int64_t>() : 0;
  const int64_t to = has_to ? r.json["to_us"].get<int64_t>() : 0;
  if (has_from && has_to && to <= from) return ErrorResponse(InvalidField("to_us", "to_us: must be after from_us"));
  for (fuse::FollowPiece& p : plan) {
    if (has_from) p.from_us = std::max(p.from_us, from);
    if (has_to) p.to_us = std::min(p.to_us, to);
  }
  std::erase_if(plan, [](const fuse::FollowPiece& p) { return p.to_us <= p.from_us; });
  if (plan.empty()) {
    return ErrorResponse(
        InvalidField("from_us", absl::StrCat("from_us: no camera saw global track ", id, " in the range asked for")));
  }

  // One clip export per piece, through the site (masks, blurring, signed package, audit as POST /api/v1/clips).
  ClipRequest base;
  base.blur_people = r.json.value("blur_people", false);
  if (r.json.contains("blur_classes")) base.blur_classes = r.json["blur_classes"].get<std::vector<std::string>>();
  base.evidence = r.json.value("evidence", false);
  base.reason = r.json.value("reason", std::string());
  base.unmask = r.json.value("unmask", false) && (!r.principal || r.principal->role == auth::Role::kAdmin);
  if (r.principal) base.actor = r.principal->Actor();
  base.source = r.remote;
  if (!base.reason.empty()) base.reason = absl::StrCat(base.reason, " (follow of global track ", id, ")");
  std::vector<ExportedPiece> pieces;
  json missing = json::array();
  for (const fuse::FollowPiece& p : plan) {
    ClipRequest c = base;
    c.camera = p.camera;
    c.from_us = p.from_us;
    c.to_us = p.to_us;
    absl::StatusOr<store::Clip> clip = b->ExportClip(c);
    if (clip.status().code() == absl::StatusCode::kAlreadyExists) {
      // Exported before (the same piece of an earlier follow export, or the same clip): use that one.
      clip = st->GetClip(absl::StrCat(record::SafeCameraName(p.camera), "-", p.from_us, "-", p.to_us));
    }
    if (clip.status().code() == absl::StatusCode::kNotFound) {
      missing.push_back({{"camera", p.camera},
                         {"from_us", p.from_us},
                         {"to_us", p.to_us},
                         {"detail", std::string(clip.status().message())}});
      continue;
    }
    if (!clip.ok()) return ErrorResponse(clip.status());
    if (clip->state != store::ClipState::kReady || clip->path.empty()) {
      return ErrorResponse(absl::FailedPreconditionError(
          absl::StrCat("follow export: the clip of camera ", p.camera, " (", clip->id, ") is not ready")));
    }
    pieces.push_back({p, *clip, PieceProcessing(clip->path)});
  }
  if (pieces.empty()) {
    return ErrorResponse(absl::NotFoundError(
        absl::StrCat("follow export of global track ", id, ": no recording of any of its ", plan.size(), " pieces")));
  }

  // Keyframe-aligned cuts: a piece's clip starts at the keyframe at or before its planned start, so at a hand-off
  // the previous piece stops there when the next camera already sees the object then (no time shown twice), else at
  // its planned cut.
  std::vector<record::FollowPieceFile> files;
  for (size_t i = 0; i < pieces.size(); ++i) {
    record::FollowPieceFile f;
    f.camera = pieces[i].plan.camera;
    f.path = pieces[i].clip.path;
    f.file_start_us = pieces[i].clip.start_us;
    f.to_us = std::min(pieces[i].plan.to_us, pieces[i].clip.end_us);
    if (i + 1 < pieces.size() && pieces[i].plan.handoff_to_next) {
      const TimeUs next_start = pieces[i + 1].clip.start_us;
      if (next_start >= pieces[i + 1].plan.seen_from_us && next_start < f.to_us && next_start > f.file_start_us) {
        f.to_us = next_start;
      }
    }
    files.push_back(f);
  }
  const TimeUs span_from = pieces.front().plan.from_us, span_to = pieces.back().plan.to_us;
  store::Clip follow;
  follow.id = absl::StrCat("follow-", id, "-", span_from, "-", span_to);
  const std::filesystem::path clips_root = std::filesystem::path(pieces.front().clip.path).parent_path().parent_path();
  const std::filesystem::path dir = clips_root / follow.id;
  std::error_code ec;
  if (std::filesystem::exists(dir, ec)) {
    return ErrorResponse(absl::AlreadyExistsError(absl::StrCat("clip ", follow.id, ": already exported")));
  }
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return ErrorResponse(absl::PermissionDeniedError(absl::StrCat(dir.string(), ": cannot create: ", ec.message())));
  }
  auto fail = [&dir](const absl::Status& s) {
    std::error_code rm;
    std::filesystem::remove_all(dir, rm);
    return ErrorResponse(s);
  };
  const std::string path = (dir / (follow.id + ".mp4")).string();
  absl::StatusOr<record::FollowJoin> join = record::JoinFollowPieces(files, path);
  if (!join.ok()) return fail(join.status());

  // The package: the video and a manifest with the ground path, the intervals and every piece.
  bool masked = true, unmasked = false, reencoded = !join->stream_copy;
  json piece_list = json::array();
  std::set<std::string> cameras;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const ExportedPiece& p = pieces[i];
    const record::JoinedPiece& j = join->pieces[i];
    const bool piece_masked = p.processing.value("masked", false) == true || !CameraHasMasks(b, p.plan.camera);
    masked = masked && piece_masked;
    unmasked = unmasked || p.processing.value("unmasked_by_permission", false) == true;
    reencoded = reencoded || (p.processing.contains("reencoded") && p.processing["reencoded"] != false);
    cameras.insert(p.plan.camera);
    const std::filesystem::path piece_manifest =
        std::filesystem::path(p.clip.path).parent_path() / record::kManifestFile;
    piece_list.push_back({{"camera", p.plan.camera},
                          {"track_ids", p.plan.track_ids},
                          {"planned_from_us", p.plan.from_us},
                          {"planned_to_us", p.plan.to_us},
                          {"seen_from_us", p.plan.seen_from_us},
                          {"seen_to_us", p.plan.seen_to_us},
                          {"from_us", j.from_us},
                          {"to_us", j.to_us},
                          {"out_from_us", j.out_from_us},
                          {"out_to_us", j.out_to_us},
                          {"frames", j.frames},
                          {"repeat_us", j.repeat_us},
                          {"handoff_to_next", p.plan.handoff_to_next},
                          {"clip", p.clip.id},
                          {"clip_manifest_sha256", record::Sha256File(piece_manifest.string()).value_or("")},
                          {"masked", piece_masked}});
  }
  json intervals = json::array();
  for (const fuse::CameraInterval& i : view->intervals) {
    intervals.push_back({{"camera", i.camera}, {"from_us", i.from_us}, {"to_us", i.to_us}, {"track_ids", i.track_ids}});
  }
  const json processing = {{"masked", masked},
                           {"unmasked_by_permission", unmasked},
                           {"reencoded", reencoded},
                           {"follow",
                            {{"global_id", id},
                             {"stream_copy", join->stream_copy},
                             {"reencode_reason", join->reencode_reason},
                             {"encoder", join->encoder},
                             {"frames", join->frames},
                             {"duration_us", join->duration_us},
                             {"pieces", piece_list},
                             {"missing", missing},
                             {"intervals", intervals},
                             {"ground_path", GroundPathJson(view->ground_path)}}}};
  record::EvidenceInfo info;
  info.camera = absl::StrJoin(cameras, ",");
  info.from_us = span_from;
  info.to_us = span_to;
  info.start_us = join->pieces.front().from_us;
  info.end_us = join->pieces.back().to_us;
  info.who = base.actor;
  info.why = r.json.value("reason", std::string());
  info.created_us = absl::ToUnixMicros(absl::Now());
  info.processing = processing;
  bool signed_package = true;
  absl::StatusOr<json> sealed = b->SealPackage(dir.string(), info);
  if (sealed.status().code() == absl::StatusCode::kUnimplemented) {
    // No signing key on this site: the same manifest, unsigned.
    signed_package = false;
    absl::StatusOr<std::string> sha = record::Sha256File(path);
    if (!sha.ok()) return fail(sha.status());
    const json manifest = {{"camera", info.camera},    {"from_us", info.from_us},
                           {"to_us", info.to_us},      {"start_us", info.start_us},
                           {"end_us", info.end_us},    {"who", info.who},
                           {"why", info.why},          {"created_us", info.created_us},
                           {"processing", processing}, {"files", {{{"name", follow.id + ".mp4"}, {"sha256", *sha}}}},
                           {"signed", false}};
    std::ofstream out(dir / record::kManifestFile);
    out << manifest.dump(2) << "\n";
    if (!out) return fail(absl::InternalError(absl::StrCat(dir.string(), ": cannot write the manifest")));
  } else if (!sealed.ok()) {
    return fail(sealed.status());
  }
  follow.camera = "";  // several cameras
  follow.start_us = info.start_us;
  follow.end_us = info.end_us;
  follow.path = path;
  follow.bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  follow.state = store::ClipState::kReady;
  follow.detail =
      absl::StrCat("follow of global track ", id, ": ", pieces.size(), " pieces from ", absl::StrJoin(cameras, ", "),
                   ", ", join->frames, " frames, ", join->stream_copy ? "stream copy" : "re-encoded",
                   masked ? ", masked" : "", signed_package ? "" : ", unsigned", "; package ", dir.string());
  follow.evidence = base.evidence;
  follow.created_us = info.created_us;
  if (!st->PutClip(follow)) return fail(absl::ResourceExhaustedError("the store's write queue is full; try again"));
  if (absl::Status s = st->Flush(); !s.ok()) return ErrorResponse(s);
  if (audit::AuditLog* log = b->Audit(); log != nullptr) {
    audit::AuditEntry e;
    e.actor = base.actor;
    e.action = unmasked ? "follow_export_unmasked" : "follow_export";
    e.target = absl::StrCat("clip:", follow.id);
    e.source = r.remote;
    json clip_ids = json::array();
    for (const ExportedPiece& p : pieces) clip_ids.push_back(p.clip.id);
    e.detail = {{"global_id", id},
                {"pieces", clip_ids},
                {"reason", info.why},
                {"evidence", base.evidence},
                {"stream_copy", join->stream_copy},
                {"masked", masked},
                {"request_id", r.request_id},
                {"manifest_sha256", record::Sha256File((dir / record::kManifestFile).string()).value_or("")}};
    log->Record(std::move(e));
  }
  json out = {{"clip", ClipToJson(follow)},
              {"global_id", id},
              {"stream_copy", join->stream_copy},
              {"reencode_reason", join->reencode_reason},
              {"frames", join->frames},
              {"duration_us", join->duration_us},
              {"masked", masked},
              {"signed", signed_package},
              {"pieces", piece_list},
              {"missing", missing},
              {"ground_path", GroundPathJson(view->ground_path)}};
  return JsonResponse(out, 202);
}

}  // namespace

json GlobalTrackViewToJson(const fuse::GlobalTrackView& view, const std::vector<fuse::FollowPiece>& plan) {
  json intervals = json::array();
  for (const fuse::CameraInterval& i : view.intervals) {
    intervals.push_back({{"camera", i.camera},
                         {"from_us", i.from_us},
                         {"to_us", i.to_us},
                         {"track_ids", i.track_ids},
                         {"points", i.points}});
  }
  json follow = json::array();
  for (const fuse::FollowPiece& p : plan) {
    follow.push_back({{"camera", p.camera},
                      {"from_us", p.from_us},
                      {"to_us", p.to_us},
                      {"track_ids", p.track_ids},
                      {"seen_from_us", p.seen_from_us},
                      {"seen_to_us", p.seen_to_us},
                      {"handoff_to_next", p.handoff_to_next}});
  }
  return {{"global_id", view.global_id},
          {"from_us", view.from_us},
          {"to_us", view.to_us},
          {"cameras", view.Cameras()},
          {"intervals", intervals},
          {"ground_path", GroundPathJson(view.ground_path)},
          {"follow", follow}};
}

absl::Status AddFusionRoutes(SiteBackend& backend, Router& router) {
  SiteBackend* b = &backend;
  const ParamSpec id_param{"global_id", In::kPath, Int(1, kTimeMax), true, "the global (fused) track ID"};
  const json ids = Arr(Integer(), 10000);
  const json ground_path = Arr(Obj({{"time_us", Integer()}, {"ground", Arr({{"type", "number"}}, 2)}}), 1000000);
  const json view_schema = Obj({{"global_id", Integer()},
                                {"from_us", Integer()},
                                {"to_us", Integer()},
                                {"cameras", Arr(Name(), 10000)},
                                {"intervals", Arr(Obj({{"camera", Name()},
                                                       {"from_us", Integer()},
                                                       {"to_us", Integer()},
                                                       {"track_ids", ids},
                                                       {"points", Integer()}}))},
                                {"ground_path", ground_path},
                                {"follow", Arr(Obj({{"camera", Name()},
                                                    {"from_us", Integer()},
                                                    {"to_us", Integer()},
                                                    {"track_ids", ids},
                                                    {"seen_from_us", Integer()},
                                                    {"seen_to_us", Integer()},
                                                    {"handoff_to_next", Bool()}}))}});
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kGet,
       "/api/v1/global-tracks/{global_id}",
       "getGlobalTrack",
       "Which camera saw a global (fused) track when: intervals per camera with their local track IDs, the ground "
       "path, and the follow plan (one camera at each moment, cut where it loses the object). Only the cameras the "
       "caller may see; a track none of them saw answers 404 like a missing one.",
       "tracks",
       Access::kView,
       {id_param},
       nullptr,
       view_schema,
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) {
         absl::StatusOr<fuse::GlobalTrackView> view = VisibleView(b, r, GlobalIdOf(r));
         if (!view.ok()) return ErrorResponse(view.status());
         return JsonResponse(GlobalTrackViewToJson(*view, fuse::PlanFollow(*view)));
       }}));
  const json piece = Obj({{"camera", Name()},
                          {"track_ids", ids},
                          {"planned_from_us", Integer()},
                          {"planned_to_us", Integer()},
                          {"seen_from_us", Integer()},
                          {"seen_to_us", Integer()},
                          {"from_us", Integer()},
                          {"to_us", Integer()},
                          {"out_from_us", Integer()},
                          {"out_to_us", Integer()},
                          {"frames", Integer()},
                          {"repeat_us", Integer()},
                          {"handoff_to_next", Bool()},
                          {"clip", Str(256)},
                          {"clip_manifest_sha256", Str(64)},
                          {"masked", Bool()}});
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kPost,
       "/api/v1/global-tracks/{global_id}/follow-export",
       "exportFollow",
       "Exports one MP4 that follows a global track from camera to camera (the follow plan of GET "
       "/api/v1/global-tracks/{global_id}, over the cameras the caller may see): one clip export per piece (stream "
       "copy; masked and blurred as POST /api/v1/clips), joined by stream copy when the pieces share codec "
       "parameters, else re-encoded; cuts are keyframe-aligned. The result is a clip (GET /api/v1/clips/{clip}, "
       "/video.mp4) whose package manifest holds the ground path and every piece; audited as follow_export.",
       "recordings",
       Access::kOperate,
       {id_param},
       Obj({{"from_us", Int(0, kTimeMax)},
            {"to_us", Int(0, kTimeMax)},
            {"blur_people", Bool()},
            {"blur_classes", Arr(Name(), 16)},
            {"evidence", Bool()},
            {"reason", Str(1024)},
            {"unmask", Bool()}}),
       Obj({{"clip", {{"type", "object"}}},
            {"global_id", Integer()},
            {"stream_copy", Bool()},
            {"reencode_reason", Str(1024)},
            {"frames", Integer()},
            {"duration_us", Integer()},
            {"masked", Bool()},
            {"signed", Bool()},
            {"pieces", Arr(piece, 10000)},
            {"missing", Arr({{"type", "object"}}, 10000)},
            {"ground_path", ground_path}}),
       202,
       "application/json",
       false,
       [b](const ApiRequest& r) { return FollowExport(b, r); }}));
  return absl::OkStatus();
}

}  // namespace didban::server
