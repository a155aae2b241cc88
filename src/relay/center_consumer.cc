// The center's JetStream consumer (see center_consumer.h): the fetch thread fetches, decodes and checks batches; the
// commit thread writes every batch waiting to the store, flushes (commits), then acknowledges each message; a commit
// that fails is retried with the same batches (progress acknowledgements keep them from being redelivered).
#include "relay/center_consumer.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace didban::relay {
namespace {

constexpr int64_t kNsPerUs = 1000;

TimeUs NowUs() { return absl::ToUnixMicros(absl::Now()); }

void SleepUs(TimeUs us) { absl::SleepFor(absl::Microseconds(us)); }

}  // namespace

absl::Status CenterConsumerOptions::Validate() const {
  if (nats_url.empty()) return absl::InvalidArgumentError("relay center: nats_url: empty");
  if (stream.empty() || SubjectToken(stream) != stream) {
    return absl::InvalidArgumentError("relay center: stream: letters, digits, _ and - only");
  }
  if (durable.empty() || SubjectToken(durable) != durable) {
    return absl::InvalidArgumentError("relay center: durable: letters, digits, _ and - only");
  }
  if (batch < 1 || batch > 10000) return absl::InvalidArgumentError("relay center: batch: 1..10000");
  if (pipeline_batches < 1 || pipeline_batches > 4) {
    return absl::InvalidArgumentError("relay center: pipeline_batches: 1..4");
  }
  if (fetch_wait_us < 1000) return absl::InvalidArgumentError("relay center: fetch_wait: >= 1 ms");
  if (ack_wait_us < 1'000'000) return absl::InvalidArgumentError("relay center: ack_wait: >= 1 s");
  if (flush_timeout_us < 1000) return absl::InvalidArgumentError("relay center: flush_timeout: >= 1 ms");
  return limits.Validate();
}

absl::StatusOr<std::unique_ptr<CenterConsumer>> CenterConsumer::Start(CenterConsumerOptions options,
                                                                      store::Store* store) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (store == nullptr) return absl::InvalidArgumentError("relay center: no store");
  std::unique_ptr<CenterConsumer> c(new CenterConsumer(std::move(options), store));
  DIDBAN_ASSIGN_OR_RETURN(c->link_, NatsLink::Open(c->o_.nats_url, "didban-center"));
  c->committer_ = std::thread([raw = c.get()] { raw->CommitLoop(); });
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

CenterConsumer::~CenterConsumer() { Stop(); }

void CenterConsumer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  {
    absl::MutexLock l(&mu_);
    fetcher_done_ = true;
  }
  if (committer_.joinable()) committer_.join();
  if (link_ != nullptr) {
    SendReplies();  // both threads ended: the last acknowledgements reach the server before the link closes
    natsConnection_FlushTimeout(link_->conn(), 2000);
    link_->Close();  // the client's reading thread ends: nothing is delivered to the subscription any more
  }
  Teardown();
}

absl::Status CenterConsumer::Setup() {
  if (o_.create_stream) DIDBAN_RETURN_IF_ERROR(EnsureCenterStream(link_->js(), o_.stream, o_.sites, o_.limits));
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = o_.stream.c_str();
  so.Config.Durable = o_.durable.c_str();
  so.Config.AckPolicy = js_AckExplicit;
  so.Config.AckWait = o_.ack_wait_us * kNsPerUs;
  so.Config.MaxDeliver = -1;
  so.Config.MaxAckPending = std::max(o_.batch * 4, 1000);
  so.Config.DeliverPolicy = js_DeliverAll;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_PullSubscribe(&sub_, link_->js(), "didban.>", o_.durable.c_str(), nullptr, &so, &code);
  if (s != NATS_OK) {
    sub_ = nullptr;
    return JsError(s, code, absl::StrCat("consumer ", o_.durable, " on ", o_.stream));
  }
  return absl::OkStatus();
}

void CenterConsumer::Teardown() {
  if (sub_ == nullptr) return;
  // Keeps the durable consumer (the library deletes only consumers it created without a name). On a live connection
  // the subscription leaves the client's table first, and a round trip to the server later every message already
  // read for it has been delivered: only then is it freed (libnats before 3.6 can otherwise lock a subscription
  // another thread just freed, nats.c #637: the heap corruption of the relay benchmark, whose first center in
  // --backlog mode is destroyed while the server still answers its pull requests).
  if (link_ != nullptr && link_->Connected()) {
    (void)natsSubscription_Unsubscribe(sub_);
    (void)natsConnection_FlushTimeout(link_->conn(), 2000);
  }
  natsSubscription_Destroy(sub_);
  sub_ = nullptr;
}

bool CenterConsumer::Step() {
  // Wait for room in the pipeline; acknowledgements first.
  SendReplies();
  {
    absl::MutexLock l(&mu_);
    auto room = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !outbox_.empty() || committing_ + static_cast<int>(ready_.size()) < o_.pipeline_batches;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&room), absl::Milliseconds(100))) return true;  // checks stop_ again
    if (!outbox_.empty()) return true;                                                        // acknowledgements first
  }
  natsMsgList list{};
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = natsSubscription_Fetch(&list, sub_, o_.batch, std::max<int64_t>(1, o_.fetch_wait_us / 1000), &code);
  if (s == NATS_TIMEOUT) return false;
  if (s != NATS_OK) {
    absl::MutexLock l(&mu_);
    ++stats_.fetch_errors_total;
    if (stats_.fetch_errors_total == 1 || stats_.fetch_errors_total % 50 == 0) {
      spdlog::warn("relay center: fetch failed ({} so far): {}", stats_.fetch_errors_total,
                   JsError(s, code, "fetch").ToString());
    }
    return false;
  }
  Fetched f;
  f.replies.reserve(static_cast<size_t>(list.Count));
  f.decoded.reserve(static_cast<size_t>(list.Count));
  for (int i = 0; i < list.Count; ++i) Take(list.Msgs[i], f);
  natsMsgList_Destroy(&list);
  absl::MutexLock l(&mu_);
  ready_.push_back(std::move(f));
  return true;
}

void CenterConsumer::Take(natsMsg* m, Fetched& f) {
  const char* reply = natsMsg_GetReply(m);
  f.replies.emplace_back(reply != nullptr ? reply : "");
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
    if (meta->NumDelivered > 1) ++f.redelivered;
    f.pending = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
  }
  const char* subject = natsMsg_GetSubject(m);
  absl::StatusOr<Decoded> d =
      Decode(std::string_view(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))));
  if (!d.ok()) {
    ++f.bad;
    spdlog::warn("relay center: {}: {}", subject != nullptr ? subject : "", d.status().ToString());
    return;
  }
  // The hub appends its Nats-Stream-Source header when it sources a station's stream; a station may have put one of
  // its own before it, so the last one counts.
  const char** sources = nullptr;
  int n_sources = 0;
  std::string source;
  if (natsMsgHeader_Values(m, "Nats-Stream-Source", &sources, &n_sources) == NATS_OK) {
    if (n_sources > 0 && sources[n_sources - 1] != nullptr) source = sources[n_sources - 1];
    free(static_cast<void*>(sources));  // NOLINT(cppcoreguidelines-no-malloc): the client's array
  }
  absl::Status origin = CheckOrigin(*d, subject != nullptr ? subject : "", source);
  if (origin.ok() && !o_.sites.empty() && source.empty()) {
    origin = absl::PermissionDeniedError("Nats-Stream-Source: missing (the center's stream only sources)");
  }
  if (!origin.ok()) {
    ++f.rejected;
    spdlog::warn("relay center: rejected {}: {}", subject != nullptr ? subject : "", origin.ToString());
    return;
  }
  if (d->kind == Kind::kEvent) {
    ++f.events;
  } else if (d->kind == Kind::kTracks) {
    f.points += static_cast<int64_t>(d->points.size());
  } else {
    ++f.states;
  }
  f.decoded.push_back(*std::move(d));
}

void CenterConsumer::Post(std::vector<Fetched>& batches, const char* token) {
  for (Fetched& f : batches) outbox_.push_back(Outgoing{std::move(f.replies), token});
}

void CenterConsumer::PostProgress(const std::vector<Fetched>& group) {
  for (const Fetched& f : group) outbox_.push_back(Outgoing{f.replies, "+WPI"});
  for (const Fetched& f : ready_) outbox_.push_back(Outgoing{f.replies, "+WPI"});
}

void CenterConsumer::SendReplies() {
  std::vector<Outgoing> out;
  {
    absl::MutexLock l(&mu_);
    out.swap(outbox_);
  }
  bool nak = false;
  for (const Outgoing& o : out) {
    nak = nak || o.token[0] == '-';
    for (const std::string& r : o.subjects) {
      if (!r.empty()) natsConnection_PublishString(link_->conn(), r.c_str(), o.token);
    }
  }
  if (nak) natsConnection_FlushTimeout(link_->conn(), 1000);  // the server has them before the next fetch
}

bool CenterConsumer::Commit(std::vector<Fetched>& group) {
  int64_t received = 0;
  for (const Fetched& f : group) received += static_cast<int64_t>(f.replies.size());
  // Enqueues the group; false when the store refused some of it (its queue full or closed).
  auto enqueue = [&]() {
    bool queued = true;
    for (const Fetched& f : group) {
      std::vector<store::TrackPoint> track_points;
      for (const Decoded& d : f.decoded) {
        if (d.kind == Kind::kEvent) {
          queued = store_->AddEvent(d.event) && queued;
        } else if (d.kind == Kind::kTracks) {
          track_points.insert(track_points.end(), d.points.begin(), d.points.end());
        }
      }
      if (!track_points.empty()) queued = store_->AddTrackPoints(std::move(track_points)) && queued;
    }
    return queued;
  };
  // The store drops a batch that keeps failing (and counts it); a Flush that timed out before the drop cannot tell,
  // so a change of the drop counter since the group was enqueued means: enqueue it again (a repeated event is dropped
  // by its id; track points are at-least-once).
  int64_t dropped = store_->Stats().dropped_total;
  bool queued = enqueue();
  TimeUs backoff = 50'000;
  TimeUs progress_sent_us = NowUs();
  for (;;) {
    absl::Status committed =
        queued ? store_->Flush(o_.flush_timeout_us) : absl::ResourceExhaustedError("the store's queue is full");
    const int64_t dropped_now = store_->Stats().dropped_total;
    if (committed.ok() && dropped_now == dropped) break;
    if (committed.ok()) committed = absl::DataLossError("the store dropped a batch; enqueued again");
    {
      absl::MutexLock l(&mu_);
      ++stats_.commit_failures_total;
      if (stats_.commit_failures_total == 1 || stats_.commit_failures_total % 10 == 0) {
        spdlog::warn("relay center: commit failed ({} so far), retrying the same {} messages: {}",
                     stats_.commit_failures_total, received, committed.ToString());
      }
      if (stop_.load()) {
        // Stopping: everything in hand goes back, oldest first, for the next consumer.
        std::vector<Fetched> waiting;
        while (!ready_.empty()) {
          waiting.push_back(std::move(ready_.front()));
          ready_.pop_front();
        }
        Post(group, "-NAK");
        Post(waiting, "-NAK");
        stats_.received_total += received;
        return false;
      }
      // Keep JetStream from redelivering what is held while the store is away.
      if (NowUs() - progress_sent_us >= o_.ack_wait_us / 3) {
        PostProgress(group);
        progress_sent_us = NowUs();
      }
    }
    SleepUs(backoff);
    backoff = std::min<TimeUs>(backoff * 2, 1'000'000);
    if (!queued || dropped_now != dropped) {
      dropped = dropped_now;
      queued = enqueue();
    }
  }
  const TimeUs now = NowUs();
  {
    absl::MutexLock l(&mu_);
    for (const Fetched& f : group) {
      stats_.received_total += static_cast<int64_t>(f.replies.size());
      stats_.redelivered_total += f.redelivered;
      stats_.bad_total += f.bad;
      stats_.rejected_total += f.rejected;
      stats_.events_total += f.events;
      stats_.track_points_total += f.points;
      stats_.states_total += f.states;
      ++stats_.batches_total;
      stats_.pending = static_cast<int64_t>(f.pending);
      for (const Decoded& d : f.decoded) {
        heard_[d.site] = now;
        if (d.kind == Kind::kCameraState) cameras_[d.site][d.camera] = d.state;
      }
    }
    stats_.last_commit_us = now;
    Post(group, "+ACK");
  }
  if (o_.on_committed) {
    for (const Fetched& f : group) o_.on_committed(f.decoded);
  }
  return true;
}

void CenterConsumer::CommitLoop() {
  for (;;) {
    std::vector<Fetched> group, stale;
    {
      absl::MutexLock l(&mu_);
      auto work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !ready_.empty() || fetcher_done_; };
      mu_.Await(absl::Condition(&work));
      if (ready_.empty()) break;  // the fetch thread stopped and everything fetched was handled
      if (fetcher_done_) {
        // Stopping: what was fetched but not yet committed goes back for the next consumer.
        while (!ready_.empty()) {
          stale.push_back(std::move(ready_.front()));
          ready_.pop_front();
        }
      } else {
        while (!ready_.empty()) {
          group.push_back(std::move(ready_.front()));
          ready_.pop_front();
        }
        committing_ = static_cast<int>(group.size());
      }
    }
    if (!group.empty()) Commit(group);
    absl::MutexLock l(&mu_);
    if (!stale.empty()) Post(stale, "-NAK");
    committing_ = 0;
  }
}

void CenterConsumer::Loop() {
  TimeUs backoff = 200'000;
  int errors_in_row = 0;
  while (!stop_.load()) {
    if (sub_ == nullptr) {
      absl::Status s = link_->Connected() ? Setup() : absl::UnavailableError("hub not connected");
      if (!s.ok()) {
        static thread_local int64_t failures = 0;
        if (++failures == 1 || failures % 20 == 0) spdlog::warn("relay center: not consuming yet: {}", s.ToString());
        SleepUs(backoff);
        backoff = std::min<TimeUs>(backoff * 2, 2'000'000);
        continue;
      }
      spdlog::info("relay center: consuming {} as {}", o_.stream, o_.durable);
      backoff = 200'000;
      errors_in_row = 0;
    }
    const int64_t errors_before = Stats().fetch_errors_total;
    if (Step()) {
      errors_in_row = 0;
      continue;
    }
    if (Stats().fetch_errors_total > errors_before) {
      SleepUs(200'000);
      // A subscription that keeps failing (the hub came back with a new state) is made again.
      if (++errors_in_row >= 10) {
        Teardown();
        errors_in_row = 0;
      }
    }
  }
}

CenterConsumerStats CenterConsumer::Stats() const {
  absl::MutexLock l(&mu_);
  CenterConsumerStats s = stats_;
  s.connected = link_ != nullptr && link_->Connected();
  return s;
}

std::vector<SiteView> CenterConsumer::Sites() const {
  const TimeUs now = NowUs();
  absl::MutexLock l(&mu_);
  std::vector<SiteView> out;
  std::map<std::string, bool> names;
  for (const SiteSource& s : o_.sites) names[s.site] = true;
  for (const auto& [site, t] : heard_) names[site] = true;
  for (const auto& [site, unused] : names) {
    SiteView v;
    v.site = site;
    auto h = heard_.find(site);
    v.last_heard_us = h == heard_.end() ? 0 : h->second;
    v.online = v.last_heard_us != 0 && now - v.last_heard_us < o_.site_offline_after_us;
    auto c = cameras_.find(site);
    if (c != cameras_.end()) {
      for (const auto& [name, state] : c->second) v.cameras.push_back(state);
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace didban::relay
