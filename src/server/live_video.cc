#include "server/live_video.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "record/jpeg.h"
#include "record/live_fmp4.h"

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace didban::server {

absl::Status LiveVideoOptions::Validate() const {
  if (viewer_queue_messages < 4) return absl::InvalidArgumentError("live video viewer_queue_messages: must be >= 4");
  if (viewer_queue_bytes < 64 * 1024) return absl::InvalidArgumentError("live video viewer_queue_bytes: >= 64 KiB");
  if (max_skips < 1) return absl::InvalidArgumentError("live video max_skips: must be >= 1");
  if (mjpeg_queue_frames < 1) return absl::InvalidArgumentError("live video mjpeg_queue_frames: must be >= 1");
  if (!(mjpeg_fps > 0 && mjpeg_fps <= 60))
    return absl::InvalidArgumentError("live video mjpeg_fps: must be in (0, 60]");
  if (mjpeg_quality < 1 || mjpeg_quality > 100) return absl::InvalidArgumentError("live video mjpeg_quality: 1..100");
  if (max_viewers_per_camera < 1) return absl::InvalidArgumentError("live video max_viewers_per_camera: must be >= 1");
  return absl::OkStatus();
}

std::string MseCodecString(const AVCodecParameters& codecpar) {
  if (codecpar.codec_id == AV_CODEC_ID_H264) {
    const uint8_t* x = codecpar.extradata;
    const int n = codecpar.extradata_size;
    if (x != nullptr && n >= 4 && x[0] == 1) {  // avcC: version, profile, compatibility, level
      return absl::StrFormat("avc1.%02x%02x%02x", x[1], x[2], x[3]);
    }
    // Annex B: the SPS NAL unit (type 7) after a start code; profile, compatibility and level follow its header.
    for (int i = 0; x != nullptr && i + 6 < n; ++i) {
      if (x[i] == 0 && x[i + 1] == 0 && x[i + 2] == 1 && (x[i + 3] & 0x1f) == 7) {
        return absl::StrFormat("avc1.%02x%02x%02x", x[i + 4], x[i + 5], x[i + 6]);
      }
    }
    return "avc1.42e01e";  // constrained baseline 3.0: what a stream without extradata most likely is
  }
  if (codecpar.codec_id == AV_CODEC_ID_HEVC) return "hvc1";
  return avcodec_get_name(codecpar.codec_id);
}

// One camera: the packet sink (demux thread), its muxer, the kept group of pictures and the viewers.
class LiveFeed final : public source::PacketSink {
 public:
  LiveFeed(std::string camera, const LiveVideoOptions& options, std::atomic<int>* mjpeg_total)
      : camera_(std::move(camera)),
        options_(options),
        mjpeg_total_(mjpeg_total),
        muxer_(std::make_unique<record::LiveFmp4>(camera_, [this](const record::LiveChunk& c) { OnChunk(c); })) {}
  ~LiveFeed() override = default;
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // ---- packets (the camera's demux thread) ----
  void OnStreamStart(const source::PacketStreamInfo& info) override {
    StopMuxing();
    codecpar_.reset(avcodec_parameters_alloc(), [](AVCodecParameters* p) { avcodec_parameters_free(&p); });
    if (codecpar_ == nullptr || info.codecpar == nullptr ||
        avcodec_parameters_copy(codecpar_.get(), info.codecpar) < 0) {
      codecpar_.reset();
      return;
    }
    stream_ = info;
    stream_.codecpar = codecpar_.get();
    std::lock_guard<std::mutex> lock(mu_);
    mime_ = absl::StrCat("video/mp4; codecs=\"", MseCodecString(*codecpar_), "\"");
    width_ = codecpar_->width;
    height_ = codecpar_->height;
  }

  // Cheap when nobody watches: one atomic load. The muxer starts on the first packet after a viewer arrives (its
  // stream begins at the next keyframe) and stops on the first packet after the last viewer left.
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
    if (mp4_count_.load(std::memory_order_relaxed) == 0) {
      if (muxing_) StopMuxing();
      return;
    }
    if (!muxing_) {
      if (codecpar_ == nullptr) return;
      muxer_->OnStreamStart(stream_);
      muxing_ = true;
    }
    muxer_->OnPacket(packet, pts_us, dts_us);
  }

  void OnStreamEnd() override {
    StopMuxing();
    codecpar_.reset();
  }

  // ---- viewers (any thread) ----
  absl::StatusOr<std::shared_ptr<LiveViewer>> AddViewer(bool mjpeg, std::function<void()> on_ready) {
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(mp4_.size() + mjpeg_.size()) >= options_.max_viewers_per_camera) {
      return absl::ResourceExhaustedError(
          absl::StrCat("camera ", camera_, ": ", options_.max_viewers_per_camera, " live viewers already"));
    }
    auto v = std::make_shared<LiveViewer>(this, mjpeg, std::move(on_ready), options_);
    if (mjpeg) {
      mjpeg_.push_back(v);
      mjpeg_total_->fetch_add(1);
      return v;
    }
    // Start at the latest keyframe when the camera is being muxed; otherwise the muxer starts at the next one.
    if (init_ != nullptr) {
      v->Push(LiveMessage{true, false, false, init_text_});
      v->Push(LiveMessage{false, true, false, init_});
      for (const LiveMessage& m : gop_) v->Push(m);
    }
    {
      std::lock_guard<std::mutex> vlock(v->mu_);
      v->waiting_key_ = gop_.empty();
    }
    mp4_.push_back(v);
    mp4_count_.fetch_add(1);
    return v;
  }

  void Remove(LiveViewer* v) {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto* list : {&mp4_, &mjpeg_}) {
      auto it = std::find_if(list->begin(), list->end(), [v](const auto& p) { return p.get() == v; });
      if (it == list->end()) continue;
      if (v->CutOff()) ++cutoffs_;
      skips_ += v->mjpeg_ ? 0 : v->Skipped();
      mjpeg_dropped_ += v->mjpeg_ ? v->Skipped() : 0;
      list->erase(it);
      (list == &mp4_ ? mp4_count_ : *mjpeg_total_).fetch_sub(1);
    }
  }

  int MjpegViewers() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(mjpeg_.size());
  }

  // ---- MJPEG (the MJPEG thread) ----
  // Encodes the camera's latest analysed frame once, if it is new, and queues it to every MJPEG viewer.
  void EncodeLatest() {
    if (!options_.latest_frame) return;
    FramePtr frame = options_.latest_frame(camera_);
    if (frame == nullptr || (frame->index == last_jpeg_index_ && frame->pts_us == last_jpeg_pts_)) return;
    last_jpeg_index_ = frame->index;
    last_jpeg_pts_ = frame->pts_us;
    cv::Mat image = frame->full.empty() ? frame->image : frame->full;
    if (options_.mask_pixels) {
      // Privacy masks are drawn here, on a copy (frames are shared and immutable), before the one encode that every
      // viewer of the camera shares; nothing unmasked leaves the process.
      image = image.clone();
      options_.mask_pixels(camera_, &image);
    }
    absl::StatusOr<std::string> jpeg = record::EncodeJpeg(image, options_.mjpeg_quality);
    if (!jpeg.ok()) {
      if (jpeg_errors_++ == 0) spdlog::warn("camera {}: MJPEG: {}", camera_, std::string(jpeg.status().message()));
      return;
    }
    auto part = std::make_shared<std::string>(
        absl::StrCat("--", LiveVideo::kBoundary, "\r\nContent-Type: image/jpeg\r\nContent-Length: ", jpeg->size(),
                     "\r\nX-Timestamp-Us: ", frame->pts_us, "\r\n\r\n"));
    part->append(*jpeg);
    part->append("\r\n");
    const LiveMessage m{false, false, true, std::move(part)};
    std::lock_guard<std::mutex> lock(mu_);
    ++jpeg_frames_;
    for (const auto& v : mjpeg_) {
      if (v->Push(m) && v->on_ready_) v->on_ready_();
    }
  }

  LiveVideoStats Stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    LiveVideoStats s;
    s.camera = camera_;
    s.mp4_viewers = static_cast<int>(mp4_.size());
    s.mjpeg_viewers = static_cast<int>(mjpeg_.size());
    s.muxing = init_ != nullptr;
    s.fragments_total = fragments_;
    s.bytes_total = bytes_;
    s.skips_total = skips_;
    s.mjpeg_dropped_total = mjpeg_dropped_;
    for (const auto& v : mp4_) s.skips_total += v->Skipped();
    for (const auto& v : mjpeg_) s.mjpeg_dropped_total += v->Skipped();
    s.cutoffs_total = cutoffs_;
    s.jpeg_frames_total = jpeg_frames_;
    s.mux_errors_total = muxer_->Errors();
    return s;
  }

 private:
  // Demux thread.
  void StopMuxing() {
    if (muxing_) muxer_->OnStreamEnd();
    muxing_ = false;
    std::lock_guard<std::mutex> lock(mu_);
    init_.reset();
    init_text_.reset();
    gop_.clear();
    gop_bytes_ = 0;
  }

  // From the muxer, on the demux thread: keeps the init segment and the group of pictures, fans out.
  void OnChunk(const record::LiveChunk& c) {
    std::lock_guard<std::mutex> lock(mu_);
    bytes_ += static_cast<int64_t>(c.bytes->size());
    if (c.init) {
      nlohmann::json j = {{"type", "init"},  {"camera", camera_}, {"mime", mime_},
                          {"width", width_}, {"height", height_}, {"origin_us", c.pts_us}};
      init_text_ = std::make_shared<const std::string>(j.dump());
      init_ = c.bytes;
      gop_.clear();
      gop_bytes_ = 0;
      gop_ok_ = false;
      Broadcast(LiveMessage{true, false, false, init_text_});
      Broadcast(LiveMessage{false, true, false, init_});
      return;
    }
    ++fragments_;
    const LiveMessage m{false, false, c.key, c.bytes};
    if (c.key) {
      gop_.clear();
      gop_bytes_ = 0;
      gop_ok_ = true;
    }
    if (gop_ok_) {
      // A group of pictures longer than a viewer's queue is not kept (a new viewer waits for the next keyframe).
      gop_bytes_ += c.bytes->size();
      if (gop_.size() + 3 > options_.viewer_queue_messages || gop_bytes_ * 2 > options_.viewer_queue_bytes) {
        gop_.clear();
        gop_ok_ = false;
      } else {
        gop_.push_back(m);
      }
    }
    Broadcast(m);
  }

  void Broadcast(const LiveMessage& m) {
    for (const auto& v : mp4_) {
      if (v->Push(m) && v->on_ready_) v->on_ready_();
    }
  }

  const std::string camera_;
  const LiveVideoOptions& options_;
  std::atomic<int>* const mjpeg_total_;
  std::atomic<int> mp4_count_{0};

  // Demux thread only.
  std::unique_ptr<record::LiveFmp4> muxer_;
  std::shared_ptr<AVCodecParameters> codecpar_;
  source::PacketStreamInfo stream_;
  bool muxing_ = false;

  // MJPEG thread only.
  int64_t last_jpeg_index_ = -1;
  TimeUs last_jpeg_pts_ = 0;
  int64_t jpeg_errors_ = 0;

  mutable std::mutex mu_;
  std::string mime_ ABSL_GUARDED_BY(mu_);
  int width_ ABSL_GUARDED_BY(mu_) = 0;
  int height_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const std::string> init_text_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::string> init_ ABSL_GUARDED_BY(mu_);
  std::vector<LiveMessage> gop_ ABSL_GUARDED_BY(mu_);
  size_t gop_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool gop_ok_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::shared_ptr<LiveViewer>> mp4_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<LiveViewer>> mjpeg_ ABSL_GUARDED_BY(mu_);
  int64_t fragments_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t skips_ ABSL_GUARDED_BY(mu_) = 0;          // of viewers that left
  int64_t mjpeg_dropped_ ABSL_GUARDED_BY(mu_) = 0;  // of viewers that left
  int64_t cutoffs_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t jpeg_frames_ ABSL_GUARDED_BY(mu_) = 0;
};

// ---- LiveViewer ----

LiveViewer::LiveViewer(LiveFeed* feed, bool mjpeg, std::function<void()> on_ready, const LiveVideoOptions& options)
    : feed_(feed), mjpeg_(mjpeg), on_ready_(std::move(on_ready)), options_(options) {}

bool LiveViewer::Push(const LiveMessage& m) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || cut_off_) return false;
  const bool was_empty = queue_.empty();
  if (mjpeg_) {
    if (queue_.size() >= options_.mjpeg_queue_frames) {
      queue_.pop_front();
      ++skipped_;
      // Ten seconds without taking a frame: the viewer is gone or stuck.
      if (++skips_in_row_ > static_cast<int>(options_.mjpeg_fps * 10)) {
        cut_off_ = true;
        return true;
      }
    }
    queue_.push_back(m);
    return was_empty;
  }
  const bool media = !m.text && !m.init;
  if (media && waiting_key_) {
    if (!m.key) return false;
    waiting_key_ = false;
  }
  if (media && (queue_.size() >= options_.viewer_queue_messages ||
                queued_bytes_ + m.bytes->size() > options_.viewer_queue_bytes)) {
    // Too slow: drop every queued fragment and start again at a keyframe (this one, or the next).
    std::deque<LiveMessage> kept;
    size_t kept_bytes = 0;
    for (LiveMessage& q : queue_) {
      if (q.text || q.init) {
        kept_bytes += q.bytes->size();
        kept.push_back(std::move(q));
      }
    }
    queue_ = std::move(kept);
    queued_bytes_ = kept_bytes;
    ++skipped_;
    if (++skips_in_row_ > options_.max_skips) {
      cut_off_ = true;
      return true;
    }
    if (!m.key) {
      waiting_key_ = true;
      return false;
    }
  }
  queued_bytes_ += m.bytes->size();
  queue_.push_back(m);
  return was_empty;
}

std::optional<LiveMessage> LiveViewer::TryPop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty() || cut_off_) return std::nullopt;
  LiveMessage m = std::move(queue_.front());
  queue_.pop_front();
  queued_bytes_ -= std::min(queued_bytes_, m.bytes->size());
  if (mjpeg_ || m.key) skips_in_row_ = 0;
  return m;
}

bool LiveViewer::CutOff() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cut_off_;
}

int64_t LiveViewer::Skipped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return skipped_;
}

void LiveViewer::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    closed_ = true;
  }
  feed_->Remove(this);
  std::lock_guard<std::mutex> lock(mu_);
  queue_.clear();
}

// ---- LiveVideo ----

absl::StatusOr<std::unique_ptr<LiveVideo>> LiveVideo::Create(LiveVideoOptions options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<LiveVideo>(new LiveVideo(std::move(options)));
}

LiveVideo::LiveVideo(LiveVideoOptions options) : options_(std::move(options)) {
  if (options_.latest_frame) mjpeg_thread_ = std::thread([this] { MjpegLoop(); });
}

LiveVideo::~LiveVideo() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  mjpeg_wake_.notify_all();
  if (mjpeg_thread_.joinable()) mjpeg_thread_.join();
}

LiveFeed* LiveVideo::FeedOf(const std::string& camera) {
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<LiveFeed>& f = feeds_[camera];
  if (f == nullptr) f = std::make_unique<LiveFeed>(camera, options_, &mjpeg_viewers_);
  return f.get();
}

source::PacketSink* LiveVideo::PacketSink(const std::string& camera) { return FeedOf(camera); }

absl::StatusOr<std::shared_ptr<LiveViewer>> LiveVideo::WatchMp4(const std::string& camera,
                                                                std::function<void()> on_ready, bool unmasked) {
  (void)unmasked;  // the masked re-encode follows; until then every viewer gets the stream copy
  return FeedOf(camera)->AddViewer(false, std::move(on_ready));
}

absl::StatusOr<std::shared_ptr<LiveViewer>> LiveVideo::WatchMjpeg(const std::string& camera,
                                                                  std::function<void()> on_ready) {
  if (!options_.latest_frame) return absl::UnimplementedError("live video: MJPEG is not available on this site");
  DIDBAN_ASSIGN_OR_RETURN(std::shared_ptr<LiveViewer> v, FeedOf(camera)->AddViewer(true, std::move(on_ready)));
  { std::lock_guard<std::mutex> lock(mu_); }  // the MJPEG thread is waiting or will see the new viewer
  mjpeg_wake_.notify_all();
  return v;
}

std::vector<LiveVideoStats> LiveVideo::Stats() const {
  std::vector<LiveFeed*> feeds;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, f] : feeds_) feeds.push_back(f.get());
  }
  std::vector<LiveVideoStats> out;
  out.reserve(feeds.size());
  for (LiveFeed* f : feeds) out.push_back(f->Stats());
  return out;
}

// Wakes every 1/mjpeg_fps while anyone watches MJPEG; sleeps otherwise.
void LiveVideo::MjpegLoop() {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / options_.mjpeg_fps));
  std::unique_lock<std::mutex> lock(mu_);
  auto next = std::chrono::steady_clock::now();
  while (!stop_) {
    if (mjpeg_viewers_.load() == 0) {
      mjpeg_wake_.wait(lock, [this] { return stop_ || mjpeg_viewers_.load() > 0; });
      next = std::chrono::steady_clock::now();
      continue;
    }
    std::vector<LiveFeed*> feeds;
    for (const auto& [name, f] : feeds_) feeds.push_back(f.get());
    lock.unlock();
    for (LiveFeed* f : feeds) {
      if (f->MjpegViewers() > 0) f->EncodeLatest();
    }
    lock.lock();
    next += period;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // fell behind (slow encodes): no burst to catch up
    mjpeg_wake_.wait_until(lock, next, [this] { return stop_; });
  }
}

void AddLiveVideoMetrics(LiveVideo& video, MetricsRegistry& metrics) {
  auto& viewers = metrics.AddGauge("didban_live_video_viewers", "Live video viewers now", {"camera", "format"});
  auto& fragments =
      metrics.AddCounter("didban_live_video_fragments_total", "fMP4 fragments made by stream copy", {"camera"});
  auto& bytes = metrics.AddCounter("didban_live_video_bytes_total", "fMP4 bytes made (init and fragments)", {"camera"});
  auto& skips =
      metrics.AddCounter("didban_live_video_skips_total",
                         "Times a slow MP4 viewer skipped to the next keyframe (its queue was full)", {"camera"});
  auto& cutoffs =
      metrics.AddCounter("didban_live_video_cutoffs_total", "Live video viewers disconnected as too slow", {"camera"});
  auto& jpegs = metrics.AddCounter("didban_live_video_jpeg_frames_total",
                                   "MJPEG frames encoded (once per camera, shared by its viewers)", {"camera"});
  auto& mjpeg_dropped = metrics.AddCounter("didban_live_video_mjpeg_dropped_total",
                                           "MJPEG frames dropped by full viewer queues", {"camera"});
  auto& errors = metrics.AddCounter("didban_live_video_mux_errors_total", "Live fMP4 muxing errors", {"camera"});
  metrics.AddCollector(
      [&video, &viewers, &fragments, &bytes, &skips, &cutoffs, &jpegs, &mjpeg_dropped, &errors](MetricsRegistry&) {
        for (const LiveVideoStats& s : video.Stats()) {
          viewers.WithLabels({s.camera, "mp4"}).Set(s.mp4_viewers);
          viewers.WithLabels({s.camera, "mjpeg"}).Set(s.mjpeg_viewers);
          fragments.WithLabels({s.camera}).SetTotal(static_cast<double>(s.fragments_total));
          bytes.WithLabels({s.camera}).SetTotal(static_cast<double>(s.bytes_total));
          skips.WithLabels({s.camera}).SetTotal(static_cast<double>(s.skips_total));
          cutoffs.WithLabels({s.camera}).SetTotal(static_cast<double>(s.cutoffs_total));
          jpegs.WithLabels({s.camera}).SetTotal(static_cast<double>(s.jpeg_frames_total));
          mjpeg_dropped.WithLabels({s.camera}).SetTotal(static_cast<double>(s.mjpeg_dropped_total));
          errors.WithLabels({s.camera}).SetTotal(static_cast<double>(s.mux_errors_total));
        }
      });
}

}  // namespace didban::server
