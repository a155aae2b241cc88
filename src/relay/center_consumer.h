// The center's relay: a durable JetStream pull consumer on the center's stream (which sources every station's
// stream) that writes events and track points into the center's store and acknowledges a batch only after the store
// committed it. Events are inserted keyed by their stable id (ON CONFLICT DO NOTHING), so a redelivery after a crash
// between commit and acknowledgement is stored once; track points are at-least-once. Camera states are kept in memory
// (the latest per site and camera) with the time each site was last heard from. Thread-safe.
//
// Two threads form a pipeline: the fetch thread fetches and decodes the next batches while the commit thread writes
// the batches already fetched (all those waiting, in fetch order, in one store flush) and then has the fetch thread
// acknowledge them (before its next fetch). At most pipeline_batches (3) batches are unacknowledged at once (within the
// consumer's MaxAckPending of four).
//
// A commit that fails (PostgreSQL away, a lock, a full queue) is retried with the same batches until it succeeds:
// nothing newer is committed meanwhile (the pipeline is full, so nothing is fetched either), which keeps every
// camera's events in order without depending on how the server orders redeliveries; the batches' messages get
// progress acknowledgements (+WPI) so that JetStream does not redeliver them while the store is away. What the store
// dropped after its own retries is enqueued again (event ids make that a no-op for rows already committed). Only
// Stop hands a batch back (negative acknowledgement) without committing it.
//
// Every message must come from where it claims (CheckOrigin): its subject must carry the body's site and camera, and
// when the stream sources the stations' streams, the hub's Nats-Stream-Source header must name that site's stream.
// A message that does not is acknowledged, dropped and counted (rejected_total).
#ifndef DIDBAN_RELAY_CENTER_CONSUMER_H_
#define DIDBAN_RELAY_CENTER_CONSUMER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "didban/status.h"
#include "relay/jetstream.h"
#include "relay/wire.h"
#include "store/store.h"

namespace didban::relay {

struct CenterConsumerOptions {
  std::string nats_url;                   // the hub, e.g. nats://127.0.0.1:4222
  std::string stream = "DIDBAN_CENTER";   // the center's stream
  std::string durable = "didban-center";  // the durable consumer's name
  std::vector<SiteSource> sites;          // sources of the stream; empty: the stream captures didban.> itself
  bool create_stream = true;              // create or update the stream (false: it exists)
  StreamLimits limits;                    // of the center's stream
  int batch = 1000;                       // messages per fetch at most
  // Batches fetched and not yet acknowledged at most, the one being fetched included (1..4; the consumer's
  // MaxAckPending is four batches). 1: fetch, commit, acknowledge, one batch at a time (no pipeline).
  int pipeline_batches = 3;
  TimeUs fetch_wait_us = 500'000;             // a fetch waits this long for the first message
  TimeUs ack_wait_us = 10'000'000;            // an unacknowledged message is redelivered after this
  TimeUs flush_timeout_us = 10'000'000;       // a batch's commit waits at most this long (then it is redelivered)
  TimeUs site_offline_after_us = 30'000'000;  // a site not heard from for this long is offline
  // Called after a batch was committed and acknowledged, with the decoded messages (benchmarks measure delays).
  std::function<void(const std::vector<Decoded>&)> on_committed;

  absl::Status Validate() const;
};

struct CenterConsumerStats {
  int64_t received_total = 0;     // messages fetched (redeliveries included)
  int64_t redelivered_total = 0;  // of which redeliveries
  int64_t events_total = 0;       // event messages committed (repeats included; the store counts duplicates)
  int64_t track_points_total = 0;
  int64_t states_total = 0;
  int64_t bad_total = 0;              // messages that did not decode (acknowledged and dropped)
  int64_t rejected_total = 0;         // messages from elsewhere than they claim (CheckOrigin; acknowledged, dropped)
  int64_t batches_total = 0;          // batches committed and acknowledged
  int64_t commit_failures_total = 0;  // commit attempts that failed (each is retried with the same batches)
  int64_t fetch_errors_total = 0;     // fetches that failed (broker away)
  int64_t pending = 0;                // messages the consumer has not delivered yet (from the last message's metadata)
  bool connected = false;
  TimeUs last_commit_us = 0;  // wall time of the last committed batch
};

// A site as the center sees it.
struct SiteView {
  std::string site;
  TimeUs last_heard_us = 0;  // wall time of its last message, µs since the epoch
  bool online = false;       // heard from within site_offline_after_us
  std::vector<RemoteCameraState> cameras;
};

class CenterConsumer {
 public:
  // Connects (or keeps trying), sets up the stream and the consumer when the hub answers, and starts consuming into
  // `store` (not owned; it must outlive the consumer).
  static absl::StatusOr<std::unique_ptr<CenterConsumer>> Start(CenterConsumerOptions options, store::Store* store);
  ~CenterConsumer();  // Stop()
  CenterConsumer(const CenterConsumer&) = delete;
  CenterConsumer& operator=(const CenterConsumer&) = delete;

  // Stops after the batches being committed (committed and acknowledged, or left for redelivery); batches fetched
  // but not yet being committed are negatively acknowledged for the next consumer. Idempotent.
  void Stop();

  CenterConsumerStats Stats() const;
  std::vector<SiteView> Sites() const;

 private:
  // One fetched batch, decoded; its messages are acknowledged through their reply subjects.
  struct Fetched {
    std::vector<std::string> replies;  // every message's, bad and rejected ones included
    std::vector<Decoded> decoded;      // the messages that decoded and passed CheckOrigin
    int64_t redelivered = 0, bad = 0, rejected = 0, events = 0, points = 0, states = 0;
    uint64_t pending = 0;
  };

  explicit CenterConsumer(CenterConsumerOptions o, store::Store* store) : o_(std::move(o)), store_(store) {}
  void Loop();        // the fetch thread
  void CommitLoop();  // the commit thread
  absl::Status Setup();
  void Teardown();
  // Fetches and decodes one batch and hands it to the commit thread; false when nothing came (timeout or error).
  bool Step();
  // Decodes and checks one message into `f` (its reply is kept either way).
  void Take(natsMsg* m, Fetched& f);
  // Writes `group` (in order) to the store and flushes, retrying until it commits, then acknowledges every message.
  // Returns false only when Stop came first (then the group and everything waiting is negatively acknowledged).
  bool Commit(std::vector<Fetched>& group);
  // Queues `token` ("+ACK", "-NAK") for every reply subject of `batches` (their replies are moved out).
  void Post(std::vector<Fetched>& batches, const char* token) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues a progress acknowledgement ("+WPI") for every message of `group` and of the batches waiting.
  void PostProgress(const std::vector<Fetched>& group) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Publishes what Post queued, in order. Only the fetch thread (or Stop, after both threads ended) uses the
  // connection.
  void SendReplies();

  const CenterConsumerOptions o_;
  store::Store* store_;
  std::unique_ptr<NatsLink> link_;
  natsSubscription* sub_ = nullptr;  // the fetch thread's own
  std::thread thread_, committer_;
  std::atomic<bool> stop_{false};

  mutable absl::Mutex mu_;
  std::deque<Fetched> ready_ ABSL_GUARDED_BY(mu_);  // fetched, waiting for the commit thread
  struct Outgoing {
    std::vector<std::string> subjects;
    const char* token;
  };
  std::vector<Outgoing> outbox_ ABSL_GUARDED_BY(mu_);  // acknowledgements for the fetch thread to send
  int committing_ ABSL_GUARDED_BY(mu_) = 0;            // batches the commit thread holds
  bool fetcher_done_ ABSL_GUARDED_BY(mu_) = false;
  CenterConsumerStats stats_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, RemoteCameraState>> cameras_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, TimeUs> heard_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban::relay

#endif  // DIDBAN_RELAY_CENTER_CONSUMER_H_
