// `didban audit verify|list|export --data DIR`: checks the hash chain of <data>/audit.db and names the first entry
// that was changed, removed or reordered (exit 1); lists entries as a table or exports them as JSON lines, with
// time, actor and action filters. Reads the file read-only, so it works while `didban serve` runs.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "app/command.h"
#include "audit/audit_log.h"

namespace didban::app {
namespace {

struct AuditFlags {
  std::string data;
  std::string from, to;  // µs since the epoch or RFC 3339
  std::string actor, action;
  int limit = 1000;
  std::string out;  // export: file ("" = stdout)
};

absl::StatusOr<TimeUs> ParseWhen(const std::string& flag, const std::string& text) {
  int64_t us = 0;
  if (absl::SimpleAtoi(text, &us)) return us;
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err)) return absl::ToUnixMicros(t);
  return absl::InvalidArgumentError(
      absl::StrCat(flag, ": '", text, "' is neither microseconds since the epoch nor RFC 3339 (2026-12-02T05:00:00Z)"));
}

absl::StatusOr<audit::AuditQuery> ToQuery(const AuditFlags& f) {
  audit::AuditQuery q;
  if (!f.from.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(TimeUs t, ParseWhen("--from", f.from));
    q.from_us = t;
  }
  if (!f.to.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(TimeUs t, ParseWhen("--to", f.to));
    q.to_us = t;
  }
  q.actor = f.actor;
  q.action = f.action;
  q.limit = f.limit;
  DIDBAN_RETURN_IF_ERROR(q.Validate());
  return q;
}

std::string LogPath(const AuditFlags& f) { return (std::filesystem::path(f.data) / "audit.db").string(); }

absl::Status Verify(const AuditFlags& f) {
  DIDBAN_ASSIGN_OR_RETURN(audit::AuditVerifyReport r, audit::VerifyAuditLog(LogPath(f)));
  std::printf("%s: %lld entries, chain intact; head %s\n", LogPath(f).c_str(), static_cast<long long>(r.entries),
              r.head_hash.c_str());
  return absl::OkStatus();
}

absl::Status List(const AuditFlags& f) {
  DIDBAN_ASSIGN_OR_RETURN(audit::AuditQuery q, ToQuery(f));
  DIDBAN_ASSIGN_OR_RETURN(audit::AuditPage page, audit::QueryAuditLog(LogPath(f), q));
  std::printf("%-8s %-27s %-16s %-20s %-24s %-22s %s\n", "seq", "time (UTC)", "actor", "action", "target", "source",
              "allowed");
  for (const audit::StoredAuditEntry& e : page.entries) {
    const std::string when =
        absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::FromUnixMicros(e.entry.time_us), absl::UTCTimeZone());
    std::printf("%-8lld %-27s %-16s %-20s %-24s %-22s %s\n", static_cast<long long>(e.seq), when.c_str(),
                e.entry.actor.c_str(), e.entry.action.c_str(), e.entry.target.c_str(), e.entry.source.c_str(),
                e.entry.allowed ? "yes" : "no");
  }
  if (page.next_after_seq != 0) {
    std::printf("(more after entry %lld: raise --limit or use export)\n", static_cast<long long>(page.next_after_seq));
  }
  return absl::OkStatus();
}

absl::Status Export(const AuditFlags& f) {
  DIDBAN_ASSIGN_OR_RETURN(audit::AuditQuery q, ToQuery(f));
  if (f.out.empty()) return audit::ExportAuditLog(LogPath(f), q, std::cout).status();
  std::ofstream out(f.out, std::ios::trunc);
  if (!out) return absl::PermissionDeniedError(absl::StrCat(f.out, ": cannot write"));
  DIDBAN_ASSIGN_OR_RETURN(int64_t n, audit::ExportAuditLog(LogPath(f), q, out));
  std::fprintf(stderr, "didban audit export: %lld entries to %s\n", static_cast<long long>(n), f.out.c_str());
  return absl::OkStatus();
}

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* group = CommandGroup(root, "audit", "The audit log: verify its hash chain, list or export entries");
  auto add = [&](const char* name, const char* help, absl::Status (*run)(const AuditFlags&), bool filters) {
    auto f = std::make_shared<AuditFlags>();
    CLI::App* cmd = group->add_subcommand(name, help);
    cmd->add_option("--data", f->data, "The server's data folder (holds audit.db)")->required();
    if (filters) {
      cmd->add_option("--from", f->from, "Entries at or after this time (µs since the epoch, or RFC 3339)");
      cmd->add_option("--to", f->to, "Entries before this time (µs since the epoch, or RFC 3339)");
      cmd->add_option("--actor", f->actor, "Only this actor (user name, token:<id>, system)");
      cmd->add_option("--action", f->action, "Only this action (login, clip_export, ...)");
    }
    if (std::string(name) == "list")
      cmd->add_option("--limit", f->limit, "Entries to show (1..100000)")->capture_default_str();
    if (std::string(name) == "export") cmd->add_option("--out", f->out, "Write JSON lines here (default stdout)");
    cmd->callback([f, run, name, exit_code] {
      absl::Status s = run(*f);
      if (!s.ok()) {
        std::fprintf(stderr, "didban audit %s: %s\n", name, std::string(s.message()).c_str());
        *exit_code = 1;
      }
    });
  };
  add("verify", "Check the hash chain; name the first changed, removed or reordered entry (exit 1)", Verify, false);
  add("list", "Show entries as a table (oldest first)", List, true);
  add("export", "Write entries as JSON lines (every field, hashes included)", Export, true);
}

DIDBAN_REGISTER_COMMAND(audit, Setup);

}  // namespace
}  // namespace didban::app
