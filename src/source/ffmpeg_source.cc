#include "source/ffmpeg_source.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <deque>
#include <filesystem>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "absl/strings/str_format.h"
#include "source/av_util.h"
#include "source/ffmpeg_log.h"
#include "source/live_anchor.h"
#include "source/packet.h"

namespace didban::source {
namespace {

// A decoder that rejects this many packets in a row, without producing a frame, is given up on.
constexpr int kMaxConsecutiveDecodeErrors = 100;
// Longest single sleep while waiting to reconnect, so Interrupt() is honoured promptly.
constexpr TimeUs kSleepSliceUs = 50'000;

std::string LowerScheme(const std::string& uri) {
  size_t p = uri.find("://");
  if (p == std::string::npos) return "";
  std::string scheme = uri.substr(0, p);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
  return scheme;
}

std::string LocalPath(const std::string& uri) { return uri.rfind("file:", 0) == 0 ? uri.substr(5) : uri; }

std::string DefaultCameraName(const std::string& uri) {
  std::string scheme = LowerScheme(uri);
  if (scheme.empty() || scheme == "file") return std::filesystem::path(LocalPath(uri)).filename().string();
  // scheme://[user:pass@]host[:port]/... -> host[:port]
  std::string rest = uri.substr(scheme.size() + 3);
  rest = rest.substr(0, rest.find('/'));
  size_t at = rest.rfind('@');
  return at == std::string::npos ? rest : rest.substr(at + 1);
}

// Deprecated "J" formats are their plain counterparts with full-range samples.
AVPixelFormat PlainFormat(AVPixelFormat f, bool* full_range) {
  switch (f) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      *full_range = true;
      return AV_PIX_FMT_YUV440P;
    default:
      return f;
  }
}

// One swscale conversion (source size/format -> BGR24 of a target size), rebuilt only when its inputs change.
class Scaler {
 public:
  ~Scaler() { sws_freeContext(ctx_); }

  bool Run(const AVFrame& in, int flags, cv::Mat* out) {
    bool full_range = in.color_range == AVCOL_RANGE_JPEG;
    AVPixelFormat fmt = PlainFormat(static_cast<AVPixelFormat>(in.format), &full_range);
    int colorspace = in.colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT;
    std::array<int, 8> key = {in.width,   in.height, static_cast<int>(fmt), out->cols, out->rows, flags,
                              full_range, colorspace};
    if (ctx_ == nullptr || key != key_) {
      sws_freeContext(ctx_);
      ctx_ = sws_getContext(in.width, in.height, fmt, out->cols, out->rows, AV_PIX_FMT_BGR24, flags, nullptr, nullptr,
                            nullptr);
      if (ctx_ == nullptr) return false;
      sws_setColorspaceDetails(ctx_, sws_getCoefficients(colorspace), full_range ? 1 : 0,
                               sws_getCoefficients(SWS_CS_DEFAULT), 0, 0, 1 << 16, 1 << 16);
      key_ = key;
    }
    std::array<uint8_t*, 4> dst = {out->data, nullptr, nullptr, nullptr};
    std::array<int, 4> dst_stride = {static_cast<int>(out->step[0]), 0, 0, 0};
    return sws_scale(ctx_, in.data, in.linesize, 0, in.height, dst.data(), dst_stride.data()) == out->rows;
  }

 private:
  SwsContext* ctx_ = nullptr;
  std::array<int, 8> key_{};
};

}  // namespace

bool IsNetworkUri(const std::string& uri) {
  static const std::set<std::string>* const kLive =
      new std::set<std::string>{"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp"};
  return kLive->count(LowerScheme(uri)) > 0;
}

bool IsImageSequence(const std::string& uri) {
  if (IsNetworkUri(uri)) return false;
  size_t p = uri.find('%');
  while (p != std::string::npos) {
    size_t q = p + 1;
    while (q < uri.size() && std::isdigit(static_cast<unsigned char>(uri[q]))) ++q;
    if (q < uri.size() && uri[q] == 'd') return true;
    p = uri.find('%', p + 1);
  }
  return false;
}

// Packets whose anchor is remembered for their frames: more than any decoder holds back.
constexpr size_t kPacketAnchorsKept = 64;

struct FfmpegSource::Session {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  AVPacket* packet = nullptr;
  AVFrame* frame = nullptr;
  int stream = -1;
  AVRational time_base = {0, 1};
  int64_t start_ts = AV_NOPTS_VALUE;  // subtracted from frame timestamps
  LiveAnchor anchor;                  // live: wall time of stream time 0, from the packets' arrivals
  // live: (stream time, anchor) of the latest packets, so that a decoded frame is stamped with the anchor its packet
  // went to the packet tee with (the anchor slews between a packet and its frame; live video and tracks must agree).
  std::deque<std::pair<TimeUs, TimeUs>> packet_anchors;
  bool sink_started = false;  // options_.packet_sink got OnStreamStart for this session
  int64_t frames = 0;         // frames decoded in this session
  TimeUs last_rel_us = 0;     // the previous frame's time relative to the stream start
  bool draining = false;      // the demuxer is done; the decoder is being flushed
  int consecutive_errors = 0;
  Scaler full;
  Scaler small;

  ~Session() {
    av_frame_free(&frame);
    av_packet_free(&packet);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
  }
};

FfmpegSource::FfmpegSource(std::string uri, SourceOptions options)
    : uri_(std::move(uri)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock()),
      network_(IsNetworkUri(uri_)),
      live_(options_.live || network_),
      pool_(FramePool::Create(options_.pool_size)),
      backoff_(options_.backoff) {
  QuietFfmpegLogs();
  info_.uri = uri_;
  info_.live = live_;
}

FfmpegSource::~FfmpegSource() = default;

absl::Status FfmpegSource::OpenError(const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrCat("cannot open video '", uri_, "': ", what));
}

absl::Status FfmpegSource::CheckLocalInput() const {
  std::filesystem::path path(LocalPath(uri_));
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) {
    return absl::NotFoundError(absl::StrCat("cannot open video '", uri_, "': no such file"));
  }
  if (std::filesystem::is_directory(status)) return OpenError("it is a directory");
  if (std::filesystem::is_regular_file(status) && std::filesystem::file_size(path, ec) == 0 && !ec) {
    return OpenError("the file is empty (0 bytes)");
  }
  return absl::OkStatus();
}

absl::Status FfmpegSource::Open() {
  if (opened_) return absl::FailedPreconditionError(absl::StrCat("video '", uri_, "' is already open"));
  if (absl::Status valid = options_.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("video '", uri_, "': ", valid.message()));
  }
  const std::string scheme = LowerScheme(uri_);
  if ((scheme.empty() || scheme == "file") && !IsImageSequence(uri_)) DIDBAN_RETURN_IF_ERROR(CheckLocalInput());
  state_ = SourceState::kConnecting;
  absl::Status opened = OpenSession();
  if (!opened.ok()) {
    if (!(live_ && options_.retry_open)) {
      state_ = SourceState::kFailed;
      return opened;
    }
    if (interrupted_) {
      MarkDone();
      state_ = SourceState::kEnded;
    } else {
      spdlog::warn("{} (will retry)", std::string(opened.message()));
      lost_ = opened;
      MarkOffline();
      state_ = SourceState::kReconnecting;
    }
  } else {
    MarkOnline();
    seen_streaming_ = true;
    state_ = SourceState::kStreaming;
  }
  opened_ = true;
  return absl::OkStatus();
}

absl::Status FfmpegSource::OpenSession() {
  auto s = std::make_unique<Session>();
  s->fmt = avformat_alloc_context();
  if (s->fmt == nullptr) return absl::ResourceExhaustedError("cannot allocate an FFmpeg format context");
  s->fmt->interrupt_callback.callback = [](void* opaque) -> int {
    auto* self = static_cast<FfmpegSource*>(opaque);
    if (self->interrupted_.load()) return 1;
    TimeUs deadline = self->deadline_us_.load();
    return deadline > 0 && self->clock_->SteadyUs() > deadline ? 1 : 0;
  };
  s->fmt->interrupt_callback.opaque = this;

  AVDictionary* opts = nullptr;
  const AVInputFormat* input_format = nullptr;
  const std::string scheme = LowerScheme(uri_);
  const bool network = network_;
  if (IsImageSequence(uri_)) {
    input_format = av_find_input_format("image2");
    av_dict_set(&opts, "framerate", absl::StrFormat("%.6f", options_.sequence_fps).c_str(), 0);
  }
  if (scheme == "rtsp" || scheme == "rtsps") {
    av_dict_set(&opts, "rtsp_transport", options_.rtsp_transport.c_str(), 0);
    av_dict_set_int(&opts, "timeout", options_.read_timeout_us, 0);  // socket I/O timeout, microseconds
  } else if (network) {
    av_dict_set_int(&opts, "rw_timeout", options_.read_timeout_us, 0);  // any protocol read/write, microseconds
  }
  deadline_us_ = network ? clock_->SteadyUs() + options_.open_timeout_us : 0;
  int r = avformat_open_input(&s->fmt, uri_.c_str(), input_format, &opts);
  av_dict_free(&opts);
  if (r < 0) {
    deadline_us_ = 0;
    if (interrupted_) return absl::CancelledError(absl::StrCat("video '", uri_, "': interrupted"));
    return OpenError(AvError(r));
  }
  r = avformat_find_stream_info(s->fmt, nullptr);
  deadline_us_ = 0;
  if (r < 0) return OpenError(absl::StrCat("cannot read stream information: ", AvError(r)));

  const AVCodec* codec = nullptr;
  r = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (r == AVERROR_STREAM_NOT_FOUND || (r < 0 && r != AVERROR_DECODER_NOT_FOUND)) {
    std::string kinds;
    for (unsigned i = 0; i < s->fmt->nb_streams; ++i) {
      const char* kind = av_get_media_type_string(s->fmt->streams[i]->codecpar->codec_type);
      absl::StrAppend(&kinds, kinds.empty() ? "" : ", ", kind != nullptr ? kind : "unknown");
    }
    return OpenError(absl::StrCat("no video stream (streams: ", kinds.empty() ? "none" : kinds, ")"));
  }
  if (r == AVERROR_DECODER_NOT_FOUND || codec == nullptr) {
    int idx = av_find_best_stream(s->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    AVCodecID id = idx >= 0 ? s->fmt->streams[idx]->codecpar->codec_id : AV_CODEC_ID_NONE;
    return OpenError(absl::StrCat("no decoder for codec '", avcodec_get_name(id), "'"));
  }
  s->stream = r;
  for (unsigned i = 0; i < s->fmt->nb_streams; ++i) {
    if (static_cast<int>(i) != s->stream) s->fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  AVStream* st = s->fmt->streams[s->stream];
  s->time_base = st->time_base;
  if (!live_ && st->start_time != AV_NOPTS_VALUE) s->start_ts = st->start_time;

  s->dec = avcodec_alloc_context3(codec);
  if (s->dec == nullptr) return absl::ResourceExhaustedError("cannot allocate an FFmpeg decoder");
  r = avcodec_parameters_to_context(s->dec, st->codecpar);
  if (r < 0) return OpenError(absl::StrCat("bad codec parameters: ", AvError(r)));
  s->dec->thread_count = options_.decode_threads;
  s->dec->pkt_timebase = st->time_base;
  r = avcodec_open2(s->dec, codec, nullptr);
  if (r < 0) return OpenError(absl::StrCat("cannot open the ", codec->name, " decoder: ", AvError(r)));
  s->packet = av_packet_alloc();
  s->frame = av_frame_alloc();
  if (s->packet == nullptr || s->frame == nullptr) return absl::ResourceExhaustedError("cannot allocate FFmpeg frames");

  info_.width = st->codecpar->width;
  info_.height = st->codecpar->height;
  AVRational rate = av_guess_frame_rate(s->fmt, st, nullptr);
  info_.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0.0;
  info_.frame_count = live_ ? 0 : std::max<int64_t>(0, st->nb_frames);
  info_.codec = avcodec_get_name(st->codecpar->codec_id);
  if (options_.packet_sink != nullptr) {
    options_.packet_sink->OnStreamStart(PacketStreamInfo{st->codecpar, st->time_base, rate, live_});
    s->sink_started = true;
  }
  session_ = std::move(s);
  return absl::OkStatus();
}

void FfmpegSource::CloseSession() {
  if (session_ != nullptr && session_->sink_started) options_.packet_sink->OnStreamEnd();
  session_.reset();
}

FfmpegSource::Step FfmpegSource::DecodeNext(absl::Status* error) {
  Session& s = *session_;
  for (;;) {
    int r = avcodec_receive_frame(s.dec, s.frame);
    if (r == 0) {
      s.consecutive_errors = 0;
      return Step::kFrame;
    }
    if (r == AVERROR_EOF) return Step::kEnd;
    if (r != AVERROR(EAGAIN)) {
      ++decode_errors_;
      if (++s.consecutive_errors >= kMaxConsecutiveDecodeErrors) {
        *error = absl::DataLossError(absl::StrCat("video '", uri_, "': ", s.consecutive_errors,
                                                  " consecutive decode errors, last: ", AvError(r)));
        return Step::kError;
      }
      continue;
    }
    if (s.draining) return Step::kEnd;
    if (network_) deadline_us_ = clock_->SteadyUs() + options_.read_timeout_us;
    r = av_read_frame(s.fmt, s.packet);
    if (r < 0) {
      if (r != AVERROR_EOF && !interrupted_) {
        ++read_errors_;
        spdlog::warn("video '{}': read error, ending the stream: {}", uri_, AvError(r));
      }
      s.draining = true;
      avcodec_send_packet(s.dec, nullptr);
      continue;
    }
    if (s.packet->stream_index != s.stream) {
      av_packet_unref(s.packet);
      continue;
    }
    if (options_.packet_sink != nullptr || live_) {  // the packet tee and live anchoring: FrameTimeUs()'s timeline
      const AVPacket& p = *s.packet;
      if (s.start_ts == AV_NOPTS_VALUE) s.start_ts = p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
      auto to_us = [&s](int64_t ts) {
        if (ts == AV_NOPTS_VALUE || s.start_ts == AV_NOPTS_VALUE || s.time_base.num <= 0) return kNoPacketTime;
        return av_rescale_q(ts - s.start_ts, s.time_base, kAvMicroseconds);
      };
      TimeUs pts = to_us(p.pts);
      TimeUs dts = to_us(p.dts);
      // Arrival order is decode order: the decode time says when the packet was due.
      if (live_ && (pts != kNoPacketTime || dts != kNoPacketTime)) {
        s.anchor.OnArrival(clock_->NowUs(), dts != kNoPacketTime ? dts : pts);
        if (pts != kNoPacketTime) {
          if (s.packet_anchors.size() >= kPacketAnchorsKept) s.packet_anchors.pop_front();
          s.packet_anchors.emplace_back(pts, s.anchor.anchor_us());
        }
      }
      if (options_.packet_sink != nullptr) {
        TimeUs offset = live_ ? s.anchor.anchor_us() : 0;
        options_.packet_sink->OnPacket(p, pts == kNoPacketTime ? pts : pts + offset,
                                       dts == kNoPacketTime ? dts : dts + offset);
      }
    }
    r = avcodec_send_packet(s.dec, s.packet);
    av_packet_unref(s.packet);
    if (r < 0 && r != AVERROR(EAGAIN)) {
      ++decode_errors_;
      if (++s.consecutive_errors >= kMaxConsecutiveDecodeErrors) {
        *error = absl::DataLossError(absl::StrCat("video '", uri_, "': ", s.consecutive_errors,
                                                  " consecutive decode errors, last: ", AvError(r)));
        return Step::kError;
      }
    }
  }
}

TimeUs FfmpegSource::FrameTimeUs() {
  Session& s = *session_;
  const AVFrame& f = *s.frame;
  int64_t ts = f.best_effort_timestamp != AV_NOPTS_VALUE ? f.best_effort_timestamp : f.pts;
  TimeUs rel = 0;
  if (ts != AV_NOPTS_VALUE && s.time_base.num > 0) {
    if (s.start_ts == AV_NOPTS_VALUE) s.start_ts = ts;
    rel = av_rescale_q(ts - s.start_ts, s.time_base, kAvMicroseconds);
  } else {
    // No timestamp (e.g. the last frame out of a flushed decoder): one nominal frame after the previous one.
    double fps = info_.fps > 0 ? info_.fps : options_.sequence_fps;
    rel = s.frames == 0 ? 0 : s.last_rel_us + SecondsToUs(1.0 / fps);
  }
  s.last_rel_us = rel;
  if (live_ && !s.anchor.anchored()) s.anchor.OnArrival(clock_->NowUs(), rel);
  TimeUs anchor = s.anchor.anchor_us();
  for (auto it = s.packet_anchors.rbegin(); it != s.packet_anchors.rend(); ++it) {
    if (it->first == rel) {
      anchor = it->second;
      break;
    }
  }
  TimeUs pts = live_ ? anchor + rel : rel;
  if (have_last_pts_ && pts <= last_pts_us_) {
    pts = last_pts_us_ + 1;
    ++timestamp_fixes_;
  }
  have_last_pts_ = true;
  last_pts_us_ = pts;
  return pts;
}

FramePtr FfmpegSource::Convert() {
  Session& s = *session_;
  const AVFrame& in = *s.frame;
  const int w = in.width;
  const int h = in.height;
  const bool scale = options_.max_width > 0 && w > options_.max_width;
  auto frame = std::make_unique<Frame>();
  frame->camera = options_.camera.empty() ? DefaultCameraName(uri_) : options_.camera;
  frame->index = next_index_++;
  frame->pts_us = FrameTimeUs();
  if (!scale || options_.keep_full) {
    frame->full = pool_->Acquire(h, w);
    if (!s.full.Run(in, SWS_BILINEAR, &frame->full)) ++decode_errors_;
  }
  if (scale) {
    int sw = options_.max_width;
    int sh = std::max(1, static_cast<int>(std::lround(static_cast<double>(h) * sw / w)));
    frame->image = pool_->Acquire(sh, sw);
    if (!s.small.Run(in, SWS_FAST_BILINEAR, &frame->image)) ++decode_errors_;
    frame->scale = static_cast<double>(sw) / w;
  } else {
    frame->image = frame->full;
  }
  ++s.frames;
  av_frame_unref(s.frame);
  return pool_->Wrap(std::move(frame));
}

TimeUs FfmpegSource::ReconnectDelayUs() {
  TimeUs delay = backoff_.NextDelayUs();
  const BackoffOptions& b = options_.backoff;
  if (seen_streaming_ && clock_->SteadyUs() - lost_at_us_ < b.after_loss_window_us) {
    delay = std::min(delay, b.after_loss_max_us);
  }
  return delay;
}

void FfmpegSource::MarkOnline() {
  TimeUs now = clock_->SteadyUs();
  absl::MutexLock lock(&spells_mu_);
  if (offline_since_us_ >= 0) offline_total_us_ += now - offline_since_us_;
  offline_since_us_ = -1;
  if (online_since_us_ < 0) online_since_us_ = now;
}

void FfmpegSource::MarkOffline() {
  TimeUs now = clock_->SteadyUs();
  absl::MutexLock lock(&spells_mu_);
  if (online_since_us_ >= 0) online_total_us_ += now - online_since_us_;
  online_since_us_ = -1;
  if (offline_since_us_ < 0) offline_since_us_ = now;
}

void FfmpegSource::MarkDone() {
  TimeUs now = clock_->SteadyUs();
  absl::MutexLock lock(&spells_mu_);
  if (online_since_us_ >= 0) online_total_us_ += now - online_since_us_;
  if (offline_since_us_ >= 0) offline_total_us_ += now - offline_since_us_;
  online_since_us_ = offline_since_us_ = -1;
}

void FfmpegSource::SleepInterruptibly(TimeUs us) {
  while (us > 0 && !interrupted_) {
    TimeUs slice = std::min(us, kSleepSliceUs);
    clock_->SleepUs(slice);
    us -= slice;
  }
}

absl::Status FfmpegSource::Reconnect(const absl::Status& cause) {
  CloseSession();
  absl::Status last = cause;
  while (!interrupted_) {
    if (options_.max_reconnects >= 0 && consecutive_failures_ >= options_.max_reconnects) {
      state_ = SourceState::kFailed;
      failure_ = absl::UnavailableError(absl::StrCat("video '", uri_, "' is unreachable after ", consecutive_failures_,
                                                     " reconnect attempts: ", last.message()));
      return failure_;
    }
    state_ = SourceState::kReconnecting;
    SleepInterruptibly(ReconnectDelayUs());
    if (interrupted_) break;
    ++reconnect_attempts_;
    absl::Status opened = OpenSession();
    if (opened.ok()) {
      MarkOnline();
      seen_streaming_ = true;
      ++reconnects_;
      consecutive_failures_ = 0;
      backoff_.Reset();
      state_ = SourceState::kStreaming;
      return absl::OkStatus();
    }
    ++consecutive_failures_;
    last = opened;
    spdlog::warn("{} (attempt {})", std::string(opened.message()), consecutive_failures_);
  }
  return absl::OkStatus();  // interrupted: Read() ends the stream
}

absl::StatusOr<FramePtr> FfmpegSource::Read() {
  if (!opened_) return absl::FailedPreconditionError(absl::StrCat("video '", uri_, "': Read() before Open()"));
  for (;;) {
    if (interrupted_) {
      CloseSession();
      MarkDone();
      state_ = SourceState::kEnded;
      return FramePtr();
    }
    SourceState state = state_.load();
    if (state == SourceState::kEnded) return FramePtr();
    if (state == SourceState::kFailed) return failure_;
    if (session_ == nullptr) {
      absl::Status reconnected = Reconnect(lost_);
      if (!reconnected.ok()) {
        MarkDone();
        return reconnected;
      }
      continue;
    }
    absl::Status error;
    Step step = DecodeNext(&error);
    if (step == Step::kFrame) {
      ++frames_;
      return Convert();
    }
    if (interrupted_) continue;
    CloseSession();
    if (live_) {
      lost_ = step == Step::kError ? error : absl::UnavailableError(absl::StrCat("video '", uri_, "': stream ended"));
      spdlog::warn("video '{}' lost ({}), reconnecting", uri_, std::string(lost_.message()));
      lost_at_us_ = clock_->SteadyUs();
      MarkOffline();
      state_ = SourceState::kReconnecting;
      continue;
    }
    MarkDone();
    // A file that ends well short of the frames its header declares was cut (some demuxers report that as a plain
    // end of file): counted like a read error.
    const int64_t declared = info_.frame_count;
    if (step == Step::kEnd && read_errors_.load() == 0 && declared > 0 &&
        frames_.load() + std::max<int64_t>(3, declared / 100) < declared) {
      ++read_errors_;
      spdlog::warn("video '{}' ended after {} of its {} frames (truncated?)", uri_, frames_.load(), declared);
    }
    if (step == Step::kError) {
      state_ = SourceState::kFailed;
      failure_ = error;
      return error;
    }
    state_ = SourceState::kEnded;
    return FramePtr();
  }
}

void FfmpegSource::Interrupt() { interrupted_ = true; }

SourceCounters FfmpegSource::Counters() const {
  SourceCounters c;
  c.frames = frames_.load();
  c.decode_errors = decode_errors_.load();
  c.read_errors = read_errors_.load();
  c.reconnect_attempts = reconnect_attempts_.load();
  c.reconnects = reconnects_.load();
  c.timestamp_fixes = timestamp_fixes_.load();
  TimeUs now = clock_->SteadyUs();
  absl::MutexLock lock(&spells_mu_);
  c.online_us = online_total_us_ + (online_since_us_ >= 0 ? now - online_since_us_ : 0);
  c.offline_us = offline_total_us_ + (offline_since_us_ >= 0 ? now - offline_since_us_ : 0);
  return c;
}

}  // namespace didban::source
