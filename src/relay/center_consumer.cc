// The center's JetStream consumer (see center_consumer.h): fetch a batch, write it to the store, flush (commit),
// then acknowledge every message; a batch whose commit fails is negatively acknowledged and comes back.
#include "relay/center_consumer.h"

#include <algorithm>
#include <chrono>

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
  c->thread_ = std::thread([raw = c.get()] { raw->Loop(); });
  return c;
}

CenterConsumer::~CenterConsumer() { Stop(); }

void CenterConsumer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
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
  if (sub_ != nullptr) {
    natsSubscription_Destroy(sub_);  // keeps the durable consumer (no Unsubscribe)
    sub_ = nullptr;
  }
}

bool CenterConsumer::Step() {
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
  std::vector<Decoded> decoded;
  decoded.reserve(static_cast<size_t>(list.Count));
  int64_t redelivered = 0, bad = 0, events = 0, points = 0, states = 0;
  uint64_t pending = 0;
  bool queued = true;
  std::vector<store::TrackPoint> track_points;
  for (int i = 0; i < list.Count; ++i) {
    natsMsg* m = list.Msgs[i];
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, m) == NATS_OK) {
      if (meta->NumDelivered > 1) ++redelivered;
      pending = meta->NumPending;
      jsMsgMetaData_Destroy(meta);
    }
    absl::StatusOr<Decoded> d =
        Decode(std::string_view(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m))));
    if (!d.ok()) {
      ++bad;
      spdlog::warn("relay center: {}: {}", natsMsg_GetSubject(m), d.status().ToString());
      continue;
    }
    if (d->kind == Kind::kEvent) {
      queued = queued && store_->AddEvent(d->event);
      ++events;
    } else if (d->kind == Kind::kTracks) {
      points += static_cast<int64_t>(d->points.size());
      track_points.insert(track_points.end(), d->points.begin(), d->points.end());
    } else {
      ++states;
    }
    decoded.push_back(*std::move(d));
  }
  if (!track_points.empty()) queued = queued && store_->AddTrackPoints(std::move(track_points));
  absl::Status committed =
      queued ? store_->Flush(o_.flush_timeout_us) : absl::ResourceExhaustedError("the store's queue is full");
  if (!committed.ok()) {
    for (int i = 0; i < list.Count; ++i) natsMsg_Nak(list.Msgs[i], nullptr);
    natsMsgList_Destroy(&list);
    {
      absl::MutexLock l(&mu_);
      ++stats_.commit_failures_total;
      stats_.received_total += list.Count;
      if (stats_.commit_failures_total == 1 || stats_.commit_failures_total % 10 == 0) {
        spdlog::warn("relay center: commit failed ({} so far), batch left for redelivery: {}",
                     stats_.commit_failures_total, committed.ToString());
      }
    }
    SleepUs(500'000);
    return true;
  }
  for (int i = 0; i < list.Count; ++i) natsMsg_Ack(list.Msgs[i], nullptr);
  const int count = list.Count;
  natsMsgList_Destroy(&list);
  const TimeUs now = NowUs();
  {
    absl::MutexLock l(&mu_);
    stats_.received_total += count;
    stats_.redelivered_total += redelivered;
    stats_.bad_total += bad;
    stats_.events_total += events;
    stats_.track_points_total += points;
    stats_.states_total += states;
    ++stats_.batches_total;
    stats_.pending = static_cast<int64_t>(pending);
    stats_.last_commit_us = now;
    for (const Decoded& d : decoded) {
      heard_[d.site] = now;
      if (d.kind == Kind::kCameraState) cameras_[d.site][d.camera] = d.state;
    }
  }
  if (o_.on_committed) o_.on_committed(decoded);
  return true;
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
