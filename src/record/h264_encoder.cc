#include "record/h264_encoder.h"

#include <algorithm>
#include <cmath>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "absl/strings/str_cat.h"
#include "source/av_util.h"
#include "source/ffmpeg_log.h"

namespace didban::record {

using source::AvError;

absl::Status H264EncoderOptions::Validate() const {
  auto bad = [this](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": option ", field, ": ", what));
  };
  if (!(fps > 0 && fps <= 1000)) return bad("fps", absl::StrCat("must be in (0, 1000], got ", fps));
  if (!(keyframe_interval_s > 0 && keyframe_interval_s <= 3600)) {
    return bad("keyframe_interval_s", absl::StrCat("must be in (0, 3600], got ", keyframe_interval_s));
  }
  if (crf < 0 || crf > 51) return bad("crf", absl::StrCat("must be in [0, 51], got ", crf));
  if (bitrate_kbps < 0 || bitrate_kbps > 1'000'000) {
    return bad("bitrate_kbps", absl::StrCat("must be in [0, 1000000], got ", bitrate_kbps));
  }
  if (preset.empty()) return bad("preset", "must not be empty");
  if (threads < 0 || threads > 64) return bad("threads", absl::StrCat("must be in [0, 64], got ", threads));
  return absl::OkStatus();
}

struct H264Encoder::Impl {
  AVCodecContext* enc = nullptr;
  AVCodecParameters* codecpar = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
  int in_width = 0;
  int in_height = 0;

  ~Impl() {
    sws_freeContext(sws);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_parameters_free(&codecpar);
    avcodec_free_context(&enc);
  }
};

H264Encoder::H264Encoder(H264EncoderOptions options, source::PacketSink* out)
    : options_(std::move(options)), out_(out), impl_(std::make_unique<Impl>()) {}

H264Encoder::~H264Encoder() { (void)Finish(); }

absl::Status H264Encoder::Error(const std::string& what) const {
  return absl::InternalError(absl::StrCat(options_.name, ": ", what));
}

absl::StatusOr<std::unique_ptr<H264Encoder>> H264Encoder::Create(const H264EncoderOptions& options,
                                                                 source::PacketSink* out) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (out == nullptr) return absl::InvalidArgumentError(absl::StrCat(options.name, ": no packet sink"));
  source::QuietFfmpegLogs();
  if (avcodec_find_encoder_by_name("libx264") == nullptr) {
    return absl::NotFoundError(absl::StrCat(options.name, ": this FFmpeg has no libx264 encoder"));
  }
  std::unique_ptr<H264Encoder> e(new H264Encoder(options, out));
  e->gop_frames_ = std::max(1, static_cast<int>(std::lround(options.fps * options.keyframe_interval_s)));
  return e;
}

absl::Status H264Encoder::Start(int width, int height) {
  Impl& m = *impl_;
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) return Error("this FFmpeg has no libx264 encoder");
  m.enc = avcodec_alloc_context3(codec);
  if (m.enc == nullptr) return Error("cannot allocate the encoder");
  m.in_width = width;
  m.in_height = height;
  m.enc->width = width + (width % 2);
  m.enc->height = height + (height % 2);
  m.enc->pix_fmt = AV_PIX_FMT_YUV420P;
  // Times are microseconds from the first frame, so every packet maps back to its frame's own time exactly.
  m.enc->time_base = source::kAvMicroseconds;
  m.enc->pkt_timebase = source::kAvMicroseconds;
  m.enc->framerate = av_d2q(options_.fps, 100'000);
  m.enc->gop_size = gop_frames_;
  m.enc->keyint_min = gop_frames_;
  m.enc->max_b_frames = options_.zero_latency ? 0 : -1;
  m.enc->thread_count = options_.threads;
  // SPS/PPS go to the extradata (what an MP4 muxer needs), not before each keyframe.
  m.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "preset", options_.preset.c_str(), 0);
  if (options_.zero_latency) av_dict_set(&opts, "tune", "zerolatency", 0);
  // Keyframes at the interval only (no scene-cut keyframes), each an IDR, also when forced: a viewer or a segment
  // may start at any of them.
  av_dict_set(&opts, "x264-params", "scenecut=0", 0);
  av_dict_set(&opts, "forced-idr", "1", 0);
  if (options_.bitrate_kbps > 0) {
    const int64_t bps = static_cast<int64_t>(options_.bitrate_kbps) * 1000;
    m.enc->bit_rate = bps;
    m.enc->rc_max_rate = bps;
    m.enc->rc_buffer_size = static_cast<int>(std::min<int64_t>(bps, INT32_MAX));
  } else {
    av_dict_set_int(&opts, "crf", options_.crf, 0);
  }
  int r = avcodec_open2(m.enc, codec, &opts);
  av_dict_free(&opts);
  if (r < 0) return Error(absl::StrCat("cannot open libx264 (preset ", options_.preset, "): ", AvError(r)));
  m.codecpar = avcodec_parameters_alloc();
  if (m.codecpar == nullptr) return Error("cannot allocate the codec parameters");
  r = avcodec_parameters_from_context(m.codecpar, m.enc);
  if (r < 0) return Error(AvError(r));
  m.frame = av_frame_alloc();
  m.packet = av_packet_alloc();
  if (m.frame == nullptr || m.packet == nullptr) return Error("cannot allocate frames");
  m.frame->format = m.enc->pix_fmt;
  m.frame->width = m.enc->width;
  m.frame->height = m.enc->height;
  r = av_frame_get_buffer(m.frame, 0);
  if (r < 0) return Error(AvError(r));
  m.sws = sws_getContext(width, height, AV_PIX_FMT_BGR24, m.enc->width, m.enc->height, AV_PIX_FMT_YUV420P, SWS_BILINEAR,
                         nullptr, nullptr, nullptr);
  if (m.sws == nullptr) return Error("cannot set up the colour conversion");
  source::PacketStreamInfo info;
  info.codecpar = m.codecpar;
  info.time_base = source::kAvMicroseconds;
  info.frame_rate = m.enc->framerate;
  info.live = true;
  out_->OnStreamStart(info);
  started_ = true;
  return absl::OkStatus();
}

absl::Status H264Encoder::Drain() {
  Impl& m = *impl_;
  for (;;) {
    int r = avcodec_receive_packet(m.enc, m.packet);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return absl::OkStatus();
    if (r < 0) return Error(absl::StrCat("encoding failed: ", AvError(r)));
    const TimeUs pts_us = m.packet->pts == AV_NOPTS_VALUE ? source::kNoPacketTime : origin_us_ + m.packet->pts;
    const TimeUs dts_us = m.packet->dts == AV_NOPTS_VALUE ? source::kNoPacketTime : origin_us_ + m.packet->dts;
    ++packets_out_;
    bytes_out_ += m.packet->size;
    if ((m.packet->flags & AV_PKT_FLAG_KEY) != 0) ++keyframes_;
    out_->OnPacket(*m.packet, pts_us, dts_us);
    av_packet_unref(m.packet);
  }
}

absl::Status H264Encoder::Encode(const cv::Mat& bgr, TimeUs pts_us, bool force_keyframe) {
  if (finished_) return Error("already finished");
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Error(absl::StrCat("frame ", frames_in_, " is not an 8-bit BGR image (type ", bgr.type(), ", ", bgr.cols,
                              "x", bgr.rows, ")"));
  }
  Impl& m = *impl_;
  if (m.enc == nullptr) {
    DIDBAN_RETURN_IF_ERROR(Start(bgr.cols, bgr.rows));
    origin_us_ = pts_us;
  } else if (bgr.cols != m.in_width || bgr.rows != m.in_height) {
    return Error(absl::StrCat("frame ", frames_in_, " is ", bgr.cols, "x", bgr.rows, " but the stream started at ",
                              m.in_width, "x", m.in_height));
  }
  if (last_pts_us_ != source::kNoPacketTime && pts_us <= last_pts_us_) pts_us = last_pts_us_ + 1;
  last_pts_us_ = pts_us;
  int r = av_frame_make_writable(m.frame);
  if (r < 0) return Error(AvError(r));
  const uint8_t* src[4] = {bgr.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
  sws_scale(m.sws, src, src_stride, 0, bgr.rows, m.frame->data, m.frame->linesize);
  m.frame->pts = pts_us - origin_us_;
  m.frame->pict_type = force_keyframe ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  r = avcodec_send_frame(m.enc, m.frame);
  if (r < 0) return Error(absl::StrCat("encoding frame ", frames_in_, " failed: ", AvError(r)));
  ++frames_in_;
  return Drain();
}

absl::Status H264Encoder::Finish() {
  if (finished_) return absl::OkStatus();
  finished_ = true;
  if (!started_) return absl::OkStatus();
  absl::Status status;
  int r = avcodec_send_frame(impl_->enc, nullptr);
  if (r < 0) {
    status = Error(absl::StrCat("flushing failed: ", AvError(r)));
  } else {
    status = Drain();
  }
  out_->OnStreamEnd();
  return status;
}

const AVCodecParameters* H264Encoder::CodecParameters() const { return impl_->codecpar; }

}  // namespace didban::record
