// Which camera sources may be added through the API: the site file's `sources:` section. A camera URI that an
// operator (or an attacker holding an admin session) adds at run time makes the server connect somewhere or open a
// file, so it is limited to the stream schemes, network hosts and file folders that the site allows (server-side
// request forgery and local-file reads are the failures this prevents). Cameras written in the site file itself are
// trusted: whoever edits it already controls the server.
//
//   sources:
//     schemes: [rtsp, rtsps]                 # of rtsp, rtsps, http, https, file, sim; default: all of them
//     hosts: [10.0.0.7, "*.cams.example.org", 192.168.10.0/24]   # default: any host
//     file_roots: [/srv/video, clips]        # folders for file cameras; relative to the site file's folder;
//                                            # default: the site file's folder
//
// Hosts match exactly (case-insensitive), as a `*.` suffix, or as an IPv4 CIDR block against an IPv4 literal. A host
// name is not resolved here: a name that resolves to a forbidden address is not caught (list addresses or CIDR
// blocks where that matters). File paths are compared after resolving `..` and symbolic links.
#ifndef DIDBAN_CENTER_SOURCE_POLICY_H_
#define DIDBAN_CENTER_SOURCE_POLICY_H_

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/status.h"

namespace didban::center {

class SourcePolicy {
 public:
  // The policy of a site: `section` is the site's `sources:` section as JSON (null when absent), `site_dir` the
  // site file's folder. Errors name the key ("sources.hosts[1]: ...").
  static absl::StatusOr<SourcePolicy> FromSection(const nlohmann::json& section, const std::string& site_dir);

  // OK when `uri` (as the site reader resolved it: relative paths already made absolute) is allowed; otherwise
  // InvalidArgument "camera.uri: ..." naming what the site does not allow.
  absl::Status Check(const std::string& uri) const;

  const std::set<std::string>& schemes() const { return schemes_; }
  const std::vector<std::string>& file_roots() const { return file_roots_; }

 private:
  std::set<std::string> schemes_;
  std::vector<std::string> hosts_;       // lower case
  std::vector<std::string> file_roots_;  // canonical absolute folders
};

}  // namespace didban::center

#endif  // DIDBAN_CENTER_SOURCE_POLICY_H_
