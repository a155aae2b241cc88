// The edge's relay: subscribes to the site's hub and publishes events, downsampled track points and camera states
// to JetStream (subjects didban.<site>.<camera>.<kind>), each message with a stable Nats-Msg-Id (an event's id is
// its store id) so that a retry is stored once. Normally it publishes to the station's own leaf node, whose
// JetStream keeps everything while the link to the center is down; when even that broker is away, messages wait in
// a bounded buffer (the oldest dropped and counted beyond it) and publishing retries with backoff. Analysis never
// waits for it: the hub drops for a slow subscriber, and nothing here blocks a publisher. At start it can republish
// the recent events of the site's own store (the broker and the center drop repeats), which recovers what a
// kill -9 of the edge left unpublished. Thread-safe.
#ifndef DIDBAN_RELAY_EDGE_PUBLISHER_H_
#define DIDBAN_RELAY_EDGE_PUBLISHER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bus/hub.h"
#include "didban/status.h"
#include "relay/jetstream.h"
#include "relay/wire.h"
#include "store/store.h"

namespace didban::relay {

struct EdgePublisherOptions {
  std::string site;                       // the site's name (subject token and stream name)
  std::string nats_url;                   // the station's NATS server (its leaf node), e.g. nats://127.0.0.1:4222
  std::string js_domain;                  // JetStream domain to publish into ("" = the server's own)
  bool create_stream = true;              // ensure the site's stream (false: the hub's center stream captures didban.>)
  StreamLimits limits;                    // of the site's stream
  size_t buffer_capacity = 200000;        // messages waiting for the broker at most; beyond, the oldest is dropped
  size_t batch = 512;                     // messages in flight per publish round
  TimeUs publish_timeout_us = 3'000'000;  // a round not acknowledged in this time is retried
  TimeUs backoff_max_us = 5'000'000;      // retry backoff doubles from 100 ms up to this
  TimeUs track_interval_us = 1'000'000;   // at most one track point per track per interval (first and last kept)
  TimeUs state_interval_us = 5'000'000;   // a camera's state is sent on a health change and at least this often
  size_t max_tracks = 100000;             // downsampling state bound (reset beyond it)
  store::Store* resync_store = nullptr;   // republish its recent events at start (may be null)
  TimeUs resync_window_us = 24 * 3600 * kUsPerSecond;  // events newer than now - window
  int resync_limit = 100000;                           // events at most

  absl::Status Validate() const;
};

struct EdgePublisherStats {
  int64_t queued_total = 0;     // messages accepted into the buffer
  int64_t published_total = 0;  // messages acknowledged by JetStream (a repeat acknowledged as duplicate counts)
  int64_t published_events_total = 0;
  int64_t duplicates_total = 0;   // acknowledged as duplicates (the broker had the id)
  int64_t dropped_total = 0;      // dropped from the full buffer
  int64_t hub_dropped_total = 0;  // lost in the hub subscription's queue (the relay fell behind)
  int64_t retries_total = 0;      // publish rounds that failed and were retried
  int64_t resynced_total = 0;     // events republished from the store at start
  int64_t buffered = 0;           // waiting now
  bool connected = false;
  TimeUs oldest_buffered_age_us = 0;  // how long the oldest waiting message has waited
};

class EdgePublisher {
 public:
  // Connects (or keeps trying in the background) and starts the relay threads. `hub` may be null (then only
  // Enqueue* feeds it, as in the benchmark).
  static absl::StatusOr<std::unique_ptr<EdgePublisher>> Start(EdgePublisherOptions options, bus::Hub* hub);
  ~EdgePublisher();  // Stop(0)
  EdgePublisher(const EdgePublisher&) = delete;
  EdgePublisher& operator=(const EdgePublisher&) = delete;

  // Queues one event (its id set, or MakeEventId). False when stopped.
  bool EnqueueEvent(const store::StoredEvent& e);
  // Waits up to `timeout_us` for the buffer to empty; true when it did.
  bool WaitIdle(TimeUs timeout_us);
  // Stops taking messages, tries for up to `drain_us` to publish what is buffered, then stops. Idempotent.
  void Stop(TimeUs drain_us = 2'000'000);

  EdgePublisherStats Stats() const;

 private:
  struct Outgoing {
    std::string subject;
    std::string id;  // Nats-Msg-Id
    std::string body;
    bool event = false;
    TimeUs queued_steady_us = 0;
  };

  explicit EdgePublisher(EdgePublisherOptions o) : o_(std::move(o)) {}
  void Push(Outgoing m);
  void PumpLoop();
  void SendLoop();
  void Resync();
  void OnMessage(const bus::Message& m);
  // Publishes `batch` and waits for every acknowledgement; false when any failed (the round is then retried).
  bool PublishRound(const std::deque<Outgoing>& batch, size_t n);
  static void OnPubAck(jsCtx* js, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure);

  const EdgePublisherOptions o_;
  std::unique_ptr<NatsLink> link_;
  std::unique_ptr<bus::Subscription> sub_;
  std::thread pump_, sender_;

  mutable absl::Mutex mu_;
  std::deque<Outgoing> buffer_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool drain_done_ ABSL_GUARDED_BY(mu_) = false;
  TimeUs drain_deadline_us_ ABSL_GUARDED_BY(mu_) = 0;
  bool inflight_ ABSL_GUARDED_BY(mu_) = false;
  EdgePublisherStats stats_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> round_errors_{0};
  std::atomic<int64_t> duplicates_{0};

  // Downsampling and state pacing: the pump thread's own.
  struct TrackMark {
    TimeUs last_us = 0;
  };
  std::map<std::pair<std::string, int64_t>, TrackMark> tracks_;
  std::map<std::string, std::pair<std::string, TimeUs>> states_;  // camera -> (health, last sent steady µs)
};

}  // namespace didban::relay

#endif  // DIDBAN_RELAY_EDGE_PUBLISHER_H_
