// The store: events (with acknowledgement), downsampled tracks, interval statistics, recording segments and clips,
// behind one interface with two implementations: SQLite in WAL mode (the embedded default, a file beside the site)
// and PostgreSQL (a central server). Schemas are created by numbered, forward-only migrations.
//
// A Store is safe for concurrent access from multiple threads without external synchronisation. Writes are enqueued
// to a bounded queue and applied by the store's own writer thread in batched transactions (committed at least every
// StoreOptions::flush_interval_us and on Flush/Close); reads run on the caller's thread with their own connections.
// Every value reaches the database as a bound parameter, never pasted into SQL.
#ifndef DIDBAN_STORE_STORE_H_
#define DIDBAN_STORE_STORE_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "didban/event.h"
#include "didban/geometry.h"
#include "didban/object_class.h"
#include "didban/status.h"
#include "didban/time.h"
#include "rules/interval_stats.h"

namespace didban::store {

// ---------------------------------------------------------------------------------------------------------------
// Values

// An event as stored: the rule's Event, its stable id and its acknowledgement.
struct StoredEvent {
  std::string id;  // stable id (MakeEventId); the key: a second insert with the same id is dropped
  Event event;
  TimeUs acked_at_us = 0;  // when an operator acknowledged it (wall time, µs since the epoch); 0 = not acknowledged
  std::string acked_by;    // who acknowledged it ("" when not acknowledged)
  bool acknowledged() const { return acked_at_us != 0; }
};

// A stable id for an event: 16 lowercase hex digits, a 64-bit FNV-1a hash of camera, time, type, rule and the two
// track IDs. The same event raised twice (a retry, a replay) gets the same id, so the store keeps it once.
std::string MakeEventId(const Event& e);

// One sample of a track. Per-camera tracks have a camera and a box (pixels); global (fused) tracks have camera ""
// and global_id set; either may have a ground position.
struct TrackPoint {
  std::string camera;     // camera name; "" for a global track point
  int64_t track_id = 0;   // per-camera track ID; for a global track point, the global ID
  int64_t global_id = 0;  // the fuser's global ID this track belongs to; 0 when none
  TimeUs time_us = 0;     // frame time
  ObjectClass object_class = ObjectClass::kUnknown;
  Box box;                       // pixels (all zero for a global track point)
  std::optional<Point2> ground;  // site-local metres (east, north), if calibrated
  double speed_kmh = 0;          // ground speed if known, else 0
  bool last = false;  // the track's final point (it was removed): always stored, and ends its downsampling state
};

// One interval-statistics value: a row of rules::IntervalStats::ToCsv. The key is (camera, start, rule, metric,
// class, direction); writing the same key again replaces the value (bins grow while their interval runs).
struct StatRow {
  TimeUs start_us = 0;  // interval start (frame time)
  TimeUs end_us = 0;    // interval end
  std::string camera;
  std::string rule;          // "" for event-type counts
  std::string metric;        // "count", "speed_mean_kmh", "speed_p85_kmh", "speed_n", "occupancy_mean", ... or a type
  std::string object_class;  // "" when not by class
  std::string direction;     // "" when not by direction
  double value = 0;
};

// The rows of rules::IntervalStats::ToCsv for `bins` (same metrics, same order).
std::vector<StatRow> StatRowsFromBins(const std::deque<rules::StatsBin>& bins, const rules::IntervalStatsOptions& o,
                                      const std::string& camera);
// CSV of rows, header "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value" (as ToCsv).
std::string StatRowsToCsv(const std::vector<StatRow>& rows);

// One recording segment file of a camera (the recorder writes it by stream copy).
struct Segment {
  std::string path;  // the key: file path of the segment
  std::string camera;
  TimeUs start_us = 0;           // wall time of its first packet, µs since the epoch
  TimeUs end_us = 0;             // wall time of its last packet (so far, while open; 0 = none yet)
  int64_t bytes = 0;             // file size (so far, while open)
  int64_t keyframes = 0;         // keyframes in the segment
  TimeUs first_keyframe_us = 0;  // time of its first keyframe (seeking starts there)
  bool open = true;              // still being written (a segment left open by a kill -9 is repaired at start)
  bool evidence = false;         // kept until released: retention never deletes it
};

enum class ClipState : int { kPending = 0, kReady = 1, kFailed = 2 };
std::string_view ClipStateName(ClipState s);  // "pending", "ready", "failed"

// An exported clip (an event's clip with pre/post-roll, or a manual export).
struct Clip {
  std::string id;        // the key
  std::string event_id;  // the event it shows; "" for a manual export
  std::string camera;
  TimeUs start_us = 0;  // first frame, pre-roll included
  TimeUs end_us = 0;    // last frame, post-roll included
  std::string path;     // file path ("" while pending)
  int64_t bytes = 0;
  ClipState state = ClipState::kPending;
  std::string detail;     // why it failed, or a note
  bool evidence = false;  // kept until released
  TimeUs created_us = 0;  // wall time of the request
};

// ---------------------------------------------------------------------------------------------------------------
// Queries. Empty lists and unset optionals do not filter. Lists match any of their values.

struct EventQuery {
  std::vector<std::string> cameras;
  std::vector<std::string> types;
  std::vector<std::string> rules;
  std::vector<ObjectClass> classes;
  std::optional<TimeUs> from_us;  // time_us >= from_us
  std::optional<TimeUs> to_us;    // time_us < to_us
  std::optional<bool> acknowledged;
  std::optional<int64_t> track_id;
  bool oldest_first = false;  // default: newest first
  int limit = 100;            // page size, 1..10000
  std::string cursor;         // "" = first page; else EventPage::next_cursor of the previous page (same filters)

  absl::Status Validate() const;
};

// A page of events. Paging is by keyset on (time_us, id), so pages stay stable while new events arrive.
struct EventPage {
  std::vector<StoredEvent> events;
  std::string next_cursor;  // "" when this is the last page
};

struct TrackQuery {
  std::vector<std::string> cameras;  // only per-camera points of these cameras
  std::optional<int64_t> track_id;   // with one camera: that camera's track; with global_only: that global ID
  std::optional<int64_t> global_id;  // points belonging to this global ID (per-camera and global)
  bool global_only = false;          // only global (fused) track points (camera "")
  std::optional<TimeUs> from_us;     // time_us >= from_us
  std::optional<TimeUs> to_us;       // time_us < to_us
  int limit = 100000;                // at most this many points, 1..1000000, ordered by (camera, track, time)

  absl::Status Validate() const;
};

struct StatsQuery {
  std::vector<std::string> cameras;
  std::vector<std::string> rules;
  std::vector<std::string> metrics;
  std::optional<TimeUs> from_us;  // start_us >= from_us
  std::optional<TimeUs> to_us;    // start_us < to_us
  int limit = 100000;             // 1..1000000, ordered by (start, camera, rule, metric, class, direction)

  absl::Status Validate() const;
};

struct SegmentQuery {
  std::vector<std::string> cameras;
  std::optional<TimeUs> from_us;  // segments overlapping [from_us, to_us): end >= from (or open)
  std::optional<TimeUs> to_us;    // start < to_us
  std::optional<bool> open;
  std::optional<bool> evidence;
  int limit = 10000;  // 1..1000000, ordered by (start, path)

  absl::Status Validate() const;
};

struct ClipQuery {
  std::vector<std::string> cameras;
  std::optional<std::string> event_id;
  std::optional<bool> evidence;
  std::optional<TimeUs> from_us;  // created_us >= from_us
  std::optional<TimeUs> to_us;    // created_us < to_us
  int limit = 1000;               // 1..100000, newest first

  absl::Status Validate() const;
};

// ---------------------------------------------------------------------------------------------------------------
// Options and counters

struct StoreOptions {
  size_t queue_capacity = 100000;            // pending write operations; beyond it writes are dropped and counted
  TimeUs flush_interval_us = 200'000;        // the writer commits at least this often while there is work, microseconds
  size_t max_batch = 10000;                  // operations per transaction at most
  int reader_connections = 4;                // read connections at most (reads beyond wait for one)
  TimeUs track_min_interval_us = 1'000'000;  // track downsampling: at most one point per track per interval, µs
                                             // (0 = keep every point); first and last points always kept
  size_t max_downsampled_tracks = 100000;    // downsampling state bound (reset beyond it)
  int max_write_retries = 5;                 // a failing batch is retried this often, then dropped and counted
  TimeUs busy_timeout_us = 5'000'000;        // SQLite busy timeout, microseconds
  Clock* clock = nullptr;                    // for lag and ack times; nullptr = SystemClock()

  absl::Status Validate() const;
};

// Counters for /metrics. All are totals since Open unless named otherwise.
struct StoreStats {
  int64_t queue_depth = 0;  // pending write operations now
  int64_t queue_capacity = 0;
  TimeUs lag_us = 0;                   // age of the oldest pending operation now (steady clock), 0 when idle
  int64_t enqueued_total = 0;          // operations accepted
  int64_t written_total = 0;           // operations committed
  int64_t dropped_total = 0;           // operations dropped: queue full, or a batch that kept failing
  int64_t events_written_total = 0;    // events inserted (new ids)
  int64_t events_duplicate_total = 0;  // events whose id was already stored (dropped as repeats)
  int64_t track_points_written_total = 0;
  int64_t track_points_downsampled_total = 0;  // points skipped by downsampling
  int64_t batches_total = 0;                   // transactions committed
  int64_t write_errors_total = 0;              // failed transactions (each retry counts)
  TimeUs last_commit_us = 0;                   // wall time of the last commit, 0 before the first
};

// ---------------------------------------------------------------------------------------------------------------
// The interface

// A store of events, tracks, statistics, segments and clips. Thread-safe (see the file comment).
class Store {
 public:
  virtual ~Store() = default;

  // "sqlite" or "postgresql".
  virtual std::string_view Backend() const = 0;

  // --- asynchronous writes: enqueue and return at once; false (and counted) when the queue is full or closed.
  virtual bool AddEvent(StoredEvent e) = 0;  // insert-or-ignore keyed by id (an empty id gets MakeEventId)
  virtual bool AddTrackPoints(std::vector<TrackPoint> points) = 0;  // downsampled per track before writing
  virtual bool PutStats(std::vector<StatRow> rows) = 0;             // upsert by key
  virtual bool PutSegment(Segment s) = 0;                           // upsert by path
  virtual bool DeleteSegment(std::string path) = 0;                 // retention removed the file
  virtual bool PutClip(Clip c) = 0;                                 // upsert by id
  virtual bool DeleteClip(std::string id) = 0;
  virtual bool PruneTrackPoints(TimeUs before_us) = 0;  // deletes track points with time_us < before_us

  // --- synchronous writes: pass through the writer queue (after everything enqueued before) and wait for it.
  // Acknowledges an event: the first acknowledgement is kept (a second returns the event as it is). NotFound when no
  // event has that id. `at_us` 0 = now.
  virtual absl::StatusOr<StoredEvent> Acknowledge(const std::string& event_id, const std::string& by,
                                                  TimeUs at_us = 0) = 0;
  // Marks (or releases) a segment / clip as evidence. NotFound when unknown.
  virtual absl::Status SetSegmentEvidence(const std::string& path, bool evidence) = 0;
  virtual absl::Status SetClipEvidence(const std::string& id, bool evidence) = 0;
  // Repair at start: marks every open segment of `camera` ("" = all cameras) closed, keeping its stored end_us (or
  // its start_us when end_us is 0) and bytes. Returns how many were closed. A recorder that can do better lists
  // them with ListOpenSegments, probes each file and writes it back with PutSegment(open = false) instead.
  virtual absl::StatusOr<int64_t> CloseOpenSegments(const std::string& camera) = 0;

  // Waits until every operation enqueued before the call is committed (durable). DeadlineExceeded after `timeout_us`;
  // an error when the store is closed or the last batch failed.
  virtual absl::Status Flush(TimeUs timeout_us = 30 * kUsPerSecond) = 0;
  // Flushes, stops the writer and closes connections. Later writes are refused. Idempotent; the destructor calls it.
  virtual absl::Status Close() = 0;

  // --- reads (caller's thread)
  virtual absl::StatusOr<EventPage> QueryEvents(const EventQuery& q) = 0;
  virtual absl::StatusOr<StoredEvent> GetEvent(const std::string& id) = 0;  // NotFound when unknown
  virtual absl::StatusOr<int64_t> CountEvents(const EventQuery& q) = 0;     // ignores limit and cursor
  virtual absl::StatusOr<std::vector<TrackPoint>> QueryTracks(const TrackQuery& q) = 0;
  virtual absl::StatusOr<std::vector<StatRow>> QueryStats(const StatsQuery& q) = 0;
  virtual absl::StatusOr<std::vector<Segment>> QuerySegments(const SegmentQuery& q) = 0;
  virtual absl::StatusOr<std::vector<Segment>> ListOpenSegments(const std::string& camera) = 0;  // "" = all
  virtual absl::StatusOr<std::vector<Clip>> QueryClips(const ClipQuery& q) = 0;
  virtual absl::StatusOr<Clip> GetClip(const std::string& id) = 0;  // NotFound when unknown

  // The schema version (highest applied migration).
  virtual absl::StatusOr<int> SchemaVersion() = 0;

  virtual StoreStats Stats() const = 0;
};

// Opens (creating and migrating as needed) a store:
//   "sqlite:///abs/path/site.db", "sqlite://relative/site.db" or a plain path  -> SQLite (WAL) file
//   "postgresql://user@host:port/db?..." or "postgres://..."                  -> PostgreSQL (libpq URI)
absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options = {});

}  // namespace didban::store

#endif  // DIDBAN_STORE_STORE_H_
