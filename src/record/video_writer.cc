#include "record/video_writer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "source/av_util.h"
#include "source/ffmpeg_log.h"

namespace didban::record {
namespace {

using source::AvError;

}  // namespace

absl::Status VideoWriterOptions::Validate() const {
  auto bad = [](const std::string& field, const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("video writer option ", field, ": ", what));
  };
  if (!(fps > 0 && fps <= 1000)) return bad("fps", absl::StrCat("must be in (0, 1000], got ", fps));
  if (codec.empty()) return bad("codec", "must not be empty");
  if (crf < 0 || crf > 51) return bad("crf", absl::StrCat("must be in [0, 51], got ", crf));
  if (mpeg4_bitrate_kbps <= 0) return bad("mpeg4_bitrate_kbps", absl::StrCat("must be > 0, got ", mpeg4_bitrate_kbps));
  if (threads < 0) return bad("threads", absl::StrCat("must be >= 0, got ", threads));
  return absl::OkStatus();
}

struct VideoWriter::Impl {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  SwsContext* sws = nullptr;
  int in_width = 0, in_height = 0;
  bool header_written = false;
  int64_t last_pts = AV_NOPTS_VALUE;  // in the encoder's time base

  ~Impl() {
    sws_freeContext(sws);
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&enc);
    if (fmt != nullptr) {
      if (fmt->pb != nullptr && !(fmt->oformat->flags & AVFMT_NOFILE)) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }
};

VideoWriter::VideoWriter(std::string path, VideoWriterOptions options)
    : path_(std::move(path)), options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

VideoWriter::~VideoWriter() { (void)Close(); }

absl::Status VideoWriter::Error(const std::string& what) const {
  return absl::InvalidArgumentError(absl::StrCat("cannot write video '", path_, "': ", what));
}

absl::StatusOr<std::unique_ptr<VideoWriter>> VideoWriter::Create(const std::string& path,
                                                                 const VideoWriterOptions& options) {
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("video '", path, "': ", valid.message()));
  }
  source::QuietFfmpegLogs();
  std::unique_ptr<VideoWriter> w(new VideoWriter(path, options));
  Impl& m = *w->impl_;
  int r = avformat_alloc_output_context2(&m.fmt, nullptr, nullptr, path.c_str());
  if (r < 0 || m.fmt == nullptr) {
    return w->Error("no container format for this file name (use .mp4, .mkv or .avi)");
  }
  if (!(m.fmt->oformat->flags & AVFMT_NOFILE)) {
    r = avio_open(&m.fmt->pb, path.c_str(), AVIO_FLAG_WRITE);
    if (r < 0) return w->Error(AvError(r));
  }
  return w;
}

absl::Status VideoWriter::StartEncoder(int width, int height) {
  Impl& m = *impl_;
  const AVCodec* codec = avcodec_find_encoder_by_name(options_.codec.c_str());
  if (codec == nullptr && options_.codec == "libx264") codec = avcodec_find_encoder_by_name("mpeg4");
  if (codec == nullptr) return Error(absl::StrCat("no encoder named '", options_.codec, "' in this FFmpeg"));
  const bool h264 = codec->id == AV_CODEC_ID_H264;
  m.enc = avcodec_alloc_context3(codec);
  if (m.enc == nullptr) return Error("cannot allocate the encoder");
  m.in_width = width;
  m.in_height = height;
  m.enc->width = width + (width % 2);
  m.enc->height = height + (height % 2);
  m.enc->pix_fmt = AV_PIX_FMT_YUV420P;
  // MPEG-4 part 2 caps the time base denominator at 65535; H.264 in MP4 gets the usual 90 kHz.
  m.enc->time_base = h264 ? AVRational{1, 90'000} : AVRational{1, 10'000};
  m.enc->framerate = av_d2q(options_.fps, 100'000);
  m.enc->gop_size = std::max(1, static_cast<int>(std::lround(options_.fps * 2)));
  m.enc->thread_count = options_.threads;
  if (m.fmt->oformat->flags & AVFMT_GLOBALHEADER) m.enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  AVDictionary* opts = nullptr;
  if (codec->id == AV_CODEC_ID_H264 && std::string(codec->name) == "libx264") {
    av_dict_set(&opts, "preset", options_.preset.c_str(), 0);
    av_dict_set_int(&opts, "crf", options_.crf, 0);
    if (options_.low_latency) av_dict_set(&opts, "tune", "zerolatency", 0);
  } else {
    m.enc->bit_rate = static_cast<int64_t>(options_.mpeg4_bitrate_kbps) * 1000;
  }
  int r = avcodec_open2(m.enc, codec, &opts);
  av_dict_free(&opts);
  if (r < 0) return Error(absl::StrCat("cannot open the ", codec->name, " encoder: ", AvError(r)));
  codec_name_ = codec->name;

  m.stream = avformat_new_stream(m.fmt, nullptr);
  if (m.stream == nullptr) return Error("cannot add a video stream");
  r = avcodec_parameters_from_context(m.stream->codecpar, m.enc);
  if (r < 0) return Error(AvError(r));
  m.stream->time_base = m.enc->time_base;
  m.stream->avg_frame_rate = m.enc->framerate;
  AVDictionary* mux_opts = nullptr;
  const std::string muxer = m.fmt->oformat->name;
  if (options_.fragmented && (muxer == "mp4" || muxer == "mov")) {
    av_dict_set(&mux_opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
    m.fmt->flags |= AVFMT_FLAG_FLUSH_PACKETS;  // each fragment reaches the file when the muxer writes it
  }
  r = avformat_write_header(m.fmt, &mux_opts);
  av_dict_free(&mux_opts);
  if (r < 0) return Error(absl::StrCat("cannot write the header: ", AvError(r)));
  m.header_written = true;

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
  return absl::OkStatus();
}

absl::Status VideoWriter::Encode(bool flush) {
  Impl& m = *impl_;
  int r = avcodec_send_frame(m.enc, flush ? nullptr : m.frame);
  if (r < 0) return Error(absl::StrCat("encoding failed: ", AvError(r)));
  for (;;) {
    r = avcodec_receive_packet(m.enc, m.packet);
    if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return absl::OkStatus();
    if (r < 0) return Error(absl::StrCat("encoding failed: ", AvError(r)));
    av_packet_rescale_ts(m.packet, m.enc->time_base, m.stream->time_base);
    m.packet->stream_index = m.stream->index;
    r = av_interleaved_write_frame(m.fmt, m.packet);
    if (r < 0) return Error(AvError(r));
  }
}

absl::Status VideoWriter::Write(const cv::Mat& bgr, TimeUs pts_us) {
  if (closed_) return Error("already closed");
  if (bgr.empty() || bgr.type() != CV_8UC3) {
    return Error(absl::StrCat("frame ", frames_, " is not an 8-bit BGR image (type ", bgr.type(), ", ", bgr.cols, "x",
                              bgr.rows, ")"));
  }
  Impl& m = *impl_;
  if (m.enc == nullptr) {
    DIDBAN_RETURN_IF_ERROR(StartEncoder(bgr.cols, bgr.rows));
    first_pts_us_ = pts_us;
  } else if (bgr.cols != m.in_width || bgr.rows != m.in_height) {
    return Error(absl::StrCat("frame ", frames_, " is ", bgr.cols, "x", bgr.rows, " but the video started at ",
                              m.in_width, "x", m.in_height));
  }
  int r = av_frame_make_writable(m.frame);
  if (r < 0) return Error(AvError(r));
  const uint8_t* src[4] = {bgr.data, nullptr, nullptr, nullptr};
  const int src_stride[4] = {static_cast<int>(bgr.step[0]), 0, 0, 0};
  sws_scale(m.sws, src, src_stride, 0, bgr.rows, m.frame->data, m.frame->linesize);
  int64_t pts = av_rescale_q(pts_us - first_pts_us_, source::kAvMicroseconds, m.enc->time_base);
  if (m.last_pts != AV_NOPTS_VALUE && pts <= m.last_pts) pts = m.last_pts + 1;
  m.frame->pts = pts;
  m.last_pts = pts;
  last_pts_us_ = pts_us;
  DIDBAN_RETURN_IF_ERROR(Encode(/*flush=*/false));
  ++frames_;
  return absl::OkStatus();
}

absl::Status VideoWriter::Write(const cv::Mat& bgr) {
  TimeUs pts = frames_ == 0 ? 0 : last_pts_us_ + SecondsToUs(1.0 / options_.fps);
  return Write(bgr, pts);
}

absl::Status VideoWriter::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  Impl& m = *impl_;
  absl::Status status;
  if (m.enc == nullptr) {
    impl_.reset();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    return absl::FailedPreconditionError(absl::StrCat("video '", path_, "': no frames were written"));
  }
  status = Encode(/*flush=*/true);
  if (m.header_written) {
    int r = av_write_trailer(m.fmt);
    if (r < 0 && status.ok()) status = Error(absl::StrCat("cannot finish the file: ", AvError(r)));
  }
  if (m.fmt->pb != nullptr && !(m.fmt->oformat->flags & AVFMT_NOFILE)) {
    int r = avio_closep(&m.fmt->pb);
    if (r < 0 && status.ok()) status = Error(AvError(r));
  }
  impl_.reset();
  return status;
}

}  // namespace didban::record
