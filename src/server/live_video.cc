#include "server/live_video.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <utility>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "record/jpeg.h"
#include "record/live_fmp4.h"
#include "source/av_util.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
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
  if (fragment_us < 0 || fragment_us > 2'000'000) {
    return absl::InvalidArgumentError(
        absl::StrCat("live video fragment: must be 0 to 2000 ms, got ", fragment_us / 1000, " ms"));
  }
  if (masked && !mask_pixels) return absl::InvalidArgumentError("live video masked: needs mask_pixels");
  if (masked_queue_packets < 1) return absl::InvalidArgumentError("live video masked_queue_packets: must be >= 1");
  if (absl::Status s = masked_encoder.Validate(); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("live video masked_encoder: ", s.message()));
  }
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

namespace {

// The fan-out of one fMP4 stream (the stream copy, or the masked re-encode) to its viewers: the latest init segment,
// the group of pictures since the last keyframe and the viewers. Guarded by the feed's lock.
struct Mp4Channel {
  bool masked = false;
  std::string mime;
  int width = 0;
  int height = 0;
  std::shared_ptr<const std::string> init_text;
  std::shared_ptr<const std::string> init;
  std::vector<LiveMessage> gop;
  size_t gop_bytes = 0;
  bool gop_ok = false;
  std::vector<std::shared_ptr<LiveViewer>> viewers;
  int64_t fragments = 0;
  int64_t bytes = 0;

  void Reset() {
    init_text.reset();
    init.reset();
    gop.clear();
    gop_bytes = 0;
    gop_ok = false;
  }
};

// A packet queued for the masked re-encode, or the start (codec parameters) or end of a stream.
struct MaskedItem {
  enum Kind { kStart, kPacket, kEnd } kind = kPacket;
  std::shared_ptr<AVCodecParameters> codecpar;  // kStart
  AVRational frame_rate = {0, 1};               // kStart
  AVPacket* packet = nullptr;                   // kPacket: a reference, times in microseconds (pts_us, dts_us)

  MaskedItem() = default;
  MaskedItem(MaskedItem&& o) noexcept
      : kind(o.kind),
        codecpar(std::move(o.codecpar)),
        frame_rate(o.frame_rate),
        packet(std::exchange(o.packet, nullptr)) {}
  MaskedItem& operator=(MaskedItem&&) = delete;
  MaskedItem(const MaskedItem&) = delete;
  MaskedItem& operator=(const MaskedItem&) = delete;
  ~MaskedItem() { av_packet_free(&packet); }
};

// A PacketSink between the masked encoder and its muxer: notes the encoded stream's codec for the init message.
class MaskedMuxInput final : public source::PacketSink {
 public:
  MaskedMuxInput(record::LiveFmp4* muxer, std::function<void(const AVCodecParameters&)> on_start)
      : muxer_(muxer), on_start_(std::move(on_start)) {}
  void OnStreamStart(const source::PacketStreamInfo& info) override {
    if (info.codecpar != nullptr) on_start_(*info.codecpar);
    muxer_->OnStreamStart(info);
  }
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
    muxer_->OnPacket(packet, pts_us, dts_us);
  }
  void OnStreamEnd() override { muxer_->OnStreamEnd(); }

 private:
  record::LiveFmp4* const muxer_;
  const std::function<void(const AVCodecParameters&)> on_start_;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

// One camera: the packet sink (demux thread), its muxers, the channels (stream copy, masked re-encode) and viewers,
// and the masked re-encode's worker thread (started with the first masked viewer).
class LiveFeed final : public source::PacketSink {
 public:
  LiveFeed(std::string camera, const LiveVideoOptions& options, std::atomic<int>* mjpeg_total)
      : camera_(std::move(camera)),
        options_(options),
        mjpeg_total_(mjpeg_total),
        muxer_(std::make_unique<record::LiveFmp4>(
            camera_, [this](const record::LiveChunk& c) { OnChunk(copy_, c); }, options.fragment_us)),
        masked_muxer_(std::make_unique<record::LiveFmp4>(
            camera_ + " (masked)", [this](const record::LiveChunk& c) { OnChunk(masked_, c); }, options.fragment_us)),
        masked_input_(masked_muxer_.get(), [this](const AVCodecParameters& p) {
          std::lock_guard<std::mutex> lock(mu_);
          masked_.mime = absl::StrCat("video/mp4; codecs=\"", MseCodecString(p), "\"");
          masked_.width = p.width;
          masked_.height = p.height;
        }) {
    masked_.masked = true;
  }
  ~LiveFeed() override {
    {
      std::lock_guard<std::mutex> lock(wmu_);
      wstop_ = true;
    }
    wcv_.notify_all();
    if (worker_.joinable()) worker_.join();
  }
  LiveFeed(const LiveFeed&) = delete;
  LiveFeed& operator=(const LiveFeed&) = delete;

  // ---- packets (the camera's demux thread) ----
  void OnStreamStart(const source::PacketStreamInfo& info) override {
    StopMuxing();
    EndMaskedStream();
    codecpar_.reset(avcodec_parameters_alloc(), [](AVCodecParameters* p) { avcodec_parameters_free(&p); });
    if (codecpar_ == nullptr || info.codecpar == nullptr ||
        avcodec_parameters_copy(codecpar_.get(), info.codecpar) < 0) {
      codecpar_.reset();
      return;
    }
    stream_ = info;
    stream_.codecpar = codecpar_.get();
    std::lock_guard<std::mutex> lock(mu_);
    copy_.mime = absl::StrCat("video/mp4; codecs=\"", MseCodecString(*codecpar_), "\"");
    copy_.width = codecpar_->width;
    copy_.height = codecpar_->height;
  }

  // Cheap when nobody watches: two atomic loads. The muxer starts on the first packet after a viewer arrives (its
  // stream begins at the next keyframe) and stops on the first packet after the last viewer left. Packets go to the
  // masked re-encode's queue while a masked viewer watches: every packet from the stream's codec parameters (kStart)
  // to a kEnd, without a gap, so the worker's decoder never misses a reference.
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override {
    if ((packet.flags & AV_PKT_FLAG_KEY) != 0 && options_.masked && mp4_count_.load(std::memory_order_relaxed) > 0) {
      CutOffCopyViewersOfAMaskedCamera();
    }
    if (masked_count_.load(std::memory_order_relaxed) > 0) {
      QueueMasked(packet, pts_us, dts_us);
    } else if (masked_active_) {
      EndMaskedStream();  // the last masked viewer left: the worker stops (if it has not already)
    }
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
    EndMaskedStream();
    codecpar_.reset();
  }

  // ---- viewers (any thread) ----
  absl::StatusOr<std::shared_ptr<LiveViewer>> AddViewer(bool mjpeg, bool masked, bool may_unmask,
                                                        std::function<void()> on_ready) {
    std::unique_lock<std::mutex> lock(mu_);
    if (static_cast<int>(copy_.viewers.size() + masked_.viewers.size() + mjpeg_.size()) >=
        options_.max_viewers_per_camera) {
      return absl::ResourceExhaustedError(
          absl::StrCat("camera ", camera_, ": ", options_.max_viewers_per_camera, " live viewers already"));
    }
    auto v = std::make_shared<LiveViewer>(this, mjpeg, std::move(on_ready), options_);
    v->may_unmask_ = may_unmask;
    if (mjpeg) {
      mjpeg_.push_back(v);
      mjpeg_total_->fetch_add(1);
      return v;
    }
    Mp4Channel& ch = masked ? masked_ : copy_;
    // Start at the latest keyframe when the stream is being muxed; otherwise the muxer starts at the next one.
    if (ch.init != nullptr) {
      v->Push(LiveMessage{true, false, false, ch.init_text});
      v->Push(LiveMessage{false, true, false, ch.init});
      for (const LiveMessage& m : ch.gop) v->Push(m);
    }
    {
      std::lock_guard<std::mutex> vlock(v->mu_);
      v->waiting_key_ = ch.gop.empty();
    }
    ch.viewers.push_back(v);
    if (!masked) {
      mp4_count_.fetch_add(1);
      return v;
    }
    // The masked re-encode runs: a viewer that would wait for its next keyframe gets one now.
    if (ch.init != nullptr && ch.gop.empty()) force_key_.store(true);
    masked_count_.fetch_add(1);
    lock.unlock();
    std::lock_guard<std::mutex> wlock(wmu_);
    if (!worker_.joinable() && !wstop_) worker_ = std::thread([this] { MaskedLoop(); });
    return v;
  }

  void Remove(LiveViewer* v) {
    bool masked_left = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto* list : {&copy_.viewers, &masked_.viewers, &mjpeg_}) {
        auto it = std::find_if(list->begin(), list->end(), [v](const auto& p) { return p.get() == v; });
        if (it == list->end()) continue;
        if (v->CutOff()) ++cutoffs_;
        skips_ += v->mjpeg_ ? 0 : v->Skipped();
        mjpeg_dropped_ += v->mjpeg_ ? v->Skipped() : 0;
        list->erase(it);
        if (list == &copy_.viewers) mp4_count_.fetch_sub(1);
        if (list == &mjpeg_) mjpeg_total_->fetch_sub(1);
        if (list == &masked_.viewers) masked_left = masked_count_.fetch_sub(1) == 1;
      }
    }
    if (masked_left) {
      // The last masked viewer left: the worker frees the encoder now (not at the camera's next packet).
      { std::lock_guard<std::mutex> wlock(wmu_); }
      wcv_.notify_all();
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
    LiveVideoStats s;
    {
      std::lock_guard<std::mutex> lock(mu_);
      s.camera = camera_;
      s.mp4_viewers = static_cast<int>(copy_.viewers.size());
      s.masked_viewers = static_cast<int>(masked_.viewers.size());
      s.mjpeg_viewers = static_cast<int>(mjpeg_.size());
      s.muxing = copy_.init != nullptr;
      s.fragments_total = copy_.fragments;
      s.bytes_total = copy_.bytes;
      s.masked_fragments_total = masked_.fragments;
      s.masked_bytes_total = masked_.bytes;
      s.skips_total = skips_;
      s.mjpeg_dropped_total = mjpeg_dropped_;
      for (const auto* ch : {&copy_, &masked_}) {
        for (const auto& v : ch->viewers) s.skips_total += v->Skipped();
      }
      for (const auto& v : mjpeg_) s.mjpeg_dropped_total += v->Skipped();
      s.cutoffs_total = cutoffs_;
      s.jpeg_frames_total = jpeg_frames_;
    }
    s.mux_errors_total = muxer_->Errors();
    std::lock_guard<std::mutex> wlock(wmu_);
    s.masked_encoding = wstats_.encoding;
    s.masked_frames_total = wstats_.frames;
    s.masked_dropped_total = wstats_.dropped;
    s.masked_errors_total = wstats_.errors + masked_muxer_->Errors();
    s.masked_cpu_seconds_total = wstats_.cpu_seconds;
    return s;
  }

  void WaitMaskedIdle() {
    std::unique_lock<std::mutex> lock(wmu_);
    wcv_.wait(lock, [this] {
      return wstop_ || !worker_.joinable() || (wqueue_.empty() && !wbusy_ && (masked_count_.load() > 0 || !wactive_));
    });
  }

 private:
  // ---- stream copy (demux thread) ----
  void StopMuxing() {
    if (muxing_) muxer_->OnStreamEnd();
    muxing_ = false;
    std::lock_guard<std::mutex> lock(mu_);
    copy_.Reset();
  }

  // From a muxer (the stream copy's on the demux thread, the masked one on the worker): keeps the init segment and
  // the group of pictures, fans out.
  void OnChunk(Mp4Channel& ch, const record::LiveChunk& c) {
    std::lock_guard<std::mutex> lock(mu_);
    ch.bytes += static_cast<int64_t>(c.bytes->size());
    if (c.init) {
      nlohmann::json j = {{"type", "init"},      {"camera", camera_},     {"mime", ch.mime},    {"width", ch.width},
                          {"height", ch.height}, {"origin_us", c.pts_us}, {"masked", ch.masked}};
      ch.Reset();
      ch.init_text = std::make_shared<const std::string>(j.dump());
      ch.init = c.bytes;
      Broadcast(ch, LiveMessage{true, false, false, ch.init_text});
      Broadcast(ch, LiveMessage{false, true, false, ch.init});
      return;
    }
    ++ch.fragments;
    const LiveMessage m{false, false, c.key, c.bytes};
    if (c.key) {
      ch.gop.clear();
      ch.gop_bytes = 0;
      ch.gop_ok = true;
    }
    if (ch.gop_ok) {
      // A group of pictures longer than a viewer's queue is not kept (a new viewer waits for the next keyframe).
      ch.gop_bytes += c.bytes->size();
      if (ch.gop.size() + 3 > options_.viewer_queue_messages || ch.gop_bytes * 2 > options_.viewer_queue_bytes) {
        ch.gop.clear();
        ch.gop_ok = false;
      } else {
        ch.gop.push_back(m);
      }
    }
    Broadcast(ch, m);
  }

  static void Broadcast(const Mp4Channel& ch, const LiveMessage& m) {
    for (const auto& v : ch.viewers) {
      if (v->Push(m) && v->on_ready_) v->on_ready_();
    }
  }

  // A camera that gained privacy masks (asked at each keyframe while its stream copy is watched): the stream-copy
  // viewers who may not unmask are cut off (they reconnect and get the masked re-encode).
  void CutOffCopyViewersOfAMaskedCamera() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (std::all_of(copy_.viewers.begin(), copy_.viewers.end(), [](const auto& v) { return v->may_unmask_; })) {
        return;
      }
    }
    if (!options_.masked(camera_)) return;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& v : copy_.viewers) {
      if (v->may_unmask_) continue;
      bool wake = false;
      {
        std::lock_guard<std::mutex> vlock(v->mu_);
        wake = !v->cut_off_ && !v->closed_;
        v->cut_off_ = true;
        v->queue_.clear();
        v->queued_bytes_ = 0;
      }
      if (wake && v->on_ready_) v->on_ready_();
    }
  }

  // ---- masked re-encode, demux side ----
  // Queues the packet (a reference) for the worker; the stream's codec parameters go first. A full queue drops the
  // packet and those after it up to the next keyframe (the decoder picks up there).
  void QueueMasked(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) {
    if (codecpar_ == nullptr) return;
    const bool key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
    std::vector<MaskedItem> items;
    if (!masked_active_) {
      MaskedItem start;
      start.kind = MaskedItem::kStart;
      start.codecpar.reset(avcodec_parameters_alloc(), [](AVCodecParameters* p) { avcodec_parameters_free(&p); });
      if (start.codecpar == nullptr || avcodec_parameters_copy(start.codecpar.get(), codecpar_.get()) < 0) return;
      start.frame_rate = stream_.frame_rate;
      items.push_back(std::move(start));
      masked_active_ = true;
    }
    {
      std::lock_guard<std::mutex> lock(wmu_);
      if (masked_resync_ && !key) {
        ++wstats_.dropped;
      } else if (wqueue_.size() >= options_.masked_queue_packets) {
        ++wstats_.dropped;
        masked_resync_ = true;
      } else {
        masked_resync_ = false;
        MaskedItem p;
        p.packet = av_packet_clone(&packet);
        if (p.packet != nullptr) {
          p.packet->pts = pts_us == source::kNoPacketTime ? AV_NOPTS_VALUE : pts_us;
          p.packet->dts = dts_us == source::kNoPacketTime ? AV_NOPTS_VALUE : dts_us;
          items.push_back(std::move(p));
        }
      }
      for (MaskedItem& i : items) wqueue_.push_back(std::move(i));
    }
    wcv_.notify_all();
  }

  void EndMaskedStream() {
    if (!masked_active_) return;
    masked_active_ = false;
    {
      std::lock_guard<std::mutex> lock(wmu_);
      MaskedItem end;
      end.kind = MaskedItem::kEnd;
      wqueue_.push_back(std::move(end));
    }
    wcv_.notify_all();
  }

  // ---- masked re-encode, the worker thread ----
  void MaskedLoop();
  void MaskedHandle(MaskedItem& item);
  void MaskedFrame(const AVFrame& frame);
  bool MaskedOpenDecoder();
  void MaskedStop();
  void MaskedError(const std::string& what);

  const std::string camera_;
  const LiveVideoOptions& options_;
  std::atomic<int>* const mjpeg_total_;
  std::atomic<int> mp4_count_{0};
  std::atomic<int> masked_count_{0};
  std::atomic<bool> force_key_{false};

  // Demux thread only.
  std::unique_ptr<record::LiveFmp4> muxer_;
  std::shared_ptr<AVCodecParameters> codecpar_;
  source::PacketStreamInfo stream_;
  bool muxing_ = false;
  bool masked_active_ = false;  // packets go to the worker (a kStart was queued, and no kEnd since)

  // Masked worker only.
  std::unique_ptr<record::LiveFmp4> masked_muxer_;
  MaskedMuxInput masked_input_;
  std::shared_ptr<AVCodecParameters> wcodecpar_;  // the stream being decoded (from its kStart)
  AVRational wframe_rate_ = {0, 1};
  std::unique_ptr<AVCodecContext, void (*)(AVCodecContext*)> decoder_{
      nullptr, [](AVCodecContext* c) { avcodec_free_context(&c); }};
  std::unique_ptr<AVFrame, void (*)(AVFrame*)> wframe_{nullptr, [](AVFrame* f) { av_frame_free(&f); }};
  SwsContext* wsws_ = nullptr;
  cv::Mat wbgr_;
  std::unique_ptr<record::H264Encoder> encoder_;
  TimeUs wlast_pts_us_ = source::kNoPacketTime;
  int64_t werror_logs_ = 0;

  // MJPEG thread only.
  int64_t last_jpeg_index_ = -1;
  TimeUs last_jpeg_pts_ = 0;
  int64_t jpeg_errors_ = 0;

  mutable std::mutex mu_;
  Mp4Channel copy_ ABSL_GUARDED_BY(mu_);
  Mp4Channel masked_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<LiveViewer>> mjpeg_ ABSL_GUARDED_BY(mu_);
  int64_t skips_ ABSL_GUARDED_BY(mu_) = 0;          // of viewers that left
  int64_t mjpeg_dropped_ ABSL_GUARDED_BY(mu_) = 0;  // of viewers that left
  int64_t cutoffs_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t jpeg_frames_ ABSL_GUARDED_BY(mu_) = 0;

  // The masked worker's queue and figures.
  struct WorkerStats {
    bool encoding = false;
    int64_t frames = 0;
    int64_t dropped = 0;
    int64_t errors = 0;
    double cpu_seconds = 0;
  };
  mutable std::mutex wmu_;
  std::condition_variable wcv_;
  std::deque<MaskedItem> wqueue_ ABSL_GUARDED_BY(wmu_);
  bool wbusy_ ABSL_GUARDED_BY(wmu_) = false;
  bool wstop_ ABSL_GUARDED_BY(wmu_) = false;
  bool masked_resync_ ABSL_GUARDED_BY(wmu_) = false;  // a packet was dropped: drop up to the next keyframe
  bool wactive_ ABSL_GUARDED_BY(wmu_) = false;        // the worker holds a decoder or an encoder
  WorkerStats wstats_ ABSL_GUARDED_BY(wmu_);
  std::thread worker_;  // started (under wmu_) with the first masked viewer
};

// Waits for queued items; handles them while a masked viewer watches and frees the decoder, encoder and muxer
// state when none does (the queue is then emptied: packets of a stream the worker does not decode are worthless).
void LiveFeed::MaskedLoop() {
  std::unique_lock<std::mutex> lock(wmu_);
  while (!wstop_) {
    if (masked_count_.load() == 0) {
      // Nobody watches masked: drop the packets, keep the stream's start/end (the codec of the stream on the way).
      for (MaskedItem& i : wqueue_) {
        if (i.kind == MaskedItem::kStart) {
          wcodecpar_ = i.codecpar;
          wframe_rate_ = i.frame_rate;
        }
        if (i.kind == MaskedItem::kEnd) wcodecpar_.reset();
      }
      wqueue_.clear();
      if (encoder_ != nullptr || decoder_ != nullptr) {
        wbusy_ = true;
        lock.unlock();
        const double cpu0 = ThreadCpuSeconds();
        MaskedStop();
        const double cpu = ThreadCpuSeconds() - cpu0;
        lock.lock();
        wbusy_ = false;
        wstats_.cpu_seconds += cpu;
        wstats_.encoding = false;
        wactive_ = false;
      }
      wcv_.notify_all();
      wcv_.wait(lock, [this] { return wstop_ || masked_count_.load() > 0 || !wqueue_.empty(); });
      continue;
    }
    if (wqueue_.empty()) {
      wcv_.notify_all();  // idle (WaitMaskedIdle)
      wcv_.wait(lock, [this] { return wstop_ || !wqueue_.empty() || masked_count_.load() == 0; });
      continue;
    }
    MaskedItem item = std::move(wqueue_.front());
    wqueue_.pop_front();
    wbusy_ = true;
    lock.unlock();
    const double cpu0 = ThreadCpuSeconds();
    MaskedHandle(item);
    const double cpu = ThreadCpuSeconds() - cpu0;
    lock.lock();
    wbusy_ = false;
    wstats_.cpu_seconds += cpu;
    wstats_.encoding = encoder_ != nullptr;
    wactive_ = encoder_ != nullptr || decoder_ != nullptr;
  }
  lock.unlock();
  MaskedStop();
}

void LiveFeed::MaskedHandle(MaskedItem& item) {
  switch (item.kind) {
    case MaskedItem::kStart:
      MaskedStop();
      wcodecpar_ = item.codecpar;
      wframe_rate_ = item.frame_rate;
      return;
    case MaskedItem::kEnd:
      if (decoder_ != nullptr && masked_count_.load() > 0 && avcodec_send_packet(decoder_.get(), nullptr) >= 0) {
        while (avcodec_receive_frame(decoder_.get(), wframe_.get()) == 0) {
          MaskedFrame(*wframe_);
          av_frame_unref(wframe_.get());
        }
      }
      MaskedStop();
      wcodecpar_.reset();
      return;
    case MaskedItem::kPacket:
      break;
  }
  if (decoder_ == nullptr) {
    // The decoder starts at a keyframe of a stream whose codec is known.
    if (wcodecpar_ == nullptr || (item.packet->flags & AV_PKT_FLAG_KEY) == 0) return;
    if (!MaskedOpenDecoder()) return;
  }
  if (int r = avcodec_send_packet(decoder_.get(), item.packet); r < 0 && r != AVERROR(EAGAIN)) {
    MaskedError(absl::StrCat("decoding: ", source::AvError(r)));
    return;
  }
  while (avcodec_receive_frame(decoder_.get(), wframe_.get()) == 0) {
    MaskedFrame(*wframe_);
    av_frame_unref(wframe_.get());
  }
}

bool LiveFeed::MaskedOpenDecoder() {
  const AVCodec* codec = avcodec_find_decoder(wcodecpar_->codec_id);
  if (codec == nullptr) {
    MaskedError(absl::StrCat("no decoder for ", avcodec_get_name(wcodecpar_->codec_id)));
    wcodecpar_.reset();
    return false;
  }
  decoder_.reset(avcodec_alloc_context3(codec));
  wframe_.reset(av_frame_alloc());
  if (decoder_ == nullptr || wframe_ == nullptr ||
      avcodec_parameters_to_context(decoder_.get(), wcodecpar_.get()) < 0) {
    MaskedError("cannot set up the decoder");
    decoder_.reset();
    return false;
  }
  decoder_->pkt_timebase = source::kAvMicroseconds;
  decoder_->thread_count = 1;  // frame threads would hold frames back (latency)
  if (int r = avcodec_open2(decoder_.get(), codec, nullptr); r < 0) {
    MaskedError(absl::StrCat("cannot open the decoder: ", source::AvError(r)));
    decoder_.reset();
    return false;
  }
  return true;
}

// One decoded frame: to BGR, masked, encoded (the encoder starts at the first frame).
void LiveFeed::MaskedFrame(const AVFrame& frame) {
  TimeUs pts_us = frame.best_effort_timestamp;
  if (pts_us == AV_NOPTS_VALUE) pts_us = frame.pts;
  if (pts_us == AV_NOPTS_VALUE) {
    const double fps = av_q2d(wframe_rate_) > 0 ? av_q2d(wframe_rate_) : 25.0;
    pts_us = wlast_pts_us_ == source::kNoPacketTime ? 0 : wlast_pts_us_ + SecondsToUs(1.0 / fps);
  }
  wlast_pts_us_ = pts_us;
  if (frame.width <= 0 || frame.height <= 0) return;
  wsws_ = sws_getCachedContext(wsws_, frame.width, frame.height, static_cast<AVPixelFormat>(frame.format), frame.width,
                               frame.height, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (wsws_ == nullptr) {
    MaskedError("cannot set up the colour conversion");
    return;
  }
  if (wbgr_.rows != frame.height || wbgr_.cols != frame.width || !wbgr_.isContinuous()) {
    wbgr_.create(frame.height, frame.width, CV_8UC3);
  }
  uint8_t* dst[4] = {wbgr_.data, nullptr, nullptr, nullptr};
  const int dst_stride[4] = {static_cast<int>(wbgr_.step[0]), 0, 0, 0};
  sws_scale(wsws_, frame.data, frame.linesize, 0, frame.height, dst, dst_stride);
  options_.mask_pixels(camera_, &wbgr_);
  if (encoder_ == nullptr) {
    record::H264EncoderOptions o = options_.masked_encoder;
    if (av_q2d(wframe_rate_) > 0 && av_q2d(wframe_rate_) <= 1000) o.fps = av_q2d(wframe_rate_);
    o.name = absl::StrCat("masked live video of ", camera_);
    absl::StatusOr<std::unique_ptr<record::H264Encoder>> e = record::H264Encoder::Create(o, &masked_input_);
    if (!e.ok()) {
      MaskedError(std::string(e.status().message()));
      return;
    }
    encoder_ = std::move(*e);
    force_key_.store(false);  // its first frame is a keyframe
  }
  if (absl::Status s = encoder_->Encode(wbgr_, pts_us, force_key_.exchange(false)); !s.ok()) {
    MaskedError(std::string(s.message()));
    encoder_.reset();  // a new encoder (and init segment) at the next frame
    return;
  }
  std::lock_guard<std::mutex> lock(wmu_);
  ++wstats_.frames;
}

// Frees the decoder and the encoder (the muxer's stream ends; the masked channel forgets its init and GOP).
void LiveFeed::MaskedStop() {
  if (encoder_ != nullptr) (void)encoder_->Finish();
  encoder_.reset();
  masked_input_.OnStreamEnd();
  decoder_.reset();
  wframe_.reset();
  sws_freeContext(wsws_);
  wsws_ = nullptr;
  wbgr_.release();
  wlast_pts_us_ = source::kNoPacketTime;
  std::lock_guard<std::mutex> lock(mu_);
  masked_.Reset();
}

void LiveFeed::MaskedError(const std::string& what) {
  if (werror_logs_++ < 3) spdlog::warn("camera {}: masked live video: {}", camera_, what);
  std::lock_guard<std::mutex> lock(wmu_);
  ++wstats_.errors;
}

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
  const bool masked = !unmasked && options_.masked && options_.masked(camera);
  return FeedOf(camera)->AddViewer(false, masked, unmasked, std::move(on_ready));
}

absl::StatusOr<std::shared_ptr<LiveViewer>> LiveVideo::WatchMjpeg(const std::string& camera,
                                                                  std::function<void()> on_ready) {
  if (!options_.latest_frame) return absl::UnimplementedError("live video: MJPEG is not available on this site");
  DIDBAN_ASSIGN_OR_RETURN(std::shared_ptr<LiveViewer> v,
                          FeedOf(camera)->AddViewer(true, false, false, std::move(on_ready)));
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

void LiveVideo::WaitMaskedIdleForTest(const std::string& camera) { FeedOf(camera)->WaitMaskedIdle(); }

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
  auto& masked_frames =
      metrics.AddCounter("didban_live_video_masked_frames_total",
                         "Frames re-encoded with privacy masks for live viewers (once per camera)", {"camera"});
  auto& masked_cpu = metrics.AddCounter("didban_live_video_masked_cpu_seconds_total",
                                        "CPU time of the masked live re-encode (decode, mask, encode)", {"camera"});
  auto& masked_dropped =
      metrics.AddCounter("didban_live_video_masked_dropped_total",
                         "Packets dropped because the masked live re-encode fell behind", {"camera"});
  auto& masked_errors =
      metrics.AddCounter("didban_live_video_masked_errors_total", "Masked live re-encode errors", {"camera"});
  metrics.AddCollector([&video, &viewers, &fragments, &bytes, &skips, &cutoffs, &jpegs, &mjpeg_dropped, &errors,
                        &masked_frames, &masked_cpu, &masked_dropped, &masked_errors](MetricsRegistry&) {
    for (const LiveVideoStats& s : video.Stats()) {
      viewers.WithLabels({s.camera, "mp4"}).Set(s.mp4_viewers);
      viewers.WithLabels({s.camera, "mp4_masked"}).Set(s.masked_viewers);
      masked_frames.WithLabels({s.camera}).SetTotal(static_cast<double>(s.masked_frames_total));
      masked_cpu.WithLabels({s.camera}).SetTotal(s.masked_cpu_seconds_total);
      masked_dropped.WithLabels({s.camera}).SetTotal(static_cast<double>(s.masked_dropped_total));
      masked_errors.WithLabels({s.camera}).SetTotal(static_cast<double>(s.masked_errors_total));
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
