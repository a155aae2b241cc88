#include "bus/hub.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace didban::bus {

const char* SlowPolicyName(SlowPolicy p) {
  switch (p) {
    case SlowPolicy::kCutOff:
      return "cut_off";
    case SlowPolicy::kDropOldest:
      return "drop_oldest";
  }
  return "?";
}

absl::Status SubscriberOptions::Validate() const {
  if (capacity < 1) return absl::InvalidArgumentError("subscriber " + name + ": capacity must be >= 1");
  if (capacity > 1'000'000) return absl::InvalidArgumentError("subscriber " + name + ": capacity must be <= 1000000");
  if (topics == 0 || (topics & ~kAllTopics) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("subscriber ", name, ": topics must be a non-empty OR of topic bits (got ", topics, ")"));
  }
  if (on_full != SlowPolicy::kCutOff && on_full != SlowPolicy::kDropOldest) {
    return absl::InvalidArgumentError("subscriber " + name + ": unknown on_full policy");
  }
  return absl::OkStatus();
}

// One subscriber's queue, shared by the hub (which fills it) and the Subscription (which drains it).
struct Subscription::Queue {
  explicit Queue(SubscriberOptions o) : options(std::move(o)), on_ready(options.on_ready) {}

  enum class Push { kQueued, kDroppedOldest, kCutOff, kClosed };

  bool Wants(const Message& m) const {
    if ((options.topics & TopicBit(m.topic)) == 0) return false;
    if (options.cameras.empty()) return true;
    return std::find(options.cameras.begin(), options.cameras.end(), m.camera) != options.cameras.end();
  }

  Push Offer(const Message& m) {
    absl::MutexLock lock(&mu);
    if (closed) return Push::kClosed;
    if (items.size() >= options.capacity) {
      ++dropped;
      if (options.on_full == SlowPolicy::kCutOff) {
        closed = true;
        cut_off = true;
        return Push::kCutOff;
      }
      items.pop_front();
      items.push_back(m);
      ++delivered;
      return Push::kDroppedOldest;
    }
    items.push_back(m);
    ++delivered;
    return Push::kQueued;
  }

  void MarkClosed() {
    absl::MutexLock lock(&mu);
    closed = true;
  }

  void Notify() {
    absl::MutexLock lock(&cb_mu);
    if (on_ready) on_ready();
  }

  const SubscriberOptions options;
  mutable absl::Mutex mu;
  std::deque<Message> items ABSL_GUARDED_BY(mu);
  bool closed ABSL_GUARDED_BY(mu) = false;
  bool cut_off ABSL_GUARDED_BY(mu) = false;
  int64_t delivered ABSL_GUARDED_BY(mu) = 0;
  int64_t dropped ABSL_GUARDED_BY(mu) = 0;
  // Held while the callback runs, so that once Close() returns the callback never runs again.
  absl::Mutex cb_mu;
  std::function<void()> on_ready ABSL_GUARDED_BY(cb_mu);
};

struct Subscription::Core {
  mutable absl::Mutex mu;
  bool closed ABSL_GUARDED_BY(mu) = false;
  uint64_t next_seq ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::shared_ptr<Queue>> subscribers ABSL_GUARDED_BY(mu);
  HubStats stats ABSL_GUARDED_BY(mu);

  void Remove(const Queue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    auto it = std::find_if(subscribers.begin(), subscribers.end(),
                           [q](const std::shared_ptr<Queue>& s) { return s.get() == q; });
    if (it != subscribers.end()) subscribers.erase(it);
    stats.subscribers = static_cast<int64_t>(subscribers.size());
  }
};

// ---- Subscription ----

Subscription::~Subscription() { Close(); }

std::optional<Message> Subscription::TryPop() {
  absl::MutexLock lock(&queue_->mu);
  if (queue_->items.empty()) return std::nullopt;
  Message m = std::move(queue_->items.front());
  queue_->items.pop_front();
  return m;
}

std::optional<Message> Subscription::PopFor(absl::Duration timeout) {
  Queue& q = *queue_;
  absl::MutexLock lock(&q.mu);
  auto ready = [&q]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) { return q.closed || !q.items.empty(); };
  q.mu.AwaitWithTimeout(absl::Condition(&ready), timeout);
  if (q.items.empty()) return std::nullopt;
  Message m = std::move(q.items.front());
  q.items.pop_front();
  return m;
}

std::optional<Message> Subscription::Pop() {
  Queue& q = *queue_;
  absl::MutexLock lock(&q.mu);
  auto ready = [&q]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(q.mu) { return q.closed || !q.items.empty(); };
  q.mu.Await(absl::Condition(&ready));
  if (q.items.empty()) return std::nullopt;
  Message m = std::move(q.items.front());
  q.items.pop_front();
  return m;
}

size_t Subscription::Drain(std::vector<Message>* out, size_t max) {
  absl::MutexLock lock(&queue_->mu);
  size_t n = 0;
  while (n < max && !queue_->items.empty()) {
    out->push_back(std::move(queue_->items.front()));
    queue_->items.pop_front();
    ++n;
  }
  return n;
}

bool Subscription::Closed() const {
  absl::MutexLock lock(&queue_->mu);
  return queue_->closed;
}

bool Subscription::CutOff() const {
  absl::MutexLock lock(&queue_->mu);
  return queue_->cut_off;
}

SubscriberStats Subscription::Stats() const {
  SubscriberStats s;
  s.name = queue_->options.name;
  s.on_full = queue_->options.on_full;
  absl::MutexLock lock(&queue_->mu);
  s.delivered = queue_->delivered;
  s.dropped = queue_->dropped;
  s.depth = queue_->items.size();
  s.cut_off = queue_->cut_off;
  return s;
}

void Subscription::Close() {
  if (std::shared_ptr<Core> core = hub_.lock()) {
    absl::MutexLock lock(&core->mu);
    core->Remove(queue_.get());
  }
  queue_->MarkClosed();
  absl::MutexLock lock(&queue_->cb_mu);
  queue_->on_ready = nullptr;
}

// ---- Hub ----

Hub::Hub() : core_(std::make_shared<Subscription::Core>()) {}

Hub::~Hub() { Close(); }

absl::StatusOr<std::unique_ptr<Subscription>> Hub::Subscribe(SubscriberOptions options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  auto queue = std::make_shared<Subscription::Queue>(std::move(options));
  absl::MutexLock lock(&core_->mu);
  if (core_->closed) return absl::FailedPreconditionError("hub is closed");
  core_->subscribers.push_back(queue);
  core_->stats.subscribers = static_cast<int64_t>(core_->subscribers.size());
  return std::unique_ptr<Subscription>(new Subscription(std::move(queue), core_));
}

uint64_t Hub::Publish(Message message) {
  std::vector<std::shared_ptr<Subscription::Queue>> notify;
  uint64_t seq = 0;
  {
    absl::MutexLock lock(&core_->mu);
    if (core_->closed) return 0;
    seq = message.seq = ++core_->next_seq;
    HubStats& st = core_->stats;
    ++st.published_total;
    for (int bit = 0; bit < 4; ++bit) {
      if (TopicBit(message.topic) == (1u << bit)) ++st.published[bit];
    }
    std::vector<std::shared_ptr<Subscription::Queue>>& subs = core_->subscribers;
    for (size_t i = 0; i < subs.size();) {
      const std::shared_ptr<Subscription::Queue>& q = subs[i];
      if (!q->Wants(message)) {
        ++i;
        continue;
      }
      switch (q->Offer(message)) {
        case Subscription::Queue::Push::kQueued:
          ++st.delivered_total;
          break;
        case Subscription::Queue::Push::kDroppedOldest:
          ++st.delivered_total;
          ++st.dropped_total;
          break;
        case Subscription::Queue::Push::kCutOff:
          ++st.dropped_total;
          ++st.cut_off_total;
          notify.push_back(q);
          subs.erase(subs.begin() + static_cast<std::ptrdiff_t>(i));
          st.subscribers = static_cast<int64_t>(subs.size());
          continue;
        case Subscription::Queue::Push::kClosed:
          break;
      }
      notify.push_back(q);
      ++i;
    }
  }
  for (const auto& q : notify) q->Notify();
  return seq;
}

HubStats Hub::Stats() const {
  absl::MutexLock lock(&core_->mu);
  return core_->stats;
}

std::vector<SubscriberStats> Hub::Subscribers() const {
  std::vector<std::shared_ptr<Subscription::Queue>> subs;
  {
    absl::MutexLock lock(&core_->mu);
    subs = core_->subscribers;
  }
  std::vector<SubscriberStats> out;
  out.reserve(subs.size());
  for (const auto& q : subs) {
    SubscriberStats s;
    s.name = q->options.name;
    s.on_full = q->options.on_full;
    absl::MutexLock lock(&q->mu);
    s.delivered = q->delivered;
    s.dropped = q->dropped;
    s.depth = q->items.size();
    s.cut_off = q->cut_off;
    out.push_back(std::move(s));
  }
  return out;
}

void Hub::Close() {
  std::vector<std::shared_ptr<Subscription::Queue>> subs;
  {
    absl::MutexLock lock(&core_->mu);
    if (core_->closed) return;
    core_->closed = true;
    subs.swap(core_->subscribers);
    core_->stats.subscribers = 0;
  }
  for (const auto& q : subs) {
    q->MarkClosed();
    q->Notify();
  }
}

}  // namespace didban::bus
