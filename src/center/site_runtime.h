// The site runtime: what `didban serve` runs. It owns one CameraGraph per camera (source -> detect -> track ->
// rules), each driven by its own runner thread that restarts the graph with backoff when it fails; one streaming
// fuser per group of overlapping cameras, fed from the graphs' track snapshots on the ground plane; and a supervisor
// that raises camera_offline / camera_online events from the injected clock. Everything it produces (events, track
// snapshots, camera states, fused tracks) is published on a bus::Hub and handed to optional hooks (the store).
// Cameras can be added, replaced and removed while it runs; a change is checked first (nothing changes on an error),
// written to the runtime overlay beside the site file (so it survives a restart), then applied to that camera alone.
//
// Thread-safe: every public method may be called from any thread (the HTTP server's I/O threads). Readers get
// copies or immutable snapshots; nothing returned points into a graph's state.
#ifndef DIDBAN_CENTER_SITE_RUNTIME_H_
#define DIDBAN_CENTER_SITE_RUNTIME_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bus/hub.h"
#include "center/overlay.h"
#include "center/source_policy.h"
#include "config/site_config.h"
#include "didban/status.h"
#include "didban/time.h"
#include "fuse/fuser.h"
#include "source/packet.h"
#include "source/source_options.h"
#include "store/store.h"

namespace didban::center {

struct RuntimeOptions {
  double offline_after_s = 10;  // a camera with no analysed frame for this long is offline (camera_offline), s, > 0
  double tick_s = 0.5;          // supervision period (offline/online checks, state messages), s; 0 = no supervisor
                                // thread (tests drive it with TickForTest())
  double state_every_s = 2;     // a camera_state message per camera at least this often (and on each change), s
  // Delays between restarts of a camera whose graph failed or could not start (reset once a graph analysed frames).
  source::BackoffOptions restart_backoff{1'000'000, 30'000'000, 2.0, 0.0, 1};
  bool replay_files = true;  // cameras whose URI is a file play at their own pace with wall-clock times (live-like)
  bool loop_files = true;    // ... and start over at the end (else the camera ends there and goes offline)
  double replay_speed = 1;   // ... at this rate, > 0
  double stats_every_s =
      10;  // a camera's changed interval statistics go to RuntimeHooks::on_stats this often (frame time)
  size_t graph_queue = 0;  // CameraGraphOptions::queue_capacity (0 = automatic)
  // Fusion groups: name -> cameras that overlap on the ground. Empty: one group "site" of every calibrated camera
  // when the site has at least two (cameras added later join it when calibrated).
  std::map<std::string, std::vector<std::string>> fusion_groups;
  fuse::FuserOptions fuser;  // every group's fuser (from the site's `fusion:` section)
  size_t fuser_queue = 512;  // camera frames waiting for a group's fuser; when full the oldest is dropped (counted)
  std::string overlay_path;  // API changes; "" = DefaultOverlayPath(site file)
  bool persist = true;       // write API changes to the overlay (and read it at Create)
  // Called once per camera graph start for the packet tee (the segment recorder); may return nullptr. The sink must
  // stay valid until the runtime is stopped. May be empty.
  std::function<source::PacketSink*(const std::string& camera)> packet_sink;
  Clock* clock = nullptr;         // offline detection and event times; nullptr = SystemClock(). Not owned.
  Clock* source_clock = nullptr;  // pacing of replayed files; nullptr = SystemClock(). Not owned.

  absl::Status Validate() const;
};

// Called on the runtime's threads (a camera's analysis thread, a fuser's thread, the supervisor); must be quick and
// never block for long (a store enqueues). Each may be empty.
struct RuntimeHooks {
  std::function<void(const Event&)> on_event;  // rule events and camera_offline / camera_online
  std::function<void(const bus::CameraTracks&)> on_tracks;
  std::function<void(const bus::GroupTracks&)> on_fused;
  // A camera's interval statistics (rules::IntervalStats of its rules, as store rows): the bins that changed, every
  // 10 s of the camera's frame time and when its analysis ends; rows are upserted by their key
  // (store::Store::PutStats).
  std::function<void(std::vector<store::StatRow>)> on_stats;
};

// A camera as the runtime lists it.
struct CameraEntry {
  std::string name;
  nlohmann::json definition;        // as accepted (API) or as read from the site file (CameraDefinitionJson)
  bool from_api = false;            // added or replaced through the API (kept in the overlay)
  bool calibrated = false;          // has a ground calibration (its tracks carry ground points and feed fusion)
  std::vector<std::string> groups;  // fusion groups it feeds
  bus::CameraState state;
};

struct FusionGroupStatus {
  std::string name;
  std::vector<std::string> cameras;
  fuse::FuserStats stats;
  int64_t frames_dropped = 0;  // camera frames dropped because the fuser's queue was full
  int64_t push_errors = 0;     // camera frames the fuser refused (out of order after a restart)
};

class SiteRuntime {
 public:
  // Applies the overlay to the site's cameras and checks every camera (errors name the camera and field); starts
  // nothing. `hub` must outlive the runtime.
  static absl::StatusOr<std::unique_ptr<SiteRuntime>> Create(config::SiteConfig site, RuntimeOptions options,
                                                             bus::Hub* hub, RuntimeHooks hooks = {});
  ~SiteRuntime();  // Stop()
  SiteRuntime(const SiteRuntime&) = delete;
  SiteRuntime& operator=(const SiteRuntime&) = delete;

  // Starts every camera, the fusers and the supervisor. A camera that cannot open is not an error: it is retried
  // with backoff and reported offline after the offline delay.
  absl::Status Start();
  // Stops every camera (sources interrupted, sinks finished, files closed) and joins every thread. Idempotent.
  void Stop();

  const config::SiteConfig& Site() const { return site_; }
  TimeUs StartedUs() const { return started_us_; }
  bool Running() const;

  std::vector<CameraEntry> Cameras() const;                           // by name
  absl::StatusOr<CameraEntry> Camera(const std::string& name) const;  // NotFound naming it
  // Adds a camera from a definition (site-file keys as JSON). InvalidArgument naming the field, AlreadyExists.
  absl::StatusOr<CameraEntry> AddCamera(const nlohmann::json& definition);
  // Replaces a camera's definition (its name must match or be absent). A definition without `calibration` keeps the
  // camera's current calibration. NotFound, InvalidArgument naming the field.
  absl::StatusOr<CameraEntry> UpdateCamera(const std::string& name, const nlohmann::json& definition);
  absl::Status RemoveCamera(const std::string& name);
  // The camera's parsed configuration (a copy; the recording reads its `recording:` keys). NotFound naming it.
  absl::StatusOr<config::CameraConfig> CameraConfigOf(const std::string& name) const;
  // Publishes an event raised beside the graphs (the recorder's recording_failed / recording_resumed) as the
  // runtime's own: on the hub and through RuntimeHooks::on_event.
  void PublishEvent(const Event& e) { EmitEvent(e); }

  // The camera's tracks after its last analysed frame (nullptr before the first). NotFound for an unknown camera.
  absl::StatusOr<std::shared_ptr<const bus::CameraTracks>> LatestTracks(const std::string& camera) const;
  // The camera's last analysed frame (shared and immutable; nullptr before the first), for live MJPEG. NotFound.
  absl::StatusOr<FramePtr> LatestFrame(const std::string& camera) const;
  // The camera's last analysed frame as JPEG (full resolution). NotFound, Unavailable before the first frame.
  absl::StatusOr<std::string> SnapshotJpeg(const std::string& camera, int quality = 85) const;
  // The latest fused step of every group (groups without a step yet are left out).
  std::vector<bus::GroupTracks> FusedTracks() const;
  std::vector<FusionGroupStatus> FusionGroups() const;

  // One supervision step now (offline/online, state messages); what the supervisor thread does every tick_s.
  void TickForTest();

  struct Slot;
  struct Group;

 private:
  SiteRuntime(config::SiteConfig site, RuntimeOptions options, bus::Hub* hub, RuntimeHooks hooks);

  // Camera lifecycle.
  std::shared_ptr<Slot> MakeSlot(config::CameraConfig camera, nlohmann::json definition, bool from_api);
  void StartSlot(const std::shared_ptr<Slot>& slot);
  void StopSlot(const std::shared_ptr<Slot>& slot);
  void RunCamera(Slot* slot);
  absl::Status RunGraphOnce(Slot* slot);
  CameraEntry EntryOf(const Slot& slot) const;

  // Outputs (any thread).
  void EmitEvent(const Event& e);
  void OnFrame(Slot* slot, const FramePtr& frame, const TrackSnapshot& tracks);
  void FuseLoop(Group* group);
  void SuperviseLoop();
  void Tick();

  // API changes: checks, persists, applies. Called with api_mu_ held.
  absl::StatusOr<config::CameraConfig> CheckDefinition(const nlohmann::json& definition,
                                                       const config::CameraConfig* previous) const;
  absl::Status Persist(const std::function<void(Overlay*)>& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(api_mu_);

  config::SiteConfig site_;  // as loaded (the overlay is not folded in)
  SourcePolicy sources_;     // what cameras added or re-pointed through the API may open (`sources:`)
  const RuntimeOptions options_;
  std::string overlay_path_;
  bus::Hub* const hub_;
  const RuntimeHooks hooks_;
  Clock* const clock_;
  TimeUs started_us_ = 0;

  absl::Mutex api_mu_;  // serialises AddCamera / UpdateCamera / RemoveCamera (check, persist, apply)
  Overlay overlay_ ABSL_GUARDED_BY(api_mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Slot>> cameras_ ABSL_GUARDED_BY(mu_);
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::unique_ptr<Group>> groups_;  // fixed after Create

  absl::Mutex supervisor_mu_;
  absl::CondVar supervisor_wake_;
  bool supervisor_stop_ ABSL_GUARDED_BY(supervisor_mu_) = false;
  std::thread supervisor_;
};

}  // namespace didban::center

#endif  // DIDBAN_CENTER_SITE_RUNTIME_H_
