// libnats adapters: errors, the reconnecting link, and stream set-up (see jetstream.h).
#include "relay/jetstream.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "relay/wire.h"

namespace didban::relay {
namespace {

constexpr int64_t kNsPerUs = 1000;

// Adds the stream, or updates it when it exists already (limits or sources changed).
absl::Status AddOrUpdate(jsCtx* js, jsStreamConfig* cfg) {
  jsStreamInfo* si = nullptr;
  jsErrCode code = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js, cfg, nullptr, &code);
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return absl::OkStatus();
  }
  if (code != JSStreamNameExistErr) return JsError(s, code, absl::StrCat("stream ", cfg->Name, ": create"));
  code = static_cast<jsErrCode>(0);
  s = js_UpdateStream(&si, js, cfg, nullptr, &code);
  if (s != NATS_OK) return JsError(s, code, absl::StrCat("stream ", cfg->Name, ": update"));
  jsStreamInfo_Destroy(si);
  return absl::OkStatus();
}

void ApplyLimits(const StreamLimits& l, jsStreamConfig* cfg) {
  cfg->MaxBytes = l.max_bytes;
  cfg->MaxAge = l.max_age_us * kNsPerUs;
  cfg->Duplicates = l.duplicate_window_us * kNsPerUs;
  cfg->Storage = l.memory ? js_MemoryStorage : js_FileStorage;
  cfg->Discard = js_DiscardOld;
  cfg->Retention = js_LimitsPolicy;
}

}  // namespace

absl::Status NatsError(natsStatus s, std::string_view what) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  std::string msg = absl::StrCat("nats: ", std::string(what), ": ", natsStatus_GetText(s));
  if (text != nullptr && *text != '\0') absl::StrAppend(&msg, " (", text, ")");
  if (s == NATS_TIMEOUT) return absl::DeadlineExceededError(msg);
  if (s == NATS_NO_SERVER || s == NATS_CONNECTION_CLOSED || s == NATS_NOT_YET_CONNECTED ||
      s == NATS_CONNECTION_DISCONNECTED || s == NATS_NO_RESPONDERS) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

absl::Status JsError(natsStatus s, jsErrCode code, std::string_view what) {
  absl::Status st = NatsError(s, what);
  if (code == 0) return st;
  return absl::Status(st.code(), absl::StrCat(st.message(), " [JetStream error ", static_cast<int>(code), "]"));
}

absl::Status StreamLimits::Validate() const {
  if (max_bytes == 0 || max_bytes < -1) return absl::InvalidArgumentError("stream max_bytes: -1 or > 0");
  if (max_age_us < 0) return absl::InvalidArgumentError("stream max_age: >= 0");
  if (duplicate_window_us <= 0) return absl::InvalidArgumentError("stream duplicate_window: > 0");
  if (max_age_us > 0 && duplicate_window_us > max_age_us) {
    return absl::InvalidArgumentError("stream duplicate_window: at most max_age");
  }
  return absl::OkStatus();
}

NatsLink::~NatsLink() {
  // Closed first: the client's reading thread has ended when natsConnection_Close returns, so that destroying the
  // JetStream context's reply subscription cannot race with a message still being delivered to it (libnats before
  // 3.6 locks a subscription found in its table after another thread may have freed it: nats.c #637, fixed by #638).
  Close();
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (conn_ != nullptr) natsConnection_Destroy(conn_);
  if (opts_ != nullptr) natsOptions_Destroy(opts_);
}

void NatsLink::Close() {
  if (conn_ == nullptr || closing_.exchange(true)) return;
  natsConnection_Close(conn_);
  // Its callbacks (this object is their closure) run on the client's thread until the closed one.
  (void)closed_.WaitForNotificationWithTimeout(absl::Seconds(5));
}

void NatsLink::OnDisconnected(natsConnection* /*nc*/, void* closure) {
  static_cast<NatsLink*>(closure)->disconnects_.fetch_add(1);
}
void NatsLink::OnReconnected(natsConnection* /*nc*/, void* closure) {
  static_cast<NatsLink*>(closure)->reconnects_.fetch_add(1);
}
void NatsLink::OnConnected(natsConnection* /*nc*/, void* /*closure*/) {}
void NatsLink::OnClosed(natsConnection* /*nc*/, void* closure) { static_cast<NatsLink*>(closure)->closed_.Notify(); }

bool NatsLink::Connected() const {
  return conn_ != nullptr && natsConnection_Status(conn_) == NATS_CONN_STATUS_CONNECTED;
}

absl::StatusOr<std::unique_ptr<NatsLink>> NatsLink::Open(const std::string& url, const std::string& name,
                                                         const std::string& js_domain, jsPubAckHandler on_ack,
                                                         void* on_ack_closure) {
  std::unique_ptr<NatsLink> link(new NatsLink());
  link->domain_ = js_domain;
  natsStatus s = natsOptions_Create(&link->opts_);
  if (s == NATS_OK) s = natsOptions_SetServers(link->opts_, nullptr, 0);
  if (s == NATS_OK) s = natsOptions_SetURL(link->opts_, url.c_str());
  if (s == NATS_OK) s = natsOptions_SetName(link->opts_, name.c_str());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(link->opts_, -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(link->opts_, 250);
  if (s == NATS_OK) s = natsOptions_SetReconnectJitter(link->opts_, 100, 1000);
  if (s == NATS_OK) s = natsOptions_SetTimeout(link->opts_, 2000);
  if (s == NATS_OK) s = natsOptions_SetPingInterval(link->opts_, 2000);
  if (s == NATS_OK) s = natsOptions_SetMaxPingsOut(link->opts_, 2);
  if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(link->opts_, 32 << 20);
  if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(link->opts_, &NatsLink::OnDisconnected, link.get());
  if (s == NATS_OK) s = natsOptions_SetReconnectedCB(link->opts_, &NatsLink::OnReconnected, link.get());
  if (s == NATS_OK) s = natsOptions_SetClosedCB(link->opts_, &NatsLink::OnClosed, link.get());
  if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(link->opts_, true, &NatsLink::OnConnected, link.get());
  if (s != NATS_OK) return NatsError(s, absl::StrCat(url, ": options"));
  s = natsConnection_Connect(&link->conn_, link->opts_);
  if (s != NATS_OK && s != NATS_NOT_YET_CONNECTED) return NatsError(s, absl::StrCat(url, ": connect"));
  jsOptions jo;
  jsOptions_Init(&jo);
  if (!link->domain_.empty()) jo.Domain = link->domain_.c_str();
  jo.Wait = 2000;
  jo.PublishAsync.MaxPending = 8192;
  jo.PublishAsync.AckHandler = on_ack;
  jo.PublishAsync.AckHandlerClosure = on_ack_closure;
  s = natsConnection_JetStream(&link->js_, link->conn_, &jo);
  if (s != NATS_OK) return NatsError(s, absl::StrCat(url, ": JetStream context"));
  return link;
}

absl::Status EnsureSiteStream(jsCtx* js, const std::string& site, const StreamLimits& limits) {
  DIDBAN_RETURN_IF_ERROR(limits.Validate());
  const std::string name = SiteStreamName(site);
  const std::string subject = SiteSubjects(site);
  const char* subjects[] = {subject.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  ApplyLimits(limits, &cfg);
  return AddOrUpdate(js, &cfg);
}

absl::StatusOr<SiteSource> ParseSiteSource(std::string_view text) {
  SiteSource s;
  const size_t at = text.find('@');
  s.site = std::string(text.substr(0, at));
  if (at != std::string_view::npos) s.domain = std::string(text.substr(at + 1));
  if (s.site.empty())
    return absl::InvalidArgumentError(absl::StrCat("site source \"", std::string(text), "\": empty site"));
  if (at != std::string_view::npos && (s.domain.empty() || SubjectToken(s.domain) != s.domain)) {
    return absl::InvalidArgumentError(
        absl::StrCat("site source \"", std::string(text), "\": bad domain (letters, digits, _ -)"));
  }
  return s;
}

absl::Status EnsureCenterStream(jsCtx* js, const std::string& name, const std::vector<SiteSource>& sources,
                                const StreamLimits& limits) {
  DIDBAN_RETURN_IF_ERROR(limits.Validate());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = name.c_str();
  ApplyLimits(limits, &cfg);
  const char* all[] = {"didban.>"};
  std::vector<std::string> names, prefixes, delivers;
  std::vector<jsStreamSource> srcs(sources.size());
  std::vector<jsExternalStream> ext(sources.size());
  std::vector<jsStreamSource*> ptrs;
  names.reserve(sources.size());
  prefixes.reserve(sources.size());
  delivers.reserve(sources.size());
  if (sources.empty()) {
    cfg.Subjects = all;
    cfg.SubjectsLen = 1;
  } else {
    for (size_t i = 0; i < sources.size(); ++i) {
      names.push_back(SiteStreamName(sources[i].site));
      prefixes.push_back(absl::StrCat("$JS.", sources[i].domain, ".API"));
      delivers.push_back(SourceDeliverPrefix(sources[i].site));
      jsStreamSource_Init(&srcs[i]);
      srcs[i].Name = names.back().c_str();
      if (!sources[i].domain.empty()) {
        // The source's deliveries cross the leaf link on didban_src.<site>.>, which only that site's leaf-node user
        // may publish (relay/nats_config.h), not on $JS.S.> shared by every station.
        ext[i].APIPrefix = prefixes.back().c_str();
        ext[i].DeliverPrefix = delivers.back().c_str();
        srcs[i].External = &ext[i];
      }
      ptrs.push_back(&srcs[i]);
    }
    cfg.Sources = ptrs.data();
    cfg.SourcesLen = static_cast<int>(ptrs.size());
  }
  return AddOrUpdate(js, &cfg);
}

}  // namespace didban::relay
