// Event queries of the store on one million events, SQLite and PostgreSQL (a real PostgreSQL 15 started with
// tests/tools/pg_test_server.sh). The target: filtered, keyset-paged event queries under 50 ms. Also the write
// throughput of the batching writer (the load itself is timed and reported).
//
//   build/bench/store_benchmark [--benchmark_filter=sqlite|postgresql]
//   DIDBAN_STORE_BENCH_EVENTS=100000 build/bench/store_benchmark   (a smaller store)
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "store/pg_connection.h"
#include "store/sqlite_connection.h"
#include "store/store.h"

namespace didban::store {
namespace {

constexpr int kCameras = 16;
constexpr TimeUs kStartUs = 1'700'000'000'000'000;
constexpr TimeUs kSpanUs = 30LL * 24 * 3600 * kUsPerSecond;  // a month of events
const char* const kTypes[] = {"line_cross", "zone_enter", "dwell",     "overspeed",
                              "wrong_way",  "stopped",    "near_miss", "congestion"};

int64_t EventCount() {
  int64_t n = 1'000'000;
  const char* env = std::getenv("DIDBAN_STORE_BENCH_EVENTS");
  if (env != nullptr && !absl::SimpleAtoi(env, &n)) n = 1'000'000;
  return n;
}

std::string Run(const std::string& cmd) {
  FILE* f = popen(cmd.c_str(), "r");
  if (f == nullptr) return "";
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  return pclose(f) == 0 ? out : "";
}

ObjectClass ClassOf(uint32_t r) {  // car 60 %, person 20 %, truck 10 %, bus 5 %, bicycle 4 %, motorcycle 1 %
  const uint32_t p = r % 100;
  if (p < 60) return ObjectClass::kCar;
  if (p < 80) return ObjectClass::kPerson;
  if (p < 90) return ObjectClass::kTruck;
  if (p < 95) return ObjectClass::kBus;
  if (p < 99) return ObjectClass::kBicycle;
  return ObjectClass::kMotorcycle;
}

// One populated store per backend, kept for the whole run.
struct Fixture {
  std::unique_ptr<Store> store;
  std::string pg_dir;
  std::string tmp_dir;
  std::string error;
  double load_s = 0;
  int64_t events = 0;
  ~Fixture() {
    if (store) (void)store->Close();
    if (!pg_dir.empty()) Run(absl::StrCat(DIDBAN_SOURCE_DIR, "/tests/tools/pg_test_server.sh stop ", pg_dir));
    if (!tmp_dir.empty()) Run(absl::StrCat("rm -rf ", tmp_dir));
  }
};

Fixture* Get(const std::string& backend) {
  static std::map<std::string, std::unique_ptr<Fixture>> fixtures;
  auto& f = fixtures[backend];
  if (f) return f.get();
  f = std::make_unique<Fixture>();
  std::string url;
  if (backend == "sqlite") {
    char tmpl[] = "/tmp/didban-store-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      f->error = "mkdtemp failed";
      return f.get();
    }
    f->tmp_dir = tmpl;
    url = f->tmp_dir + "/site.db";
  } else {
    std::string out = Run(absl::StrCat(DIDBAN_SOURCE_DIR, "/tests/tools/pg_test_server.sh start"));
    std::vector<std::string> lines = absl::StrSplit(absl::StripAsciiWhitespace(out), '\n');
    if (lines.size() != 2) {
      f->error = "PostgreSQL test server did not start";
      return f.get();
    }
    f->pg_dir = lines[0];
    url = lines[1];
  }
  auto s = OpenStore(url);
  if (!s.ok()) {
    f->error = s.status().ToString();
    return f.get();
  }
  f->store = std::move(*s);
  std::mt19937 rng(7);
  const int64_t n = EventCount();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t r = rng();
    StoredEvent e;
    e.event.time_us = kStartUs + kSpanUs / n * i;
    e.event.camera = absl::StrCat("cam", r % kCameras);
    e.event.type = kTypes[(r >> 8) % 8];
    e.event.rule = absl::StrCat(e.event.type, "_", (r >> 12) % 4);
    e.event.track_id = i;
    e.event.object_class = ClassOf(r >> 16);
    e.event.ground = Point2{static_cast<double>(r % 1000) / 10, static_cast<double>((r >> 10) % 1000) / 10};
    e.event.value = static_cast<double>(r % 120);
    e.event.unit = "km/h";
    e.event.detail = "direction=in";
    if (i < n * 9 / 10) {  // the older 90 % acknowledged
      e.acked_at_us = e.event.time_us + 60 * kUsPerSecond;
      e.acked_by = "operator";
    }
    f->store->AddEvent(std::move(e));  // the queue (100 000) never fills: a Flush every 50 000
    if (i % 50000 == 49999) (void)f->store->Flush();
  }
  absl::Status fl = f->store->Flush(600 * kUsPerSecond);
  f->load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!fl.ok()) {
    f->error = fl.ToString();
    return f.get();
  }
  f->events = *f->store->CountEvents({});
  // Planner statistics, as autovacuum (PostgreSQL) or PRAGMA optimize (SQLite, at close) keep them in service.
  auto c = backend == "sqlite" ? OpenSqliteConnection(url, true, 5'000'000) : OpenPgConnection(url);
  if (c.ok()) (void)(*c)->ExecScript("ANALYZE");
  return f.get();
}

void Query(benchmark::State& state, const std::string& backend, EventQuery q, int depth) {
  Fixture* f = Get(backend);
  if (!f->error.empty()) {
    state.SkipWithError(f->error.c_str());
    return;
  }
  // With depth > 0 the measured query is the page `depth` pages in (a keyset cursor).
  for (int i = 0; i < depth; ++i) {
    auto page = f->store->QueryEvents(q);
    if (!page.ok() || page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  size_t rows = 0;
  for (auto _ : state) {
    auto page = f->store->QueryEvents(q);
    if (!page.ok()) {
      state.SkipWithError(page.status().ToString().c_str());
      return;
    }
    rows = page->events.size();
    benchmark::DoNotOptimize(page);
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["events"] = static_cast<double>(f->events);
  state.counters["load_s"] = f->load_s;
}

EventQuery Newest() { return EventQuery{}; }
EventQuery ByCamera() {
  EventQuery q;
  q.cameras = {"cam3"};
  return q;
}
EventQuery ByCameraTypeRange() {  // one camera, two types, one day in the middle of the month
  EventQuery q;
  q.cameras = {"cam5"};
  q.types = {"overspeed", "wrong_way"};
  q.from_us = kStartUs + kSpanUs / 2;
  q.to_us = *q.from_us + 24 * 3600 * kUsPerSecond;
  return q;
}
EventQuery RareClassUnacked() {  // motorcycles (1 %) not acknowledged (the newest 10 %)
  EventQuery q;
  q.classes = {ObjectClass::kMotorcycle};
  q.acknowledged = false;
  return q;
}
EventQuery RareClassOldRange() {  // motorcycles in the first week, oldest first
  EventQuery q;
  q.classes = {ObjectClass::kMotorcycle};
  q.from_us = kStartUs;
  q.to_us = kStartUs + 7 * 24 * 3600 * kUsPerSecond;
  q.oldest_first = true;
  return q;
}
EventQuery CameraRareClass() {  // one camera's bicycles (4 % of its events)
  EventQuery q;
  q.cameras = {"cam7"};
  q.classes = {ObjectClass::kBicycle};
  return q;
}
EventQuery TwoCameras() {
  EventQuery q;
  q.cameras = {"cam1", "cam9"};
  return q;
}
EventQuery NoMatch() {  // a class that never occurs: nothing to return, the worst case of a filter
  EventQuery q;
  q.classes = {ObjectClass::kAnimal};
  return q;
}
EventQuery CameraTypeNoMatch() {  // a type that never occurs on a camera
  EventQuery q;
  q.cameras = {"cam2"};
  q.types = {"camera_offline"};
  return q;
}
EventQuery Unacked() {
  EventQuery q;
  q.acknowledged = false;
  return q;
}

void Count(benchmark::State& state, const std::string& backend, EventQuery q) {
  Fixture* f = Get(backend);
  if (!f->error.empty()) {
    state.SkipWithError(f->error.c_str());
    return;
  }
  int64_t n = 0;
  for (auto _ : state) n = *f->store->CountEvents(q);
  state.counters["count"] = static_cast<double>(n);
}

// Write throughput: 10 000 new events enqueued, then Flush (durable).
void Insert(benchmark::State& state, const std::string& backend) {
  Fixture* f = Get(backend);
  if (!f->error.empty()) {
    state.SkipWithError(f->error.c_str());
    return;
  }
  static int64_t next = 0;
  for (auto _ : state) {
    for (int i = 0; i < 10000; ++i) {
      StoredEvent e;
      e.id = absl::StrCat("insert-", backend, "-", next++);
      e.event.time_us = kStartUs + kSpanUs + next;
      e.event.camera = "cam0";
      e.event.type = "line_cross";
      f->store->AddEvent(std::move(e));
    }
    (void)f->store->Flush();
  }
  state.SetItemsProcessed(state.iterations() * 10000);
}

void Register() {
  for (const std::string backend : {"sqlite", "postgresql"}) {
    auto q = [&](const char* name, EventQuery (*make)(), int depth) {
      benchmark::RegisterBenchmark(absl::StrCat("BM_Events", name, "/", backend).c_str(), [backend, make,
                                                                                           depth](benchmark::State& s) {
        Query(s, backend, make(), depth);
      })->Unit(benchmark::kMillisecond);
    };
    q("Newest100", Newest, 0);
    q("Newest100Page50", Newest, 50);
    q("ByCamera", ByCamera, 0);
    q("ByCameraPage50", ByCamera, 50);
    q("ByCameraTypeDay", ByCameraTypeRange, 0);
    q("Unacked", Unacked, 0);
    q("RareClassUnacked", RareClassUnacked, 0);
    q("RareClassFirstWeek", RareClassOldRange, 0);
    q("CameraRareClass", CameraRareClass, 0);
    q("TwoCameras", TwoCameras, 0);
    q("NoMatchClass", NoMatch, 0);
    q("NoMatchCameraType", CameraTypeNoMatch, 0);
    benchmark::RegisterBenchmark(absl::StrCat("BM_CountEventsByCameraTypeDay/", backend).c_str(),
                                 [backend](benchmark::State& s) { Count(s, backend, ByCameraTypeRange()); })
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(absl::StrCat("BM_Insert10k/", backend).c_str(),
                                 [backend](benchmark::State& s) { Insert(s, backend); })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(5);
  }
}

}  // namespace
}  // namespace didban::store

int main(int argc, char** argv) {
  didban::store::Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
