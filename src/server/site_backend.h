// What the HTTP layer needs from a running site, and nothing more: the server reads snapshots and subscribes to live
// messages through this interface; it never reaches into camera graphs, stores or recorders. The site runtime
// (center/) implements it over its graphs, store, recorders and hub; tests implement it over small real parts.
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

namespace didban::server {

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

// Site-wide figures for /metrics.
struct SiteMetrics {
  double store_lag_seconds = 0;  // age of the oldest event or track not yet committed to the store
  int64_t store_queue_depth = 0;
};

struct EventFilter {
  std::optional<std::string> camera, type, rule;  // names (validated before they get here)
  std::optional<TimeUs> from_us, to_us;           // [from, to)
  std::optional<bool> acknowledged;
  std::string cursor;  // opaque, from a previous page's next_cursor; "" = first page
  int limit = 100;     // 1..1000
};

struct StoredEvent {
  std::string id;  // stable id (the store's: 16 hex digits)
  Event event;
  bool acknowledged = false;
  TimeUs acknowledged_us = 0;
  std::string acknowledged_by;
};

struct EventPage {
  std::vector<StoredEvent> events;
  std::string next_cursor;  // "" when this is the last page
};

struct StatsQuery {
  std::optional<std::string> camera;
  TimeUs from_us = 0, to_us = 0;
  int64_t bucket_s = 3600;  // bucket width, seconds
};

// Event counts per bucket, camera, type and rule.
struct StatsRow {
  TimeUs bucket_start_us = 0;
  std::string camera, type, rule;
  int64_t count = 0;
  double mean_value = 0;  // mean of Event::value over the bucket
};

struct TrackQuery {
  std::optional<std::string> camera;  // absent for global (fused) tracks
  TimeUs from_us = 0, to_us = 0;
  int limit = 10000;  // points
};

// One observation of a track: pixels, and the ground position when the camera is calibrated.
struct TrackPoint {
  TimeUs time_us = 0;
  std::string camera;    // "" for global tracks
  int64_t track_id = 0;  // per-camera ID, or the global ID
  std::string object_class;
  double x = 0, y = 0, w = 0, h = 0;         // box, pixels (0 for global tracks)
  std::optional<double> ground_x, ground_y;  // metres east, north of the site origin
};

struct SegmentInfo {
  std::string camera;
  std::string name;  // file name within the camera's recording folder (no path)
  TimeUs start_us = 0, end_us = 0;
  uint64_t bytes = 0;
};

struct ClipRequest {
  std::string camera;
  TimeUs from_us = 0, to_us = 0;
  bool blur_people = false;
};

struct ClipInfo {
  std::string id;  // a name (validation.h)
  std::string camera;
  TimeUs from_us = 0, to_us = 0;
  std::string state;  // "pending", "ready", "failed"
  uint64_t bytes = 0;
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

  virtual absl::StatusOr<EventPage> Events(const EventFilter& filter) const = 0;
  virtual absl::StatusOr<StoredEvent> EventById(const std::string& id) const = 0;
  // The first acknowledgement is kept (a second returns the event as it is).
  virtual absl::StatusOr<StoredEvent> Acknowledge(const std::string& id, const std::string& by) = 0;
  virtual absl::StatusOr<std::vector<StatsRow>> Stats(const StatsQuery& query) const = 0;
  virtual absl::StatusOr<std::vector<TrackPoint>> Tracks(const TrackQuery& query) const = 0;
  virtual absl::StatusOr<std::vector<SegmentInfo>> Segments(const std::string& camera, TimeUs from_us,
                                                            TimeUs to_us) const = 0;
  virtual absl::StatusOr<ClipInfo> ExportClip(const ClipRequest& request) = 0;
  virtual absl::StatusOr<ClipInfo> Clip(const std::string& id) const = 0;

  virtual SiteMetrics Metrics() const = 0;
  // Subscribes to the site's hub: the server makes one subscription per live WebSocket (its bounded send queue,
  // policy kCutOff, with on_ready set to wake the connection).
  virtual absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions options) = 0;
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_SITE_BACKEND_H_
