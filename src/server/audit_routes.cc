// The audit and evidence routes (audit_routes.h).
#include "server/audit_routes.h"

#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "audit/audit_log.h"
#include "server/api_error.h"
#include "server/api_routes.h"
#include "server/validation.h"

namespace didban::server {
namespace {

using nlohmann::json;
using In = ParamSpec::In;

constexpr int64_t kTimeMax = 9'000'000'000'000'000'000LL / 2;

json Int(int64_t lo, int64_t hi) {
  return {{"type", "integer"}, {"format", "int64"}, {"minimum", lo}, {"maximum", hi}};
}
json Str(size_t max_length) { return {{"type", "string"}, {"maxLength", max_length}}; }

std::optional<int64_t> OptInt(const ApiRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  if (it == r.query.end()) return std::nullopt;
  auto n = ParseInt64(key, it->second);  // passed the input guard
  return n.ok() ? std::optional<int64_t>(*n) : std::nullopt;
}
std::string OptStr(const ApiRequest& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

absl::StatusOr<audit::AuditQuery> QueryOf(const ApiRequest& r) {
  audit::AuditQuery q;
  q.from_us = OptInt(r, "from_us");
  q.to_us = OptInt(r, "to_us");
  q.actor = OptStr(r, "actor");
  q.action = OptStr(r, "action");
  q.after_seq = OptInt(r, "after_seq").value_or(0);
  q.limit = static_cast<int>(OptInt(r, "limit").value_or(1000));
  if (q.from_us && q.to_us && *q.to_us <= *q.from_us) return InvalidField("to_us", "to_us: must be after from_us");
  return q;
}

absl::StatusOr<audit::AuditLog*> LogOf(SiteBackend* b) {
  audit::AuditLog* log = b->Audit();
  if (log == nullptr) return absl::UnavailableError("audit: this site keeps no audit log");
  return log;
}

// The caller as the audit log names it, and whether they may see a camera. Access control (server/access_policy.h)
// sets the request's principal and visible cameras; written against the request type so these routes also build
// where the request carries neither (every caller is "local" and sees every camera then).
template <typename Request>
std::string ActorOf(const Request& r) {
  if constexpr (requires { r.principal; }) {
    if (r.principal) return r.principal->Actor();
  }
  return "local";
}
template <typename Request>
bool Visible(const Request& r, const std::string& camera) {
  if constexpr (requires { r.CameraVisible(camera); }) return r.CameraVisible(camera);
  return true;
}

void RecordRead(audit::AuditLog* log, const ApiRequest& r, const std::string& action, const audit::AuditQuery& q,
                int64_t entries) {
  audit::AuditEntry e;
  e.actor = ActorOf(r);
  e.action = action;
  e.target = "audit";
  e.source = r.remote;
  e.detail = {{"entries", entries}, {"request_id", r.request_id}};
  if (q.from_us) e.detail["from_us"] = *q.from_us;
  if (q.to_us) e.detail["to_us"] = *q.to_us;
  if (!q.actor.empty()) e.detail["actor"] = q.actor;
  if (!q.action.empty()) e.detail["action"] = q.action;
  log->Record(std::move(e));
}

}  // namespace

absl::Status AddAuditRoutes(SiteBackend& backend, Router& router) {
  SiteBackend* b = &backend;
  const std::vector<ParamSpec> filters = {
      ParamSpec{"from_us", In::kQuery, Int(0, kTimeMax), false, "entries at or after this time, µs since the epoch"},
      ParamSpec{"to_us", In::kQuery, Int(0, kTimeMax), false, "entries before this time, µs"},
      ParamSpec{"actor", In::kQuery, Str(128), false, "only this actor (user name, token:<id>, system)"},
      ParamSpec{"action", In::kQuery, Str(64), false, "only this action (login, clip_export, ...)"},
  };
  std::vector<ParamSpec> paged = filters;
  paged.push_back(ParamSpec{"after_seq", In::kQuery, Int(0, kTimeMax), false,
                            "paging: entries after this sequence number (next_after_seq of the previous page)"});
  paged.push_back(ParamSpec{"limit", In::kQuery, Int(1, 10000), false, "entries per page (1000)"});
  const json entry_schema = {{"type", "object"},
                             {"description",
                              "seq, time_us, time, actor, action, target, source, allowed, detail, "
                              "prev_hash, hash (SHA-256 chain, audit/audit_log.h)"}};
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kGet, "/api/v1/audit", "listAudit",
       "The audit log, oldest first: who did what, when, from where (admins); reading it is audited", "audit",
       Access::kAdmin, paged, nullptr,
       json{{"type", "object"},
            {"properties",
             {{"entries", {{"type", "array"}, {"items", entry_schema}}}, {"next_after_seq", {{"type", "integer"}}}}}},
       200, "application/json", false, [b](const ApiRequest& r) {
         auto log = LogOf(b);
         if (!log.ok()) return ErrorResponse(log.status());
         auto q = QueryOf(r);
         if (!q.ok()) return ErrorResponse(q.status());
         // Entries recorded just before (this request's own login, say) are committed first.
         (void)(*log)->Flush();
         auto page = (*log)->Query(*q);
         if (!page.ok()) return ErrorResponse(page.status());
         json list = json::array();
         for (const auto& e : page->entries) list.push_back(audit::StoredEntryToJson(e));
         RecordRead(*log, r, "audit_read", *q, static_cast<int64_t>(page->entries.size()));
         return JsonResponse({{"entries", list}, {"next_after_seq", page->next_after_seq}});
       }}));
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kGet, "/api/v1/audit/export", "exportAudit",
       "The audit log's matching entries as JSON lines, every field and hash (admins); audited", "audit",
       Access::kAdmin, filters, nullptr, nullptr, 200, "application/x-ndjson", false, [b](const ApiRequest& r) {
         auto log = LogOf(b);
         if (!log.ok()) return ErrorResponse(log.status());
         auto q = QueryOf(r);
         if (!q.ok()) return ErrorResponse(q.status());
         (void)(*log)->Flush();
         q->limit = 10'000;
         std::ostringstream out;
         int64_t n = 0;
         for (;;) {
           auto page = (*log)->Query(*q);
           if (!page.ok()) return ErrorResponse(page.status());
           for (const auto& e : page->entries) {
             out << audit::StoredEntryToJson(e).dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
             ++n;
           }
           if (page->next_after_seq == 0) break;
           q->after_seq = page->next_after_seq;
         }
         RecordRead(*log, r, "audit_export", *q, n);
         ApiResponse resp;
         resp.content_type = "application/x-ndjson";
         resp.body = out.str();
         resp.headers.emplace_back("Content-Disposition", "attachment; filename=\"audit.jsonl\"");
         return resp;
       }}));
  const json name = {{"type", "string"}, {"format", "name"}, {"pattern", std::string(kNamePattern)}};
  DIDBAN_RETURN_IF_ERROR(router.Add(
      {Method::kPut,
       "/api/v1/clips/{clip}/evidence",
       "setClipEvidence",
       "Marks a clip as evidence (retention keeps it) or releases it (admins); the change is audited with its reason",
       "recordings",
       Access::kAdmin,
       {ParamSpec{"clip", In::kPath, name, true, "clip id"}},
       json{{"type", "object"},
            {"properties", {{"evidence", {{"type", "boolean"}}}, {"reason", Str(1024)}}},
            {"required", {"evidence", "reason"}},
            {"additionalProperties", false}},
       json{{"type", "object"}},
       200,
       "application/json",
       false,
       [b](const ApiRequest& r) {
         store::Store* st = b->EventStore();
         if (st == nullptr) return ErrorResponse(absl::UnavailableError("store: not open"));
         const std::string id = r.path_params.at("clip");
         auto clip = st->GetClip(id);
         if (!clip.ok() || !Visible(r, clip->camera)) {
           return ErrorResponse(
               FieldError(absl::StatusCode::kNotFound, "clip", absl::StrCat("clip: store: no clip \"", id, "\"")));
         }
         const bool evidence = r.json["evidence"].get<bool>();
         const std::string reason = r.json["reason"].get<std::string>();
         if (reason.empty())
           return ErrorResponse(InvalidField("reason", "reason: required (why it is kept or released)"));
         if (absl::Status s = st->SetClipEvidence(id, evidence); !s.ok()) return ErrorResponse(s);
         if (audit::AuditLog* log = b->Audit()) {
           audit::AuditEntry e;
           e.actor = ActorOf(r);
           e.action = evidence ? "evidence_mark" : "evidence_release";
           e.target = absl::StrCat("clip:", id);
           e.source = r.remote;
           e.detail = {{"reason", reason}, {"camera", clip->camera}, {"request_id", r.request_id}};
           log->Record(std::move(e));
         }
         clip->evidence = evidence;
         return JsonResponse(ClipToJson(*clip));
       }}));
  return absl::OkStatus();
}

}  // namespace didban::server
