// The stations a center serves (scale-out, docs/scale-out.md): which site each station camera belongs to, learned
// from the relay's messages (each carries its site and camera) and kept in a file across restarts, the stations'
// live state (online, last heard) from the relay, and the stations' API addresses from the center's configuration.
// The access policy checks site grants against the camera sites (a user granted site:north sees north's cameras
// only); the station routes list the stations and reach a station's API. Thread-safe.
#ifndef DIDBAN_SERVER_STATION_DIRECTORY_H_
#define DIDBAN_SERVER_STATION_DIRECTORY_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "didban/status.h"
#include "didban/time.h"

namespace didban::server {

// A station's state as the relay last saw it.
struct StationLive {
  std::string site;
  bool online = false;
  TimeUs last_heard_us = 0;  // wall time, µs since the epoch; 0 = never
};

// How the center reaches a station's API (server/station_proxy.h): timeouts, in milliseconds.
struct StationProxyOptions {
  int connect_timeout_ms = 3000;        // to resolve and connect to the station
  int answer_timeout_ms = 10000;        // the station's whole answer (small routes), or its header (streamed routes)
  int export_timeout_ms = 60000;        // POST clips: the station exports before it answers
  int stream_idle_timeout_ms = 30000;   // streamed routes: no byte from the station, or none taken by the viewer
  int64_t max_answer_bytes = 16 << 20;  // a small route's answer (JSON, a snapshot); beyond: 502
};

// Where a station's API is and the credential the center uses there.
struct StationEndpoint {
  std::string site;
  std::string url;    // "http://north.example:8080" ("" when not configured)
  std::string token;  // bearer token of the center's user at the station ("" = none)
};

struct StationInfo {
  std::string site;
  bool online = false;
  TimeUs last_heard_us = 0;
  std::string url;                   // the station's API ("" when not configured)
  std::vector<std::string> cameras;  // sorted
};

class StationDirectory {
 public:
  // Reads the cameras learned before from `path` when it exists ("" = kept in memory only). A file that does not
  // parse is an error naming it.
  static absl::StatusOr<std::unique_ptr<StationDirectory>> Open(std::string path);

  // Records that `camera` is `site`'s (from a relay message); written to the file when new. A camera name reported
  // by a second site is ambiguous from then on (see CameraSites) and logged once.
  void NoteCamera(const std::string& site, const std::string& camera);
  // The stations' API addresses ("http://north.example:8080"), from the center's configuration.
  void SetUrl(const std::string& site, const std::string& url);
  // The bearer token the center sends to the station's API (a token of a user at the station, made with
  // `didban user token`); never logged or listed.
  void SetToken(const std::string& site, const std::string& token);
  void SetProxyOptions(const StationProxyOptions& options);
  StationProxyOptions ProxyOptions() const;
  // The owners of `site`'s cameras (camera -> owner, "" for none), read from the station's camera list
  // (RefreshStationOwners in station_proxy.h); replaces what was known of that station.
  void SetOwners(const std::string& site, const std::map<std::string, std::string>& owners);
  // Where the live state comes from (the relay's consumer); none: every station shows offline.
  void SetLiveSource(std::function<std::vector<StationLive>()> source);

  // camera -> site; "" for a camera two sites reported (only those who see every camera see it).
  std::shared_ptr<const std::map<std::string, std::string>> CameraSites() const;
  // camera -> owner of the station cameras whose owner a station reported and whose site is that station (unambiguous):
  // `owner:` grants at the center reach them (access_policy.cc).
  std::shared_ptr<const std::map<std::string, std::string>> CameraOwners() const;
  // The site of `camera`, "" when unknown or ambiguous.
  std::string SiteOf(const std::string& camera) const;
  // Every station known (configured, heard from, or with learned cameras), by name.
  std::vector<StationInfo> List() const;
  // The station's API address, "" when not configured.
  std::string UrlOf(const std::string& site) const;
  // The station's address and the center's credential there (url "" when not configured).
  StationEndpoint EndpointOf(const std::string& site) const;

 private:
  explicit StationDirectory(std::string path) : path_(std::move(path)) {}
  absl::Status Save() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::map<std::string, std::string>> camera_sites_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> claims_ ABSL_GUARDED_BY(mu_);  // camera -> every site reporting it
  std::map<std::string, std::string> urls_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::string> tokens_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::map<std::string, std::string>> owners_ ABSL_GUARDED_BY(mu_);  // site -> camera -> owner
  StationProxyOptions proxy_ ABSL_GUARDED_BY(mu_);
  std::function<std::vector<StationLive>()> live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_STATION_DIRECTORY_H_
