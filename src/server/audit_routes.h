// The audit and evidence routes: GET /api/v1/audit (admins page through the audit log with time, actor and action
// filters), GET /api/v1/audit/export (the same entries as JSON lines, every page) and PUT /api/v1/clips/{clip}/evidence
// (mark a clip as evidence, kept by retention, or release it; every release and mark is audited).
#ifndef DIDBAN_SERVER_AUDIT_ROUTES_H_
#define DIDBAN_SERVER_AUDIT_ROUTES_H_

#include "didban/status.h"
#include "server/router.h"
#include "server/site_backend.h"

namespace didban::server {

// Adds the routes to `router`; `backend` must outlive the router's use. Without an audit log (backend.Audit() null)
// the audit routes answer 503.
absl::Status AddAuditRoutes(SiteBackend& backend, Router& router);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_AUDIT_ROUTES_H_
