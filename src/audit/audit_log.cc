// The audit log's SQLite file, writer thread, hash chain and verification (audit_log.h).
#include "audit/audit_log.h"

#include <sodium.h>

#include <array>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/json_io.h"
#include "store/sql.h"
#include "store/sqlite_connection.h"

namespace didban::audit {
namespace {

using store::Row;
using store::Value;

constexpr int64_t kBusyTimeoutUs = 5'000'000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_us);
CREATE TABLE IF NOT EXISTS audit_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
)sql";

constexpr const char* kColumns = "seq, time_us, actor, action, target, source, allowed, detail, prev_hash, hash";

// The entry as it is stored and hashed: strings made valid UTF-8, detail an object passed through its own text.
AuditEntry Normalised(AuditEntry e) {
  e.actor = ToValidUtf8(e.actor);
  e.action = ToValidUtf8(e.action);
  e.target = ToValidUtf8(e.target);
  e.source = ToValidUtf8(e.source);
  if (!e.detail.is_object()) e.detail = nlohmann::json{{"value", e.detail}};
  e.detail = nlohmann::json::parse(e.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return e;
}

StoredAuditEntry FromRow(const Row& r) {
  StoredAuditEntry s;
  s.seq = r.Int(0);
  s.entry.time_us = r.Int(1);
  s.entry.actor = r.Str(2);
  s.entry.action = r.Str(3);
  s.entry.target = r.Str(4);
  s.entry.source = r.Str(5);
  s.entry.allowed = r.Int(6) != 0;
  // A detail that is not JSON any more (edited by hand) is kept as its text: the hash check then names the entry.
  s.entry.detail = nlohmann::json::parse(r.Str(7), nullptr, /*allow_exceptions=*/false);
  if (s.entry.detail.is_discarded()) s.entry.detail = nlohmann::json{{"unparsable", r.Str(7)}};
  s.prev_hash = r.Str(8);
  s.hash = r.Str(9);
  return s;
}

absl::Status InitSodium() {
  if (sodium_init() < 0) return absl::InternalError("libsodium: initialisation failed");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<store::Connection>> OpenReader(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return absl::NotFoundError(absl::StrCat(path, ": no audit log here"));
  return store::OpenSqliteConnection(path, /*writer=*/false, kBusyTimeoutUs);
}

absl::StatusOr<AuditPage> RunQuery(store::Connection& c, const AuditQuery& q) {
  DIDBAN_RETURN_IF_ERROR(q.Validate());
  store::SqlBuilder b(store::Dialect::kSqlite);
  b.Sql(absl::StrCat("SELECT ", kColumns, " FROM audit_log WHERE seq > ")).Param(q.after_seq);
  if (q.from_us) b.Sql(" AND time_us >= ").Param(*q.from_us);
  if (q.to_us) b.Sql(" AND time_us < ").Param(*q.to_us);
  if (!q.actor.empty()) b.Sql(" AND actor = ").Param(q.actor);
  if (!q.action.empty()) b.Sql(" AND action = ").Param(q.action);
  b.Sql(" ORDER BY seq LIMIT ").Param(static_cast<int64_t>(q.limit) + 1);
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> rows, c.Query(b.text(), b.params()));
  AuditPage page;
  for (const Row& r : rows) {
    if (static_cast<int>(page.entries.size()) == q.limit) {
      page.next_after_seq = page.entries.back().seq;
      break;
    }
    page.entries.push_back(FromRow(r));
  }
  return page;
}

}  // namespace

std::string CanonicalJson(int64_t seq, const AuditEntry& e) {
  // nlohmann's object keeps keys sorted, so the text depends only on the values.
  const nlohmann::json j = {{"seq", seq},         {"time_us", e.time_us}, {"actor", e.actor},     {"action", e.action},
                            {"target", e.target}, {"source", e.source},   {"allowed", e.allowed}, {"detail", e.detail}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ChainHash(const std::string& prev_hash, const std::string& canonical_json) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(prev_hash.data()), prev_hash.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(canonical_json.data()), canonical_json.size());
  crypto_hash_sha256_final(&st, digest.data());
  std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex{};
  sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
  return std::string(hex.data(), crypto_hash_sha256_BYTES * 2);
}

nlohmann::json StoredEntryToJson(const StoredAuditEntry& e) {
  return {{"seq", e.seq},
          {"time_us", e.entry.time_us},
          {"time", absl::FormatTime(absl::RFC3339_full, absl::FromUnixMicros(e.entry.time_us), absl::UTCTimeZone())},
          {"actor", e.entry.actor},
          {"action", e.entry.action},
          {"target", e.entry.target},
          {"source", e.entry.source},
          {"allowed", e.entry.allowed},
          {"detail", e.entry.detail},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

absl::Status AuditQuery::Validate() const {
  if (limit < 1 || limit > 100'000)
    return absl::InvalidArgumentError(absl::StrCat("limit: ", limit, " not in 1..100000"));
  if (after_seq < 0) return absl::InvalidArgumentError("after_seq: must be >= 0");
  if (from_us && to_us && *to_us <= *from_us) return absl::InvalidArgumentError("to_us: must be after from_us");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path, AuditOptions options) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  if (options.max_queue < 1) return absl::InvalidArgumentError("audit: max_queue must be >= 1");
  if (options.clock == nullptr) options.clock = &SystemClock();
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> w,
                          store::OpenSqliteConnection(path, /*writer=*/true, kBusyTimeoutUs));
  DIDBAN_RETURN_IF_ERROR(w->ExecScript(kSchema));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> head, w->Query("SELECT seq, hash FROM audit_head WHERE id = 1", {}));
  int64_t last_seq = 0;
  std::string last_hash = kGenesisHash;
  if (!head.empty()) {
    last_seq = head[0].Int(0);
    last_hash = head[0].Str(1);
  }
  // Entries beyond the head would be a head that was not updated: the chain continues from the real last entry.
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> last,
                          w->Query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", {}));
  if (!last.empty() && last[0].Int(0) > last_seq) {
    last_seq = last[0].Int(0);
    last_hash = last[0].Str(1);
  }
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::replace, ec);
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> r,
                          store::OpenSqliteConnection(path, /*writer=*/false, kBusyTimeoutUs));
  return std::unique_ptr<AuditLog>(
      new AuditLog(path, options, std::move(w), std::move(r), last_seq, std::move(last_hash)));
}

AuditLog::AuditLog(std::string path, AuditOptions options, std::unique_ptr<store::Connection> writer,
                   std::unique_ptr<store::Connection> reader, int64_t last_seq, std::string last_hash)
    : path_(std::move(path)),
      options_(options),
      writer_conn_(std::move(writer)),
      last_seq_(last_seq),
      last_hash_(std::move(last_hash)),
      reader_conn_(std::move(reader)) {
  writer_ = std::thread([this] { WriterLoop(); });
}

AuditLog::~AuditLog() {
  absl::Status s = Close();
  if (!s.ok()) spdlog::error("audit log {}: {}", path_, std::string(s.message()));
}

void AuditLog::Record(AuditEntry entry) {
  if (entry.time_us == 0) entry.time_us = options_.clock->NowUs();
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= options_.max_queue) {
    ++dropped_;
    ++dropped_unreported_;
    return;
  }
  queue_.push_back(std::move(entry));
  ++recorded_;
}

absl::Status AuditLog::Flush() {
  absl::MutexLock lock(&mu_);
  const int64_t target = recorded_;
  auto done = [this, target]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return written_ >= target || closed_; };
  mu_.Await(absl::Condition(&done));
  return write_error_;
}

absl::Status AuditLog::Close() {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return write_error_;
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
  absl::MutexLock lock(&mu_);
  closed_ = true;
  writer_conn_.reset();
  {
    absl::MutexLock rl(&read_mu_);
    reader_conn_.reset();
  }
  return write_error_;
}

int64_t AuditLog::Dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

void AuditLog::WriterLoop() {
  for (;;) {
    std::vector<AuditEntry> batch;
    bool stop = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Microseconds(options_.flush_interval_us));
      while (!queue_.empty() && batch.size() < 10'000) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (dropped_unreported_ > 0 && queue_.empty()) {
        AuditEntry d;
        d.time_us = options_.clock->NowUs();
        d.actor = "system";
        d.action = "audit_dropped";
        d.detail = {{"entries", dropped_unreported_}, {"reason", "the audit queue was full or the log was closing"}};
        dropped_unreported_ = 0;
        batch.push_back(std::move(d));
        ++recorded_;
      }
      stop = stopping_ && queue_.empty();
    }
    if (!batch.empty()) {
      const int64_t n = static_cast<int64_t>(batch.size());
      absl::Status s = WriteBatch(std::move(batch));
      absl::MutexLock lock(&mu_);
      written_ += n;
      if (!s.ok()) {
        spdlog::error("audit log {}: {} entries not written: {}", path_, n, std::string(s.message()));
        if (write_error_.ok()) write_error_ = s;
      }
    }
    if (stop) return;
  }
}

absl::Status AuditLog::WriteBatch(std::vector<AuditEntry> batch) {
  store::Connection& c = *writer_conn_;
  DIDBAN_RETURN_IF_ERROR(c.Begin());
  int64_t seq = last_seq_;
  std::string hash = last_hash_;
  const std::string insert =
      absl::StrCat("INSERT INTO audit_log (", kColumns, ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  for (AuditEntry& raw : batch) {
    const AuditEntry e = Normalised(std::move(raw));
    ++seq;
    const std::string prev = hash;
    hash = ChainHash(prev, CanonicalJson(seq, e));
    absl::StatusOr<int64_t> r =
        c.Exec(insert, {Value(seq), Value(e.time_us), Value(e.actor), Value(e.action), Value(e.target), Value(e.source),
                        Value(int64_t{e.allowed ? 1 : 0}),
                        Value(e.detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)), Value(prev),
                        Value(hash)});
    if (!r.ok()) {
      (void)c.Rollback();
      return r.status();
    }
  }
  absl::StatusOr<int64_t> h = c.Exec(
      "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2) ON CONFLICT (id) DO UPDATE SET seq = ?1, hash = ?2",
      {Value(seq), Value(hash)});
  if (!h.ok()) {
    (void)c.Rollback();
    return h.status();
  }
  DIDBAN_RETURN_IF_ERROR(c.Commit());
  last_seq_ = seq;
  last_hash_ = hash;
  return absl::OkStatus();
}

absl::StatusOr<AuditPage> AuditLog::Query(const AuditQuery& q) {
  absl::MutexLock lock(&read_mu_);
  if (reader_conn_ == nullptr) return absl::FailedPreconditionError(absl::StrCat(path_, ": the audit log is closed"));
  return RunQuery(*reader_conn_, q);
}

absl::StatusOr<AuditVerifyReport> VerifyAuditLog(const std::string& path) {
  DIDBAN_RETURN_IF_ERROR(InitSodium());
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> c, OpenReader(path));
  const std::string name = std::filesystem::path(path).filename().string();
  auto bad = [&](int64_t seq, const std::string& what) {
    return absl::DataLossError(absl::StrCat(name, ": entry ", seq, ": ", what));
  };
  AuditVerifyReport report;
  std::string prev = kGenesisHash;
  int64_t expected = 1;
  int64_t after = 0;
  for (;;) {
    // Pages of raw rows in sequence order; the checks use only stored columns.
    DIDBAN_ASSIGN_OR_RETURN(
        std::vector<Row> rows,
        c->Query(absl::StrCat("SELECT ", kColumns, " FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT 10000"),
                 {Value(after)}));
    if (rows.empty()) break;
    for (const Row& r : rows) {
      const StoredAuditEntry s = FromRow(r);
      if (s.seq != expected) {
        return bad(expected, s.seq > expected ? absl::StrCat("missing (removed): the log jumps from entry ",
                                                             expected - 1, " to ", s.seq)
                                              : "sequence numbers out of order");
      }
      if (s.prev_hash != prev) {
        return bad(s.seq, absl::StrCat("prev_hash does not match entry ", s.seq - 1,
                                       "'s hash (an earlier entry was changed, removed or reordered)"));
      }
      if (ChainHash(s.prev_hash, CanonicalJson(s.seq, s.entry)) != s.hash) {
        return bad(s.seq, "hash does not match its contents (changed)");
      }
      prev = s.hash;
      ++expected;
      after = s.seq;
      ++report.entries;
    }
  }
  DIDBAN_ASSIGN_OR_RETURN(std::vector<Row> head, c->Query("SELECT seq, hash FROM audit_head WHERE id = 1", {}));
  const int64_t head_seq = head.empty() ? 0 : head[0].Int(0);
  const std::string head_hash = head.empty() ? kGenesisHash : head[0].Str(1);
  if (head_seq != report.entries) {
    return bad(report.entries + 1, absl::StrCat("missing (removed): the head says the log has ", head_seq, " entries, ",
                                                report.entries, " are there"));
  }
  if (head_hash != prev) return bad(head_seq, "the head's hash does not match the last entry (changed)");
  report.head_hash = prev;
  return report;
}

absl::StatusOr<AuditPage> QueryAuditLog(const std::string& path, const AuditQuery& q) {
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> c, OpenReader(path));
  return RunQuery(*c, q);
}

absl::StatusOr<int64_t> ExportAuditLog(const std::string& path, AuditQuery q, std::ostream& out) {
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<store::Connection> c, OpenReader(path));
  q.limit = 10'000;
  int64_t n = 0;
  for (;;) {
    DIDBAN_ASSIGN_OR_RETURN(AuditPage page, RunQuery(*c, q));
    for (const StoredAuditEntry& e : page.entries) {
      out << StoredEntryToJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
      ++n;
    }
    if (page.next_after_seq == 0) break;
    q.after_seq = page.next_after_seq;
  }
  out.flush();
  if (!out) return absl::DataLossError("audit export: cannot write the output");
  return n;
}

}  // namespace didban::audit
