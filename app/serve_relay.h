// `didban serve --role edge|center`: the scale-out roles (docs/scale-out.md). An edge publishes its hub's events,
// downsampled tracks and camera states to JetStream (relay::EdgePublisher, normally into the station's leaf node);
// a center consumes every station's stream into its store (relay::CenterConsumer, normally PostgreSQL). The default
// role "single" runs no broker at all. This file keeps the flags and the wiring out of cmd_serve.cc, which calls
// AddRelayFlags, ServeRelay::Start/Stop and ServeRelay::Collect.
#ifndef DIDBAN_APP_SERVE_RELAY_H_
#define DIDBAN_APP_SERVE_RELAY_H_

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/synchronization/notification.h"
#include "bus/hub.h"
#include "didban/status.h"
#include "relay/center_consumer.h"
#include "relay/edge_publisher.h"
#include "server/metrics.h"
#include "server/station_directory.h"
#include "store/store.h"

namespace didban::app {

struct RelayFlags {
  std::string role = "single";     // single, edge or center
  std::string nats;                // NATS URL(s): the station's leaf node (edge) or the hub (center)
  std::vector<std::string> sites;  // center: the stations' streams to source, SITE or SITE@DOMAIN; none: didban.>
  bool edge_no_stream = false;     // edge: publish without a stream of its own (the hub's center stream captures)
  double max_age_h = 168;          // stream limit by age, hours
  double max_gb = 8;               // stream limit by size, GiB
  double ack_wait_s = 10;          // center: redelivery after this many seconds without an acknowledgement
  double resync_h = 24;            // edge: republish the store's events of the last this many hours at start
  double site_offline_s = 30;      // center: a station not heard from for this long shows offline
  std::string camera_sites_file;   // center: the station cameras' sites learned from the relay, kept across restarts
  std::vector<std::string> station_urls;  // center: SITE=URL, each station's API (the station routes reach it)
  // center: SITE=FILE, a file holding the bearer token the center sends to that station's API (the proxy)
  std::vector<std::string> station_tokens;
  double station_timeout_s = 10;  // center: a station's answer (or a streamed answer's header), seconds
};

void AddRelayFlags(CLI::App* cmd, RelayFlags* flags);
// "north=http://north.example:8080" -> {"north", "http://north.example:8080"}; InvalidArgument otherwise.
absl::StatusOr<std::pair<std::string, std::string>> ParseStationUrl(const std::string& text);
// "north=/etc/didban/north.token" -> {"north", the file's first line without surrounding blanks}; the file must
// exist and hold a token (InvalidArgument naming the file otherwise; the token itself is never in a message).
absl::StatusOr<std::pair<std::string, std::string>> ReadStationToken(const std::string& text);
// Checks the flags against each other and the store URL (a center wants --nats; an edge wants --nats).
absl::Status ValidateRelayFlags(const RelayFlags& flags);

// The running relay of one serve process (nothing for role single).
class ServeRelay {
 public:
  static absl::StatusOr<std::unique_ptr<ServeRelay>> Start(const RelayFlags& flags, const std::string& site,
                                                           bus::Hub* hub, store::Store* store);
  ~ServeRelay() { Stop(); }
  // Edge: publishes what is buffered (up to 2 s) and stops; center: stops after the batch in hand. Idempotent.
  void Stop();
  // didban_relay_* metrics.
  void Collect(server::MetricsRegistry& m) const;
  // One status line ("" for role single).
  std::string StatusLine() const;
  // Center: its stations (camera sites, state, API addresses) for the server (SiteBackend::Stations); else null.
  server::StationDirectory* Stations() const { return stations_.get(); }

 private:
  std::unique_ptr<relay::EdgePublisher> edge_;
  std::unique_ptr<server::StationDirectory> stations_;  // before center_: the consumer's callback uses it
  std::unique_ptr<relay::CenterConsumer> center_;
  // center: reads each station's camera owners (owner: grants) at start and every minute, until Stop.
  std::unique_ptr<absl::Notification> owners_stop_;
  std::thread owners_;
};

}  // namespace didban::app

#endif  // DIDBAN_APP_SERVE_RELAY_H_
