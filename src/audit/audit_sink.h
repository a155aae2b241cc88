// Where accountable actions go: logins and their failures, live views, playback, exports, acknowledgements,
// unmasking, changes of configuration, users and permissions. The server's guards and handlers record through this
// interface; audit/audit_log.h implements it as an append-only, hash-chained log. Record() never blocks for long
// and is thread-safe.
#ifndef DIDBAN_AUDIT_AUDIT_SINK_H_
#define DIDBAN_AUDIT_AUDIT_SINK_H_

#include <string>

#include <nlohmann/json.hpp>

#include "didban/time.h"

namespace didban::audit {

struct AuditEntry {
  TimeUs time_us = 0;   // when, µs since the epoch (0: the sink stamps it)
  std::string actor;    // user name, "token:<id>" for an API token, "anonymous", or "system"
  std::string action;   // e.g. "login", "login_failed", "live_view_start", "live_view_end", "clip_export",
                        // "event_ack", "unmask", "camera_add", "user_add", "permission_grant", "evidence_release"
  std::string target;   // what it acted on, e.g. "camera:highway", "user:ali", "clip:<id>"; "" for none
  std::string source;   // from where: the client's address ("127.0.0.1:53412"), "cli" for the command line
  bool allowed = true;  // false for a refused attempt (a failed login, a denied route)
  nlohmann::json detail = nlohmann::json::object();  // anything else (request id, reason, time range)
};

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(AuditEntry entry) = 0;
};

}  // namespace didban::audit

#endif  // DIDBAN_AUDIT_AUDIT_SINK_H_
