// Following an object across cameras: for one global (fused) track, which camera saw it when. From the store's track
// points: the global track's own points (camera "", track_id = global ID) give its ground path; the per-camera points
// tagged with its global ID, together with the untagged points of the same local tracks around them (a live fuser
// tags a local track only once its fused step is emitted, lag_s after the frame), give one interval per camera and
// continuous sighting, with the local track IDs seen in it. PlanFollow then picks one camera at each moment: the one
// that keeps the object longest, cutting to the next camera where the current one loses it (inside their overlap
// when they overlap), which is what the "follow" export (record/follow_export.h) cuts from the recordings.
#ifndef DIDBAN_FUSE_GLOBAL_TRACK_VIEW_H_
#define DIDBAN_FUSE_GLOBAL_TRACK_VIEW_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

#include "didban/geometry.h"
#include "didban/status.h"
#include "didban/time.h"
#include "store/store.h"

namespace didban::fuse {

// One camera's continuous sighting of the object: stored points at most max_gap_us apart.
struct CameraInterval {
  std::string camera;
  TimeUs from_us = 0;              // time of its first stored point
  TimeUs to_us = 0;                // time of its last stored point (inclusive)
  std::vector<int64_t> track_ids;  // the camera's local track IDs in it, ascending
  int64_t points = 0;              // stored points in it
};

struct GroundSample {
  TimeUs time_us = 0;
  Point2 ground;  // site-local metres (east, north)
};

struct GlobalTrackView {
  int64_t global_id = 0;
  TimeUs from_us = 0;                        // first point (any camera, or the global track's own)
  TimeUs to_us = 0;                          // last point
  std::vector<CameraInterval> intervals;     // ordered by (from_us, camera)
  std::vector<GroundSample> ground_path;     // the global track's points with a ground position, by time
  std::vector<std::string> Cameras() const;  // cameras with an interval, sorted, once each
};

struct GlobalTrackViewOptions {
  // Points of one camera further apart than this start a new interval. Above the store's downsampling interval
  // (StoreOptions::track_min_interval_us, 1 s by default), so a track stored once a second stays one interval.
  TimeUs max_gap_us = 3'000'000;
  // Untagged points of a tagged local track are taken up to this long before its first / after its last tagged point.
  TimeUs extend_us = 30'000'000;

  absl::Status Validate() const;
};

// The view of global track `global_id` from track points (any order): global points (camera "", track_id ==
// global_id) make the ground path; per-camera points make the intervals (the caller passes only those belonging to
// the track). Points of other global tracks are ignored.
GlobalTrackView SummarizeGlobalTrack(int64_t global_id, const std::vector<store::TrackPoint>& points,
                                     const GlobalTrackViewOptions& options = {});

// Reads global track `global_id` from the store (see the file comment) and summarizes it. NotFound ("global track N:
// no points") when the store has no point of it.
absl::StatusOr<GlobalTrackView> LoadGlobalTrack(store::Store& store, int64_t global_id,
                                                const GlobalTrackViewOptions& options = {});

// Only the intervals of cameras `visible` says yes to (the ground path is kept). Used for callers who may not see
// every camera.
template <typename Visible>
GlobalTrackView RestrictView(GlobalTrackView view, const Visible& visible) {
  std::erase_if(view.intervals, [&](const CameraInterval& i) { return !visible(i.camera); });
  return view;
}

// One piece of a follow video: [from_us, to_us) of one camera's recording.
struct FollowPiece {
  std::string camera;
  TimeUs from_us = 0;
  TimeUs to_us = 0;
  std::vector<int64_t> track_ids;  // the camera's local tracks of the object in this piece
  TimeUs seen_from_us = 0;         // the camera's interval (its first and last sighting) this piece shows
  TimeUs seen_to_us = 0;
  // The next camera already sees the object at the cut (the pieces overlap in the site's time: a hand-off), or not (a
  // gap, or the last piece).
  bool handoff_to_next = false;
};

struct FollowPlanOptions {
  TimeUs min_piece_us = 500'000;  // shorter pieces are dropped (the object passes a corner of a camera)
  TimeUs tail_us = 500'000;       // the last piece runs this long past the last sighting; every piece starts this
                                  // long before its first sighting, unless that is inside the previous piece
};

// One camera at each moment of the view's intervals: starting with the camera that sees the object first (the longest
// interval on a tie), it stays on a camera until that camera loses the object, then cuts to the camera that sees it
// then and keeps it longest (a hand-off at the end of the overlap), or, when no camera sees it then, to the next
// camera that does (a gap: the piece starts tail_us before its sighting). Pieces are in time order, never overlapping.
std::vector<FollowPiece> PlanFollow(const GlobalTrackView& view, const FollowPlanOptions& options = {});

// ---------------------------------------------------------------------------------------------------------------
// Implementation (header only: the server uses it without linking the fusion library).

inline std::vector<std::string> GlobalTrackView::Cameras() const {
  std::set<std::string> s;
  for (const CameraInterval& i : intervals) s.insert(i.camera);
  return {s.begin(), s.end()};
}

inline absl::Status GlobalTrackViewOptions::Validate() const {
  if (max_gap_us <= 0) return absl::InvalidArgumentError("global track view: max_gap_us must be > 0");
  if (extend_us < 0) return absl::InvalidArgumentError("global track view: extend_us must be >= 0");
  return absl::OkStatus();
}

inline GlobalTrackView SummarizeGlobalTrack(int64_t global_id, const std::vector<store::TrackPoint>& points,
                                            const GlobalTrackViewOptions& options) {
  GlobalTrackView view;
  view.global_id = global_id;
  // Per camera: (time, local track id), sorted; a time seen twice (a tagged point and its untagged twin) counts once.
  std::map<std::string, std::vector<std::pair<TimeUs, int64_t>>> by_camera;
  bool any = false;
  for (const store::TrackPoint& p : points) {
    if (p.camera.empty()) {
      if (p.track_id != global_id) continue;
      if (p.ground) view.ground_path.push_back({p.time_us, *p.ground});
    } else {
      if (p.global_id != 0 && p.global_id != global_id) continue;
      by_camera[p.camera].emplace_back(p.time_us, p.track_id);
    }
    view.from_us = any ? std::min(view.from_us, p.time_us) : p.time_us;
    view.to_us = any ? std::max(view.to_us, p.time_us) : p.time_us;
    any = true;
  }
  std::sort(view.ground_path.begin(), view.ground_path.end(),
            [](const GroundSample& a, const GroundSample& b) { return a.time_us < b.time_us; });
  view.ground_path.erase(
      std::unique(view.ground_path.begin(), view.ground_path.end(),
                  [](const GroundSample& a, const GroundSample& b) { return a.time_us == b.time_us; }),
      view.ground_path.end());
  for (auto& [camera, samples] : by_camera) {
    std::sort(samples.begin(), samples.end());
    samples.erase(std::unique(samples.begin(), samples.end()), samples.end());
    CameraInterval cur;
    std::set<int64_t> ids;
    auto close = [&] {
      cur.track_ids.assign(ids.begin(), ids.end());
      view.intervals.push_back(std::move(cur));
      cur = CameraInterval();
      ids.clear();
    };
    for (const auto& [t, id] : samples) {
      if (cur.points > 0 && t - cur.to_us > options.max_gap_us) close();
      if (cur.points == 0) {
        cur.camera = camera;
        cur.from_us = t;
      }
      // The same time twice (two local tracks of the object at once) is one sighting.
      if (cur.points == 0 || t != cur.to_us) ++cur.points;
      cur.to_us = t;
      ids.insert(id);
    }
    if (cur.points > 0) close();
  }
  std::sort(view.intervals.begin(), view.intervals.end(), [](const CameraInterval& a, const CameraInterval& b) {
    return std::tie(a.from_us, a.camera) < std::tie(b.from_us, b.camera);
  });
  return view;
}

inline absl::StatusOr<GlobalTrackView> LoadGlobalTrack(store::Store& store, int64_t global_id,
                                                       const GlobalTrackViewOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  store::TrackQuery q;
  q.global_id = global_id;
  q.limit = 1'000'000;
  DIDBAN_ASSIGN_OR_RETURN(std::vector<store::TrackPoint> points, store.QueryTracks(q));
  // The global track's own points (camera "", track_id = global ID; the fuser sets global_id too, but be lenient).
  store::TrackQuery g;
  g.global_only = true;
  g.track_id = global_id;
  g.limit = 1'000'000;
  DIDBAN_ASSIGN_OR_RETURN(std::vector<store::TrackPoint> global_points, store.QueryTracks(g));
  std::erase_if(points, [](const store::TrackPoint& p) { return p.camera.empty(); });
  if (points.empty() && global_points.empty()) {
    return absl::NotFoundError(absl::StrCat("global track ", global_id, ": no points"));
  }
  // The tagged local tracks, with the span of their tagged points; then their untagged points around that span.
  std::map<std::pair<std::string, int64_t>, std::pair<TimeUs, TimeUs>> locals;
  for (const store::TrackPoint& p : points) {
    auto [it, inserted] = locals.try_emplace({p.camera, p.track_id}, p.time_us, p.time_us);
    if (!inserted) {
      it->second.first = std::min(it->second.first, p.time_us);
      it->second.second = std::max(it->second.second, p.time_us);
    }
  }
  for (const auto& [key, span] : locals) {
    store::TrackQuery l;
    l.cameras = {key.first};
    l.track_id = key.second;
    l.from_us = span.first - options.extend_us;
    l.to_us = span.second + options.extend_us + 1;
    l.limit = 1'000'000;
    DIDBAN_ASSIGN_OR_RETURN(std::vector<store::TrackPoint> more, store.QueryTracks(l));
    for (store::TrackPoint& p : more) {
      if (p.global_id == 0) points.push_back(std::move(p));
    }
  }
  points.insert(points.end(), global_points.begin(), global_points.end());
  return SummarizeGlobalTrack(global_id, points, options);
}

inline std::vector<FollowPiece> PlanFollow(const GlobalTrackView& view, const FollowPlanOptions& options) {
  std::vector<FollowPiece> pieces;
  const std::vector<CameraInterval>& iv = view.intervals;
  if (iv.empty()) return pieces;
  // The interval among `candidates` that keeps the object longest (ties: earlier start, then camera name).
  auto better = [](const CameraInterval* a, const CameraInterval* b) {
    if (b == nullptr) return true;
    if (a->to_us != b->to_us) return a->to_us > b->to_us;
    if (a->from_us != b->from_us) return a->from_us < b->from_us;
    return a->camera < b->camera;
  };
  const CameraInterval* cur = nullptr;
  for (const CameraInterval& i : iv) {
    if (i.from_us == iv.front().from_us && better(&i, cur)) cur = &i;
  }
  TimeUs start = cur->from_us - options.tail_us;
  for (;;) {
    const TimeUs cut = cur->to_us;
    const CameraInterval* next = nullptr;
    for (const CameraInterval& i : iv) {
      if (&i != cur && i.from_us <= cut && i.to_us > cut && better(&i, next)) next = &i;
    }
    FollowPiece piece;
    piece.camera = cur->camera;
    piece.from_us = start;
    piece.track_ids = cur->track_ids;
    piece.seen_from_us = cur->from_us;
    piece.seen_to_us = cur->to_us;
    if (next != nullptr) {  // a hand-off inside the overlap
      piece.to_us = cut;
      piece.handoff_to_next = true;
      start = cut;
    } else {
      // A gap: the first camera to see the object again (the longest on a tie).
      for (const CameraInterval& i : iv) {
        if (i.from_us > cut &&
            (next == nullptr || i.from_us < next->from_us || (i.from_us == next->from_us && better(&i, next)))) {
          next = &i;
        }
      }
      piece.to_us = next == nullptr ? cut + options.tail_us : std::min(cut + options.tail_us, next->from_us);
      if (next != nullptr) start = std::max(next->from_us - options.tail_us, piece.to_us);
    }
    if (piece.to_us - piece.from_us >= options.min_piece_us) {
      pieces.push_back(std::move(piece));
    } else if (!pieces.empty()) {
      pieces.back().handoff_to_next = false;  // the short piece between is dropped: a gap now
    }
    if (next == nullptr) break;
    cur = next;
  }
  return pieces;
}

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_GLOBAL_TRACK_VIEW_H_
