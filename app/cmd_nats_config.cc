// `didban nats-config hub|leaf`: writes the nats-server configuration of the center's hub or of a station's leaf
// node (relay/nats_config.h) to stdout or --out, for the scale-out topology of docs/scale-out.md.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "app/command.h"
#include "relay/nats_config.h"
#include "relay/wire.h"

namespace didban::app {
namespace {

int Write(const std::string& text, const std::string& out) {
  if (out.empty() || out == "-") {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  std::ofstream f(out);
  f << text;
  if (!f.good()) {
    std::fprintf(stderr, "didban nats-config: %s: cannot write\n", out.c_str());
    return 1;
  }
  return 0;
}

struct HubFlags {
  relay::HubConfig c;
  std::vector<std::string> stations;  // SITE:PASSWORD
  std::string out;
};

struct LeafFlags {
  relay::LeafConfig c;
  std::string out;
};

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* group = CommandGroup(root, "nats-config", "Write nats-server configurations for the scale-out roles");
  auto hub = std::make_shared<HubFlags>();
  CLI::App* h = group->add_subcommand("hub", "The center's hub: JetStream domain hub, a leaf-node port for stations");
  h->add_option("--store-dir", hub->c.store_dir, "JetStream folder")->required();
  h->add_option("--host", hub->c.host, "Listen address")->capture_default_str();
  h->add_option("--port", hub->c.client_port, "Client port")->capture_default_str();
  h->add_option("--leaf-port", hub->c.leaf_port, "Leaf-node port (stations connect here)")->capture_default_str();
  h->add_option("--monitor-port", hub->c.monitor_port, "HTTP monitoring port (0: none)")->capture_default_str();
  h->add_option("--max-file-bytes", hub->c.max_file_bytes, "JetStream file storage at most, bytes")
      ->capture_default_str();
  h->add_option("--station", hub->stations,
                "A station's leaf-node login SITE:PASSWORD (repeat; needs --center-password)");
  h->add_option("--center-password", hub->c.center_password,
                "The center's password at the hub: every connection then logs in, with subject permissions");
  h->add_option("--center-user", hub->c.center_user, "The center's user at the hub")->capture_default_str();
  h->add_option("--center-stream", hub->c.center_stream, "The center's stream (its acknowledgements)")
      ->capture_default_str();
  h->add_flag("--any-source-delivery", hub->c.any_source_delivery,
              "Stations may publish $JS.S.> (a center stream sourcing without the didban_src.<site> deliver prefix)");
  h->add_option("--out", hub->out, "Output file (default: stdout)");
  h->callback([hub, exit_code] {
    for (const std::string& s : hub->stations) {
      const size_t colon = s.find(':');
      if (colon == std::string::npos) {
        std::fprintf(stderr, "didban nats-config hub: --station %s: expected SITE:PASSWORD\n", s.c_str());
        *exit_code = 2;
        return;
      }
      hub->c.stations.push_back({s.substr(0, colon), "", s.substr(colon + 1)});
    }
    if (!hub->c.stations.empty() && hub->c.center_password.empty()) {
      std::fprintf(stderr,
                   "didban nats-config hub: --station needs --center-password (without it the stations' subjects "
                   "are not limited to their own site)\n");
      *exit_code = 2;
      return;
    }
    if (absl::Status v = hub->c.Validate(); !v.ok()) {
      std::fprintf(stderr, "didban nats-config hub: %s\n", std::string(v.message()).c_str());
      *exit_code = 2;
      return;
    }
    *exit_code = Write(relay::HubConf(hub->c), hub->out);
  });

  auto leaf = std::make_shared<LeafFlags>();
  CLI::App* l = group->add_subcommand("leaf", "A station's leaf node: its own JetStream domain named after the site");
  l->add_option("--site", leaf->c.site, "The station's site name")->required();
  l->add_option("--store-dir", leaf->c.store_dir, "JetStream folder")->required();
  l->add_option("--hub-url", leaf->c.hub_url, "The hub's leaf-node URL, e.g. nats-leaf://center:7422")->required();
  l->add_option("--host", leaf->c.host, "Listen address")->capture_default_str();
  l->add_option("--port", leaf->c.client_port, "Client port (didban serve --role edge --nats)")->capture_default_str();
  l->add_option("--monitor-port", leaf->c.monitor_port, "HTTP monitoring port (0: none)")->capture_default_str();
  l->add_option("--max-file-bytes", leaf->c.max_file_bytes, "JetStream file storage at most, bytes")
      ->capture_default_str();
  l->add_option("--user", leaf->c.user, "Leaf-node user at the hub (default leaf-SITE when --password is given)");
  l->add_option("--password", leaf->c.password, "Leaf-node password at the hub");
  l->add_option("--out", leaf->out, "Output file (default: stdout)");
  l->callback([leaf, exit_code] {
    if (!leaf->c.password.empty() && leaf->c.user.empty()) leaf->c.user = "leaf-" + relay::SubjectToken(leaf->c.site);
    if (absl::Status v = leaf->c.Validate(); !v.ok()) {
      std::fprintf(stderr, "didban nats-config leaf: %s\n", std::string(v.message()).c_str());
      *exit_code = 2;
      return;
    }
    *exit_code = Write(relay::LeafConf(leaf->c), leaf->out);
  });
}

DIDBAN_REGISTER_COMMAND(nats_config, Setup);

}  // namespace
}  // namespace didban::app
