// The site's recording, bound to the store: one record::SegmentRecorder per camera made from the camera's
// `recording:` settings (continuous, events or off), the segment index written to the store, the index repaired at
// start (segments left open by a kill -9 cut to their last fragment, rows without a file removed, files without a
// row added), event-only recording held open around events, full-disk stops and resumptions raised as camera
// events, and retention: a periodic task that plans with record::PlanRetention over the store's segment index and
// deletes the oldest files first, never a segment kept as evidence or for a pending event clip. A camera with
// `masked_recording: true` is recorded through a record::MaskedReencoder (decoded, masks filled, H.264) into the same
// segments and index, named as masked (record::IsMaskedSegment); it never gets a stream-copy recorder.
//
// SiteRecording is thread-safe: SinkFor() comes from the cameras' runner threads, OnEvent() from their analysis
// threads, the rest from anywhere.
#ifndef DIDBAN_CENTER_RECORDING_H_
#define DIDBAN_CENTER_RECORDING_H_

#include <cstdint>
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
#include "config/site_config.h"
#include "didban/event.h"
#include "didban/status.h"
#include "didban/time.h"
#include "record/file_system.h"
#include "record/segment.h"
#include "record/segment_recorder.h"
#include "source/packet.h"
#include "store/store.h"

namespace didban::center {

// Event types the recording raises (camera events, stored and published like camera_offline).
inline constexpr char kRecordingFailedEvent[] = "recording_failed";
inline constexpr char kRecordingResumedEvent[] = "recording_resumed";

// The store as the recorders' segment index: opened and closed segments are upserted by path.
class StoreSegmentIndex final : public record::SegmentIndex {
 public:
  explicit StoreSegmentIndex(store::Store* store) : store_(store) {}
  void OnSegmentOpened(const record::SegmentInfo& s) override;
  void OnSegmentClosed(const record::SegmentInfo& s) override;
  static store::Segment ToStore(const record::SegmentInfo& s);

 private:
  store::Store* store_;
};

struct SiteRecordingOptions {
  std::string dir;                   // recordings root: each camera records into <dir>/<camera>/; required
  config::SiteRecordingConfig site;  // the site's defaults, the node's free-disk floor, the retention period
  store::Store* store = nullptr;     // the segment index and the events, clips it keeps; required. Not owned.
  record::FileSystem* fs = nullptr;  // nullptr = record::LocalFileSystem(). Not owned.
  // A recorder stops (recording_failed) when a write fails or the disk has less than this free at a segment start,
  // and resumes (recording_resumed) when it has this much again, checked at keyframes at least retry_us apart.
  int64_t recorder_min_free_bytes = 64 << 20;
  TimeUs retry_us = 5'000'000;
  // Receives recording_failed / recording_resumed events (the runtime publishes and stores them); may be empty.
  std::function<void(const Event&)> on_event;
  Clock* clock = nullptr;  // event times and retention's "now"; nullptr = SystemClock(). Not owned.

  absl::Status Validate() const;
};

// What one retention pass did.
struct RetentionReport {
  int64_t segments_deleted = 0;
  int64_t bytes_deleted = 0;
  std::map<std::string, int64_t> deleted_by_reason;  // "age", "camera_size", "disk_floor", "events"
  int64_t kept_ranges = 0;                           // evidence and pending event clips that held segments back
  int64_t free_bytes = 0;                            // free on the recordings' disk before the pass
  int64_t floor_bytes = 0;                           // the node's floor (min_free_bytes or min_free_percent)
  std::vector<std::string> errors;                   // files that could not be deleted (kept in the index)
};

// Totals since start, for /metrics.
struct RecordingTotals {
  int64_t retention_runs = 0;
  int64_t segments_deleted = 0;
  int64_t bytes_deleted = 0;
  std::map<std::string, int64_t> deleted_by_reason;
  int64_t delete_errors = 0;
  int64_t segments_repaired = 0;  // index rows fixed at start (open segments cut and closed, rows and files matched)
};

class SiteRecording {
 public:
  static absl::StatusOr<std::unique_ptr<SiteRecording>> Create(SiteRecordingOptions options);
  ~SiteRecording();  // StopRetention(), CloseAll()
  SiteRecording(const SiteRecording&) = delete;
  SiteRecording& operator=(const SiteRecording&) = delete;

  // Repair at start, before any recorder runs: in every camera folder under `dir`, ".part" segments are cut to their
  // last complete fragment, renamed and indexed (their ".part" rows removed); index rows whose file is gone are
  // removed; closed segment files that the index lacks are probed and added. Waits for the store. Returns the number
  // of rows fixed.
  absl::StatusOr<int64_t> RepairIndex();

  // The packet sink of a camera whose graph starts (RuntimeOptions::packet_sink): its recorder, made on first use and
  // made again when the camera's settings, masks or masked_recording changed (the previous one closed); nullptr when
  // its mode is off or the recorder cannot be made (logged). With masked_recording the sink is the masked re-encoder
  // in front of the recorder; when that cannot be made the camera is not recorded at all (never by stream copy).
  source::PacketSink* SinkFor(const config::CameraConfig& camera);
  // Every event of the site: an event-only camera records [t - pre_s, t + post_s] around each rule event.
  void OnEvent(const Event& e);

  // One retention pass at `now_us` (0 = the clock's now): see the file comment. Deletes files, then their rows.
  absl::StatusOr<RetentionReport> RunRetentionOnce(TimeUs now_us = 0);
  // Runs RunRetentionOnce now and every site.retention_every_s on a thread of its own, until StopRetention(); also at
  // once when a recorder stops for a full disk (recording_failed), so that the node's floor makes room sooner.
  void StartRetention();
  void StopRetention();

  // Closes every recorder (open segments closed and indexed). Idempotent; recording stops.
  void CloseAll();

  config::RecordingSettings SettingsOf(const std::string& camera) const;  // the site's defaults for unknown cameras
  // The camera's recorder counters (nullopt when it has no recorder).
  std::optional<record::RecorderCounters> Counters(const std::string& camera) const;
  // The camera's masked re-encode counters (nullopt when it is not recorded masked).
  std::optional<record::ReencoderCounters> MaskedCounters(const std::string& camera) const;
  // True when the camera is being recorded masked (masked_recording with a running re-encoder).
  bool RecordsMasked(const std::string& camera) const;
  RecordingTotals Totals() const;

 private:
  explicit SiteRecording(SiteRecordingOptions options);
  void OnAlert(const record::RecorderAlert& alert);
  int64_t FloorBytes() const;

  struct CameraRecorder {
    config::RecordingSettings settings;
    bool masked_recording = false;                      // the camera's masked_recording ...
    nlohmann::json masks;                               // ... and privacy_masks when the recorder was made
    std::unique_ptr<record::SegmentRecorder> recorder;  // nullptr: not recording (off, or failed to start)
    std::unique_ptr<record::MaskedReencoder> masked;    // masked recording: the sink in front of `recorder`
  };

  const SiteRecordingOptions options_;
  record::FileSystem* const fs_;
  Clock* const clock_;
  StoreSegmentIndex index_;

  mutable absl::Mutex mu_;
  std::map<std::string, CameraRecorder> cameras_ ABSL_GUARDED_BY(mu_);
  // Recorders replaced by a settings change: closed, kept until CloseAll (a source may still hold the pointer).
  std::vector<std::unique_ptr<record::SegmentRecorder>> retired_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<record::MaskedReencoder>> retired_masked_ ABSL_GUARDED_BY(mu_);
  RecordingTotals totals_ ABSL_GUARDED_BY(mu_);
  bool closed_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex retention_mu_;  // one pass at a time
  absl::Mutex thread_mu_;
  absl::CondVar thread_wake_;
  bool thread_stop_ ABSL_GUARDED_BY(thread_mu_) = false;
  bool run_now_ ABSL_GUARDED_BY(thread_mu_) = false;  // a recorder stopped: free space now rather than later
  std::thread thread_;
};

}  // namespace didban::center

#endif  // DIDBAN_CENTER_RECORDING_H_
