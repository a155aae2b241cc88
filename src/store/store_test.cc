// The store against both backends with the same assertions: SQLite in a temporary folder, and a real PostgreSQL 15
// started by tests/tools/pg_test_server.sh (under CI the PostgreSQL tests fail, not skip, when it cannot start).
#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "store/pg_connection.h"
#include "store/sql.h"
#include "store/sqlite_connection.h"
#include "testing/data.h"

namespace didban::store {
namespace {

// Runs `cmd`; its exit status and stdout.
struct CommandResult {
  int rc = -1;
  std::string out;
};
CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) r.out.append(buf.data(), n);
  r.rc = pclose(f);
  return r;
}

// One PostgreSQL server per test process, started on first use, stopped at exit.
class PgServer {
 public:
  static PgServer& Get() {
    static PgServer server;
    return server;
  }
  bool ok() const { return !dir_.empty(); }
  const std::string& error() const { return error_; }
  // A fresh database; returns its URI.
  std::optional<std::string> NewDatabase() {
    const std::string name = absl::StrCat("t", getpid(), "_", ++databases_);
    CommandResult r = RunCommand(absl::StrCat(Script(), " createdb ", dir_, " ", name));
    if (r.rc != 0) return std::nullopt;
    return std::string(absl::StripAsciiWhitespace(r.out));
  }
  ~PgServer() {
    if (!dir_.empty()) (void)RunCommand(absl::StrCat(Script(), " stop ", dir_));
  }

 private:
  PgServer() {
    CommandResult r = RunCommand(absl::StrCat(Script(), " start 2>&1"));
    std::vector<std::string> lines = absl::StrSplit(absl::StripAsciiWhitespace(r.out), '\n');
    if (r.rc != 0 || lines.size() != 2) {
      error_ = absl::StrCat(Script(), " start failed (status ", r.rc, "): ", r.out);
      return;
    }
    dir_ = lines[0];
  }
  static std::string Script() { return absl::StrCat(DIDBAN_SOURCE_DIR, "/tests/tools/pg_test_server.sh"); }

  std::string dir_;
  std::string error_;
  int databases_ = 0;
};

Event MakeEvent(TimeUs t, std::string camera, std::string type, int64_t track, ObjectClass c) {
  Event e;
  e.time_us = t;
  e.camera = std::move(camera);
  e.type = std::move(type);
  e.rule = absl::StrCat(e.type, "_rule");
  e.track_id = track;
  e.object_class = c;
  e.value = static_cast<double>(track) * 1.5;
  e.unit = "km/h";
  e.detail = "direction=in";
  return e;
}

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = testing::MakeTempDir("didban-store");
      ASSERT_FALSE(dir_.empty());
      url_ = absl::StrCat("sqlite://", dir_, "/site.db");
      return;
    }
    PgServer& pg = PgServer::Get();
    if (!pg.ok()) {
      if (testing::InCi()) FAIL() << "PostgreSQL test server could not start under CI: " << pg.error();
      GTEST_SKIP() << "PostgreSQL test server could not start: " << pg.error();
    }
    auto url = pg.NewDatabase();
    ASSERT_TRUE(url.has_value()) << "createdb failed";
    url_ = *url;
  }

  std::unique_ptr<Store> Open(StoreOptions o = {}) {
    o.clock = &clock_;
    auto s = OpenStore(url_, o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }

  FakeClock clock_{1'700'000'000'000'000};
  std::string dir_;
  std::string url_;
};

TEST_P(StoreTest, CreatesTheSchemaAndReopens) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->Backend(), GetParam());
  EXPECT_EQ(*s->SchemaVersion(), 1);
  ASSERT_TRUE(s->AddEvent({"", MakeEvent(10, "cam1", "line_cross", 1, ObjectClass::kCar)}));
  ASSERT_TRUE(s->Close().ok());
  EXPECT_FALSE(s->AddEvent({"", MakeEvent(11, "cam1", "line_cross", 2, ObjectClass::kCar)}));
  s = Open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*s->SchemaVersion(), 1);
  EXPECT_EQ(*s->CountEvents({}), 1);
}

TEST_P(StoreTest, ConcurrentOpensMigrateOnceAndNewerSchemasAreRefused) {
  std::vector<std::thread> openers;
  std::atomic<int> ok{0};
  openers.reserve(3);
  for (int i = 0; i < 3; ++i) {
    openers.emplace_back([&] {
      auto s = OpenStore(url_);
      if (s.ok() && *(*s)->SchemaVersion() == 1) ++ok;
    });
  }
  for (auto& t : openers) t.join();
  EXPECT_EQ(ok.load(), 3);
  auto raw = GetParam() == "sqlite" ? OpenSqliteConnection(dir_ + "/site.db", true, 5'000'000) : OpenPgConnection(url_);
  ASSERT_TRUE(raw.ok()) << raw.status();
  auto n = (*raw)->Query("SELECT COUNT(*) FROM schema_migrations", {});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ((*n)[0].Int(0), 1);
  ASSERT_TRUE((*raw)->ExecScript("INSERT INTO schema_migrations VALUES (99, 'future', 0)").ok());
  EXPECT_EQ(OpenStore(url_).status().message(), "store: schema version 99 is newer than this didban knows (1)");
}

TEST_P(StoreTest, EventsRoundTripAndRepeatsAreDropped) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  Event e = MakeEvent(1'000'000, "north", "overspeed", 7, ObjectClass::kTruck);
  e.other_track_id = 9;
  e.ground = Point2{12.25, -3.5};
  e.value = 71.125;
  e.snapshot_path = "snap/north-7.jpg";
  const std::string id = MakeEventId(e);
  EXPECT_EQ(id.size(), 16u);
  EXPECT_EQ(id, MakeEventId(e));  // stable
  ASSERT_TRUE(s->AddEvent({"", e}));
  ASSERT_TRUE(s->AddEvent({"", e}));  // a retry: same id
  ASSERT_TRUE(s->AddEvent({"explicit-id", MakeEvent(2'000'000, "north", "stopped", 8, ObjectClass::kCar)}));
  ASSERT_TRUE(s->Flush().ok());
  ASSERT_TRUE(s->AddEvent({"explicit-id", MakeEvent(3'000'000, "south", "stopped", 1, ObjectClass::kCar)}));
  ASSERT_TRUE(s->Flush().ok());

  EXPECT_EQ(*s->CountEvents({}), 2);
  StoreStats st = s->Stats();
  EXPECT_EQ(st.events_written_total, 2);
  EXPECT_EQ(st.events_duplicate_total, 2);
  EXPECT_EQ(st.enqueued_total, 4);
  EXPECT_EQ(st.written_total, 4);
  EXPECT_EQ(st.dropped_total, 0);
  EXPECT_EQ(st.queue_depth, 0);
  EXPECT_EQ(st.lag_us, 0);

  auto got = s->GetEvent(id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->id, id);
  EXPECT_EQ(got->event.time_us, 1'000'000);
  EXPECT_EQ(got->event.camera, "north");
  EXPECT_EQ(got->event.type, "overspeed");
  EXPECT_EQ(got->event.rule, "overspeed_rule");
  EXPECT_EQ(got->event.track_id, 7);
  EXPECT_EQ(got->event.other_track_id, 9);
  EXPECT_EQ(got->event.object_class, ObjectClass::kTruck);
  ASSERT_TRUE(got->event.ground.has_value());
  EXPECT_EQ(got->event.ground->x, 12.25);
  EXPECT_EQ(got->event.ground->y, -3.5);
  EXPECT_EQ(got->event.value, 71.125);
  EXPECT_EQ(got->event.unit, "km/h");
  EXPECT_EQ(got->event.detail, "direction=in");
  EXPECT_EQ(got->event.snapshot_path, "snap/north-7.jpg");
  EXPECT_FALSE(got->acknowledged());
  auto other = s->GetEvent("explicit-id");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->event.camera, "north");  // the first write with that id won
  EXPECT_FALSE(other->event.ground.has_value());
  EXPECT_EQ(s->GetEvent("nope").status().message(), "store: no event \"nope\"");
}

TEST_P(StoreTest, RepeatsInsideOneBatchAndAcrossBatchesAreStoredOnce) {
  // The relay's redeliveries: one id several times in one transaction (one multi-row statement) and again later.
  auto s = Open();
  ASSERT_NE(s, nullptr);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 1500; ++i) {  // more rows than one statement carries
      const Event e = MakeEvent(1'000'000 + i, "north", "line_cross", i, ObjectClass::kCar);
      ASSERT_TRUE(s->AddEvent({"", e}));
      if (i % 3 == 0) {
        ASSERT_TRUE(s->AddEvent({"", e}));
      }
    }
    ASSERT_TRUE(s->Flush().ok());
  }
  EXPECT_EQ(*s->CountEvents({}), 1500);
  const StoreStats st = s->Stats();
  EXPECT_EQ(st.events_written_total, 1500);
  EXPECT_EQ(st.events_duplicate_total, 2 * 2000 - 1500);
  EXPECT_EQ(st.dropped_total, 0);
  auto got = s->GetEvent(MakeEventId(MakeEvent(1'000'000 + 1499, "north", "line_cross", 1499, ObjectClass::kCar)));
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->event.track_id, 1499);
}

TEST_P(StoreTest, EventFiltersAndKeysetPaging) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  // 60 events: two per time (ties broken by id), cameras a/b, types x/y/z, classes car/person.
  std::vector<StoredEvent> all;
  for (int i = 0; i < 60; ++i) {
    StoredEvent e{absl::StrCat("e", i < 10 ? "0" : "", i),
                  MakeEvent(1000 * (i / 2), i % 2 ? "b" : "a", i % 3 == 0 ? "x" : (i % 3 == 1 ? "y" : "z"), i,
                            i % 4 == 0 ? ObjectClass::kPerson : ObjectClass::kCar)};
    all.push_back(e);
    ASSERT_TRUE(s->AddEvent(e));
  }
  ASSERT_TRUE(s->Flush().ok());

  auto ids_of = [](const std::vector<StoredEvent>& v) {
    std::vector<std::string> ids;
    ids.reserve(v.size());
    for (const auto& e : v) ids.push_back(e.id);
    return ids;
  };
  auto expected = [&](auto pred, bool oldest_first) {
    std::vector<StoredEvent> v;
    for (const auto& e : all) {
      if (pred(e)) v.push_back(e);
    }
    std::sort(v.begin(), v.end(), [&](const StoredEvent& a, const StoredEvent& b) {
      auto ka = std::make_pair(a.event.time_us, a.id), kb = std::make_pair(b.event.time_us, b.id);
      return oldest_first ? ka < kb : kb < ka;
    });
    return ids_of(v);
  };
  auto all_pages = [&](EventQuery q) {
    std::vector<std::string> ids;
    int pages = 0;
    for (;;) {
      auto page = s->QueryEvents(q);
      EXPECT_TRUE(page.ok()) << page.status();
      if (!page.ok()) break;
      ++pages;
      EXPECT_LE(page->events.size(), static_cast<size_t>(q.limit));
      for (const auto& id : ids_of(page->events)) ids.push_back(id);
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    return std::make_pair(ids, pages);
  };

  EventQuery q;
  q.limit = 7;
  auto [ids, pages] = all_pages(q);
  EXPECT_EQ(ids, expected([](const StoredEvent&) { return true; }, false));
  EXPECT_EQ(pages, 9);  // 60 = 8 * 7 + 4
  EXPECT_EQ(ids.front(), "e59");
  EXPECT_EQ(ids[1], "e58");  // same time, ids descending

  q.oldest_first = true;
  q.cameras = {"b"};
  q.types = {"x", "z"};
  q.from_us = 5000;
  q.to_us = 25000;
  EXPECT_EQ(all_pages(q).first, expected(
                                    [](const StoredEvent& e) {
                                      return e.event.camera == "b" && e.event.type != "y" && e.event.time_us >= 5000 &&
                                             e.event.time_us < 25000;
                                    },
                                    true));
  EXPECT_EQ(*s->CountEvents(q), 13);

  EventQuery byclass;
  byclass.classes = {ObjectClass::kPerson};
  byclass.limit = 4;
  EXPECT_EQ(all_pages(byclass).first,
            expected([](const StoredEvent& e) { return e.event.object_class == ObjectClass::kPerson; }, false));
  EventQuery bytrack;
  bytrack.track_id = 33;
  EXPECT_EQ(ids_of(s->QueryEvents(bytrack)->events), std::vector<std::string>{"e33"});
  EventQuery byrule;
  byrule.rules = {"y_rule"};
  EXPECT_EQ(*s->CountEvents(byrule), 20);

  EventQuery bad;
  bad.cursor = "garbage";
  EXPECT_EQ(s->QueryEvents(bad).status().message(), "store: bad event cursor \"garbage\"");
  bad.cursor = "";
  bad.limit = 0;
  EXPECT_EQ(s->QueryEvents(bad).status().message(), "EventQuery.limit 0 is outside 1..10000");
  bad.limit = 10;
  bad.from_us = 10;
  bad.to_us = 5;
  EXPECT_EQ(s->QueryEvents(bad).status().message(), "EventQuery: to_us 5 is before from_us 10");
}

TEST_P(StoreTest, AcknowledgeKeepsTheFirstAndFilters) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->AddEvent({"a", MakeEvent(1, "c", "stopped", 1, ObjectClass::kCar)}));
  ASSERT_TRUE(s->AddEvent({"b", MakeEvent(2, "c", "stopped", 2, ObjectClass::kCar)}));
  // Acknowledge passes through the writer after the adds, so it sees them without a Flush.
  auto acked = s->Acknowledge("a", "operator1", 5'000'000);
  ASSERT_TRUE(acked.ok()) << acked.status();
  EXPECT_EQ(acked->acked_by, "operator1");
  EXPECT_EQ(acked->acked_at_us, 5'000'000);
  auto again = s->Acknowledge("a", "operator2");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->acked_by, "operator1");
  EXPECT_EQ(again->acked_at_us, 5'000'000);
  auto now = s->Acknowledge("b", "operator2");  // at_us 0 = the clock's now
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->acked_at_us, 1'700'000'000'000'000);
  EXPECT_EQ(s->Acknowledge("zzz", "x").status().message(), "store: no event \"zzz\"");
  ASSERT_TRUE(s->AddEvent({"c", MakeEvent(3, "c", "stopped", 3, ObjectClass::kCar)}));
  ASSERT_TRUE(s->Flush().ok());
  EventQuery q;
  q.acknowledged = true;
  EXPECT_EQ(*s->CountEvents(q), 2);
  q.acknowledged = false;
  auto page = s->QueryEvents(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].id, "c");
  EXPECT_EQ(s->GetEvent("a")->acked_by, "operator1");
}

TEST_P(StoreTest, SqlMetacharactersAreBoundNeverPasted) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  const std::string evil = "x'); DROP TABLE events; --";
  const std::string quotes = "it's \"quoted\" ?1 $1 \\ %";
  Event e = MakeEvent(1, evil, quotes, 1, ObjectClass::kCar);
  e.detail = "'; DELETE FROM events WHERE '1'='1";
  ASSERT_TRUE(s->AddEvent({evil, e}));
  ASSERT_TRUE(s->AddEvent({"plain", MakeEvent(2, "cam", "t", 2, ObjectClass::kCar)}));
  ASSERT_TRUE(s->Flush().ok());
  EventQuery q;
  q.cameras = {evil};
  q.types = {quotes};
  auto page = s->QueryEvents(q);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].id, evil);
  EXPECT_EQ(page->events[0].event.camera, evil);
  EXPECT_EQ(page->events[0].event.type, quotes);
  EXPECT_EQ(page->events[0].event.detail, "'; DELETE FROM events WHERE '1'='1");
  q.cameras = {"' OR '1'='1"};
  EXPECT_EQ(s->QueryEvents(q)->events.size(), 0u);
  EXPECT_EQ(s->Acknowledge(evil, "o'brien")->acked_by, "o'brien");
  EXPECT_EQ(*s->CountEvents({}), 2);  // the table is still there, with both rows
  q = {};
  q.cursor = absl::StrCat(1, ":", "' OR 1=1 --");
  EXPECT_TRUE(s->QueryEvents(q).ok());
}

TEST_P(StoreTest, TracksAreDownsampledPerTrackAndQueried) {
  StoreOptions o;
  o.track_min_interval_us = 1'000'000;
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  // Two tracks of camera "a" and one global track, a point every 0.25 s for 3 s; the last point of track 1 ends it.
  for (int i = 0; i <= 12; ++i) {
    std::vector<TrackPoint> pts;
    const TimeUs t = 250'000 * i;
    TrackPoint p1{"a", 1, 100, t, ObjectClass::kCar, Box{10.5f + i, 20, 30, 40}, Point2{1.0 * i, 2}, 36, i == 12};
    TrackPoint p2{"a", 2, 0, t, ObjectClass::kPerson, Box{1, 2, 3, 4}, std::nullopt, 0, false};
    TrackPoint g{"", 100, 100, t, ObjectClass::kCar, Box{}, Point2{1.0 * i, 2}, 36, false};
    pts = {p1, p2, g};
    ASSERT_TRUE(s->AddTrackPoints(pts));
  }
  ASSERT_TRUE(s->Flush().ok());
  const StoreStats st = s->Stats();
  EXPECT_EQ(st.track_points_written_total, 4 + 4 + 4);  // t = 0, 1, 2, 3 s (track 1's last point is t = 3 s too)
  EXPECT_EQ(st.track_points_downsampled_total, 39 - 12);

  TrackQuery q;
  q.cameras = {"a"};
  q.track_id = 1;
  auto pts = s->QueryTracks(q);
  ASSERT_TRUE(pts.ok()) << pts.status();
  ASSERT_EQ(pts->size(), 4u);
  std::vector<TimeUs> times;
  for (const auto& p : *pts) times.push_back(p.time_us);
  EXPECT_EQ(times, (std::vector<TimeUs>{0, 1'000'000, 2'000'000, 3'000'000}));
  EXPECT_EQ((*pts)[1].box.x, 14.5f);
  EXPECT_EQ((*pts)[1].box.h, 40.f);
  EXPECT_EQ((*pts)[1].ground->x, 4.0);
  EXPECT_EQ((*pts)[1].global_id, 100);
  EXPECT_EQ((*pts)[1].speed_kmh, 36.0);
  EXPECT_EQ((*pts)[1].object_class, ObjectClass::kCar);
  EXPECT_FALSE((*pts)[2].last);
  EXPECT_TRUE((*pts)[3].last);

  TrackQuery range;
  range.cameras = {"a"};
  range.from_us = 1'000'000;
  range.to_us = 3'000'000;
  auto r = s->QueryTracks(range);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 4u);  // tracks 1 and 2 at 1 s and 2 s
  EXPECT_EQ((*r)[2].track_id, 2);
  EXPECT_FALSE((*r)[2].ground.has_value());

  TrackQuery global;
  global.global_only = true;
  auto g = s->QueryTracks(global);
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->size(), 4u);
  EXPECT_EQ((*g)[0].camera, "");
  EXPECT_EQ((*g)[0].track_id, 100);
  TrackQuery by_global;
  by_global.global_id = 100;
  EXPECT_EQ(s->QueryTracks(by_global)->size(), 8u);  // the global track and camera a's track 1

  ASSERT_TRUE(s->PruneTrackPoints(2'000'000));
  ASSERT_TRUE(s->Flush().ok());
  EXPECT_EQ(s->QueryTracks(TrackQuery{})->size(), 6u);
}

TEST_P(StoreTest, IntervalStatsUpsertQueryAndCsv) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  rules::IntervalStatsOptions so;
  so.interval_us = 60 * kUsPerSecond;
  rules::IntervalStats stats(so);
  Event cross = MakeEvent(10 * kUsPerSecond, "cam", "line_cross", 1, ObjectClass::kCar);
  cross.rule = "gate";
  cross.detail = "direction=in";
  stats.AddEvent(cross);
  Event stop = MakeEvent(70 * kUsPerSecond, "cam", "stopped", 2, ObjectClass::kCar);
  stats.AddEvent(stop);
  std::vector<StatRow> rows = StatRowsFromBins(stats.Bins(), so, "cam");
  EXPECT_EQ(StatRowsToCsv(rows), stats.ToCsv("cam"));
  ASSERT_TRUE(s->PutStats(rows));
  // The running bin grows: the same key again replaces the value.
  StatRow again = rows.back();
  again.value = 5;
  ASSERT_TRUE(s->PutStats({again, StatRow{0, 60'000'000, "other", "gate", "count", "car", "out", 3}}));
  ASSERT_TRUE(s->Flush().ok());

  StatsQuery q;
  q.cameras = {"cam"};
  auto got = s->QueryStats(q);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(StatRowsToCsv(*got),
            "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value\n"
            "0,60,cam,gate,count,car,in,1\n"
            "60,120,cam,,stopped,,,5\n");
  StatsQuery all;
  all.from_us = 0;
  all.to_us = 60'000'000;
  auto first = s->QueryStats(all);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(StatRowsToCsv(*first),
            "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value\n"
            "0,60,cam,gate,count,car,in,1\n"
            "0,60,other,gate,count,car,out,3\n");
  StatsQuery metric;
  metric.metrics = {"stopped"};
  EXPECT_EQ(s->QueryStats(metric)->size(), 1u);
}

TEST_P(StoreTest, SegmentsOpenRepairEvidenceAndRetention) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->PutSegment({"rec/a/1.mp4", "a", 1000, 2000, 500, 2, 1000, false, false}));
  ASSERT_TRUE(s->PutSegment({"rec/a/2.mp4", "a", 2000, 2500, 100, 1, 2000, true, false}));  // left open
  ASSERT_TRUE(s->PutSegment({"rec/b/1.mp4", "b", 1500, 0, 0, 0, 0, true, false}));          // open, no packet
  ASSERT_TRUE(s->Flush().ok());  // reads see committed writes
  auto open = s->ListOpenSegments("");
  ASSERT_TRUE(open.ok()) << open.status();
  ASSERT_EQ(open->size(), 2u);
  EXPECT_EQ((*open)[0].path, "rec/b/1.mp4");
  EXPECT_EQ((*open)[1].path, "rec/a/2.mp4");
  EXPECT_EQ(s->ListOpenSegments("a")->size(), 1u);
  EXPECT_EQ(*s->CloseOpenSegments("a"), 1);
  EXPECT_EQ(*s->CloseOpenSegments(""), 1);
  EXPECT_EQ(*s->CloseOpenSegments(""), 0);
  ASSERT_TRUE(s->SetSegmentEvidence("rec/a/2.mp4", true).ok());
  EXPECT_EQ(s->SetSegmentEvidence("rec/none.mp4", true).message(), "store: no segment \"rec/none.mp4\"");

  SegmentQuery q;
  q.cameras = {"a"};
  q.from_us = 1900;
  q.to_us = 2100;
  auto segs = s->QuerySegments(q);
  ASSERT_TRUE(segs.ok()) << segs.status();
  ASSERT_EQ(segs->size(), 2u);
  EXPECT_EQ((*segs)[0].path, "rec/a/1.mp4");
  EXPECT_EQ((*segs)[0].bytes, 500);
  EXPECT_EQ((*segs)[0].keyframes, 2);
  EXPECT_EQ((*segs)[0].first_keyframe_us, 1000);
  EXPECT_FALSE((*segs)[0].evidence);
  EXPECT_EQ((*segs)[1].end_us, 2500);
  EXPECT_FALSE((*segs)[1].open);
  EXPECT_TRUE((*segs)[1].evidence);
  SegmentQuery closed_b;
  closed_b.cameras = {"b"};
  auto b = s->QuerySegments(closed_b);
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].end_us, 1500);  // repaired: end = start when nothing was known
  SegmentQuery evidence;
  evidence.evidence = true;
  EXPECT_EQ(s->QuerySegments(evidence)->size(), 1u);
  ASSERT_TRUE(s->SetSegmentEvidence("rec/a/2.mp4", false).ok());
  EXPECT_EQ(s->QuerySegments(evidence)->size(), 0u);
  ASSERT_TRUE(s->DeleteSegment("rec/a/1.mp4"));
  ASSERT_TRUE(s->Flush().ok());
  EXPECT_EQ(s->QuerySegments(SegmentQuery{})->size(), 2u);
}

TEST_P(StoreTest, ClipsWithEvidence) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->PutClip({"clip1", "ev1", "a", 5000, 25000, "", 0, ClipState::kPending, "", false, 100}));
  ASSERT_TRUE(s->PutClip({"clip2", "", "b", 1000, 2000, "clips/2.mp4", 42, ClipState::kReady, "", false, 200}));
  ASSERT_TRUE(s->PutClip({"clip1", "ev1", "a", 5000, 25000, "clips/1.mp4", 4096, ClipState::kReady, "", false, 100}));
  ASSERT_TRUE(s->SetClipEvidence("clip1", true).ok());
  EXPECT_EQ(s->SetClipEvidence("nope", true).message(), "store: no clip \"nope\"");
  auto c = s->GetClip("clip1");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->event_id, "ev1");
  EXPECT_EQ(c->path, "clips/1.mp4");
  EXPECT_EQ(c->bytes, 4096);
  EXPECT_EQ(c->state, ClipState::kReady);
  EXPECT_TRUE(c->evidence);
  EXPECT_EQ(c->start_us, 5000);
  EXPECT_EQ(c->end_us, 25000);
  ClipQuery q;
  auto all = s->QueryClips(q);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "clip2");  // newest first
  q.event_id = "ev1";
  EXPECT_EQ(s->QueryClips(q)->size(), 1u);
  q = {};
  q.evidence = true;
  EXPECT_EQ(s->QueryClips(q)->size(), 1u);
  ASSERT_TRUE(s->SetClipEvidence("clip1", false).ok());
  EXPECT_EQ(s->QueryClips(q)->size(), 0u);
  ASSERT_TRUE(s->DeleteClip("clip2"));
  ASSERT_TRUE(s->Flush().ok());
  EXPECT_EQ(s->GetClip("clip2").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ClipStateName(ClipState::kFailed), "failed");
}

TEST_P(StoreTest, ConcurrentWritersAndReadersLoseNothing) {
  auto s = Open();
  ASSERT_NE(s, nullptr);
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    EventQuery q;
    q.limit = 50;
    while (!stop.load()) EXPECT_TRUE(s->QueryEvents(q).ok());
  });
  std::vector<std::thread> writers;
  writers.reserve(4);
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 500; ++i) {
        EXPECT_TRUE(s->AddEvent({"", MakeEvent(i, absl::StrCat("cam", w), "line_cross", i, ObjectClass::kCar)}));
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  reader.join();
  ASSERT_TRUE(s->Close().ok());  // a clean stop flushes
  s = Open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(*s->CountEvents({}), 2000);
}

TEST_P(StoreTest, AQueueFullDropsAndCounts) {
  StoreOptions o;
  o.queue_capacity = 1;
  o.flush_interval_us = 10 * kUsPerSecond;  // the writer waits for its interval, so the queue stays full
  auto s = Open(o);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(s->AddEvent({"1", MakeEvent(1, "c", "t", 1, ObjectClass::kCar)}));
  EXPECT_FALSE(s->AddEvent({"2", MakeEvent(2, "c", "t", 2, ObjectClass::kCar)}));
  StoreStats st = s->Stats();
  EXPECT_EQ(st.dropped_total, 1);
  EXPECT_EQ(st.queue_capacity, 1);
  EXPECT_EQ(st.queue_depth, 1);
  ASSERT_TRUE(s->Flush().ok());
  EXPECT_EQ(*s->CountEvents({}), 1);
}

// kill -9 while events stream in: every event enqueued more than a second before the kill is in the store.
TEST_P(StoreTest, AfterKillNineAllButTheLastSecondArePresent) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto st = OpenStore(url_);
    if (!st.ok()) _exit(3);
    for (int i = 0;; ++i) {
      (*st)->AddEvent({absl::StrCat("k", i), MakeEvent(i, "c", "t", i, ObjectClass::kCar)});
      const uint32_t v = static_cast<uint32_t>(i);
      if (write(fds[1], &v, sizeof(v)) != sizeof(v)) _exit(4);
      usleep(1000);
    }
  }
  close(fds[1]);
  std::map<int, std::chrono::steady_clock::time_point> seen;
  const auto start = std::chrono::steady_clock::now();
  uint32_t v;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500) &&
         read(fds[0], &v, sizeof(v)) == sizeof(v)) {
    seen[static_cast<int>(v)] = std::chrono::steady_clock::now();
  }
  const auto killed_at = std::chrono::steady_clock::now();
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  ASSERT_GT(seen.size(), 200u);

  auto s = Open();
  ASSERT_NE(s, nullptr);
  int64_t must = 0, missing = 0;
  for (const auto& [i, t] : seen) {
    if (killed_at - t < std::chrono::seconds(1)) continue;
    ++must;
    if (!s->GetEvent(absl::StrCat("k", i)).ok()) ++missing;
  }
  EXPECT_GT(must, 100);
  EXPECT_EQ(missing, 0) << "of " << must << " events enqueued over a second before the kill";
}

TEST(StoreOpenTest, RejectsBadUrlsAndOptions) {
  EXPECT_EQ(OpenStore("mysql://x").status().message(),
            "store: unknown store URL \"mysql://x\" (sqlite:///path, a path, or postgresql://...)");
  EXPECT_EQ(OpenStore("sqlite://").status().message(), "store: empty SQLite path in \"sqlite://\"");
  StoreOptions o;
  o.reader_connections = 0;
  EXPECT_EQ(OpenStore("x.db", o).status().message(), "store: reader_connections 0 is outside 1..64");
  EXPECT_EQ(OpenStore("/nonexistent-dir/x/site.db").status().code(), absl::StatusCode::kUnavailable);
  auto pg = OpenStore("postgresql://nobody@/nodb?host=/nonexistent-dir&port=1");
  EXPECT_EQ(pg.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StartsWith(pg.status().message(),
                               "postgresql postgresql://nobody@/nodb?host=/nonexistent-dir&port=1: "
                               "cannot connect: "))
      << pg.status();
}

TEST(StoreOpenTest, PasswordsAreNotInMessages) {
  auto pg = OpenStore("postgresql://user:secret@/nodb?host=/nonexistent-dir&port=1");
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.status().message().find("secret"), std::string::npos) << pg.status();
}

TEST(SqlBuilderTest, PlaceholdersPerDialect) {
  SqlBuilder a(Dialect::kSqlite), b(Dialect::kPostgres);
  for (SqlBuilder* x : {&a, &b}) {
    x->Sql("SELECT 1 WHERE c = ").Param(std::string("v")).Sql(" AND d IN ").ParamList({int64_t{1}, 2.5});
  }
  EXPECT_EQ(a.text(), "SELECT 1 WHERE c = ?1 AND d IN (?2, ?3)");
  EXPECT_EQ(b.text(), "SELECT 1 WHERE c = $1 AND d IN ($2, $3)");
  EXPECT_EQ(a.params().size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

}  // namespace
}  // namespace didban::store
