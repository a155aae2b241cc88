// nats-server configuration files for the scale-out topology: a hub at the center (JetStream domain "hub", a
// leaf-node port for the stations) and one leaf node per station (its own JetStream domain named after the site,
// so that a cut-off station keeps everything in its own JetStream, within the configured limits). Each station
// authenticates to the hub's leaf-node port as its own user. With a center password, every connection to the hub
// logs in and each user's subject permissions stop at what it needs: a station publishes only its own site's
// subjects (`didban.<site>.>`), the deliveries of the center's source of its stream (`didban_src.<site>.>`) and
// JetStream API replies, and receives only its own JetStream API (`$JS.<site>.API.>`) and its stream's flow
// control; the center uses the hub's JetStream API and its replies. Pure text generation; thread-safe.
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

// A user's subject permissions at the hub (nats-server's permissions map: allow lists only).
struct SubjectPermissions {
  std::vector<std::string> publish;    // subjects the user may publish (for a leaf node: send into the hub)
  std::vector<std::string> subscribe;  // subjects the user may subscribe to (for a leaf node: receive from the hub)
};
// What a station's leaf-node user needs and nothing more. `any_source_delivery`: allow the deliveries of sources set
// up without a deliver prefix (`$JS.S.>`, shared by every station) instead of `didban_src.<site>.>`.
SubjectPermissions StationPermissions(const std::string& site, bool any_source_delivery = false);
// What the center's consumer needs on the hub: the JetStream API, acknowledgements of `stream`, request replies.
SubjectPermissions CenterPermissions(const std::string& stream = "DIDBAN_CENTER");

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
  // Set: the hub requires a login on every connection (clients and leaf nodes): the center's user with
  // CenterPermissions, each station with StationPermissions. Empty: the stations' users are checked on the
  // leaf-node port only, without subject permissions (`didban nats-config hub` refuses stations without it).
  std::string center_user = "center";
  std::string center_password;
  std::string center_stream = "DIDBAN_CENTER";  // the center's stream (its acknowledgements)
  bool any_source_delivery = false;             // see StationPermissions

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
