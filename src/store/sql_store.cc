#include "store/sql_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <future>
#include <map>
#include <thread>
#include <utility>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "store/schema.h"

namespace didban::store {
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Write operations

struct OpEvent {
  StoredEvent e;
  TimeUs inserted_at_us;
};
struct OpTracks {
  std::vector<TrackPoint> points;
};
struct OpStats {
  std::vector<StatRow> rows;
};
struct OpSegment {
  Segment s;
};
struct OpDeleteSegment {
  std::string path;
};
struct OpClip {
  Clip c;
};
struct OpDeleteClip {
  std::string id;
};
struct OpPrune {
  TimeUs before_us;
};
struct OpAck {
  std::string id, by;
  TimeUs at_us;
  std::shared_ptr<std::promise<absl::StatusOr<StoredEvent>>> done;
};
struct OpSegmentEvidence {
  std::string path;
  bool evidence;
  std::shared_ptr<std::promise<absl::Status>> done;
};
struct OpClipEvidence {
  std::string id;
  bool evidence;
  std::shared_ptr<std::promise<absl::Status>> done;
};
struct OpCloseOpen {
  std::string camera;
  std::shared_ptr<std::promise<absl::StatusOr<int64_t>>> done;
};
using Op = std::variant<OpEvent, OpTracks, OpStats, OpSegment, OpDeleteSegment, OpClip, OpDeleteClip, OpPrune, OpAck,
                        OpSegmentEvidence, OpClipEvidence, OpCloseOpen>;

struct Item {
  int64_t seq = 0;
  TimeUs enqueued_steady_us = 0;  // by the injected clock, for the lag counter
  absl::Time enqueued_at;         // real time, for the writer's gathering deadline
  Op op;
};

// Rows per multi-row INSERT (17 parameters per event row stays far below both backends' parameter limits).
constexpr size_t kRowsPerInsert = 500;

constexpr const char* kEventColumns =
    "id, time_us, camera, type, rule, track_id, other_track_id, object_class, ground_x, ground_y, value, unit, "
    "detail, snapshot_path, acked_at_us, acked_by";
constexpr const char* kTrackColumns =
    "camera, track_id, global_id, time_us, object_class, box_x, box_y, box_w, box_h, ground_x, ground_y, speed_kmh, "
    "is_last";
constexpr const char* kStatColumns = "camera, start_us, end_us, rule, metric, object_class, direction, value";
constexpr const char* kSegmentColumns =
    "path, camera, start_us, end_us, bytes, keyframes, first_keyframe_us, is_open, evidence";
constexpr const char* kClipColumns =
    "id, event_id, camera, start_us, end_us, path, bytes, state, detail, evidence, created_us";

// Rows per INSERT ... SELECT FROM unnest(...) on PostgreSQL: one parameter per column (an array literal), so only
// the statement's size bounds it.
constexpr size_t kRowsPerUnnest = 10000;

// PostgreSQL's bulk insert: each column's values travel as one array literal bound to one parameter, and the
// statement is INSERT INTO t (cols) SELECT * FROM unnest($1::type1[], $2::type2[], ...) [suffix]. The server plans one
// small statement instead of parsing and binding rows x columns parameters (1.5-2x less time per row than multi-row
// VALUES in a psql test; see docs/performance.md).
class UnnestInsert {
 public:
  explicit UnnestInsert(std::vector<const char*> types) : types_(std::move(types)), arrays_(types_.size()) {}
  // Appends one row; `row` has one value per column, in the order of the types.
  void Add(const std::vector<Value>& row) {
    for (size_t c = 0; c < types_.size(); ++c) {
      std::string& a = arrays_[c];
      a.push_back(rows_ == 0 ? '{' : ',');
      const Value& v = row[c];
      if (std::holds_alternative<std::monostate>(v)) {
        a.append("NULL");
      } else if (const auto* i = std::get_if<int64_t>(&v)) {
        absl::StrAppend(&a, *i);
      } else if (const auto* d = std::get_if<double>(&v)) {
        char buf[40];
        std::snprintf(buf, sizeof(buf), "%.17g", *d);
        a.append(buf);
      } else {
        // Runs without a quote or backslash are appended whole (a byte at a time showed in the relay benchmark's
        // profile).
        a.push_back('"');
        std::string_view text = std::get<std::string>(v);
        for (size_t at = text.find_first_of("\"\\"); at != std::string_view::npos; at = text.find_first_of("\"\\")) {
          a.append(text.substr(0, at)).push_back('\\');
          a.push_back(text[at]);
          text.remove_prefix(at + 1);
        }
        a.append(text);
        a.push_back('"');
      }
    }
    ++rows_;
  }
  size_t rows() const { return rows_; }
  // "INSERT INTO <table> (<columns>) SELECT * FROM unnest(...) <suffix>"; empties this.
  SqlBuilder Build(const std::string& table, const std::string& columns, const std::string& suffix) {
    SqlBuilder b(Dialect::kPostgres);
    b.Sql(absl::StrCat("INSERT INTO ", table, " (", columns, ") SELECT * FROM unnest("));
    for (size_t c = 0; c < types_.size(); ++c) {
      if (c > 0) b.Sql(", ");
      arrays_[c].push_back('}');
      b.Param(std::move(arrays_[c]));
      b.Sql(absl::StrCat("::", types_[c], "[]"));
      arrays_[c].clear();
    }
    b.Sql(") ").Sql(suffix);
    rows_ = 0;
    return b;
  }

 private:
  std::vector<const char*> types_;
  std::vector<std::string> arrays_;
  size_t rows_ = 0;
};

Value OptX(const std::optional<Point2>& p) { return p ? Value(p->x) : Value(); }
Value OptY(const std::optional<Point2>& p) { return p ? Value(p->y) : Value(); }
int64_t B(bool b) { return b ? 1 : 0; }

StoredEvent DecodeEvent(const Row& r) {
  StoredEvent s;
  s.id = r.Str(0);
  Event& e = s.event;
  e.time_us = r.Int(1);
  e.camera = r.Str(2);
  e.type = r.Str(3);
  e.rule = r.Str(4);
  e.track_id = r.Int(5);
  e.other_track_id = r.Int(6);
  e.object_class = ObjectClassFromName(r.Str(7));
  if (!r.Null(8) && !r.Null(9)) e.ground = Point2{r.Double(8), r.Double(9)};
  e.value = r.Double(10);
  e.unit = r.Str(11);
  e.detail = r.Str(12);
  e.snapshot_path = r.Str(13);
  s.acked_at_us = r.Null(14) ? 0 : r.Int(14);
  s.acked_by = r.Str(15);
  return s;
}

TrackPoint DecodeTrackPoint(const Row& r) {
  TrackPoint p;
  p.camera = r.Str(0);
  p.track_id = r.Int(1);
  p.global_id = r.Int(2);
  p.time_us = r.Int(3);
  p.object_class = ObjectClassFromName(r.Str(4));
  p.box = Box{static_cast<float>(r.Double(5)), static_cast<float>(r.Double(6)), static_cast<float>(r.Double(7)),
              static_cast<float>(r.Double(8))};
  if (!r.Null(9) && !r.Null(10)) p.ground = Point2{r.Double(9), r.Double(10)};
  p.speed_kmh = r.Double(11);
  p.last = r.Int(12) != 0;
  return p;
}

StatRow DecodeStat(const Row& r) {
  return StatRow{r.Int(1), r.Int(2), r.Str(0), r.Str(3), r.Str(4), r.Str(5), r.Str(6), r.Double(7)};
}

Segment DecodeSegment(const Row& r) {
  Segment s;
  s.path = r.Str(0);
  s.camera = r.Str(1);
  s.start_us = r.Int(2);
  s.end_us = r.Int(3);
  s.bytes = r.Int(4);
  s.keyframes = r.Int(5);
  s.first_keyframe_us = r.Int(6);
  s.open = r.Int(7) != 0;
  s.evidence = r.Int(8) != 0;
  return s;
}

ClipState ClipStateFromName(const std::string& s) {
  if (s == "ready") return ClipState::kReady;
  if (s == "failed") return ClipState::kFailed;
  return ClipState::kPending;
}

Clip DecodeClip(const Row& r) {
  Clip c;
  c.id = r.Str(0);
  c.event_id = r.Str(1);
  c.camera = r.Str(2);
  c.start_us = r.Int(3);
  c.end_us = r.Int(4);
  c.path = r.Str(5);
  c.bytes = r.Int(6);
  c.state = ClipStateFromName(r.Str(7));
  c.detail = r.Str(8);
  c.evidence = r.Int(9) != 0;
  c.created_us = r.Int(10);
  return c;
}

// Keyset cursor "<time_us>:<id>".
std::string EncodeCursor(const StoredEvent& e) { return absl::StrCat(e.event.time_us, ":", e.id); }
absl::Status DecodeCursor(const std::string& cursor, TimeUs* time_us, std::string* id) {
  const size_t colon = cursor.find(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(cursor.substr(0, colon), time_us)) {
    return absl::InvalidArgumentError(absl::StrCat("store: bad event cursor \"", cursor, "\""));
  }
  *id = cursor.substr(colon + 1);
  return absl::OkStatus();
}

// The WHERE clause of an event query (without cursor), starting with " WHERE 1=1".
void EventFilters(SqlBuilder& b, const EventQuery& q) {
  b.Sql(" WHERE 1=1");
  AndIn(b, "camera", q.cameras);
  AndIn(b, "type", q.types);
  AndIn(b, "rule", q.rules);
  if (!q.classes.empty()) {
    std::vector<std::string> names;
    for (ObjectClass c : q.classes) names.emplace_back(ObjectClassName(c));
    AndIn(b, "object_class", names);
  }
  if (q.from_us) b.Sql(" AND time_us >= ").Param(*q.from_us);
  if (q.to_us) b.Sql(" AND time_us < ").Param(*q.to_us);
  if (q.acknowledged) b.Sql(*q.acknowledged ? " AND acked_at_us IS NOT NULL" : " AND acked_at_us IS NULL");
  if (q.track_id) b.Sql(" AND track_id = ").Param(*q.track_id);
}

// ---------------------------------------------------------------------------------------------------------------
// Read connections

class Pool {
 public:
  Pool(ConnectionFactory factory, int max) : factory_(std::move(factory)), max_(max) {}

  class Lease {
   public:
    Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ && c_) pool_->Return(std::move(c_));
    }
    Connection& operator*() { return *c_; }
    Connection* operator->() { return c_.get(); }

   private:
    Pool* pool_;
    std::unique_ptr<Connection> c_;
  };

  absl::StatusOr<Lease> Acquire() {
    {
      absl::MutexLock l(&mu_);
      mu_.Await(absl::Condition(
          +[](Pool* p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(p->mu_) { return !p->free_.empty() || p->open_ < p->max_; },
          this));
      if (!free_.empty()) {
        std::unique_ptr<Connection> c = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(c));
      }
      ++open_;
    }
    absl::StatusOr<std::unique_ptr<Connection>> c = factory_(false);
    if (!c.ok()) {
      absl::MutexLock l(&mu_);
      --open_;
      return c.status();
    }
    return Lease(this, std::move(*c));
  }

  void Clear() {
    absl::MutexLock l(&mu_);
    open_ -= static_cast<int>(free_.size());
    free_.clear();
  }

 private:
  void Return(std::unique_ptr<Connection> c) {
    absl::MutexLock l(&mu_);
    if (c->Broken()) {
      --open_;
      return;
    }
    free_.push_back(std::move(c));
  }

  ConnectionFactory factory_;
  const int max_;
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Connection>> free_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

// ---------------------------------------------------------------------------------------------------------------
// The store

class SqlStore final : public Store {
 public:
  SqlStore(std::string backend, Dialect dialect, ConnectionFactory factory, const StoreOptions& o,
           std::unique_ptr<Connection> writer)
      : backend_(std::move(backend)),
        dialect_(dialect),
        factory_(factory),
        o_(o),
        clock_(o.clock ? o.clock : &SystemClock()),
        readers_(factory, o.reader_connections),
        writer_(std::move(writer)) {
    thread_ = std::thread([this] { WriterLoop(); });
  }
  ~SqlStore() override { (void)Close(); }

  std::string_view Backend() const override { return backend_; }

  bool AddEvent(StoredEvent e) override {
    if (e.id.empty()) e.id = MakeEventId(e.event);
    return Enqueue(OpEvent{std::move(e), clock_->NowUs()}, false);
  }
  bool AddTrackPoints(std::vector<TrackPoint> points) override {
    if (points.empty()) return true;
    return Enqueue(OpTracks{std::move(points)}, false);
  }
  bool PutStats(std::vector<StatRow> rows) override {
    if (rows.empty()) return true;
    return Enqueue(OpStats{std::move(rows)}, false);
  }
  bool PutSegment(Segment s) override { return Enqueue(OpSegment{std::move(s)}, false); }
  bool DeleteSegment(std::string path) override { return Enqueue(OpDeleteSegment{std::move(path)}, false); }
  bool PutClip(Clip c) override { return Enqueue(OpClip{std::move(c)}, false); }
  bool DeleteClip(std::string id) override { return Enqueue(OpDeleteClip{std::move(id)}, false); }
  bool PruneTrackPoints(TimeUs before_us) override { return Enqueue(OpPrune{before_us}, false); }

  absl::StatusOr<StoredEvent> Acknowledge(const std::string& event_id, const std::string& by, TimeUs at_us) override {
    auto done = std::make_shared<std::promise<absl::StatusOr<StoredEvent>>>();
    auto f = done->get_future();
    if (!Enqueue(OpAck{event_id, by, at_us != 0 ? at_us : clock_->NowUs(), done}, true)) return Refused();
    return f.get();
  }
  absl::Status SetSegmentEvidence(const std::string& path, bool evidence) override {
    auto done = std::make_shared<std::promise<absl::Status>>();
    auto f = done->get_future();
    if (!Enqueue(OpSegmentEvidence{path, evidence, done}, true)) return Refused();
    return f.get();
  }
  absl::Status SetClipEvidence(const std::string& id, bool evidence) override {
    auto done = std::make_shared<std::promise<absl::Status>>();
    auto f = done->get_future();
    if (!Enqueue(OpClipEvidence{id, evidence, done}, true)) return Refused();
    return f.get();
  }
  absl::StatusOr<int64_t> CloseOpenSegments(const std::string& camera) override {
    auto done = std::make_shared<std::promise<absl::StatusOr<int64_t>>>();
    auto f = done->get_future();
    if (!Enqueue(OpCloseOpen{camera, done}, true)) return Refused();
    return f.get();
  }

  absl::Status Flush(TimeUs timeout_us) override {
    absl::MutexLock l(&mu_);
    if (closed_) return absl::FailedPreconditionError(absl::StrCat("store ", backend_, ": closed"));
    const int64_t target = enqueued_seq_;
    const int64_t base = committed_seq_;
    ++flush_waiters_;
    auto flushed = [this, target]()
                       ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return committed_seq_ >= target || writer_done_; };
    const bool done = mu_.AwaitWithTimeout(absl::Condition(&flushed), absl::Microseconds(timeout_us));
    --flush_waiters_;
    if (!done) {
      return absl::DeadlineExceededError(
          absl::StrCat("store ", backend_, ": flush did not finish in ", timeout_us / 1000, " ms (",
                       target - committed_seq_, " operations pending; last error: ", last_error_.ToString(), ")"));
    }
    if (committed_seq_ < target) return absl::AbortedError(absl::StrCat("store ", backend_, ": writer stopped"));
    if (last_drop_seq_ > base) {
      return absl::DataLossError(
          absl::StrCat("store ", backend_, ": a batch was dropped after retries: ", last_error_.ToString()));
    }
    return absl::OkStatus();
  }

  absl::Status Close() override {
    {
      absl::MutexLock l(&mu_);
      if (closed_) return close_status_;
      closed_ = true;
    }
    if (thread_.joinable()) thread_.join();
    writer_.reset();
    readers_.Clear();
    absl::MutexLock l(&mu_);
    if (last_drop_seq_ > 0) close_status_ = absl::DataLossError(last_error_.ToString());
    return close_status_;
  }

  absl::StatusOr<EventPage> QueryEvents(const EventQuery& q) override {
    DIDBAN_RETURN_IF_ERROR(q.Validate());
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kEventColumns, " FROM events"));
    EventFilters(b, q);
    if (!q.cursor.empty()) {
      TimeUs t = 0;
      std::string id;
      DIDBAN_RETURN_IF_ERROR(DecodeCursor(q.cursor, &t, &id));
      const char* op = q.oldest_first ? ">" : "<";
      b.Sql(absl::StrCat(" AND time_us ", op, "= ")).Param(t);
      b.Sql(absl::StrCat(" AND (time_us ", op, " ")).Param(t);
      b.Sql(" OR (time_us = ").Param(t).Sql(absl::StrCat(" AND id ", op, " ")).Param(id).Sql("))");
    }
    b.Sql(q.oldest_first ? " ORDER BY time_us ASC, id ASC" : " ORDER BY time_us DESC, id DESC");
    b.Sql(" LIMIT ").Param(int64_t{q.limit} + 1);
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    EventPage page;
    const size_t n = std::min(rows.size(), static_cast<size_t>(q.limit));
    page.events.reserve(n);
    for (size_t i = 0; i < n; ++i) page.events.push_back(DecodeEvent(rows[i]));
    if (rows.size() > n && !page.events.empty()) page.next_cursor = EncodeCursor(page.events.back());
    return page;
  }

  absl::StatusOr<StoredEvent> GetEvent(const std::string& id) override {
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kEventColumns, " FROM events WHERE id = ")).Param(id);
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("store: no event \"", id, "\""));
    return DecodeEvent(rows[0]);
  }

  absl::StatusOr<int64_t> CountEvents(const EventQuery& q) override {
    SqlBuilder b(dialect_);
    b.Sql("SELECT COUNT(*) FROM events");
    EventFilters(b, q);
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    return rows.empty() ? 0 : rows[0].Int(0);
  }

  absl::StatusOr<std::vector<TrackPoint>> QueryTracks(const TrackQuery& q) override {
    DIDBAN_RETURN_IF_ERROR(q.Validate());
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kTrackColumns, " FROM track_points WHERE 1=1"));
    if (q.global_only) b.Sql(" AND camera = ").Param(std::string());
    AndIn(b, "camera", q.cameras);
    if (q.track_id) b.Sql(" AND track_id = ").Param(*q.track_id);
    if (q.global_id) b.Sql(" AND global_id = ").Param(*q.global_id);
    if (q.from_us) b.Sql(" AND time_us >= ").Param(*q.from_us);
    if (q.to_us) b.Sql(" AND time_us < ").Param(*q.to_us);
    b.Sql(" ORDER BY camera, track_id, time_us LIMIT ").Param(int64_t{q.limit});
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    std::vector<TrackPoint> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(DecodeTrackPoint(r));
    return out;
  }

  absl::StatusOr<std::vector<StatRow>> QueryStats(const StatsQuery& q) override {
    DIDBAN_RETURN_IF_ERROR(q.Validate());
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kStatColumns, " FROM interval_stats WHERE 1=1"));
    AndIn(b, "camera", q.cameras);
    AndIn(b, "rule", q.rules);
    AndIn(b, "metric", q.metrics);
    if (q.from_us) b.Sql(" AND start_us >= ").Param(*q.from_us);
    if (q.to_us) b.Sql(" AND start_us < ").Param(*q.to_us);
    b.Sql(" ORDER BY start_us, camera, rule, metric, object_class, direction LIMIT ").Param(int64_t{q.limit});
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    std::vector<StatRow> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(DecodeStat(r));
    return out;
  }

  absl::StatusOr<std::vector<Segment>> QuerySegments(const SegmentQuery& q) override {
    DIDBAN_RETURN_IF_ERROR(q.Validate());
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kSegmentColumns, " FROM segments WHERE 1=1"));
    AndIn(b, "camera", q.cameras);
    if (q.from_us) b.Sql(" AND (is_open = 1 OR end_us >= ").Param(*q.from_us).Sql(")");
    if (q.to_us) b.Sql(" AND start_us < ").Param(*q.to_us);
    if (q.open) b.Sql(" AND is_open = ").Param(B(*q.open));
    if (q.evidence) b.Sql(" AND evidence = ").Param(B(*q.evidence));
    b.Sql(" ORDER BY start_us, path LIMIT ").Param(int64_t{q.limit});
    return ReadSegments(b);
  }

  absl::StatusOr<std::vector<Segment>> ListOpenSegments(const std::string& camera) override {
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kSegmentColumns, " FROM segments WHERE is_open = 1"));
    if (!camera.empty()) b.Sql(" AND camera = ").Param(camera);
    b.Sql(" ORDER BY start_us, path");
    return ReadSegments(b);
  }

  absl::StatusOr<std::vector<Clip>> QueryClips(const ClipQuery& q) override {
    DIDBAN_RETURN_IF_ERROR(q.Validate());
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kClipColumns, " FROM clips WHERE 1=1"));
    AndIn(b, "camera", q.cameras);
    if (q.event_id) b.Sql(" AND event_id = ").Param(*q.event_id);
    if (q.evidence) b.Sql(" AND evidence = ").Param(B(*q.evidence));
    if (q.from_us) b.Sql(" AND created_us >= ").Param(*q.from_us);
    if (q.to_us) b.Sql(" AND created_us < ").Param(*q.to_us);
    b.Sql(" ORDER BY created_us DESC, id DESC LIMIT ").Param(int64_t{q.limit});
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    std::vector<Clip> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(DecodeClip(r));
    return out;
  }

  absl::StatusOr<Clip> GetClip(const std::string& id) override {
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("SELECT ", kClipColumns, " FROM clips WHERE id = ")).Param(id);
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("store: no clip \"", id, "\""));
    return DecodeClip(rows[0]);
  }

  absl::StatusOr<int> SchemaVersion() override {
    SqlBuilder b(dialect_);
    b.Sql("SELECT MAX(version) FROM schema_migrations");
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    return rows.empty() ? 0 : static_cast<int>(rows[0].Int(0));
  }

  StoreStats Stats() const override {
    absl::MutexLock l(&mu_);
    StoreStats s = stats_;
    s.queue_depth = static_cast<int64_t>(queue_.size()) + inflight_;
    s.queue_capacity = static_cast<int64_t>(o_.queue_capacity);
    TimeUs oldest = inflight_ > 0 ? inflight_oldest_us_ : (queue_.empty() ? 0 : queue_.front().enqueued_steady_us);
    s.lag_us = (inflight_ > 0 || !queue_.empty()) ? std::max<TimeUs>(0, clock_->SteadyUs() - oldest) : 0;
    return s;
  }

 private:
  absl::Status Refused() const {
    return absl::UnavailableError(absl::StrCat("store ", backend_, ": closed or write queue full"));
  }

  bool Enqueue(Op op, bool urgent) {
    absl::MutexLock l(&mu_);
    if (closed_ || queue_.size() >= o_.queue_capacity) {
      ++stats_.dropped_total;
      return false;
    }
    queue_.push_back(Item{++enqueued_seq_, clock_->SteadyUs(), absl::Now(), std::move(op)});
    ++stats_.enqueued_total;
    if (urgent) ++urgent_;
    return true;
  }

  absl::StatusOr<std::vector<Row>> Read(const SqlBuilder& b) {
    DIDBAN_ASSIGN_OR_RETURN(Pool::Lease c, readers_.Acquire());
    return c->Query(b.text(), b.params());
  }
  absl::StatusOr<std::vector<Segment>> ReadSegments(const SqlBuilder& b) {
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, Read(b));
    std::vector<Segment> out;
    out.reserve(rows.size());
    for (const Row& r : rows) out.push_back(DecodeSegment(r));
    return out;
  }

  // --- writer thread

  void WriterLoop();
  // Track downsampling, once per operation when it leaves the queue (not again on a retry).
  void Downsample(std::vector<TrackPoint>& points);
  // Applies one batch in one transaction; on success fulfils the synchronous operations' promises.
  absl::Status ApplyBatch(std::vector<Item>& batch, int64_t* events_new, int64_t* events_dup, int64_t* points);
  absl::Status WriteEvents(const std::vector<const OpEvent*>& events, int64_t* inserted);
  absl::Status WriteTracks(const std::vector<const TrackPoint*>& points);
  absl::Status WriteStats(const std::vector<const StatRow*>& rows);
  absl::Status Exec(const SqlBuilder& b, int64_t* changed = nullptr) {
    DIDBAN_ASSIGN_OR_RETURN(int64_t n, writer_->Exec(b.text(), b.params()));
    if (changed) *changed = n;
    return absl::OkStatus();
  }
  void FailSyncOps(std::vector<Item>& batch, const absl::Status& s);

  const std::string backend_;
  const Dialect dialect_;
  const ConnectionFactory factory_;
  const StoreOptions o_;
  Clock* const clock_;
  Pool readers_;
  std::unique_ptr<Connection> writer_;                               // writer thread only (after construction)
  std::map<std::pair<std::string, int64_t>, TimeUs> last_point_us_;  // writer thread only

  mutable absl::Mutex mu_;
  std::deque<Item> queue_ ABSL_GUARDED_BY(mu_);
  int64_t enqueued_seq_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t committed_seq_ ABSL_GUARDED_BY(mu_) = 0;  // every operation up to it is committed or dropped
  int64_t last_drop_seq_ ABSL_GUARDED_BY(mu_) = 0;  // the last operation of the last dropped batch
  int urgent_ ABSL_GUARDED_BY(mu_) = 0;             // synchronous operations queued
  int flush_waiters_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t inflight_ ABSL_GUARDED_BY(mu_) = 0;  // operations taken by the writer, not yet committed
  TimeUs inflight_oldest_us_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool writer_done_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status last_error_ ABSL_GUARDED_BY(mu_);
  absl::Status close_status_ ABSL_GUARDED_BY(mu_);
  StoreStats stats_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

void SqlStore::WriterLoop() {
  std::vector<Item> batch;
  int failures = 0;
  for (;;) {
    if (batch.empty()) {
      absl::MutexLock l(&mu_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || closed_; };
      mu_.Await(absl::Condition(&has_work));
      if (queue_.empty()) break;  // closed and drained
      // Gather for up to flush_interval after the oldest operation, unless someone waits or the batch is full.
      auto urgent = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return closed_ || urgent_ > 0 || flush_waiters_ > 0 || queue_.size() >= o_.max_batch;
      };
      mu_.AwaitWithDeadline(absl::Condition(&urgent),
                            queue_.front().enqueued_at + absl::Microseconds(o_.flush_interval_us));
      const size_t n = std::min(queue_.size(), o_.max_batch);
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
        if (std::holds_alternative<OpAck>(batch.back().op) ||
            std::holds_alternative<OpSegmentEvidence>(batch.back().op) ||
            std::holds_alternative<OpClipEvidence>(batch.back().op) ||
            std::holds_alternative<OpCloseOpen>(batch.back().op)) {
          --urgent_;
        }
      }
      inflight_ = static_cast<int64_t>(batch.size());
      inflight_oldest_us_ = batch.front().enqueued_steady_us;
      for (Item& it : batch) {
        if (auto* t = std::get_if<OpTracks>(&it.op)) {
          const size_t before = t->points.size();
          Downsample(t->points);
          stats_.track_points_downsampled_total += static_cast<int64_t>(before - t->points.size());
        }
      }
    }
    if (writer_ == nullptr || writer_->Broken()) {
      absl::StatusOr<std::unique_ptr<Connection>> c = factory_(true);
      if (c.ok()) writer_ = std::move(*c);
    }
    int64_t events_new = 0, events_dup = 0, points = 0;
    absl::Status s = writer_ == nullptr || writer_->Broken()
                         ? absl::UnavailableError(absl::StrCat("store ", backend_, ": no writer connection"))
                         : ApplyBatch(batch, &events_new, &events_dup, &points);
    absl::MutexLock l(&mu_);
    if (s.ok()) {
      stats_.written_total += static_cast<int64_t>(batch.size());
      stats_.events_written_total += events_new;
      stats_.events_duplicate_total += events_dup;
      stats_.track_points_written_total += points;
      ++stats_.batches_total;
      stats_.last_commit_us = clock_->NowUs();
      committed_seq_ = batch.back().seq;
      batch.clear();
      inflight_ = 0;
      failures = 0;
      continue;
    }
    ++stats_.write_errors_total;
    last_error_ = s;
    spdlog::error("store {}: write failed (attempt {}): {}", backend_, failures + 1, s.ToString());
    if (++failures > o_.max_write_retries) {
      FailSyncOps(batch, s);
      stats_.dropped_total += static_cast<int64_t>(batch.size());
      committed_seq_ = batch.back().seq;
      last_drop_seq_ = committed_seq_;
      batch.clear();
      inflight_ = 0;
      failures = 0;
      continue;
    }
    // Back off (100 ms, 200 ms, ... at most 2 s); a Close cuts the wait short but the batch is still retried.
    const TimeUs backoff = std::min<TimeUs>(100'000 << std::min(failures - 1, 5), 2'000'000);
    auto closing = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return closed_; };
    mu_.AwaitWithTimeout(absl::Condition(&closing), absl::Microseconds(backoff));
  }
  if (dialect_ == Dialect::kSqlite && writer_ != nullptr) {
    (void)writer_->ExecScript("PRAGMA optimize");  // keeps the planner's statistics current, cheaply
  }
  absl::MutexLock l(&mu_);
  writer_done_ = true;
}

void SqlStore::FailSyncOps(std::vector<Item>& batch, const absl::Status& s) {
  for (Item& it : batch) {
    if (auto* a = std::get_if<OpAck>(&it.op)) a->done->set_value(s);
    if (auto* a = std::get_if<OpSegmentEvidence>(&it.op)) a->done->set_value(s);
    if (auto* a = std::get_if<OpClipEvidence>(&it.op)) a->done->set_value(s);
    if (auto* a = std::get_if<OpCloseOpen>(&it.op)) a->done->set_value(s);
  }
}

void SqlStore::Downsample(std::vector<TrackPoint>& points) {
  if (o_.track_min_interval_us <= 0) return;
  if (last_point_us_.size() > o_.max_downsampled_tracks) last_point_us_.clear();
  std::vector<TrackPoint> kept;
  kept.reserve(points.size());
  for (TrackPoint& p : points) {
    const auto key = std::make_pair(p.camera, p.track_id);
    auto it = last_point_us_.find(key);
    const bool keep = p.last || it == last_point_us_.end() || p.time_us < it->second ||
                      p.time_us - it->second >= o_.track_min_interval_us;
    if (p.last) {
      if (it != last_point_us_.end()) last_point_us_.erase(it);
    } else if (keep) {
      last_point_us_[key] = p.time_us;
    }
    if (keep) kept.push_back(std::move(p));
  }
  points = std::move(kept);
}

absl::Status SqlStore::WriteEvents(const std::vector<const OpEvent*>& events, int64_t* inserted) {
  if (dialect_ == Dialect::kPostgres) {
    UnnestInsert u({"text", "bigint", "text", "text", "text", "bigint", "bigint", "text", "float8", "float8", "float8",
                    "text", "text", "text", "bigint", "text", "bigint"});
    for (size_t i = 0; i < events.size(); ++i) {
      const StoredEvent& s = events[i]->e;
      const Event& e = s.event;
      u.Add({s.id, e.time_us, e.camera, e.type, e.rule, e.track_id, e.other_track_id,
             std::string(ObjectClassName(e.object_class)), OptX(e.ground), OptY(e.ground), e.value, e.unit, e.detail,
             e.snapshot_path, s.acked_at_us != 0 ? Value(s.acked_at_us) : Value(),
             s.acked_at_us != 0 ? Value(s.acked_by) : Value(), events[i]->inserted_at_us});
      if (u.rows() == kRowsPerUnnest || i + 1 == events.size()) {
        int64_t n = 0;
        DIDBAN_RETURN_IF_ERROR(Exec(
            u.Build("events", absl::StrCat(kEventColumns, ", inserted_at_us"), "ON CONFLICT (id) DO NOTHING"), &n));
        *inserted += n;
      }
    }
    return absl::OkStatus();
  }
  for (size_t start = 0; start < events.size(); start += kRowsPerInsert) {
    const size_t end = std::min(events.size(), start + kRowsPerInsert);
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("INSERT INTO events (", kEventColumns, ", inserted_at_us) VALUES "));
    for (size_t i = start; i < end; ++i) {
      const StoredEvent& s = events[i]->e;
      const Event& e = s.event;
      if (i > start) b.Sql(", ");
      b.ParamList({s.id, e.time_us, e.camera, e.type, e.rule, e.track_id, e.other_track_id,
                   std::string(ObjectClassName(e.object_class)), OptX(e.ground), OptY(e.ground), e.value, e.unit,
                   e.detail, e.snapshot_path, s.acked_at_us != 0 ? Value(s.acked_at_us) : Value(),
                   s.acked_at_us != 0 ? Value(s.acked_by) : Value(), events[i]->inserted_at_us});
    }
    b.Sql(" ON CONFLICT (id) DO NOTHING");
    int64_t n = 0;
    DIDBAN_RETURN_IF_ERROR(Exec(b, &n));
    *inserted += n;
  }
  return absl::OkStatus();
}

absl::Status SqlStore::WriteTracks(const std::vector<const TrackPoint*>& points) {
  if (dialect_ == Dialect::kPostgres) {
    UnnestInsert u({"text", "bigint", "bigint", "bigint", "text", "float8", "float8", "float8", "float8", "float8",
                    "float8", "float8", "bigint"});
    for (size_t i = 0; i < points.size(); ++i) {
      const TrackPoint& p = *points[i];
      u.Add({p.camera, p.track_id, p.global_id, p.time_us, std::string(ObjectClassName(p.object_class)),
             double{p.box.x}, double{p.box.y}, double{p.box.w}, double{p.box.h}, OptX(p.ground), OptY(p.ground),
             p.speed_kmh, B(p.last)});
      if (u.rows() == kRowsPerUnnest || i + 1 == points.size()) {
        DIDBAN_RETURN_IF_ERROR(Exec(u.Build("track_points", kTrackColumns, "")));
      }
    }
    return absl::OkStatus();
  }
  for (size_t start = 0; start < points.size(); start += kRowsPerInsert) {
    const size_t end = std::min(points.size(), start + kRowsPerInsert);
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("INSERT INTO track_points (", kTrackColumns, ") VALUES "));
    for (size_t i = start; i < end; ++i) {
      const TrackPoint& p = *points[i];
      if (i > start) b.Sql(", ");
      b.ParamList({p.camera, p.track_id, p.global_id, p.time_us, std::string(ObjectClassName(p.object_class)),
                   double{p.box.x}, double{p.box.y}, double{p.box.w}, double{p.box.h}, OptX(p.ground), OptY(p.ground),
                   p.speed_kmh, B(p.last)});
    }
    DIDBAN_RETURN_IF_ERROR(Exec(b));
  }
  return absl::OkStatus();
}

absl::Status SqlStore::WriteStats(const std::vector<const StatRow*>& in) {
  // One row per key (the last wins): PostgreSQL refuses to update one row twice in a statement.
  std::map<std::tuple<std::string, TimeUs, std::string, std::string, std::string, std::string>, const StatRow*> keyed;
  for (const StatRow* r : in) keyed[{r->camera, r->start_us, r->rule, r->metric, r->object_class, r->direction}] = r;
  std::vector<const StatRow*> rows;
  rows.reserve(keyed.size());
  for (const auto& [k, r] : keyed) rows.push_back(r);
  for (size_t start = 0; start < rows.size(); start += kRowsPerInsert) {
    const size_t end = std::min(rows.size(), start + kRowsPerInsert);
    SqlBuilder b(dialect_);
    b.Sql(absl::StrCat("INSERT INTO interval_stats (", kStatColumns, ") VALUES "));
    for (size_t i = start; i < end; ++i) {
      const StatRow& r = *rows[i];
      if (i > start) b.Sql(", ");
      b.ParamList({r.camera, r.start_us, r.end_us, r.rule, r.metric, r.object_class, r.direction, r.value});
    }
    b.Sql(
        " ON CONFLICT (camera, start_us, rule, metric, object_class, direction) DO UPDATE SET "
        "end_us = excluded.end_us, value = excluded.value");
    DIDBAN_RETURN_IF_ERROR(Exec(b));
  }
  return absl::OkStatus();
}

absl::Status SqlStore::ApplyBatch(std::vector<Item>& batch, int64_t* events_new, int64_t* events_dup, int64_t* points) {
  std::vector<std::function<void()>> completions;
  std::vector<const OpEvent*> events;
  std::vector<const TrackPoint*> tracks;
  std::vector<const StatRow*> stats;
  // Runs of consecutive events, points and statistics are written as multi-row statements; order is kept.
  auto drain = [&]() -> absl::Status {
    if (!events.empty()) {
      int64_t n = 0;
      DIDBAN_RETURN_IF_ERROR(WriteEvents(events, &n));
      *events_new += n;
      *events_dup += static_cast<int64_t>(events.size()) - n;
      events.clear();
    }
    if (!tracks.empty()) {
      DIDBAN_RETURN_IF_ERROR(WriteTracks(tracks));
      *points += static_cast<int64_t>(tracks.size());
      tracks.clear();
    }
    if (!stats.empty()) {
      DIDBAN_RETURN_IF_ERROR(WriteStats(stats));
      stats.clear();
    }
    return absl::OkStatus();
  };
  auto apply = [&](Item& it) -> absl::Status {
    if (auto* e = std::get_if<OpEvent>(&it.op)) {
      if (!tracks.empty() || !stats.empty()) DIDBAN_RETURN_IF_ERROR(drain());
      events.push_back(e);
      return absl::OkStatus();
    }
    if (auto* t = std::get_if<OpTracks>(&it.op)) {
      if (!events.empty() || !stats.empty()) DIDBAN_RETURN_IF_ERROR(drain());
      for (const TrackPoint& p : t->points) tracks.push_back(&p);
      return absl::OkStatus();
    }
    if (auto* st = std::get_if<OpStats>(&it.op)) {
      if (!events.empty() || !tracks.empty()) DIDBAN_RETURN_IF_ERROR(drain());
      for (const StatRow& r : st->rows) stats.push_back(&r);
      return absl::OkStatus();
    }
    DIDBAN_RETURN_IF_ERROR(drain());
    SqlBuilder b(dialect_);
    if (auto* op = std::get_if<OpSegment>(&it.op)) {
      const Segment& s = op->s;
      b.Sql(absl::StrCat("INSERT INTO segments (", kSegmentColumns, ") VALUES "))
          .ParamList({s.path, s.camera, s.start_us, s.end_us, s.bytes, s.keyframes, s.first_keyframe_us, B(s.open),
                      B(s.evidence)})
          .Sql(
              " ON CONFLICT (path) DO UPDATE SET camera = excluded.camera, start_us = excluded.start_us, "
              "end_us = excluded.end_us, bytes = excluded.bytes, keyframes = excluded.keyframes, "
              "first_keyframe_us = excluded.first_keyframe_us, is_open = excluded.is_open, "
              "evidence = excluded.evidence");
      return Exec(b);
    }
    if (auto* op = std::get_if<OpDeleteSegment>(&it.op)) {
      b.Sql("DELETE FROM segments WHERE path = ").Param(op->path);
      return Exec(b);
    }
    if (auto* op = std::get_if<OpClip>(&it.op)) {
      const Clip& c = op->c;
      b.Sql(absl::StrCat("INSERT INTO clips (", kClipColumns, ") VALUES "))
          .ParamList({c.id, c.event_id, c.camera, c.start_us, c.end_us, c.path, c.bytes,
                      std::string(ClipStateName(c.state)), c.detail, B(c.evidence), c.created_us})
          .Sql(
              " ON CONFLICT (id) DO UPDATE SET event_id = excluded.event_id, camera = excluded.camera, "
              "start_us = excluded.start_us, end_us = excluded.end_us, path = excluded.path, bytes = excluded.bytes, "
              "state = excluded.state, detail = excluded.detail, evidence = excluded.evidence, "
              "created_us = excluded.created_us");
      return Exec(b);
    }
    if (auto* op = std::get_if<OpDeleteClip>(&it.op)) {
      b.Sql("DELETE FROM clips WHERE id = ").Param(op->id);
      return Exec(b);
    }
    if (auto* op = std::get_if<OpPrune>(&it.op)) {
      b.Sql("DELETE FROM track_points WHERE time_us < ").Param(op->before_us);
      return Exec(b);
    }
    if (auto* op = std::get_if<OpAck>(&it.op)) {
      b.Sql("UPDATE events SET acked_at_us = ")
          .Param(op->at_us)
          .Sql(", acked_by = ")
          .Param(op->by)
          .Sql(" WHERE id = ")
          .Param(op->id)
          .Sql(" AND acked_at_us IS NULL");
      DIDBAN_RETURN_IF_ERROR(Exec(b));
      SqlBuilder q(dialect_);
      q.Sql(absl::StrCat("SELECT ", kEventColumns, " FROM events WHERE id = ")).Param(op->id);
      DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, writer_->Query(q.text(), q.params()));
      absl::StatusOr<StoredEvent> result = absl::NotFoundError(absl::StrCat("store: no event \"", op->id, "\""));
      if (!rows.empty()) result = DecodeEvent(rows[0]);
      completions.push_back([done = op->done, result] { done->set_value(result); });
      return absl::OkStatus();
    }
    if (auto* op = std::get_if<OpSegmentEvidence>(&it.op)) {
      b.Sql("UPDATE segments SET evidence = ").Param(B(op->evidence)).Sql(" WHERE path = ").Param(op->path);
      int64_t n = 0;
      DIDBAN_RETURN_IF_ERROR(Exec(b, &n));
      absl::Status result =
          n > 0 ? absl::OkStatus() : absl::NotFoundError(absl::StrCat("store: no segment \"", op->path, "\""));
      completions.push_back([done = op->done, result] { done->set_value(result); });
      return absl::OkStatus();
    }
    if (auto* op = std::get_if<OpClipEvidence>(&it.op)) {
      b.Sql("UPDATE clips SET evidence = ").Param(B(op->evidence)).Sql(" WHERE id = ").Param(op->id);
      int64_t n = 0;
      DIDBAN_RETURN_IF_ERROR(Exec(b, &n));
      absl::Status result =
          n > 0 ? absl::OkStatus() : absl::NotFoundError(absl::StrCat("store: no clip \"", op->id, "\""));
      completions.push_back([done = op->done, result] { done->set_value(result); });
      return absl::OkStatus();
    }
    if (auto* op = std::get_if<OpCloseOpen>(&it.op)) {
      b.Sql(
          "UPDATE segments SET is_open = 0, end_us = CASE WHEN end_us = 0 THEN start_us ELSE end_us END "
          "WHERE is_open = 1");
      if (!op->camera.empty()) b.Sql(" AND camera = ").Param(op->camera);
      int64_t n = 0;
      DIDBAN_RETURN_IF_ERROR(Exec(b, &n));
      completions.push_back([done = op->done, n] { done->set_value(n); });
      return absl::OkStatus();
    }
    return absl::InternalError("store: unknown operation");
  };

  DIDBAN_RETURN_IF_ERROR(writer_->Begin());
  absl::Status s;
  for (Item& it : batch) {
    s = apply(it);
    if (!s.ok()) break;
  }
  if (s.ok()) s = drain();
  if (s.ok()) s = writer_->Commit();
  if (!s.ok()) {
    (void)writer_->Rollback();
    *events_new = *events_dup = *points = 0;
    return s;
  }
  for (auto& c : completions) c();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> OpenSqlStore(std::string backend, Dialect dialect, ConnectionFactory factory,
                                                    const StoreOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<Connection> writer, factory(true));
  Clock& clock = options.clock ? *options.clock : SystemClock();
  DIDBAN_RETURN_IF_ERROR(Migrate(*writer, dialect, clock.NowUs()).status());
  return std::unique_ptr<Store>(
      std::make_unique<SqlStore>(std::move(backend), dialect, std::move(factory), options, std::move(writer)));
}

}  // namespace didban::store
