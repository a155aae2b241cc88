#include "core/camera_graph.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <spdlog/spdlog.h>

namespace didban {

const char* RunEndName(RunEnd end) {
  switch (end) {
    case RunEnd::kRunning:
      return "running";
    case RunEnd::kEof:
      return "eof";
    case RunEnd::kStopped:
      return "stopped";
    case RunEnd::kError:
      return "error";
    case RunEnd::kTruncated:
      return "truncated";
  }
  return "unknown";
}

absl::Status CameraGraphOptions::Validate() const {
  if (max_lag_us < 0) {
    return absl::InvalidArgumentError(absl::StrCat("camera graph option max_lag_us: must be >= 0, got ", max_lag_us));
  }
  return absl::OkStatus();
}

CameraGraph::CameraGraph(std::string camera, std::unique_ptr<FrameSource> source, std::unique_ptr<Detector> detector,
                         std::unique_ptr<Tracker> tracker, std::vector<std::unique_ptr<FrameSink>> sinks,
                         CameraGraphOptions options)
    : camera_(std::move(camera)),
      source_(std::move(source)),
      detector_(std::move(detector)),
      tracker_(std::move(tracker)),
      sinks_(std::move(sinks)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock()),
      latest_(std::make_shared<TrackSnapshot>()) {
  absl::MutexLock lock(&mu_);
  status_.camera = camera_;
}

CameraGraph::~CameraGraph() {
  Stop();
  if (queue_) queue_->Close();
  if (decode_thread_.joinable()) decode_thread_.join();
  if (analyse_thread_.joinable()) analyse_thread_.join();
}

absl::Status CameraGraph::Start() {
  absl::Status valid = options_.Validate();
  if (!valid.ok()) {
    valid = absl::InvalidArgumentError(absl::StrCat("camera ", camera_, ": ", valid.message()));
    Fail(valid);
    return valid;
  }
  absl::Status open = options_.source_opened ? absl::OkStatus() : source_->Open();
  if (!open.ok()) {
    Fail(open);
    return open;
  }
  live_ = source_->Info().live;
  OverflowPolicy policy = options_.overflow.value_or(live_ ? OverflowPolicy::kDropOldest : OverflowPolicy::kBlock);
  size_t capacity = options_.queue_capacity;
  if (capacity == 0) {
    const double fps = source_->Info().fps > 0 ? source_->Info().fps : 25.0;
    capacity =
        live_ ? static_cast<size_t>(std::clamp(std::ceil(fps * (UsToSeconds(options_.max_lag_us) + 2.0)), 8.0, 128.0))
              : 2;
  }
  queue_ = std::make_unique<BoundedQueue<Queued>>(capacity, policy);
  {
    absl::MutexLock lock(&mu_);
    status_.queue_capacity = capacity;
  }
  decode_thread_ = std::thread([this] { DecodeLoop(); });
  analyse_thread_ = std::thread([this] { AnalyseLoop(); });
  return absl::OkStatus();
}

void CameraGraph::Stop() {
  stop_requested_.store(true);
  stop_.store(true);
  source_->Interrupt();
}

absl::Status CameraGraph::Wait() {
  if (decode_thread_.joinable()) decode_thread_.join();
  if (analyse_thread_.joinable()) analyse_thread_.join();
  absl::MutexLock lock(&mu_);
  return first_error_;
}

absl::Status CameraGraph::Run() {
  DIDBAN_RETURN_IF_ERROR(Start());
  return Wait();
}

void CameraGraph::Fail(const absl::Status& status) {
  absl::MutexLock lock(&mu_);
  if (first_error_.ok()) {
    first_error_ = status;
    status_.error = std::string(status.message());
  }
}

void CameraGraph::DecodeLoop() {
  while (!stop_.load()) {
    TimeUs t0 = clock_->SteadyUs();
    absl::StatusOr<FramePtr> frame = source_->Read();
    TimeUs t1 = clock_->SteadyUs();
    {
      absl::MutexLock lock(&mu_);
      status_.source_state = source_->State();
      status_.decode_us += t1 - t0;
    }
    if (!frame.ok()) {
      spdlog::error("camera {}: {}", camera_, std::string(frame.status().message()));
      Fail(frame.status());
      break;
    }
    if (*frame == nullptr) break;  // end of stream, or interrupted
    {
      absl::MutexLock lock(&mu_);
      ++status_.frames_decoded;
    }
    newest_arrival_us_.store(t1);
    queue_->Push(Queued{std::move(*frame), t1});
  }
  queue_->Close();
}

bool CameraGraph::KeepForLag(const Queued& item) {
  if (!live_ || newest_arrival_us_.load() - item.arrival_us <= options_.max_lag_us) return true;
  absl::MutexLock lock(&mu_);
  ++status_.dropped_lag;
  return false;
}

void CameraGraph::AnalyseLoop() {
  std::vector<Event> events;
  while (std::optional<Queued> item = queue_->Pop()) {
    if (stop_.load()) {
      CountDiscarded(1);
      break;
    }
    if (!KeepForLag(*item)) continue;
    const FramePtr& frame = item->frame;
    TimeUs t0 = clock_->SteadyUs();
    absl::StatusOr<Detections> detections = detector_->Detect(*frame);
    if (!detections.ok()) {
      CountDiscarded(1);
      Fail(absl::Status(detections.status().code(), absl::StrCat("camera ", camera_, ": detector ", detector_->Name(),
                                                                 ": ", detections.status().message())));
      break;
    }
    TimeUs t1 = clock_->SteadyUs();
    auto snapshot = std::make_shared<TrackSnapshot>();
    snapshot->time_us = frame->pts_us;
    snapshot->frame_index = frame->index;
    snapshot->tracks = tracker_->Update(frame->pts_us, *detections);
    TimeUs t2 = clock_->SteadyUs();
    events.clear();
    absl::Status sink_status;
    for (auto& sink : sinks_) {
      sink_status = sink->Consume(frame, *snapshot, &events);
      if (!sink_status.ok()) break;
    }
    TimeUs t3 = clock_->SteadyUs();
    for (Event& e : events) {
      if (e.camera.empty()) e.camera = camera_;
      if (options_.on_event) options_.on_event(e);
    }
    if (options_.on_frame) options_.on_frame(*frame, *snapshot);
    {
      absl::MutexLock lock(&mu_);
      ++status_.frames_analysed;
      status_.events += static_cast<int64_t>(events.size());
      status_.detect_us += t1 - t0;
      status_.track_us += t2 - t1;
      status_.sinks_us += t3 - t2;
      status_.last_frame_pts_us = frame->pts_us;
      latest_ = std::move(snapshot);
    }
    if (!sink_status.ok()) {
      Fail(sink_status);
      break;
    }
  }
  Finish();
}

void CameraGraph::CountDiscarded(int64_t n) {
  absl::MutexLock lock(&mu_);
  status_.discarded_at_end += n;
}

void CameraGraph::Finish() {
  // Unblock the decoder (a full queue, or a live source still reading or reconnecting), then flush the sinks.
  stop_.store(true);
  source_->Interrupt();
  queue_->Close();
  int64_t discarded = 0;
  while (queue_->Pop()) ++discarded;
  CountDiscarded(discarded);
  for (auto& sink : sinks_) {
    absl::Status s = sink->Finish();
    if (!s.ok()) Fail(s);
  }
  const bool truncated = !live_ && source_->Counters().read_errors > 0;
  absl::MutexLock lock(&mu_);
  if (!first_error_.ok()) {
    status_.end = RunEnd::kError;
  } else if (stop_requested_.load()) {
    status_.end = RunEnd::kStopped;
  } else {
    status_.end = truncated ? RunEnd::kTruncated : RunEnd::kEof;
  }
}

CameraStatus CameraGraph::Status() const {
  CameraStatus s;
  {
    absl::MutexLock lock(&mu_);
    s = status_;
  }
  s.source = source_->Counters();
  if (queue_) {
    s.queue_depth = queue_->Depth();
    s.dropped_queue_full = queue_->Dropped();
    s.discarded_at_end += queue_->Refused();  // decoded while the queue was closing
  }
  s.frames_dropped = s.dropped_lag + s.dropped_queue_full;
  return s;
}

TrackSnapshotPtr CameraGraph::LatestTracks() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

}  // namespace didban
