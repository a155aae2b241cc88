// Thin adapters over the NATS C client (libnats) for the relay: statuses as absl::Status naming what failed, a
// connection that keeps reconnecting forever (and may start before its server), and the JetStream streams of the
// scale-out topology: one stream per site at the edge (its leaf node's JetStream domain) and the center's stream
// that sources from every site's stream (or, without sites, captures didban.> itself). Thread-compatible.
#ifndef DIDBAN_RELAY_JETSTREAM_H_
#define DIDBAN_RELAY_JETSTREAM_H_

#include <nats/nats.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/notification.h"
#include "didban/status.h"
#include "didban/time.h"

namespace didban::relay {

// An error naming `what` and the client's text for `s` (and its last error, when it has one).
absl::Status NatsError(natsStatus s, std::string_view what);
// An error for a JetStream API call that failed with `s` and server error code `code` (0 = none).
absl::Status JsError(natsStatus s, jsErrCode code, std::string_view what);

// Limits of a stream: JetStream discards the oldest messages beyond them.
struct StreamLimits {
  int64_t max_bytes = int64_t{8} << 30;                // bytes kept at most (8 GiB), -1 = unlimited
  TimeUs max_age_us = 7 * 24 * 3600 * kUsPerSecond;    // messages older than this are removed (7 days), 0 = forever
  TimeUs duplicate_window_us = 2 * 60 * kUsPerSecond;  // Nats-Msg-Id repeats within it are dropped (2 min)
  bool memory = false;                                 // memory storage instead of files (benchmarks only)

  absl::Status Validate() const;
};

// A connection to a NATS server (or cluster: comma-separated URLs) that reconnects forever. Thread-safe.
class NatsLink {
 public:
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  // Connects to `url`; when no server answers yet, returns a link that keeps trying in the background.
  // `js_domain` ("" = the server's own) selects the JetStream domain of the JetStream context.
  // `on_ack` (may be null) is called by the client's thread for every asynchronous publish's acknowledgement or
  // error (see jsPubAckHandler; it must destroy the message).
  static absl::StatusOr<std::unique_ptr<NatsLink>> Open(const std::string& url, const std::string& name,
                                                        const std::string& js_domain = "",
                                                        jsPubAckHandler on_ack = nullptr,
                                                        void* on_ack_closure = nullptr);

  // Closes the connection (idempotent; the destructor calls it): the client's threads have ended when it returns,
  // so subscriptions of this connection can then be destroyed safely.
  void Close();

  natsConnection* conn() const { return conn_; }
  jsCtx* js() const { return js_; }
  bool Connected() const;
  int64_t Disconnects() const { return disconnects_.load(); }
  int64_t Reconnects() const { return reconnects_.load(); }

 private:
  NatsLink() = default;
  static void OnDisconnected(natsConnection* nc, void* closure);
  static void OnReconnected(natsConnection* nc, void* closure);
  static void OnConnected(natsConnection* nc, void* closure);
  static void OnClosed(natsConnection* nc, void* closure);

  natsOptions* opts_ = nullptr;
  natsConnection* conn_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string domain_;
  std::atomic<int64_t> disconnects_{0};
  std::atomic<int64_t> reconnects_{0};
  std::atomic<bool> closing_{false};
  // The client calls the callbacks above from its own thread, possibly after natsConnection_Close returned (the
  // disconnection of a close comes before its closed callback): the destructor waits for the closed callback.
  absl::Notification closed_;
};

// Creates the stream of `site` (name SiteStreamName(site), subjects didban.<site>.>) or updates its limits.
absl::Status EnsureSiteStream(jsCtx* js, const std::string& site, const StreamLimits& limits);

// One source of the center's stream: a site's stream, in the site's JetStream domain ("" = the hub's own).
struct SiteSource {
  std::string site;
  std::string domain;
};
// Parses "site" or "site@domain".
absl::StatusOr<SiteSource> ParseSiteSource(std::string_view text);

// Creates (or updates) the center's stream `name`: with sources, it sources from each site's stream (across the
// leaf nodes' JetStream domains, delivered on the site's SourceDeliverPrefix); without, it captures "didban.>"
// published on the hub directly.
absl::Status EnsureCenterStream(jsCtx* js, const std::string& name, const std::vector<SiteSource>& sources,
                                const StreamLimits& limits);

}  // namespace didban::relay

#endif  // DIDBAN_RELAY_JETSTREAM_H_
