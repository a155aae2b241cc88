// The fusion routes: following an object across overlapping cameras.
//   GET  /api/v1/global-tracks/{global_id}                which camera saw a global (fused) track when: intervals
//                                                         per camera with their local track IDs, the ground path,
//                                                         and the follow plan (fuse/global_track_view.h)
//   POST /api/v1/global-tracks/{global_id}/follow-export  one MP4 that cuts from camera to camera along the plan,
//                                                         from the recordings (record/follow_export.h), as a clip
//                                                         (id "follow-<global id>-<from>-<to>") with its package
// Access: a caller sees only the intervals of the cameras they may see (the ground path only while one of those sees
// the object); a global track that no visible camera saw answers 404 exactly as a missing one. The export is made of
// one clip export per piece through SiteBackend::ExportClip (privacy masks, blurring, signed package and audit
// exactly as POST /api/v1/clips), then joined; the join is audited as follow_export (follow_export_unmasked when a
// piece was exported unmasked).
#ifndef DIDBAN_SERVER_FUSION_ROUTES_H_
#define DIDBAN_SERVER_FUSION_ROUTES_H_

#include <nlohmann/json.hpp>

#include "didban/status.h"
#include "fuse/global_track_view.h"
#include "server/router.h"
#include "server/site_backend.h"

namespace didban::server {

// Adds the routes to `router`; `backend` must outlive the router's use.
absl::Status AddFusionRoutes(SiteBackend& backend, Router& router);

// The JSON of a view (GET /api/v1/global-tracks/{global_id}): global_id, from_us, to_us, cameras, intervals
// [{camera, from_us, to_us, track_ids, points}], ground_path [{time_us, ground: [x, y]}], follow [{camera, from_us,
// to_us, track_ids, seen_from_us, seen_to_us, handoff_to_next}].
nlohmann::json GlobalTrackViewToJson(const fuse::GlobalTrackView& view, const std::vector<fuse::FollowPiece>& plan);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_FUSION_ROUTES_H_
