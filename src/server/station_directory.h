// The stations a center serves (scale-out, docs/scale-out.md): which site each station camera belongs to, learned
// from the relay's messages (each carries its site and camera) and kept in a file across restarts, the stations'
// live state (online, last heard) from the relay, and the stations' API addresses from the center's configuration.
// The access policy checks site grants against the camera sites (a user granted site:north sees north's cameras
// only); the station routes list the stations and reach a station's API. Thread-safe.
#ifndef DIDBAN_SERVER_STATION_DIRECTORY_H_
#define DIDBAN_SERVER_STATION_DIRECTORY_H_

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
  // Where the live state comes from (the relay's consumer); none: every station shows offline.
  void SetLiveSource(std::function<std::vector<StationLive>()> source);

  // camera -> site; "" for a camera two sites reported (only those who see every camera see it).
  std::shared_ptr<const std::map<std::string, std::string>> CameraSites() const;
  // The site of `camera`, "" when unknown or ambiguous.
  std::string SiteOf(const std::string& camera) const;
  // Every station known (configured, heard from, or with learned cameras), by name.
  std::vector<StationInfo> List() const;
  // The station's API address, "" when not configured.
  std::string UrlOf(const std::string& site) const;

 private:
  explicit StationDirectory(std::string path) : path_(std::move(path)) {}
  absl::Status Save() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const std::map<std::string, std::string>> camera_sites_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::string>> claims_ ABSL_GUARDED_BY(mu_);  // camera -> every site reporting it
  std::map<std::string, std::string> urls_ ABSL_GUARDED_BY(mu_);
  std::function<std::vector<StationLive>()> live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_STATION_DIRECTORY_H_
