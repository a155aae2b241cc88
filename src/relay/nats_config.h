// nats-server configuration files for the scale-out topology: a hub at the center (JetStream domain "hub", a
// leaf-node port for the stations) and one leaf node per station (its own JetStream domain named after the site,
// so that a cut-off station keeps everything in its own JetStream, within the configured limits). Each station
// authenticates to the hub's leaf-node port as its own user. Pure text generation; thread-safe.
#ifndef DIDBAN_RELAY_NATS_CONFIG_H_
#define DIDBAN_RELAY_NATS_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "didban/status.h"

namespace didban::relay {

struct StationAccount {
  std::string site;      // the station's site (its JetStream domain is SubjectToken(site))
  std::string user;      // leaf-node user at the hub ("" = "leaf-<site>")
  std::string password;  // its password (plain text in the file; keep the files private)
};

struct HubConfig {
  std::string server_name = "didban-hub";
  std::string host = "127.0.0.1";  // client and leaf-node listen address
  int client_port = 4222;
  int leaf_port = 7422;
  int monitor_port = 8222;  // 0 = no HTTP monitoring
  std::string store_dir;    // JetStream files
  std::string domain = "hub";
  int64_t max_file_bytes = int64_t{64} << 30;  // JetStream file storage at most
  std::vector<StationAccount> stations;        // empty: leaf nodes connect without authentication

  absl::Status Validate() const;
};

struct LeafConfig {
  std::string site;
  std::string server_name;  // "" = "didban-<site>"
  std::string host = "127.0.0.1";
  int client_port = 4222;  // the station's didban serve --role edge connects here
  int monitor_port = 0;
  std::string store_dir;
  int64_t max_file_bytes = int64_t{32} << 30;
  std::string hub_url;  // the hub's leaf-node port, e.g. nats-leaf://hub.example:7422 (nats-leaf:// or tls://)
  std::string user;     // as in the hub's StationAccount ("" = none)
  std::string password;

  absl::Status Validate() const;
};

std::string HubConf(const HubConfig& c);
std::string LeafConf(const LeafConfig& c);

}  // namespace didban::relay

#endif  // DIDBAN_RELAY_NATS_CONFIG_H_
