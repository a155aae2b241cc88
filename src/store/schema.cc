#include "store/schema.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace didban::store {

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "events, track points, interval statistics, segments, clips", R"sql(
CREATE TABLE events (
  id {TEXT} PRIMARY KEY,
  time_us BIGINT NOT NULL,
  camera {TEXT} NOT NULL,
  type {TEXT} NOT NULL,
  rule {TEXT} NOT NULL,
  track_id BIGINT NOT NULL,
  other_track_id BIGINT NOT NULL,
  object_class {TEXT} NOT NULL,
  ground_x DOUBLE PRECISION,
  ground_y DOUBLE PRECISION,
  value DOUBLE PRECISION NOT NULL,
  unit {TEXT} NOT NULL,
  detail {TEXT} NOT NULL,
  snapshot_path {TEXT} NOT NULL,
  acked_at_us BIGINT,
  acked_by {TEXT},
  inserted_at_us BIGINT NOT NULL
);
CREATE INDEX events_time ON events (time_us, id);
CREATE INDEX events_camera_time ON events (camera, time_us, id);
CREATE INDEX events_type_time ON events (type, time_us, id);
CREATE INDEX events_camera_type_time ON events (camera, type, time_us, id);
CREATE INDEX events_class_time ON events (object_class, time_us, id);
CREATE INDEX events_unacked_time ON events (time_us, id) WHERE acked_at_us IS NULL;

CREATE TABLE track_points (
  camera {TEXT} NOT NULL,
  track_id BIGINT NOT NULL,
  global_id BIGINT NOT NULL,
  time_us BIGINT NOT NULL,
  object_class {TEXT} NOT NULL,
  box_x DOUBLE PRECISION NOT NULL,
  box_y DOUBLE PRECISION NOT NULL,
  box_w DOUBLE PRECISION NOT NULL,
  box_h DOUBLE PRECISION NOT NULL,
  ground_x DOUBLE PRECISION,
  ground_y DOUBLE PRECISION,
  speed_kmh DOUBLE PRECISION NOT NULL,
  is_last BIGINT NOT NULL
);
CREATE INDEX track_points_time ON track_points (time_us);
CREATE INDEX track_points_track ON track_points (camera, track_id, time_us);
CREATE INDEX track_points_global ON track_points (global_id, time_us) WHERE global_id <> 0;

CREATE TABLE interval_stats (
  camera {TEXT} NOT NULL,
  start_us BIGINT NOT NULL,
  end_us BIGINT NOT NULL,
  rule {TEXT} NOT NULL,
  metric {TEXT} NOT NULL,
  object_class {TEXT} NOT NULL,
  direction {TEXT} NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (camera, start_us, rule, metric, object_class, direction)
);
CREATE INDEX interval_stats_start ON interval_stats (start_us);

CREATE TABLE segments (
  path {TEXT} PRIMARY KEY,
  camera {TEXT} NOT NULL,
  start_us BIGINT NOT NULL,
  end_us BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  keyframes BIGINT NOT NULL,
  first_keyframe_us BIGINT NOT NULL,
  is_open BIGINT NOT NULL,
  evidence BIGINT NOT NULL
);
CREATE INDEX segments_camera_start ON segments (camera, start_us);
CREATE INDEX segments_start ON segments (start_us);
CREATE INDEX segments_open ON segments (camera) WHERE is_open = 1;

CREATE TABLE clips (
  id {TEXT} PRIMARY KEY,
  event_id {TEXT} NOT NULL,
  camera {TEXT} NOT NULL,
  start_us BIGINT NOT NULL,
  end_us BIGINT NOT NULL,
  path {TEXT} NOT NULL,
  bytes BIGINT NOT NULL,
  state {TEXT} NOT NULL,
  detail {TEXT} NOT NULL,
  evidence BIGINT NOT NULL,
  created_us BIGINT NOT NULL
);
CREATE INDEX clips_event ON clips (event_id);
CREATE INDEX clips_created ON clips (created_us, id);
)sql"},
  };
  return kMigrations;
}

std::string ForDialect(const std::string& sql, Dialect d) {
  return absl::StrReplaceAll(sql, {{"{TEXT}", d == Dialect::kPostgres ? "TEXT COLLATE \"C\"" : "TEXT"}});
}

namespace {

// The body of Migrate, inside its transaction.
absl::StatusOr<int> MigrateLocked(Connection& c, Dialect d, int64_t now_us) {
  if (d == Dialect::kPostgres) {
    // Two servers opening one database at once: the second waits here, then finds the schema done.
    // (SQLite: BEGIN IMMEDIATE already holds the database's write lock.)
    DIDBAN_RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock(7316283946101)", {}).status());
  }
  DIDBAN_RETURN_IF_ERROR(c.ExecScript(
      ForDialect("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name {TEXT} NOT NULL, "
                 "applied_at_us BIGINT NOT NULL)",
                 d)));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, c.Query("SELECT MAX(version) FROM schema_migrations", {}));
  int version = rows.empty() || rows[0].Null(0) ? 0 : static_cast<int>(rows[0].Int(0));
  const std::vector<Migration>& all = Migrations();
  const int latest = all.empty() ? 0 : all.back().version;
  if (version > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("store: schema version ", version, " is newer than this didban knows (", latest, ")"));
  }
  for (const Migration& m : all) {
    if (m.version <= version) continue;
    absl::Status s = c.ExecScript(ForDialect(m.sql, d));
    if (s.ok()) {
      SqlBuilder b(d);
      b.Sql("INSERT INTO schema_migrations (version, name, applied_at_us) VALUES ")
          .ParamList({int64_t{m.version}, std::string(m.name), now_us});
      s = c.Exec(b.text(), b.params()).status();
    }
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("store: migration ", m.version, " (", m.name, "): ", s.message()));
    }
    version = m.version;
  }
  return version;
}

}  // namespace

absl::StatusOr<int> Migrate(Connection& c, Dialect d, int64_t now_us) {
  DIDBAN_RETURN_IF_ERROR(c.Begin());
  absl::StatusOr<int> version = MigrateLocked(c, d, now_us);
  absl::Status s = version.status();
  if (s.ok()) s = c.Commit();
  if (!s.ok()) {
    (void)c.Rollback();
    return s;
  }
  return version;
}

}  // namespace didban::store
