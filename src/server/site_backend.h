// What the HTTP layer needs from a running site, and nothing more: the server reads snapshots, reads the store and
// subscribes to the hub through this interface; it never reaches into camera graphs or recorders. The site runtime
// (center/) implements it over its graphs, store, recorders and hub; tests implement it over small real parts (a
// SQLite store in a temporary folder and a hub, server/test_site.h).
// Every method may be called concurrently from the server's I/O threads, so implementations are thread-safe. A
// method the site cannot serve yet returns Unimplemented (the server answers 501 with a JSON error). Errors about one
// field carry it with FieldError() (api_error.h) so the reply names it.
#ifndef DIDBAN_SERVER_SITE_BACKEND_H_
#define DIDBAN_SERVER_SITE_BACKEND_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bus/hub.h"
#include "didban/event.h"
#include "didban/status.h"
#include "didban/time.h"
#include "store/store.h"

namespace didban::audit {
class AuditLog;  // audit/audit_log.h
}  // namespace didban::audit
namespace didban::record {
struct EvidenceInfo;  // record/evidence_package.h
}  // namespace didban::record

namespace didban::server {

class LiveVideo;         // server/live_video.h
class StationDirectory;  // server/station_directory.h

// A camera's live state, as the runtime last published it.
struct CameraStatus {
  std::string state = "starting";     // "starting", "online", "reconnecting", "offline", "stopped"
  std::string last_error;             // why it is not online, "" otherwise
  TimeUs last_frame_us = 0;           // wall time of the last analysed frame, µs since the epoch; 0 = none yet
  double frames_per_second = 0;       // analysed frames/s over the last seconds
  uint64_t frames_total = 0;          // frames analysed since start
  uint64_t frames_dropped_total = 0;  // frames dropped by the bounded queues
  uint64_t reconnects_total = 0;
  int64_t queue_depth = 0;                      // frames waiting for analysis
  std::map<std::string, double> stage_seconds;  // mean time per frame of each stage ("decode", "detect", ...), s
  double latency_seconds = 0;                   // capture to event/track publication, last seconds' mean
  uint64_t recording_bytes_total = 0;           // bytes written by the segment recorder
};

struct CameraInfo {
  std::string name;
  nlohmann::json definition;  // the camera's definition as accepted (uri, detector, rules ...)
  CameraStatus status;
};

struct SiteInfo {
  std::string name;
  std::optional<double> origin_lat, origin_lon;  // anchor of the local ground frame, degrees
  TimeUs started_us = 0;                         // when the runtime started, µs since the epoch
};

struct ClipRequest {
  std::string camera;
  TimeUs from_us = 0, to_us = 0;
  bool blur_people = false;               // blur every tracked person (same as blur_classes ["person"])
  std::vector<std::string> blur_classes;  // blur the tracked objects of these classes ("person", "car", ...)
  bool evidence = false;                  // keep the clip until released (retention never deletes it)
  std::string reason;                     // why it is exported (in the signed manifest and the audit log)
  bool unmask = false;                    // the caller may see the camera unmasked (privacy masks not applied)
  std::string actor = "local";            // who asks (auth::Principal::Actor(); "local" without access control)
  std::string source;                     // from where (the client's address)
};

class SiteBackend {
 public:
  virtual ~SiteBackend() = default;

  virtual SiteInfo Site() const = 0;
  // Ready to serve: store open and every camera started (not necessarily online).
  virtual bool Ready() const = 0;
  virtual std::vector<CameraInfo> Cameras() const = 0;
  virtual absl::StatusOr<CameraInfo> Camera(const std::string& name) const = 0;
  // Adds, replaces or removes a camera at run time. `definition` has passed the route's schema; the runtime checks
  // the rest (detector and rule parameters) and refuses with the field named, changing nothing.
  virtual absl::StatusOr<CameraInfo> AddCamera(const nlohmann::json& definition) = 0;
  virtual absl::StatusOr<CameraInfo> UpdateCamera(const std::string& name, const nlohmann::json& definition) = 0;
  virtual absl::Status RemoveCamera(const std::string& name) = 0;
  // The camera's latest analysed frame as JPEG bytes.
  virtual absl::StatusOr<std::string> SnapshotJpeg(const std::string& camera) const = 0;

  // The site's store (events, acknowledgements, tracks, statistics, segments, clips); the server only reads it and
  // acknowledges events. nullptr while none is open (the store routes answer 503).
  virtual store::Store* EventStore() = 0;
  // Exports a clip of a camera's recording (the runtime's recorder writes it and records it in the store).
  virtual absl::StatusOr<store::Clip> ExportClip(const ClipRequest& request) = 0;
  // The site's audit log (GET /api/v1/audit reads it, clip and evidence routes record in it); nullptr when the site
  // keeps none (the audit routes answer 503).
  virtual audit::AuditLog* Audit() { return nullptr; }
  // Seals an evidence package folder with the server's signing key (record::SealEvidencePackage: manifest.json with
  // the SHA-256 of every file, manifest.sig) and returns the manifest; the follow export (server/fusion_routes.h)
  // signs its package through it. Unimplemented by default: the package then gets an unsigned manifest.json.
  virtual absl::StatusOr<nlohmann::json> SealPackage(const std::string& /*dir*/, const record::EvidenceInfo& /*info*/) {
    return absl::UnimplementedError("evidence signing: not available on this site");
  }

  // Subscribes to the site's hub: the server makes one subscription per live WebSocket (its bounded send queue,
  // policy kCutOff, with on_ready set to wake the connection).
  virtual absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions options) = 0;

  // The site's live video (each camera's fMP4 by stream copy and its MJPEG fallback), fed by the cameras' packet tee
  // and latest frames; nullptr when the site has none (the live video routes answer 501).
  virtual LiveVideo* Video() { return nullptr; }

  // A center's stations (scale-out, docs/scale-out.md): the site of each station camera (the access policy checks
  // site grants against it), the stations' state and API addresses; nullptr for a single site.
  virtual const StationDirectory* Stations() const { return nullptr; }
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_SITE_BACKEND_H_
