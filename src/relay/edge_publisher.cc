// The edge's relay to JetStream (see edge_publisher.h): a pump thread turns hub messages into outgoing messages
// (downsampling tracks, pacing states) in a bounded buffer; a sender thread publishes them in acknowledged rounds.
#include "relay/edge_publisher.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace didban::relay {
namespace {

TimeUs SteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

absl::Status EdgePublisherOptions::Validate() const {
  if (site.empty()) return absl::InvalidArgumentError("relay edge: site: empty");
  if (nats_url.empty()) return absl::InvalidArgumentError("relay edge: nats_url: empty");
  if (batch < 1 || batch > 4096) return absl::InvalidArgumentError("relay edge: batch: 1..4096");
  if (buffer_capacity <= batch) return absl::InvalidArgumentError("relay edge: buffer_capacity: more than batch");
  if (publish_timeout_us < 1000) return absl::InvalidArgumentError("relay edge: publish_timeout: >= 1 ms");
  if (backoff_max_us < 100'000) return absl::InvalidArgumentError("relay edge: backoff_max: >= 100 ms");
  if (track_interval_us < 0 || state_interval_us < 0) {
    return absl::InvalidArgumentError("relay edge: track_interval, state_interval: >= 0");
  }
  if (resync_limit < 1 || resync_limit > 10'000'000) return absl::InvalidArgumentError("relay edge: resync_limit");
  return limits.Validate();
}

absl::StatusOr<std::unique_ptr<EdgePublisher>> EdgePublisher::Start(EdgePublisherOptions options, bus::Hub* hub) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<EdgePublisher> p(new EdgePublisher(std::move(options)));
  DIDBAN_ASSIGN_OR_RETURN(p->link_, NatsLink::Open(p->o_.nats_url, "didban-edge-" + p->o_.site, p->o_.js_domain,
                                                   &EdgePublisher::OnPubAck, p.get()));
  if (hub != nullptr) {
    bus::SubscriberOptions so;
    so.name = "relay " + p->o_.site;
    so.capacity = 65536;
    so.on_full = bus::SlowPolicy::kDropOldest;
    so.topics = bus::TopicBit(bus::Topic::kEvent) | bus::TopicBit(bus::Topic::kTracks) |
                bus::TopicBit(bus::Topic::kCameraState);
    DIDBAN_ASSIGN_OR_RETURN(p->sub_, hub->Subscribe(std::move(so)));
  }
  if (p->o_.resync_store != nullptr) p->Resync();
  if (p->sub_ != nullptr) p->pump_ = std::thread([raw = p.get()] { raw->PumpLoop(); });
  p->sender_ = std::thread([raw = p.get()] { raw->SendLoop(); });
  return p;
}

EdgePublisher::~EdgePublisher() { Stop(0); }

void EdgePublisher::Stop(TimeUs drain_us) {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) {
      // Already stopping (or stopped): fall through to join.
    } else {
      stopping_ = true;
      drain_deadline_us_ = SteadyUs() + drain_us;
    }
  }
  if (sub_ != nullptr) sub_->Close();
  if (pump_.joinable()) pump_.join();
  if (sender_.joinable()) sender_.join();
}

void EdgePublisher::Push(Outgoing m) {
  absl::MutexLock l(&mu_);
  if (stopping_) return;
  m.queued_steady_us = SteadyUs();
  if (buffer_.size() >= o_.buffer_capacity) {
    // The front may be in flight in the sender's round; drop the oldest one behind the round instead.
    auto victim = buffer_.begin();
    if (inflight_) victim += static_cast<std::ptrdiff_t>(std::min(buffer_.size() - 1, o_.batch));
    if (victim == buffer_.end()) return;
    buffer_.erase(victim);
    ++stats_.dropped_total;
  }
  buffer_.push_back(std::move(m));
  ++stats_.queued_total;
}

bool EdgePublisher::EnqueueEvent(const store::StoredEvent& e) {
  {
    absl::MutexLock l(&mu_);
    if (stopping_) return false;
  }
  Outgoing m;
  m.id = e.id.empty() ? store::MakeEventId(e.event) : e.id;
  m.subject = Subject(o_.site, e.event.camera, Kind::kEvent);
  store::StoredEvent copy = e;
  copy.id = m.id;
  m.body = EncodeEvent(o_.site, copy);
  m.event = true;
  Push(std::move(m));
  return true;
}

void EdgePublisher::Resync() {
  store::EventQuery q;
  q.from_us = absl::ToUnixMicros(absl::Now()) - o_.resync_window_us;
  q.oldest_first = true;
  q.limit = std::min(o_.resync_limit, 10000);
  int64_t n = 0;
  while (n < o_.resync_limit) {
    absl::StatusOr<store::EventPage> page = o_.resync_store->QueryEvents(q);
    if (!page.ok()) {
      spdlog::warn("relay {}: resync from the store stopped: {}", o_.site, page.status().ToString());
      break;
    }
    for (const store::StoredEvent& e : page->events) {
      EnqueueEvent(e);
      ++n;
    }
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  absl::MutexLock l(&mu_);
  stats_.resynced_total = n;
}

void EdgePublisher::OnMessage(const bus::Message& m) {
  if (const Event* e = m.event()) {
    store::StoredEvent se;
    se.event = *e;
    EnqueueEvent(se);
    return;
  }
  if (const bus::CameraTracks* t = m.tracks()) {
    std::vector<store::TrackPoint> points;
    for (const bus::TrackView& v : t->tracks) {
      if (v.state != TrackState::kConfirmed && v.state != TrackState::kRemoved) continue;
      const auto key = std::make_pair(t->camera, v.id);
      const bool last = v.state == TrackState::kRemoved;
      auto it = tracks_.find(key);
      const bool first = it == tracks_.end();
      if (!first && !last && t->pts_us - it->second.last_us < o_.track_interval_us) continue;
      if (last) {
        if (!first) tracks_.erase(it);
      } else {
        if (tracks_.size() >= o_.max_tracks) tracks_.clear();
        tracks_[key].last_us = t->pts_us;
      }
      store::TrackPoint p;
      p.camera = t->camera;
      p.track_id = v.id;
      p.time_us = t->pts_us;
      p.object_class = v.object_class;
      p.box = v.box;
      p.ground = v.ground;
      p.last = last;
      points.push_back(std::move(p));
    }
    if (points.empty()) return;
    Outgoing o;
    o.subject = Subject(o_.site, t->camera, Kind::kTracks);
    o.id = absl::StrCat(o_.site, "/", t->camera, "/t/", t->pts_us);
    o.body = EncodeTrackPoints(o_.site, t->camera, points);
    Push(std::move(o));
    return;
  }
  if (const bus::CameraState* s = m.state()) {
    const std::string health = bus::CameraHealthName(s->health);
    const TimeUs now = SteadyUs();
    auto& [last_health, last_sent] = states_[s->camera];
    if (health == last_health && now - last_sent < o_.state_interval_us) return;
    last_health = health;
    last_sent = now;
    Outgoing o;
    o.subject = Subject(o_.site, s->camera, Kind::kCameraState);
    o.id = absl::StrCat(o_.site, "/", s->camera, "/s/", absl::ToUnixMicros(absl::Now()));
    o.body = EncodeCameraState(o_.site, *s);
    Push(std::move(o));
  }
}

void EdgePublisher::PumpLoop() {
  while (true) {
    std::optional<bus::Message> m = sub_->PopFor(absl::Milliseconds(200));
    if (m) OnMessage(*m);
    if (!m && sub_->Closed()) break;
    {
      absl::MutexLock l(&mu_);
      stats_.hub_dropped_total = sub_->Stats().dropped;
    }
  }
}

void EdgePublisher::OnPubAck(jsCtx* /*js*/, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
  auto* self = static_cast<EdgePublisher*>(closure);
  if (pae != nullptr) {
    self->round_errors_.fetch_add(1);
  } else if (pa != nullptr && pa->Duplicate) {
    self->duplicates_.fetch_add(1);
  }
  natsMsg_Destroy(msg);
}

bool EdgePublisher::PublishRound(const std::deque<Outgoing>& batch, size_t n) {
  round_errors_.store(0);
  jsCtx* js = link_->js();
  for (size_t i = 0; i < n; ++i) {
    const Outgoing& m = batch[i];
    natsMsg* msg = nullptr;
    natsStatus s = natsMsg_Create(&msg, m.subject.c_str(), nullptr, m.body.data(), static_cast<int>(m.body.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", m.id.c_str());
    if (s == NATS_OK) s = js_PublishMsgAsync(js, &msg, nullptr);
    natsMsg_Destroy(msg);  // no-op when the client took it
    if (s != NATS_OK) {
      round_errors_.fetch_add(1);
      break;
    }
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = std::max<int64_t>(1, o_.publish_timeout_us / 1000);
  natsStatus s = js_PublishAsyncComplete(js, &po);
  if (s != NATS_OK) {
    natsMsgList pending{};
    if (js_PublishAsyncGetPendingList(&pending, js) == NATS_OK) natsMsgList_Destroy(&pending);
    return false;
  }
  return round_errors_.load() == 0;
}

void EdgePublisher::SendLoop() {
  bool stream_ready = !o_.create_stream;
  TimeUs backoff = 100'000;
  std::deque<Outgoing> round;
  while (true) {
    size_t n = 0;
    {
      absl::MutexLock l(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !buffer_.empty() || stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      if (stopping_ && (buffer_.empty() || SteadyUs() >= drain_deadline_us_)) break;
      stats_.connected = link_->Connected();
      if (buffer_.empty()) continue;
      n = std::min(buffer_.size(), o_.batch);
      round.assign(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      inflight_ = true;
    }
    bool ok = false;
    if (!stream_ready) {
      absl::Status s = EnsureSiteStream(link_->js(), o_.site, o_.limits);
      if (s.ok()) {
        stream_ready = true;
      } else {
        spdlog::warn("relay {}: stream not ready: {}", o_.site, s.ToString());
      }
    }
    const int64_t dups_before = duplicates_.load();
    if (stream_ready) ok = PublishRound(round, n);
    absl::MutexLock l(&mu_);
    inflight_ = false;
    if (ok) {
      int64_t events = 0;
      for (size_t i = 0; i < n; ++i) events += round[i].event ? 1 : 0;
      buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(n));
      stats_.published_total += static_cast<int64_t>(n);
      stats_.published_events_total += events;
      stats_.duplicates_total += duplicates_.load() - dups_before;
      backoff = 100'000;
      continue;
    }
    ++stats_.retries_total;
    if (o_.create_stream) stream_ready = false;  // ensure it again before the next round (the broker may be new)
    if (stats_.retries_total == 1 || stats_.retries_total % 20 == 0) {
      spdlog::warn("relay {}: publish failed, {} messages waiting; retrying (retries so far {})", o_.site,
                   buffer_.size(), stats_.retries_total);
    }
    if (stopping_ && SteadyUs() >= drain_deadline_us_) break;
    auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
    mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Microseconds(backoff));
    backoff = std::min(backoff * 2, o_.backoff_max_us);
  }
  absl::MutexLock l(&mu_);
  drain_done_ = true;
}

bool EdgePublisher::WaitIdle(TimeUs timeout_us) {
  absl::MutexLock l(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return buffer_.empty() && !inflight_; };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), absl::Microseconds(timeout_us));
}

EdgePublisherStats EdgePublisher::Stats() const {
  absl::MutexLock l(&mu_);
  EdgePublisherStats s = stats_;
  s.buffered = static_cast<int64_t>(buffer_.size());
  s.connected = link_ != nullptr && link_->Connected();
  s.oldest_buffered_age_us = buffer_.empty() ? 0 : SteadyUs() - buffer_.front().queued_steady_us;
  return s;
}

}  // namespace didban::relay
