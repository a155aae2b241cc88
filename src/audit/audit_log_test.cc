// The audit log: entries written by the background writer come back in order with a valid chain; a changed, removed
// or reordered row (edited straight in the SQLite file) is found and named by its sequence number; a clean Close()
// loses nothing; a full queue drops and then records how many it dropped.
#include "audit/audit_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "store/sql.h"
#include "store/sqlite_connection.h"
#include "testing/data.h"

namespace didban::audit {
namespace {

AuditEntry Entry(const std::string& actor, const std::string& action, TimeUs t) {
  AuditEntry e;
  e.time_us = t;
  e.actor = actor;
  e.action = action;
  e.target = "camera:gate";
  e.source = "127.0.0.1:5000";
  e.detail = {{"n", t}};
  return e;
}

// A log at `path` holding `n` entries (times 1000, 2000, ...; actors alternate ali/sara).
void WriteLog(const std::string& path, int n) {
  auto log = AuditLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.status();
  for (int i = 1; i <= n; ++i)
    (*log)->Record(Entry(i % 2 ? "ali" : "sara", i % 3 ? "live_view_start" : "login", i * 1000));
  ASSERT_TRUE((*log)->Close().ok());
}

void Sql(const std::string& path, const std::string& sql) {
  auto c = store::OpenSqliteConnection(path, true, 1'000'000);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE((*c)->Exec(sql, {}).ok()) << sql;
}

class AuditLogTest : public ::testing::Test {
 protected:
  std::string path_ = (std::filesystem::path(testing::MakeTempDir("audit")) / "audit.db").string();
};

TEST_F(AuditLogTest, WritesAChainThatVerifies) {
  WriteLog(path_, 10);
  auto report = VerifyAuditLog(path_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 10);
  auto page = QueryAuditLog(path_, {});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 10u);
  EXPECT_EQ(page->entries[0].seq, 1);
  EXPECT_EQ(page->entries[0].prev_hash, kGenesisHash);
  EXPECT_EQ(page->entries[0].entry.actor, "ali");
  EXPECT_EQ(page->entries[0].entry.detail["n"], 1000);
  EXPECT_EQ(page->entries[1].prev_hash, page->entries[0].hash);
  EXPECT_EQ(page->entries[9].hash, report->head_hash);
  EXPECT_EQ(page->entries[0].hash, ChainHash(kGenesisHash, CanonicalJson(1, page->entries[0].entry)));
  EXPECT_EQ(page->entries[0].hash.size(), 64u);
}

TEST_F(AuditLogTest, ReopenedLogContinuesTheChain) {
  WriteLog(path_, 3);
  WriteLog(path_, 2);
  auto report = VerifyAuditLog(path_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->entries, 5);
}

TEST_F(AuditLogTest, ChangedEntryIsNamed) {
  WriteLog(path_, 10);
  Sql(path_, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4");
  auto report = VerifyAuditLog(path_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(report.status().message(), "audit.db: entry 4: hash does not match its contents (changed)");
}

TEST_F(AuditLogTest, ChangedEntryWithRecomputedHashIsNamedByTheNext) {
  WriteLog(path_, 10);
  auto page = QueryAuditLog(path_, {});
  ASSERT_TRUE(page.ok());
  AuditEntry e = page->entries[3].entry;
  e.allowed = false;
  const std::string h = ChainHash(page->entries[3].prev_hash, CanonicalJson(4, e));
  Sql(path_, "UPDATE audit_log SET allowed = 0, hash = '" + h + "' WHERE seq = 4");
  auto report = VerifyAuditLog(path_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("entry 5: prev_hash does not match entry 4's hash"), std::string::npos)
      << report.status();
}

TEST_F(AuditLogTest, RemovedEntryIsNamed) {
  WriteLog(path_, 10);
  Sql(path_, "DELETE FROM audit_log WHERE seq = 6");
  auto report = VerifyAuditLog(path_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(), "audit.db: entry 6: missing (removed): the log jumps from entry 5 to 7");
}

TEST_F(AuditLogTest, RemovedNewestEntriesAreFoundThroughTheHead) {
  WriteLog(path_, 10);
  Sql(path_, "DELETE FROM audit_log WHERE seq >= 9");
  auto report = VerifyAuditLog(path_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().message(),
            "audit.db: entry 9: missing (removed): the head says the log has 10 entries, 8 are there");
}

TEST_F(AuditLogTest, ReorderedEntriesAreNamed) {
  WriteLog(path_, 10);
  // Swap the contents of entries 3 and 7, hashes and all.
  Sql(path_, "UPDATE audit_log SET seq = -3 WHERE seq = 3");
  Sql(path_, "UPDATE audit_log SET seq = 3 WHERE seq = 7");
  Sql(path_, "UPDATE audit_log SET seq = 7 WHERE seq = -3");
  auto report = VerifyAuditLog(path_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("entry 3: prev_hash does not match entry 2's hash"), std::string::npos)
      << report.status();
}

TEST_F(AuditLogTest, MissingFileIsNotFound) {
  auto report = VerifyAuditLog(path_ + ".none");
  EXPECT_EQ(report.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(AuditLogTest, QueryFiltersAndPages) {
  WriteLog(path_, 10);
  AuditQuery q;
  q.actor = "ali";
  q.limit = 2;
  auto p1 = QueryAuditLog(path_, q);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->entries.size(), 2u);
  EXPECT_EQ(p1->entries[0].seq, 1);
  EXPECT_EQ(p1->entries[1].seq, 3);
  EXPECT_EQ(p1->next_after_seq, 3);
  q.after_seq = p1->next_after_seq;
  q.limit = 100;
  auto p2 = QueryAuditLog(path_, q);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->entries.size(), 3u);  // 5, 7, 9
  EXPECT_EQ(p2->entries[2].seq, 9);
  EXPECT_EQ(p2->next_after_seq, 0);

  AuditQuery t;
  t.from_us = 3000;
  t.to_us = 6000;
  t.action = "login";
  auto p3 = QueryAuditLog(path_, t);
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ(p3->entries.size(), 1u);  // 3000 (login), 4000, 5000 are live_view_start
  EXPECT_EQ(p3->entries[0].seq, 3);

  AuditQuery injected;
  injected.actor = "ali' OR '1'='1";
  auto p4 = QueryAuditLog(path_, injected);
  ASSERT_TRUE(p4.ok());
  EXPECT_TRUE(p4->entries.empty());
}

TEST_F(AuditLogTest, ExportWritesJsonLines) {
  WriteLog(path_, 4);
  std::ostringstream out;
  auto n = ExportAuditLog(path_, {}, out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4);
  std::istringstream in(out.str());
  std::string line;
  int64_t seq = 0;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["seq"], ++seq);
    EXPECT_EQ(j["target"], "camera:gate");
  }
  EXPECT_EQ(seq, 4);
}

TEST_F(AuditLogTest, LiveQueryAfterFlushAndStampedTime) {
  FakeClock clock(123'000'000);
  AuditOptions o;
  o.clock = &clock;
  auto log = AuditLog::Open(path_, o);
  ASSERT_TRUE(log.ok());
  AuditEntry e;
  e.actor = "ali";
  e.action = "login";
  e.detail = {{"bad", std::string("\xff")}};
  (*log)->Record(e);
  ASSERT_TRUE((*log)->Flush().ok());
  auto page = (*log)->Query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].entry.time_us, 123'000'000);
  EXPECT_EQ(page->entries[0].entry.detail["bad"], "\xef\xbf\xbd");  // U+FFFD: stored and hashed as valid UTF-8
  ASSERT_TRUE((*log)->Close().ok());
  EXPECT_TRUE(VerifyAuditLog(path_).ok());
}

TEST_F(AuditLogTest, FullQueueDropsAndRecordsTheCount) {
  AuditOptions o;
  o.max_queue = 1;
  o.flush_interval_us = 1'000'000'000;  // the writer waits for entries, so the queue fills
  auto log = AuditLog::Open(path_, o);
  ASSERT_TRUE(log.ok());
  for (int i = 0; i < 1000; ++i) (*log)->Record(Entry("ali", "login", 1 + i));
  ASSERT_TRUE((*log)->Close().ok());
  const int64_t dropped = (*log)->Dropped();
  auto page = QueryAuditLog(path_, {});
  ASSERT_TRUE(page.ok());
  int64_t logins = 0, noted = 0;
  for (const auto& s : page->entries) {
    if (s.entry.action == "login") ++logins;
    if (s.entry.action == "audit_dropped") noted += s.entry.detail["entries"].get<int64_t>();
  }
  EXPECT_EQ(logins + dropped, 1000);
  EXPECT_EQ(noted, dropped);
  EXPECT_TRUE(VerifyAuditLog(path_).ok());
}

}  // namespace
}  // namespace didban::audit
