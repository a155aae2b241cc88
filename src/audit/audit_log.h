// The audit log: an append-only, tamper-evident record of accountable actions in a SQLite file (`<data>/audit.db`).
// Each entry gets a sequence number (1, 2, ...) and a hash: SHA-256 (libsodium) over the previous entry's hash and
// the entry's own canonical JSON (sequence, time, actor, action, target, source, allowed, detail; keys sorted), so a
// changed, removed or reordered entry breaks the chain at that entry, and Verify() names it. A head row keeps the
// count and the last hash, so removing the newest entries is found as well (an attacker who rewrites the whole file,
// head included, is not: docs/security.md says how to anchor the head elsewhere).
//
// AuditLog is thread-safe. Record() only appends to a bounded in-memory queue and returns; one writer thread assigns
// sequence numbers, hashes and commits batches. Close() (and the destructor) writes everything queued before it
// returns, so a clean stop loses nothing; entries that did not fit in the queue are counted and logged as one
// "audit_dropped" entry once there is room.
#ifndef DIDBAN_AUDIT_AUDIT_LOG_H_
#define DIDBAN_AUDIT_AUDIT_LOG_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "audit/audit_sink.h"
#include "didban/status.h"
#include "didban/time.h"

namespace didban::store {
class Connection;
}

namespace didban::audit {

// An entry as stored: the recorded entry, its place in the chain and its hashes (lowercase hex).
struct StoredAuditEntry {
  int64_t seq = 0;
  AuditEntry entry;
  std::string prev_hash;  // the previous entry's hash; 64 zeros for the first
  std::string hash;       // SHA-256 over prev_hash and CanonicalJson(seq, entry)
};

// The text the hash covers: {"action","actor","allowed","detail","seq","source","target","time_us"} in that order,
// nlohmann's compact dump (UTF-8 validated, invalid bytes replaced).
std::string CanonicalJson(int64_t seq, const AuditEntry& e);
// SHA-256 of prev_hash (hex text) followed by the canonical JSON, as lowercase hex.
std::string ChainHash(const std::string& prev_hash, const std::string& canonical_json);
inline constexpr const char* kGenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

// One JSON object per entry, as `audit export` writes and GET /api/v1/audit returns.
nlohmann::json StoredEntryToJson(const StoredAuditEntry& e);

struct AuditOptions {
  size_t max_queue = 100'000;          // entries waiting for the writer; more are dropped (and counted)
  TimeUs flush_interval_us = 200'000;  // the writer commits at least this often while entries arrive, µs
  Clock* clock = nullptr;              // stamps entries recorded with time_us 0; nullptr = the system clock
};

// Filters of Query(); unset fields do not filter. Entries come oldest first, by sequence number.
struct AuditQuery {
  std::optional<TimeUs> from_us;  // time_us >= from_us
  std::optional<TimeUs> to_us;    // time_us < to_us
  std::string actor;              // exact match; "" = any
  std::string action;             // exact match; "" = any
  int64_t after_seq = 0;          // paging: entries with seq > after_seq
  int limit = 1000;               // 1..100000
  absl::Status Validate() const;
};

struct AuditPage {
  std::vector<StoredAuditEntry> entries;
  int64_t next_after_seq = 0;  // pass as after_seq for the next page; 0 when this is the last page
};

// What Verify() found on an intact log.
struct AuditVerifyReport {
  int64_t entries = 0;
  std::string head_hash;  // the last entry's hash (kGenesisHash when empty)
};

class AuditLog final : public AuditSink {
 public:
  // Opens (creating when missing) the log at `path` and starts its writer thread. Errors name the file.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(const std::string& path, AuditOptions options = {});
  ~AuditLog() override;  // Close(), errors logged
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Queues the entry (time stamped when 0) and returns at once. After Close() entries are dropped and counted.
  void Record(AuditEntry entry) override;
  // Waits until every entry recorded before the call is committed.
  absl::Status Flush();
  // Writes what is queued, stops the writer and closes the file. Idempotent.
  absl::Status Close();

  // Reads entries (committed ones: Flush() first to see the latest).
  absl::StatusOr<AuditPage> Query(const AuditQuery& q);
  // Entries dropped because the queue was full or the log was closed.
  int64_t Dropped() const;

 private:
  AuditLog(std::string path, AuditOptions options, std::unique_ptr<store::Connection> writer,
           std::unique_ptr<store::Connection> reader, int64_t last_seq, std::string last_hash);
  void WriterLoop();
  absl::Status WriteBatch(std::vector<AuditEntry> batch);

  const std::string path_;
  const AuditOptions options_;
  std::unique_ptr<store::Connection> writer_conn_;  // only the writer thread (and Close after it ends)
  int64_t last_seq_;                                // writer thread only
  std::string last_hash_;                           // writer thread only

  mutable absl::Mutex mu_;
  std::deque<AuditEntry> queue_ ABSL_GUARDED_BY(mu_);
  int64_t recorded_ ABSL_GUARDED_BY(mu_) = 0;  // entries accepted into the queue
  int64_t written_ ABSL_GUARDED_BY(mu_) = 0;   // of those, committed (or failed)
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_unreported_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  absl::Status write_error_ ABSL_GUARDED_BY(mu_);

  absl::Mutex read_mu_;
  std::unique_ptr<store::Connection> reader_conn_ ABSL_GUARDED_BY(read_mu_);

  std::thread writer_;
};

// Checks the chain of the log at `path` (read-only): sequence numbers 1..n without gaps, each entry's prev_hash equal
// to the previous hash, each hash recomputed from the stored fields, and the head row matching the last entry.
// DataLoss naming the first bad entry's sequence number ("audit.db: entry 3: hash does not match its contents
// (changed)"), NotFound when the file is missing.
absl::StatusOr<AuditVerifyReport> VerifyAuditLog(const std::string& path);

// Reads the log at `path` read-only (for `didban audit list|export` while the server runs or not).
absl::StatusOr<AuditPage> QueryAuditLog(const std::string& path, const AuditQuery& q);

// Writes entries of the log at `path` matching `q` (every page) as JSON lines; returns how many.
absl::StatusOr<int64_t> ExportAuditLog(const std::string& path, AuditQuery q, std::ostream& out);

}  // namespace didban::audit

#endif  // DIDBAN_AUDIT_AUDIT_LOG_H_
