// The scale-out roles of `didban serve` (see serve_relay.h).
#include "app/serve_relay.h"

#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "server/station_proxy.h"
#include "spdlog/spdlog.h"

namespace didban::app {
namespace {

relay::StreamLimits Limits(const RelayFlags& f) {
  relay::StreamLimits l;
  l.max_bytes = static_cast<int64_t>(f.max_gb * 1024 * 1024 * 1024);
  l.max_age_us = static_cast<TimeUs>(f.max_age_h * 3600 * 1e6);
  return l;
}

}  // namespace

absl::StatusOr<std::pair<std::string, std::string>> ParseStationUrl(const std::string& text) {
  const size_t eq = text.find('=');
  const std::string site = eq == std::string::npos ? "" : text.substr(0, eq);
  const std::string url = eq == std::string::npos ? "" : text.substr(eq + 1);
  if (site.empty() || !server::ParseStationApiUrl(url).ok()) {
    return absl::InvalidArgumentError("--station-url " + text +
                                      ": expected SITE=http://HOST[:PORT][/PREFIX] (the proxy speaks plain HTTP)");
  }
  return std::make_pair(site, url);
}

absl::StatusOr<std::pair<std::string, std::string>> ReadStationToken(const std::string& text) {
  const size_t eq = text.find('=');
  const std::string site = eq == std::string::npos ? "" : text.substr(0, eq);
  const std::string file = eq == std::string::npos ? "" : text.substr(eq + 1);
  if (site.empty() || file.empty()) {
    return absl::InvalidArgumentError("--station-token-file " + text + ": expected SITE=FILE");
  }
  std::ifstream in(file);
  if (!in) return absl::InvalidArgumentError("--station-token-file " + text + ": cannot read " + file);
  std::string line;
  std::getline(in, line);
  const std::string token(absl::StripAsciiWhitespace(line));
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError("--station-token-file " + text + ": " + file +
                                      " does not hold a token on its first line");
  }
  return std::make_pair(site, token);
}

void AddRelayFlags(CLI::App* cmd, RelayFlags* f) {
  cmd->add_option("--role", f->role, "single (no broker), edge (publish to NATS JetStream) or center (consume)")
      ->check(CLI::IsMember({"single", "edge", "center"}))
      ->capture_default_str();
  cmd->add_option("--nats", f->nats, "NATS URL: the station's leaf node (edge) or the hub (center)");
  cmd->add_option("--nats-site", f->sites, "center: a station's stream to source, SITE or SITE@DOMAIN (repeat)");
  cmd->add_flag("--nats-no-stream", f->edge_no_stream,
                "edge: no stream of its own (publish straight to a hub whose center stream captures didban.>)");
  cmd->add_option("--nats-max-age-h", f->max_age_h, "Stream limit by age, hours")->capture_default_str();
  cmd->add_option("--nats-max-gb", f->max_gb, "Stream limit by size, GiB")->capture_default_str();
  cmd->add_option("--nats-ack-wait", f->ack_wait_s, "center: seconds before an unacknowledged message comes back")
      ->capture_default_str();
  cmd->add_option("--nats-offline-after", f->site_offline_s,
                  "center: seconds without a message before a station is offline")
      ->capture_default_str();
  cmd->add_option("--nats-camera-sites", f->camera_sites_file,
                  "center: file keeping each station camera's site (learned from the relay) across restarts");
  cmd->add_option("--station-url", f->station_urls,
                  "center: a station's API, SITE=URL (repeat; e.g. north=http://north.example:8080)");
  cmd->add_option("--station-token-file", f->station_tokens,
                  "center: SITE=FILE, a file holding the API token the center uses at that station (repeat; made "
                  "there with `didban user token NAME --scope operator`)");
  cmd->add_option("--station-timeout", f->station_timeout_s,
                  "center: seconds to wait for a station's answer through the proxy")
      ->capture_default_str();
  cmd->add_option("--nats-resync-h", f->resync_h, "edge: republish the store's events of the last hours at start")
      ->capture_default_str();
}

absl::Status ValidateRelayFlags(const RelayFlags& f) {
  if (f.role == "single") {
    if (!f.nats.empty()) return absl::InvalidArgumentError("--nats needs --role edge or --role center");
    return absl::OkStatus();
  }
  if (f.nats.empty()) return absl::InvalidArgumentError("--role " + f.role + " needs --nats URL");
  if (f.role == "edge" && !f.sites.empty()) return absl::InvalidArgumentError("--nats-site is for --role center");
  if (f.max_age_h <= 0 || f.max_gb <= 0) return absl::InvalidArgumentError("--nats-max-age-h, --nats-max-gb: > 0");
  if (f.ack_wait_s < 1) return absl::InvalidArgumentError("--nats-ack-wait: at least 1 s");
  if (f.site_offline_s <= 0) return absl::InvalidArgumentError("--nats-offline-after: > 0");
  if (f.resync_h < 0) return absl::InvalidArgumentError("--nats-resync-h: >= 0");
  if (f.role != "center" && (!f.camera_sites_file.empty() || !f.station_urls.empty() || !f.station_tokens.empty())) {
    return absl::InvalidArgumentError("--nats-camera-sites, --station-url, --station-token-file are for --role center");
  }
  if (f.station_timeout_s < 0.1) return absl::InvalidArgumentError("--station-timeout: at least 0.1 s");
  for (const std::string& u : f.station_urls) DIDBAN_RETURN_IF_ERROR(ParseStationUrl(u).status());
  for (const std::string& t : f.station_tokens) DIDBAN_RETURN_IF_ERROR(ReadStationToken(t).status());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ServeRelay>> ServeRelay::Start(const RelayFlags& f, const std::string& site,
                                                              bus::Hub* hub, store::Store* store) {
  DIDBAN_RETURN_IF_ERROR(ValidateRelayFlags(f));
  auto r = std::make_unique<ServeRelay>();
  if (f.role == "edge") {
    relay::EdgePublisherOptions o;
    o.site = site;
    o.nats_url = f.nats;
    o.create_stream = !f.edge_no_stream;
    o.limits = Limits(f);
    if (f.resync_h > 0) {
      o.resync_store = store;
      o.resync_window_us = static_cast<TimeUs>(f.resync_h * 3600 * 1e6);
    }
    DIDBAN_ASSIGN_OR_RETURN(r->edge_, relay::EdgePublisher::Start(std::move(o), hub));
  } else if (f.role == "center") {
    relay::CenterConsumerOptions o;
    o.nats_url = f.nats;
    o.limits = Limits(f);
    o.ack_wait_us = static_cast<TimeUs>(f.ack_wait_s * 1e6);
    o.site_offline_after_us = static_cast<TimeUs>(f.site_offline_s * 1e6);
    for (const std::string& s : f.sites) {
      DIDBAN_ASSIGN_OR_RETURN(relay::SiteSource src, relay::ParseSiteSource(s));
      o.sites.push_back(std::move(src));
    }
    DIDBAN_ASSIGN_OR_RETURN(r->stations_, server::StationDirectory::Open(f.camera_sites_file));
    for (const std::string& u : f.station_urls) {
      DIDBAN_ASSIGN_OR_RETURN(auto site_url, ParseStationUrl(u));
      r->stations_->SetUrl(site_url.first, site_url.second);
    }
    for (const std::string& t : f.station_tokens) {
      DIDBAN_ASSIGN_OR_RETURN(auto site_token, ReadStationToken(t));
      r->stations_->SetToken(site_token.first, site_token.second);
    }
    server::StationProxyOptions proxy;
    proxy.answer_timeout_ms = static_cast<int>(f.station_timeout_s * 1000);
    r->stations_->SetProxyOptions(proxy);
    // Every message names its site and camera: the directory learns which station each camera belongs to.
    server::StationDirectory* stations = r->stations_.get();
    o.on_committed = [stations](const std::vector<relay::Decoded>& batch) {
      for (const relay::Decoded& d : batch) stations->NoteCamera(d.site, d.camera);
    };
    DIDBAN_ASSIGN_OR_RETURN(r->center_, relay::CenterConsumer::Start(std::move(o), store));
    // The stations' camera owners, for owner: grants (a small JSON list per station a minute; an offline station
    // keeps what was read before).
    if (!f.station_urls.empty()) {
      std::vector<std::string> sites;
      for (const std::string& u : f.station_urls) sites.push_back(ParseStationUrl(u)->first);
      r->owners_stop_ = std::make_unique<absl::Notification>();
      absl::Notification* stop = r->owners_stop_.get();
      r->owners_ = std::thread([stations, sites, stop] {
        do {
          for (const std::string& s : sites) {
            if (absl::Status st = server::RefreshStationOwners(*stations, s); !st.ok()) {
              spdlog::debug("stations: {}", std::string(st.message()));
            }
          }
        } while (!stop->WaitForNotificationWithTimeout(absl::Seconds(60)));
      });
    }
    relay::CenterConsumer* center = r->center_.get();
    stations->SetLiveSource([center] {
      std::vector<server::StationLive> out;
      for (const relay::SiteView& v : center->Sites()) out.push_back({v.site, v.online, v.last_heard_us});
      return out;
    });
  }
  return r;
}

void ServeRelay::Stop() {
  if (owners_stop_ && !owners_stop_->HasBeenNotified()) owners_stop_->Notify();
  if (owners_.joinable()) owners_.join();
  if (edge_) edge_->Stop(2'000'000);
  if (center_) center_->Stop();
  if (stations_) stations_->SetLiveSource(nullptr);  // the consumer goes before the directory
}

void ServeRelay::Collect(server::MetricsRegistry& m) const {
  auto counter = [&m](const std::string& name, const std::string& help, double v) {
    m.AddCounter(name, help, {}).WithLabels({}).SetTotal(v);
  };
  auto gauge = [&m](const std::string& name, const std::string& help, double v) {
    m.AddGauge(name, help, {}).WithLabels({}).Set(v);
  };
  if (edge_) {
    const relay::EdgePublisherStats s = edge_->Stats();
    gauge("didban_relay_connected", "1 while the NATS connection is up", s.connected ? 1 : 0);
    gauge("didban_relay_buffered", "Messages waiting for the broker", static_cast<double>(s.buffered));
    gauge("didban_relay_oldest_buffered_seconds", "Age of the oldest waiting message",
          static_cast<double>(s.oldest_buffered_age_us) * 1e-6);
    counter("didban_relay_published_total", "Messages acknowledged by JetStream",
            static_cast<double>(s.published_total));
    counter("didban_relay_published_events_total", "Events acknowledged by JetStream",
            static_cast<double>(s.published_events_total));
    counter("didban_relay_duplicates_total", "Messages JetStream acknowledged as repeats",
            static_cast<double>(s.duplicates_total));
    counter("didban_relay_dropped_total", "Messages dropped from the full relay buffer",
            static_cast<double>(s.dropped_total + s.hub_dropped_total));
    counter("didban_relay_retries_total", "Publish rounds retried", static_cast<double>(s.retries_total));
  }
  if (center_) {
    const relay::CenterConsumerStats s = center_->Stats();
    gauge("didban_relay_connected", "1 while the NATS connection is up", s.connected ? 1 : 0);
    gauge("didban_relay_consumer_pending", "Messages in the center's stream not yet delivered",
          static_cast<double>(s.pending));
    counter("didban_relay_received_total", "Messages fetched from JetStream", static_cast<double>(s.received_total));
    counter("didban_relay_redelivered_total", "Messages fetched again (not acknowledged in time)",
            static_cast<double>(s.redelivered_total));
    counter("didban_relay_events_total", "Event messages committed", static_cast<double>(s.events_total));
    counter("didban_relay_commit_failures_total", "Commit attempts that failed (retried with the same batches)",
            static_cast<double>(s.commit_failures_total));
    counter("didban_relay_rejected_total",
            "Messages whose subject or source stream does not match their site and camera (relay::CheckOrigin)",
            static_cast<double>(s.rejected_total));
    counter("didban_relay_bad_messages_total", "Messages that did not decode", static_cast<double>(s.bad_total));
    auto& online = m.AddGauge("didban_site_online", "1 while a station is heard from", {"site"});
    auto& heard = m.AddGauge("didban_site_last_heard_seconds", "Seconds since a station's last message", {"site"});
    const double now = static_cast<double>(absl::ToUnixMicros(absl::Now())) * 1e-6;
    for (const relay::SiteView& v : center_->Sites()) {
      online.WithLabels({v.site}).Set(v.online ? 1 : 0);
      if (v.last_heard_us > 0) heard.WithLabels({v.site}).Set(now - static_cast<double>(v.last_heard_us) * 1e-6);
    }
  }
}

std::string ServeRelay::StatusLine() const {
  if (edge_) {
    const relay::EdgePublisherStats s = edge_->Stats();
    return absl::StrCat("relay edge: ", s.connected ? "connected" : "disconnected", ", published ", s.published_total,
                        " (events ", s.published_events_total, "), buffered ", s.buffered, ", dropped ",
                        s.dropped_total + s.hub_dropped_total, ", retries ", s.retries_total, ", resynced ",
                        s.resynced_total);
  }
  if (center_) {
    const relay::CenterConsumerStats s = center_->Stats();
    std::string sites;
    for (const relay::SiteView& v : center_->Sites()) {
      absl::StrAppend(&sites, sites.empty() ? "" : ",", v.site, "=", v.online ? "online" : "offline");
    }
    return absl::StrCat("relay center: ", s.connected ? "connected" : "disconnected", ", received ", s.received_total,
                        " (events ", s.events_total, ", redelivered ", s.redelivered_total, "), commit failures ",
                        s.commit_failures_total, ", pending ", s.pending, ", sites ", sites);
  }
  return "";
}

}  // namespace didban::app
