// The in-process hub: publishers (camera graphs, fusers, the runtime) fan typed messages out to subscribers (the
// server's WebSockets, the store, tests). Every subscriber has its own bounded queue and a named overflow policy;
// publishing never blocks on a subscriber: a slow subscriber under kCutOff is disconnected (and counted) the moment
// its queue is full, under kDropOldest it loses its oldest queued message (counted).
#ifndef DIDBAN_BUS_HUB_H_
#define DIDBAN_BUS_HUB_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bus/messages.h"
#include "didban/status.h"

namespace didban::bus {

// What happens when a message arrives for a subscriber whose queue is full.
enum class SlowPolicy : int {
  kCutOff = 0,  // the message is dropped and the subscriber is disconnected (counted); it may still drain its queue
  kDropOldest,  // the oldest queued message is discarded (counted); for viewers that only want the latest state
};
// "cut_off", "drop_oldest".
const char* SlowPolicyName(SlowPolicy p);

struct SubscriberOptions {
  std::string name;       // for counters and logs, e.g. "ws 127.0.0.1:51234"
  size_t capacity = 256;  // queued messages at most, >= 1
  SlowPolicy on_full = SlowPolicy::kCutOff;
  uint32_t topics = kAllTopics;      // OR of TopicBit(...); 0 is an error
  std::vector<std::string> cameras;  // only messages about these cameras or groups; empty = all
  // Called by the publishing thread, outside the hub's locks, after a message was queued for this subscriber and
  // when it is cut off or the hub closes (so an event loop can wake up and drain). Must be quick and never block;
  // it may call the subscription's Try/Drain methods but must not publish. May be empty.
  std::function<void()> on_ready;

  absl::Status Validate() const;
};

struct SubscriberStats {
  std::string name;
  SlowPolicy on_full = SlowPolicy::kCutOff;
  int64_t delivered = 0;  // messages queued for the subscriber
  int64_t dropped = 0;    // messages lost: not queued (cut-off) or discarded (drop-oldest)
  size_t depth = 0;       // messages queued now
  bool cut_off = false;
};

struct HubStats {
  int64_t published[4] = {0, 0, 0, 0};  // by topic: event, tracks, camera_state, fused_tracks
  int64_t published_total = 0;
  int64_t delivered_total = 0;  // message deliveries to subscriber queues
  int64_t dropped_total = 0;    // deliveries lost to full queues (both policies)
  int64_t cut_off_total = 0;    // subscribers disconnected for being slow
  int64_t subscribers = 0;      // subscribed now
};

class Hub;

// One subscriber's end: a bounded queue the hub fills. Thread-safe (one consumer typically; Pop/Try/Drain may be
// called from any thread). Destroying it unsubscribes; it may outlive the hub.
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next queued message, without waiting; nullopt when none is queued.
  std::optional<Message> TryPop();
  // Waits up to `timeout` for a message; nullopt on timeout or once closed and drained.
  std::optional<Message> PopFor(absl::Duration timeout);
  // Waits for a message; nullopt once closed and drained.
  std::optional<Message> Pop();
  // Moves up to `max` queued messages to `out` (appended) without waiting; returns how many.
  size_t Drain(std::vector<Message>* out, size_t max = SIZE_MAX);

  // No further messages will be queued (cut off, unsubscribed or the hub closed); queued ones can still be read.
  bool Closed() const;
  // True when the hub disconnected this subscriber for being slow (kCutOff with a full queue).
  bool CutOff() const;
  SubscriberStats Stats() const;
  // Unsubscribes now (idempotent); queued messages can still be read.
  void Close();

 private:
  friend class Hub;
  struct Queue;
  struct Core;
  Subscription(std::shared_ptr<Queue> queue, std::weak_ptr<Core> hub)
      : queue_(std::move(queue)), hub_(std::move(hub)) {}

  std::shared_ptr<Queue> queue_;
  std::weak_ptr<Core> hub_;
};

// Thread-safe: any thread may publish and subscribe. Publishing takes one short lock and never waits for a
// subscriber (each delivery is a bounded-queue push); messages reach every subscriber in publish (seq) order.
class Hub {
 public:
  Hub();
  ~Hub();  // closes every subscription
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // InvalidArgument naming the field when the options are bad; FailedPrecondition after Close().
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(SubscriberOptions options);

  // Stamps `message.seq` and queues it for every matching subscriber. Returns the sequence number (0 after Close()).
  uint64_t Publish(Message message);
  uint64_t Publish(Event e) { return Publish(Message::Of(std::move(e))); }
  uint64_t Publish(CameraTracks t) { return Publish(Message::Of(std::move(t))); }
  uint64_t Publish(CameraState s) { return Publish(Message::Of(std::move(s))); }
  uint64_t Publish(GroupTracks g) { return Publish(Message::Of(std::move(g))); }

  HubStats Stats() const;
  // Every current subscriber's counters, in subscription order.
  std::vector<SubscriberStats> Subscribers() const;
  // Closes every subscription; later publishes are ignored. Idempotent.
  void Close();

 private:
  std::shared_ptr<Subscription::Core> core_;
};

}  // namespace didban::bus

#endif  // DIDBAN_BUS_HUB_H_
