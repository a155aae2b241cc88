// Scale-out benchmark: N simulated stations publish events through JetStream (relay::EdgePublisher, straight to one
// hub whose center stream captures didban.>) and one center (relay::CenterConsumer) writes them into the store
// (PostgreSQL in bench/relay_bench.sh). Prints events/s from the first publish to the last commit and the delay from
// publish to commit (p50, p99, max). Not a Google Benchmark: it needs a broker and a database, started by the script.
//   relay_benchmark --nats URL --store URL [--stations 50] [--rate EVENTS_PER_S (0 = as fast as possible)]
//                   [--seconds 10]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "relay/center_consumer.h"
#include "relay/edge_publisher.h"
#include "store/store.h"

namespace {

using didban::TimeUs;

TimeUs NowUs() { return absl::ToUnixMicros(absl::Now()); }

int Run(int argc, char** argv) {
  std::string nats, store_url;
  int stations = 50;
  double rate = 0, seconds = 10;
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
    else {
      std::fprintf(stderr, "relay_benchmark: unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (nats.empty() || store_url.empty() || stations < 1 || seconds <= 0) {
    std::fprintf(stderr, "usage: relay_benchmark --nats URL --store URL [--stations N] [--rate R] [--seconds S]\n");
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
  absl::Mutex mu;
  std::vector<TimeUs> delays;
  TimeUs last_commit_us = 0;
  didban::relay::CenterConsumerOptions co;
  co.nats_url = nats;
  co.batch = 2000;
  co.fetch_wait_us = 50'000;
  co.limits.max_bytes = int64_t{4} << 30;
  co.on_committed = [&](const std::vector<didban::relay::Decoded>& batch) {
    const TimeUs now = NowUs();
    absl::MutexLock l(&mu);
    for (const auto& d : batch) {
      if (d.kind == didban::relay::Kind::kEvent) delays.push_back(now - d.event.event.time_us);
    }
    last_commit_us = now;
  };
  absl::StatusOr<std::unique_ptr<didban::relay::CenterConsumer>> center =
      didban::relay::CenterConsumer::Start(co, store->get());
  if (!center.ok()) {
    std::fprintf(stderr, "relay_benchmark: %s\n", center.status().ToString().c_str());
    return 1;
  }
  for (int i = 0; i < 100 && !(*center)->Stats().connected; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the center's stream exists before anyone publishes

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
  const TimeUs start = NowUs();
  const TimeUs end = start + static_cast<TimeUs>(seconds * 1e6);
  int64_t sent = 0;
  const int64_t max_events = rate > 0 ? static_cast<int64_t>(rate * seconds) : INT64_MAX;
  while (NowUs() < end && sent < max_events) {
    // Paced: catch up to rate * elapsed every millisecond; unpaced: 1,000 per station per round.
    const int64_t target =
        rate > 0 ? std::min(max_events, static_cast<int64_t>(rate * static_cast<double>(NowUs() - start) * 1e-6))
                 : sent + 1000 * stations;
    for (; sent < target; ++sent) {
      didban::store::StoredEvent e;
      e.event.time_us = NowUs();
      e.event.camera = absl::StrCat("cam", sent % 100);
      e.event.type = "line_cross";
      e.event.rule = "count";
      e.event.track_id = sent;
      e.event.object_class = didban::ObjectClass::kCar;
      edges[static_cast<size_t>(sent % stations)]->EnqueueEvent(e);
    }
    if (rate > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    else {
      // Unpaced: keep the buffers from growing without bound.
      while (edges[0]->Stats().buffered > 20000 && NowUs() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  for (auto& e : edges) e->WaitIdle(120'000'000);
  const TimeUs wait_end = NowUs() + 120'000'000;
  while (NowUs() < wait_end) {
    absl::MutexLock l(&mu);
    if (static_cast<int64_t>(delays.size()) >= sent) break;
    mu.Unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    mu.Lock();
  }
  (*center)->Stop();
  for (auto& e : edges) e->Stop(0);
  absl::MutexLock l(&mu);
  std::sort(delays.begin(), delays.end());
  auto pct = [&](double p) {
    if (delays.empty()) return 0.0;
    return static_cast<double>(
               delays[std::min(delays.size() - 1, static_cast<size_t>(p * static_cast<double>(delays.size())))]) *
           1e-3;
  };
  const double span_s = static_cast<double>(last_commit_us - start) * 1e-6;
  const absl::StatusOr<int64_t> stored = (*store)->CountEvents(didban::store::EventQuery{});
  std::printf(
      "stations %d, rate %s, sent %lld, committed %zu (stored %lld), %.2f s first publish to last commit: %.0f "
      "events/s; "
      "publish to commit p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
      stations, rate > 0 ? absl::StrCat(rate, "/s").c_str() : "max", static_cast<long long>(sent), delays.size(),
      static_cast<long long>(stored.ok() ? *stored : -1), span_s, static_cast<double>(delays.size()) / span_s, pct(0.5),
      pct(0.99), delays.empty() ? 0.0 : static_cast<double>(delays.back()) * 1e-3);
  return static_cast<int64_t>(delays.size()) >= sent ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) { return Run(argc, argv); }
