#include "core/camera_graph.h"

#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>

namespace didban {
namespace {

int64_t SteadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CameraGraph::CameraGraph(std::string camera, std::unique_ptr<FrameSource> source, std::unique_ptr<Detector> detector,
                         std::unique_ptr<Tracker> tracker, std::vector<std::unique_ptr<FrameSink>> sinks,
                         CameraGraphOptions options)
    : camera_(std::move(camera)),
      source_(std::move(source)),
      detector_(std::move(detector)),
      tracker_(std::move(tracker)),
      sinks_(std::move(sinks)),
      options_(std::move(options)),
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
  absl::Status open = options_.source_opened ? absl::OkStatus() : source_->Open();
  if (!open.ok()) {
    Fail(open);
    return open;
  }
  OverflowPolicy policy =
      options_.overflow.value_or(source_->Info().live ? OverflowPolicy::kDropOldest : OverflowPolicy::kBlock);
  queue_ = std::make_unique<BoundedQueue<FramePtr>>(options_.queue_capacity, policy);
  decode_thread_ = std::thread([this] { DecodeLoop(); });
  analyse_thread_ = std::thread([this] { AnalyseLoop(); });
  return absl::OkStatus();
}

void CameraGraph::Stop() { stop_.store(true); }

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
    int64_t t0 = SteadyNowUs();
    absl::StatusOr<FramePtr> frame = source_->Read();
    int64_t t1 = SteadyNowUs();
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
    if (*frame == nullptr) break;  // end of stream
    {
      absl::MutexLock lock(&mu_);
      ++status_.frames_decoded;
    }
    queue_->Push(std::move(*frame));
  }
  queue_->Close();
}

void CameraGraph::AnalyseLoop() {
  std::vector<Event> events;
  while (std::optional<FramePtr> item = queue_->Pop()) {
    const FramePtr& frame = *item;
    if (stop_.load()) break;
    int64_t t0 = SteadyNowUs();
    absl::StatusOr<Detections> detections = detector_->Detect(*frame);
    if (!detections.ok()) {
      Fail(absl::Status(detections.status().code(), absl::StrCat("camera ", camera_, ": detector ", detector_->Name(),
                                                                 ": ", detections.status().message())));
      break;
    }
    int64_t t1 = SteadyNowUs();
    auto snapshot = std::make_shared<TrackSnapshot>();
    snapshot->time_us = frame->pts_us;
    snapshot->frame_index = frame->index;
    snapshot->tracks = tracker_->Update(frame->pts_us, *detections);
    int64_t t2 = SteadyNowUs();
    events.clear();
    absl::Status sink_status;
    for (auto& sink : sinks_) {
      sink_status = sink->Consume(frame, *snapshot, &events);
      if (!sink_status.ok()) break;
    }
    int64_t t3 = SteadyNowUs();
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
  // Unblock the decoder if we stopped early, then flush the sinks.
  stop_.store(true);
  queue_->Close();
  while (queue_->Pop()) {
  }
  for (auto& sink : sinks_) {
    absl::Status s = sink->Finish();
    if (!s.ok()) Fail(s);
  }
}

CameraStatus CameraGraph::Status() const {
  absl::MutexLock lock(&mu_);
  CameraStatus s = status_;
  if (queue_) {
    s.queue_depth = queue_->Depth();
    s.frames_dropped = queue_->Dropped();
  }
  return s;
}

TrackSnapshotPtr CameraGraph::LatestTracks() const {
  absl::MutexLock lock(&mu_);
  return latest_;
}

}  // namespace didban
