#include "center/recording.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "record/privacy_mask.h"
#include "record/retention.h"
#include "record/segment_repair.h"

namespace didban::center {
namespace {

constexpr int kAllRows = 1'000'000;

bool IsCameraEvent(const std::string& type) {
  return type == "camera_offline" || type == "camera_online" || type == kRecordingFailedEvent ||
         type == kRecordingResumedEvent;
}

TimeUs Us(double seconds) { return static_cast<TimeUs>(seconds * 1e6); }

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// StoreSegmentIndex

store::Segment StoreSegmentIndex::ToStore(const record::SegmentInfo& s) {
  store::Segment out;
  out.path = s.path;
  out.camera = s.camera;
  out.start_us = s.start_us;
  out.end_us = s.end_us;
  out.bytes = s.bytes;
  out.first_keyframe_us = s.start_us;  // segments start at a keyframe
  out.keyframes = s.frames > 0 ? 1 : 0;
  out.open = s.open;
  return out;
}

void StoreSegmentIndex::OnSegmentOpened(const record::SegmentInfo& s) { store_->PutSegment(ToStore(s)); }

// The index knows a segment by its final name while it is written (as "<name>.part"), so closing it updates the row.
void StoreSegmentIndex::OnSegmentClosed(const record::SegmentInfo& s) { store_->PutSegment(ToStore(s)); }

// ---------------------------------------------------------------------------------------------------------------
// SiteRecording

absl::Status SiteRecordingOptions::Validate() const {
  if (dir.empty()) return absl::InvalidArgumentError("recording: dir is required");
  if (store == nullptr) return absl::InvalidArgumentError("recording: store is required");
  if (recorder_min_free_bytes < 0) return absl::InvalidArgumentError("recording: recorder_min_free_bytes must be >= 0");
  if (site.retention_every_s <= 0) return absl::InvalidArgumentError("recording: check_every_s must be > 0");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<SiteRecording>> SiteRecording::Create(SiteRecordingOptions options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<SiteRecording>(new SiteRecording(std::move(options)));
}

SiteRecording::SiteRecording(SiteRecordingOptions options)
    : options_(std::move(options)),
      fs_(options_.fs != nullptr ? options_.fs : &record::LocalFileSystem()),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock()),
      index_(options_.store) {}

SiteRecording::~SiteRecording() {
  StopRetention();
  CloseAll();
}

absl::StatusOr<int64_t> SiteRecording::RepairIndex() {
  namespace fs = std::filesystem;
  store::Store* st = options_.store;
  int64_t fixed = 0;
  std::error_code ec;
  // 1. Segments left open: cut to their last fragment, renamed, indexed under the final name.
  if (fs::is_directory(options_.dir, ec)) {
    for (const fs::directory_entry& d : fs::directory_iterator(options_.dir, ec)) {
      if (!d.is_directory()) continue;
      const std::string camera = d.path().filename().string();
      absl::StatusOr<std::vector<record::RepairedSegment>> repaired =
          record::RepairSegments(d.path().string(), camera, &index_);
      if (!repaired.ok()) {
        spdlog::error("camera {}: cannot repair recordings: {}", camera, std::string(repaired.status().message()));
        continue;
      }
      for (const record::RepairedSegment& r : *repaired) {
        st->DeleteSegment(r.part_path);
        ++fixed;
        if (r.removed) {
          spdlog::warn("camera {}: {} held no complete fragment; removed", camera, r.part_path);
        } else {
          spdlog::info("camera {}: repaired {} ({} frames, {} bytes cut)", camera, r.segment.path, r.segment.frames,
                       r.bytes_cut);
        }
      }
    }
  }
  DIDBAN_RETURN_IF_ERROR(st->Flush());
  // 2. Rows without a file (a ".part" row of a segment closed just before the kill, a file deleted by hand) go; a
  // row still open after the repair is closed.
  store::SegmentQuery all;
  all.limit = kAllRows;
  DIDBAN_ASSIGN_OR_RETURN(std::vector<store::Segment> rows, st->QuerySegments(all));
  std::set<std::string> indexed;
  for (const store::Segment& s : rows) {
    if (!fs::exists(s.path, ec)) {
      st->DeleteSegment(s.path);
      ++fixed;
      continue;
    }
    indexed.insert(s.path);
    if (s.open) {
      absl::StatusOr<record::SegmentInfo> info = record::ProbeSegment(s.path, s.camera);
      if (info.ok()) {
        store::Segment closed = StoreSegmentIndex::ToStore(*info);
        closed.evidence = s.evidence;
        closed.open = false;
        st->PutSegment(closed);
        ++fixed;
      }
    }
  }
  // 3. Closed files the index lacks (closed and renamed, but the row was not committed before the kill).
  if (fs::is_directory(options_.dir, ec)) {
    for (const fs::directory_entry& d : fs::directory_iterator(options_.dir, ec)) {
      if (!d.is_directory()) continue;
      const std::string camera = d.path().filename().string();
      for (const fs::directory_entry& f : fs::directory_iterator(d.path(), ec)) {
        const std::string path = f.path().string();
        if (!absl::EndsWith(path, ".mp4") || indexed.count(path) > 0) continue;
        if (!record::ParseSegmentFileName(f.path().filename().string())) continue;
        absl::StatusOr<record::SegmentInfo> info = record::ProbeSegment(path, camera);
        if (!info.ok()) {
          spdlog::warn("camera {}: {} is not a playable segment: {}", camera, path,
                       std::string(info.status().message()));
          continue;
        }
        st->PutSegment(StoreSegmentIndex::ToStore(*info));
        ++fixed;
      }
    }
  }
  DIDBAN_RETURN_IF_ERROR(st->Flush());
  absl::MutexLock lock(&mu_);
  totals_.segments_repaired += fixed;
  return fixed;
}

config::RecordingSettings SiteRecording::SettingsOf(const std::string& camera) const {
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(camera);
  if (it != cameras_.end()) return it->second.settings;
  return config::ResolveRecording(options_.site, {});
}

source::PacketSink* SiteRecording::SinkFor(const config::CameraConfig& camera) {
  const config::RecordingSettings settings = config::ResolveRecording(options_.site, camera.recording);
  absl::MutexLock lock(&mu_);
  if (closed_) return nullptr;
  auto it = cameras_.find(camera.name);
  if (it != cameras_.end() && it->second.settings == settings &&
      it->second.masked_recording == camera.masked_recording &&
      (!camera.masked_recording || it->second.masks == camera.privacy_masks)) {
    if (it->second.masked) return it->second.masked.get();
    return it->second.recorder.get();
  }
  if (it != cameras_.end()) {
    // The re-encoder first: it ends its stream into the recorder before the recorder closes.
    if (it->second.masked) {
      it->second.masked->Close();
      retired_masked_.push_back(std::move(it->second.masked));
    }
    if (it->second.recorder) {
      it->second.recorder->Close();
      retired_.push_back(std::move(it->second.recorder));
    }
  }
  CameraRecorder& slot = cameras_[camera.name];
  slot.settings = settings;
  slot.masked_recording = camera.masked_recording;
  slot.masks = camera.privacy_masks;
  slot.recorder = nullptr;
  slot.masked = nullptr;
  if (settings.mode == config::RecordingMode::kOff) {
    spdlog::info("camera {}: recording off", camera.name);
    return nullptr;
  }
  // Masked recording: the masks are read first; a camera whose masks cannot be used is not recorded at all.
  record::MaskedReencoderOptions mo;
  if (camera.masked_recording) {
    mo.camera = camera.name;
    absl::StatusOr<record::PrivacyMask> mask =
        record::ParsePrivacyMask(camera.privacy_masks, absl::StrCat("camera ", camera.name, ": privacy_masks"));
    if (!mask.ok() || mask->empty()) {
      spdlog::error("camera {}: not recording: masked_recording needs usable privacy_masks{}", camera.name,
                    mask.ok() ? std::string() : absl::StrCat(": ", mask.status().message()));
      return nullptr;
    }
    mo.mask = *std::move(mask);
    if (absl::Status v = mo.Validate(); !v.ok()) {
      spdlog::error("camera {}: not recording: {}", camera.name, std::string(v.message()));
      return nullptr;
    }
  }
  record::SegmentRecorderOptions o;
  o.camera = camera.name;
  o.dir = (std::filesystem::path(options_.dir) / camera.name).string();
  o.mode =
      settings.mode == config::RecordingMode::kEvents ? record::RecordMode::kEvents : record::RecordMode::kContinuous;
  o.segment_us = Us(settings.segment_s);
  o.pre_roll_us = Us(settings.pre_s);
  o.min_free_bytes = options_.recorder_min_free_bytes;
  o.retry_us = options_.retry_us;
  o.fs = fs_;
  o.index = &index_;
  o.masked = camera.masked_recording;
  o.on_alert = [this](const record::RecorderAlert& a) { OnAlert(a); };
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  absl::StatusOr<std::unique_ptr<record::SegmentRecorder>> r = record::SegmentRecorder::Create(std::move(o));
  if (!r.ok()) {
    spdlog::error("camera {}: not recording: {}", camera.name, std::string(r.status().message()));
    return nullptr;
  }
  slot.recorder = *std::move(r);
  if (!camera.masked_recording) return slot.recorder.get();
  absl::StatusOr<std::unique_ptr<record::MaskedReencoder>> m =
      record::MaskedReencoder::Create(std::move(mo), slot.recorder.get());
  if (!m.ok()) {
    spdlog::error("camera {}: not recording: {}", camera.name, std::string(m.status().message()));
    slot.recorder->Close();
    retired_.push_back(std::move(slot.recorder));
    return nullptr;
  }
  slot.masked = *std::move(m);
  spdlog::info("camera {}: recording masked (re-encoded with its privacy masks)", camera.name);
  return slot.masked.get();
}

void SiteRecording::OnEvent(const Event& e) {
  if (IsCameraEvent(e.type)) return;
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(e.camera);
  if (it == cameras_.end() || !it->second.recorder || it->second.settings.mode != config::RecordingMode::kEvents) {
    return;
  }
  // The recorder adds its pre-roll (pre_s) before `from`.
  it->second.recorder->Hold(e.time_us, e.time_us + Us(it->second.settings.post_s));
}

void SiteRecording::OnAlert(const record::RecorderAlert& alert) {
  if (!alert.recording) {  // the recorder has logged it
    absl::MutexLock lock(&thread_mu_);
    run_now_ = true;
    thread_wake_.Signal();
  }
  if (!options_.on_event) return;
  Event e;
  e.time_us = clock_->NowUs();
  e.camera = alert.camera;
  e.type = alert.recording ? kRecordingResumedEvent : kRecordingFailedEvent;
  e.detail = alert.message;
  options_.on_event(e);
}

int64_t SiteRecording::FloorBytes() const {
  int64_t floor = options_.site.min_free_bytes;
  if (options_.site.min_free_percent > 0) {
    std::error_code ec;
    const std::filesystem::space_info space = std::filesystem::space(options_.dir, ec);
    if (!ec) {
      floor = std::max(
          floor, static_cast<int64_t>(static_cast<double>(space.capacity) * options_.site.min_free_percent / 100.0));
    }
  }
  return floor;
}

absl::StatusOr<RetentionReport> SiteRecording::RunRetentionOnce(TimeUs now_us) {
  absl::MutexLock pass(&retention_mu_);
  if (now_us == 0) now_us = clock_->NowUs();
  store::Store* st = options_.store;
  RetentionReport report;

  store::SegmentQuery all;
  all.limit = kAllRows;
  DIDBAN_ASSIGN_OR_RETURN(std::vector<store::Segment> rows, st->QuerySegments(all));
  std::vector<record::SegmentInfo> segments;
  std::vector<record::KeptRange> kept;
  std::set<std::string> cameras;
  for (const store::Segment& s : rows) {
    record::SegmentInfo info;
    info.camera = s.camera;
    info.path = s.path;
    info.start_us = s.start_us;
    info.end_us = std::max(s.end_us, s.start_us);
    info.bytes = s.bytes;
    info.open = s.open;
    segments.push_back(std::move(info));
    cameras.insert(s.camera);
    if (s.evidence) kept.push_back({s.camera, s.start_us, std::max(s.end_us, s.start_us + 1)});
  }
  // Clips marked as evidence, and event clips still to be exported, hold their segments back until released.
  store::ClipQuery clips;
  clips.limit = 100000;
  DIDBAN_ASSIGN_OR_RETURN(std::vector<store::Clip> clip_rows, st->QueryClips(clips));
  for (const store::Clip& c : clip_rows) {
    if (c.evidence || c.state == store::ClipState::kPending) kept.push_back({c.camera, c.start_us, c.end_us + 1});
  }
  report.kept_ranges = static_cast<int64_t>(kept.size());

  record::RetentionPolicy policy;
  const config::RecordingSettings defaults = config::ResolveRecording(options_.site, {});
  policy.defaults.max_age_us = Us(defaults.max_age_s);
  policy.defaults.max_bytes = defaults.max_bytes;
  for (const std::string& camera : cameras) {
    const config::RecordingSettings s = SettingsOf(camera);
    policy.cameras[camera] = record::CameraRetention{Us(s.max_age_s), s.max_bytes};
  }
  report.floor_bytes = FloorBytes();
  policy.min_free_bytes = report.floor_bytes;
  absl::StatusOr<int64_t> free = fs_->FreeBytes(options_.dir);
  report.free_bytes = free.ok() ? *free : 0;
  if (!free.ok()) policy.min_free_bytes = 0;  // the floor cannot be judged; age and size still apply

  std::vector<std::pair<record::SegmentInfo, std::string>> deletions;  // segment, reason
  std::set<std::string> planned;
  for (const record::PlannedDeletion& d : record::PlanRetention(segments, kept, policy, now_us, report.free_bytes)) {
    planned.insert(d.segment.path);
    deletions.emplace_back(d.segment, record::DeleteReasonName(d.reason));
  }
  // Event-only cameras keep the segments that overlap an event's [t - pre_s, t + post_s]; the others go once closed
  // and older than post_s.
  for (const record::SegmentInfo& s : segments) {
    if (s.open || planned.count(s.path) > 0) continue;
    const config::RecordingSettings settings = SettingsOf(s.camera);
    if (settings.mode != config::RecordingMode::kEvents) continue;
    if (s.end_us >= now_us - Us(settings.post_s)) continue;
    const bool held = std::any_of(kept.begin(), kept.end(), [&](const record::KeptRange& k) {
      return k.camera == s.camera && k.from_us < s.end_us && s.start_us < k.to_us;
    });
    if (held) continue;
    store::EventQuery q;
    q.cameras = {s.camera};
    q.from_us = s.start_us - Us(settings.post_s);
    q.to_us = s.end_us + Us(settings.pre_s) + 1;
    q.limit = 1000;
    bool has_event = false;
    while (!has_event) {
      DIDBAN_ASSIGN_OR_RETURN(store::EventPage page, st->QueryEvents(q));
      has_event = std::any_of(page.events.begin(), page.events.end(),
                              [](const store::StoredEvent& e) { return !IsCameraEvent(e.event.type); });
      if (page.next_cursor.empty()) break;
      q.cursor = page.next_cursor;
    }
    if (!has_event) deletions.emplace_back(s, "events");
  }

  for (const auto& [segment, reason] : deletions) {
    absl::Status removed = fs_->Remove(segment.path);
    if (!removed.ok() && !absl::IsNotFound(removed) && std::filesystem::exists(segment.path)) {
      report.errors.push_back(std::string(removed.message()));
      spdlog::error("retention: cannot delete {}: {}", segment.path, std::string(removed.message()));
      continue;
    }
    st->DeleteSegment(segment.path);
    ++report.segments_deleted;
    report.bytes_deleted += segment.bytes;
    ++report.deleted_by_reason[reason];
    spdlog::info("retention: deleted {} ({} bytes, {})", segment.path, segment.bytes, reason);
  }
  DIDBAN_RETURN_IF_ERROR(st->Flush());
  absl::MutexLock lock(&mu_);
  ++totals_.retention_runs;
  totals_.segments_deleted += report.segments_deleted;
  totals_.bytes_deleted += report.bytes_deleted;
  totals_.delete_errors += static_cast<int64_t>(report.errors.size());
  for (const auto& [reason, n] : report.deleted_by_reason) totals_.deleted_by_reason[reason] += n;
  return report;
}

void SiteRecording::StartRetention() {
  absl::MutexLock lock(&thread_mu_);
  if (thread_.joinable()) return;
  thread_stop_ = false;
  thread_ = std::thread([this] {
    while (true) {
      absl::StatusOr<RetentionReport> r = RunRetentionOnce();
      if (!r.ok()) spdlog::error("retention: {}", std::string(r.status().message()));
      absl::MutexLock wait(&thread_mu_);
      const absl::Time until = absl::Now() + absl::Seconds(options_.site.retention_every_s);
      while (!thread_stop_ && !run_now_ && absl::Now() < until) thread_wake_.WaitWithDeadline(&thread_mu_, until);
      if (thread_stop_) return;
      run_now_ = false;
    }
  });
}

void SiteRecording::StopRetention() {
  {
    absl::MutexLock lock(&thread_mu_);
    thread_stop_ = true;
    thread_wake_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void SiteRecording::CloseAll() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  // Re-encoders first: each ends its encoded stream into its recorder, which then closes the segment.
  for (auto& [name, c] : cameras_) {
    if (c.masked) c.masked->Close();
  }
  for (auto& m : retired_masked_) m->Close();
  for (auto& [name, c] : cameras_) {
    if (c.recorder) c.recorder->Close();
  }
  for (auto& r : retired_) r->Close();
}

std::optional<record::RecorderCounters> SiteRecording::Counters(const std::string& camera) const {
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(camera);
  if (it == cameras_.end() || !it->second.recorder) return std::nullopt;
  return it->second.recorder->Counters();
}

std::optional<record::ReencoderCounters> SiteRecording::MaskedCounters(const std::string& camera) const {
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(camera);
  if (it == cameras_.end() || !it->second.masked) return std::nullopt;
  return it->second.masked->Counters();
}

bool SiteRecording::RecordsMasked(const std::string& camera) const {
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(camera);
  return it != cameras_.end() && it->second.masked != nullptr;
}

RecordingTotals SiteRecording::Totals() const {
  absl::MutexLock lock(&mu_);
  return totals_;
}

}  // namespace didban::center
