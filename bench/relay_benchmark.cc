// Scale-out benchmark: N simulated stations publish events through JetStream (relay::EdgePublisher, straight to one
// hub whose center stream captures didban.>) and one center (relay::CenterConsumer) writes them into the store
// (PostgreSQL in bench/relay_bench.sh). Not a Google Benchmark: it needs a broker and a database, started by the
// script. Two modes:
//   live (default): the center consumes while the stations publish; prints events/s from the first publish to the
//     last commit and the delay from publish to commit (p50, p99, max).
//   --backlog N: a cut link. The center's durable consumer is created and stopped, the stations publish N events
//     (at --rate, 0 = as fast as they go) while nobody consumes, then a center starts and the time from its start to
//     the last commit is the catch-up time; every event's order is checked per camera.
// Both check exactly-once: every event sent is stored once (stored = sent) and none is committed out of order for
// its camera. Each camera belongs to one station (camera c at station c % stations) and carries increasing track
// ids, so an event committed after a later one of its camera is an order violation.
//   relay_benchmark --nats URL --store URL [--stations 50] [--rate EVENTS_PER_S (0 = as fast as possible)]
//                   [--seconds 10] [--backlog N] [--batch 2000] [--cameras 100] [--pipeline 3]
// (--pipeline 1: the center fetches, commits and acknowledges one batch at a time, as before the pipeline.)
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "relay/center_consumer.h"
#include "relay/edge_publisher.h"
#include "store/store.h"

namespace {

using didban::TimeUs;

TimeUs NowUs() { return absl::ToUnixMicros(absl::Now()); }

// User + system CPU seconds of this process so far.
double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

// What the center committed, as the bench sees it through on_committed.
struct Tally {
  absl::Mutex mu;
  std::vector<TimeUs> delays ABSL_GUARDED_BY(mu);  // publish to commit, per committed event (redeliveries included)
  std::unordered_set<int64_t> seen ABSL_GUARDED_BY(mu);
  std::map<std::string, int64_t> last_per_camera ABSL_GUARDED_BY(mu);
  int64_t repeats ABSL_GUARDED_BY(mu) = 0;       // committed again (a redelivery; the store drops it)
  int64_t out_of_order ABSL_GUARDED_BY(mu) = 0;  // committed after a later event of its camera
  TimeUs last_commit_us ABSL_GUARDED_BY(mu) = 0;

  void Add(const std::vector<didban::relay::Decoded>& batch) {
    const TimeUs now = NowUs();
    absl::MutexLock l(&mu);
    for (const auto& d : batch) {
      if (d.kind != didban::relay::Kind::kEvent) continue;
      const didban::Event& e = d.event.event;
      delays.push_back(now - e.time_us);
      if (!seen.insert(e.track_id).second) {
        ++repeats;
        continue;
      }
      auto [it, fresh] = last_per_camera.try_emplace(e.camera, e.track_id);
      if (!fresh) {
        if (e.track_id < it->second) ++out_of_order;
        it->second = std::max(it->second, e.track_id);
      }
    }
    last_commit_us = now;
  }
  int64_t Unique() {
    absl::MutexLock l(&mu);
    return static_cast<int64_t>(seen.size());
  }
};

int Run(int argc, char** argv) {
  std::string nats, store_url;
  int stations = 50, batch = 2000, cameras = 100, pipeline = 3;
  double rate = 0, seconds = 10;
  int64_t backlog = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--nats")
      nats = v;
    else if (k == "--store")
      store_url = v;
    else if (k == "--stations")
      stations = std::atoi(v.c_str());
    else if (k == "--rate")
      rate = std::atof(v.c_str());
    else if (k == "--seconds")
      seconds = std::atof(v.c_str());
    else if (k == "--backlog")
      backlog = std::atoll(v.c_str());
    else if (k == "--batch")
      batch = std::atoi(v.c_str());
    else if (k == "--cameras")
      cameras = std::atoi(v.c_str());
    else if (k == "--pipeline")
      pipeline = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "relay_benchmark: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (nats.empty() || store_url.empty() || stations < 1 || seconds <= 0 || backlog < 0 || cameras < stations) {
    std::fprintf(stderr,
                 "usage: relay_benchmark --nats URL --store URL [--stations N] [--rate R] [--seconds S] "
                 "[--backlog N] [--batch B] [--cameras C >= N] [--pipeline 1..4]\n");
    return 2;
  }
  didban::store::StoreOptions so;
  so.queue_capacity = 1'000'000;
  so.max_write_retries = 1000;
  absl::StatusOr<std::unique_ptr<didban::store::Store>> store = didban::store::OpenStore(store_url, so);
  if (!store.ok()) {
    std::fprintf(stderr, "relay_benchmark: %s\n", store.status().ToString().c_str());
    return 1;
  }
  Tally tally;
  didban::relay::CenterConsumerOptions co;
  co.nats_url = nats;
  co.batch = batch;
  co.pipeline_batches = pipeline;
  co.fetch_wait_us = 50'000;
  co.limits.max_bytes = int64_t{4} << 30;
  co.on_committed = [&](const std::vector<didban::relay::Decoded>& b) { tally.Add(b); };
  auto start_center = [&]() -> std::unique_ptr<didban::relay::CenterConsumer> {
    absl::StatusOr<std::unique_ptr<didban::relay::CenterConsumer>> c =
        didban::relay::CenterConsumer::Start(co, store->get());
    if (!c.ok()) {
      std::fprintf(stderr, "relay_benchmark: %s\n", c.status().ToString().c_str());
      return nullptr;
    }
    for (int i = 0; i < 100 && !(*c)->Stats().connected; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    return *std::move(c);
  };
  std::unique_ptr<didban::relay::CenterConsumer> center = start_center();
  if (center == nullptr) return 1;
  // The center's stream (and its durable consumer) exist before anyone publishes.
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  if (backlog > 0) center.reset();  // the link is cut: nobody consumes

  std::vector<std::unique_ptr<didban::relay::EdgePublisher>> edges;
  for (int s = 0; s < stations; ++s) {
    didban::relay::EdgePublisherOptions eo;
    eo.site = absl::StrCat("station", s);
    eo.nats_url = nats;
    eo.create_stream = false;
    eo.buffer_capacity = 1'000'000;
    absl::StatusOr<std::unique_ptr<didban::relay::EdgePublisher>> e = didban::relay::EdgePublisher::Start(eo, nullptr);
    if (!e.ok()) {
      std::fprintf(stderr, "relay_benchmark: %s\n", e.status().ToString().c_str());
      return 1;
    }
    edges.push_back(*std::move(e));
  }
  const double cpu_start = CpuSeconds();
  const TimeUs start = NowUs();
  const TimeUs end = backlog > 0 ? INT64_MAX : start + static_cast<TimeUs>(seconds * 1e6);
  int64_t sent = 0;
  const int64_t max_events = backlog > 0 ? backlog : rate > 0 ? static_cast<int64_t>(rate * seconds) : INT64_MAX;
  while (NowUs() < end && sent < max_events) {
    // Paced: catch up to rate * elapsed every millisecond; unpaced: 1,000 per station per round.
    const int64_t target =
        rate > 0 ? std::min(max_events, static_cast<int64_t>(rate * static_cast<double>(NowUs() - start) * 1e-6))
                 : std::min(max_events, sent + 1000 * stations);
    for (; sent < target; ++sent) {
      didban::store::StoredEvent e;
      e.event.time_us = NowUs();
      const int64_t camera = sent % cameras;
      e.event.camera = absl::StrCat("cam", camera);
      e.event.type = "line_cross";
      e.event.rule = "count";
      e.event.track_id = sent;
      e.event.object_class = didban::ObjectClass::kCar;
      edges[static_cast<size_t>(camera % stations)]->EnqueueEvent(e);
    }
    if (rate > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    } else {
      // Unpaced: keep the buffers from growing without bound.
      while (edges[0]->Stats().buffered > 20000 && NowUs() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (auto& e : edges) e->WaitIdle(600'000'000);
  const TimeUs published_us = NowUs();
  TimeUs catch_up_start = start;
  if (backlog > 0) {
    std::printf("backlog: %lld events published by %d stations in %.1f s (%.0f/s); starting the center\n",
                static_cast<long long>(sent), stations, static_cast<double>(published_us - start) * 1e-6,
                static_cast<double>(sent) / (static_cast<double>(published_us - start) * 1e-6));
    std::fflush(stdout);
    catch_up_start = NowUs();
    center = start_center();
    if (center == nullptr) return 1;
  }
  const double cpu_center_start = CpuSeconds();
  const TimeUs wait_end = NowUs() + 600'000'000;
  while (NowUs() < wait_end && tally.Unique() < sent) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const double cpu_end = CpuSeconds();
  const didban::relay::CenterConsumerStats cs = center->Stats();
  center->Stop();
  for (auto& e : edges) e->Stop(0);
  const didban::store::StoreStats ss = (*store)->Stats();
  const absl::StatusOr<int64_t> stored = (*store)->CountEvents(didban::store::EventQuery{});
  absl::MutexLock l(&tally.mu);
  std::vector<TimeUs>& delays = tally.delays;
  std::sort(delays.begin(), delays.end());
  auto pct = [&](double p) {
    if (delays.empty()) return 0.0;
    return static_cast<double>(
               delays[std::min(delays.size() - 1, static_cast<size_t>(p * static_cast<double>(delays.size())))]) *
           1e-3;
  };
  const int64_t unique = static_cast<int64_t>(tally.seen.size());
  const long long stored_n = static_cast<long long>(stored.ok() ? *stored : -1);
  const double span_s = static_cast<double>(tally.last_commit_us - catch_up_start) * 1e-6;
  if (backlog > 0) {
    std::printf(
        "stations %d, backlog %lld: center caught up in %.2f s (start to last commit): %.0f events/s; committed "
        "%lld (stored %lld, redelivered %lld, out of order %lld); center batches %lld; bench CPU while catching up "
        "%.1f s\n",
        stations, static_cast<long long>(sent), span_s, static_cast<double>(unique) / span_s,
        static_cast<long long>(unique), stored_n, static_cast<long long>(tally.repeats),
        static_cast<long long>(tally.out_of_order), static_cast<long long>(cs.batches_total),
        cpu_end - cpu_center_start);
  } else {
    std::printf(
        "stations %d, rate %s, sent %lld, committed %lld (stored %lld, redelivered %lld, out of order %lld), %.2f s "
        "first publish to last commit: %.0f events/s; publish to commit p50 %.1f ms, p99 %.1f ms, max %.1f ms; "
        "center batches %lld, store transactions %lld; bench CPU %.1f s\n",
        stations, rate > 0 ? absl::StrCat(rate, "/s").c_str() : "max", static_cast<long long>(sent),
        static_cast<long long>(unique), stored_n, static_cast<long long>(tally.repeats),
        static_cast<long long>(tally.out_of_order), span_s, static_cast<double>(unique) / span_s, pct(0.5), pct(0.99),
        delays.empty() ? 0.0 : static_cast<double>(delays.back()) * 1e-3, static_cast<long long>(cs.batches_total),
        static_cast<long long>(ss.batches_total), cpu_end - cpu_start);
  }
  const bool exactly_once = unique == sent && stored_n == sent && tally.out_of_order == 0;
  if (!exactly_once) std::printf("FAILED: not every event exactly once and in order per camera\n");
  return exactly_once ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
