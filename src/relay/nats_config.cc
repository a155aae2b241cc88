// nats-server configuration text for the hub and the stations' leaf nodes (see nats_config.h).
#include "relay/nats_config.h"

#include <cctype>
#include <set>

#include "absl/strings/str_cat.h"
#include "relay/wire.h"

namespace didban::relay {
namespace {

// A double-quoted string in nats-server's config syntax.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Passwords go into the leaf node's URL (user:password@host): URL-unreserved characters only.
absl::Status CheckSecret(const std::string& value, const std::string& what) {
  if (value.empty()) return absl::InvalidArgumentError("nats config: " + what + ": empty");
  for (char c : value) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.' || c == '~';
    if (!ok) return absl::InvalidArgumentError("nats config: " + what + ": letters, digits, - _ . ~ only");
  }
  return absl::OkStatus();
}

std::string QuoteList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) absl::StrAppend(&out, i ? ", " : "", Quote(items[i]));
  return out + "]";
}

// One user of the hub's authorization block, with its permissions.
void AppendUser(std::string* out, const std::string& user, const std::string& password, const SubjectPermissions& p,
                const std::string& comment) {
  absl::StrAppend(out, "    {user: ", Quote(user), ", password: ", Quote(password), ", permissions: {  # ", comment,
                  "\n      publish: {allow: ", QuoteList(p.publish),
                  "}\n      subscribe: {allow: ", QuoteList(p.subscribe), "}\n    }}\n");
}

absl::Status CheckPort(int port, const char* what, bool zero_ok) {
  if ((port == 0 && zero_ok) || (port > 0 && port < 65536)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("nats config: ", what, ": 1..65535"));
}

}  // namespace

SubjectPermissions StationPermissions(const std::string& site, bool any_source_delivery) {
  const std::string token = SubjectToken(site);
  SubjectPermissions p;
  p.publish = {SiteSubjects(site), any_source_delivery ? std::string("$JS.S.>") : SourceDeliverPrefix(site) + ".>",
               "$JSC.R.>"};
  p.subscribe = {absl::StrCat("$JS.", token, ".API.>"), absl::StrCat("$JS.FC.", SiteStreamName(site), ".>")};
  return p;
}

SubjectPermissions CenterPermissions(const std::string& stream) {
  SubjectPermissions p;
  p.publish = {"$JS.API.>", absl::StrCat("$JS.ACK.", stream, ".>")};
  p.subscribe = {"_INBOX.>"};
  return p;
}

absl::Status HubConfig::Validate() const {
  DIDBAN_RETURN_IF_ERROR(CheckPort(client_port, "client_port", false));
  DIDBAN_RETURN_IF_ERROR(CheckPort(leaf_port, "leaf_port", false));
  DIDBAN_RETURN_IF_ERROR(CheckPort(monitor_port, "monitor_port", true));
  if (store_dir.empty()) return absl::InvalidArgumentError("nats config: hub store_dir: empty");
  if (domain.empty() || SubjectToken(domain) != domain) {
    return absl::InvalidArgumentError("nats config: hub domain: letters, digits, _ and - only");
  }
  for (const StationAccount& s : stations) {
    if (s.site.empty()) return absl::InvalidArgumentError("nats config: station: empty site");
    if (SubjectToken(s.site) == domain) {
      return absl::InvalidArgumentError("nats config: station " + s.site + ": same JetStream domain as the hub");
    }
    DIDBAN_RETURN_IF_ERROR(CheckSecret(s.password, "station " + s.site + ": password"));
  }
  if (!center_password.empty()) {
    DIDBAN_RETURN_IF_ERROR(CheckSecret(center_password, "center password"));
    if (center_user.empty()) return absl::InvalidArgumentError("nats config: center user: empty");
    if (center_stream.empty() || SubjectToken(center_stream) != center_stream) {
      return absl::InvalidArgumentError("nats config: center stream: letters, digits, _ and - only");
    }
  }
  std::set<std::string> users, domains;
  if (!center_password.empty()) users.insert(center_user);
  for (const StationAccount& s : stations) {
    const std::string user = s.user.empty() ? "leaf-" + SubjectToken(s.site) : s.user;
    if (!users.insert(user).second) return absl::InvalidArgumentError("nats config: user " + user + ": twice");
    if (!domains.insert(SubjectToken(s.site)).second) {
      return absl::InvalidArgumentError("nats config: station " + s.site + ": twice (same subject token)");
    }
  }
  return absl::OkStatus();
}

absl::Status LeafConfig::Validate() const {
  if (site.empty()) return absl::InvalidArgumentError("nats config: leaf site: empty");
  DIDBAN_RETURN_IF_ERROR(CheckPort(client_port, "client_port", false));
  DIDBAN_RETURN_IF_ERROR(CheckPort(monitor_port, "monitor_port", true));
  if (store_dir.empty()) return absl::InvalidArgumentError("nats config: leaf store_dir: empty");
  if (hub_url.empty()) return absl::InvalidArgumentError("nats config: leaf hub_url: empty");
  if (!user.empty()) DIDBAN_RETURN_IF_ERROR(CheckSecret(password, "leaf password"));
  return absl::OkStatus();
}

std::string HubConf(const HubConfig& c) {
  std::string out = absl::StrCat("# didban hub (generated by `didban nats-config hub`): JetStream domain ", c.domain,
                                 "; stations connect to the leaf-node port.\n");
  absl::StrAppend(&out, "server_name: ", Quote(c.server_name), "\n");
  absl::StrAppend(&out, "host: ", Quote(c.host), "\nport: ", c.client_port, "\n");
  if (c.monitor_port > 0) absl::StrAppend(&out, "http_port: ", c.monitor_port, "\n");
  absl::StrAppend(&out, "jetstream {\n  store_dir: ", Quote(c.store_dir), "\n  domain: ", c.domain,
                  "\n  max_file_store: ", c.max_file_bytes, "\n}\n");
  const auto user_of = [](const StationAccount& s) { return s.user.empty() ? "leaf-" + SubjectToken(s.site) : s.user; };
  if (!c.center_password.empty()) {
    // Every connection logs in, clients and leaf nodes alike (a leaf node's login is checked against these users
    // and its subject permissions apply to what crosses its link).
    absl::StrAppend(&out,
                    "# Every connection logs in; a station's user publishes only its own site's subjects.\n"
                    "authorization {\n  users: [\n");
    AppendUser(&out, c.center_user, c.center_password, CenterPermissions(c.center_stream), "the center");
    for (const StationAccount& s : c.stations) {
      AppendUser(&out, user_of(s), s.password, StationPermissions(s.site, c.any_source_delivery),
                 "station " + SubjectToken(s.site));
    }
    absl::StrAppend(&out, "  ]\n}\n");
  }
  absl::StrAppend(&out, "leafnodes {\n  host: ", Quote(c.host), "\n  port: ", c.leaf_port, "\n");
  if (!c.stations.empty() && c.center_password.empty()) {
    absl::StrAppend(&out, "  authorization {\n    users: [\n");
    for (const StationAccount& s : c.stations) {
      absl::StrAppend(&out, "      {user: ", Quote(user_of(s)), ", password: ", Quote(s.password), "}  # station ",
                      SubjectToken(s.site), "\n");
    }
    absl::StrAppend(&out, "    ]\n  }\n");
  }
  absl::StrAppend(&out, "}\n");
  return out;
}

std::string LeafConf(const LeafConfig& c) {
  const std::string domain = SubjectToken(c.site);
  const std::string name = c.server_name.empty() ? "didban-" + domain : c.server_name;
  std::string out = absl::StrCat("# didban station ", domain, " (generated by `didban nats-config leaf`): its own ",
                                 "JetStream domain keeps the station's messages while the hub is away.\n");
  absl::StrAppend(&out, "server_name: ", Quote(name), "\n");
  absl::StrAppend(&out, "host: ", Quote(c.host), "\nport: ", c.client_port, "\n");
  if (c.monitor_port > 0) absl::StrAppend(&out, "http_port: ", c.monitor_port, "\n");
  absl::StrAppend(&out, "jetstream {\n  store_dir: ", Quote(c.store_dir), "\n  domain: ", domain,
                  "\n  max_file_store: ", c.max_file_bytes, "\n}\n");
  std::string url = c.hub_url;
  if (!c.user.empty()) {
    const size_t scheme = url.find("://");
    const size_t at = scheme == std::string::npos ? 0 : scheme + 3;
    url.insert(at, c.user + ":" + c.password + "@");
  }
  absl::StrAppend(&out, "leafnodes {\n  reconnect: 1\n  remotes: [\n    {url: ", Quote(url), "}\n  ]\n}\n");
  return out;
}

}  // namespace didban::relay
