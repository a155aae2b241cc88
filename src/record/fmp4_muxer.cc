#include "record/fmp4_muxer.h"

#include <algorithm>
#include <array>
#include <utility>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include "absl/strings/str_cat.h"
#include "source/av_util.h"

namespace didban::record {
namespace {

using source::AvError;

constexpr int kIoBufferBytes = 64 * 1024;

}  // namespace

absl::Status Fmp4MuxerOptions::Validate() const {
  if (fragment_us < 0) return absl::InvalidArgumentError(absl::StrCat("fragment_us must be >= 0, got ", fragment_us));
  if (flush_after_us < 0) {
    return absl::InvalidArgumentError(absl::StrCat("flush_after_us must be >= 0, got ", flush_after_us));
  }
  return absl::OkStatus();
}

struct Fmp4Muxer::Impl {
  AVFormatContext* ctx = nullptr;
  AVIOContext* pb = nullptr;
  AVPacket* packet = nullptr;
  AVRational in_time_base = {1, 1};

  ~Impl() {
    if (ctx != nullptr) ctx->pb = nullptr;
    avformat_free_context(ctx);
    if (pb != nullptr) av_freep(&pb->buffer);
    avio_context_free(&pb);
    av_packet_free(&packet);
  }
};

Fmp4Muxer::Fmp4Muxer(std::string name, Fmp4MuxerOptions options, ByteSink* out)
    : name_(std::move(name)), options_(options), out_(out), impl_(std::make_unique<Impl>()) {}

Fmp4Muxer::~Fmp4Muxer() = default;

absl::Status Fmp4Muxer::Error(const std::string& what, int av_error) const {
  return absl::InternalError(absl::StrCat(name_, ": ", what, ": ", AvError(av_error)));
}

int Fmp4Muxer::WriteCallback(void* opaque, uint8_t* buf, int size) {
  auto* self = static_cast<Fmp4Muxer*>(opaque);
  if (!self->sink_error_.ok()) return AVERROR(EIO);
  absl::Status s = self->out_->Write(buf, static_cast<size_t>(size));
  if (!s.ok()) {
    self->sink_error_ = s;
    return absl::IsResourceExhausted(s) ? AVERROR(ENOSPC) : AVERROR(EIO);
  }
  self->bytes_ += size;
  return size;
}

absl::Status Fmp4Muxer::CheckSink(int av_result, const std::string& what) {
  if (!sink_error_.ok()) return sink_error_;
  if (av_result < 0) return Error(what, av_result);
  if (impl_->pb->error < 0) return Error(what, impl_->pb->error);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Fmp4Muxer>> Fmp4Muxer::Create(const AVCodecParameters& codecpar, AVRational time_base,
                                                             AVRational frame_rate, ByteSink* out,
                                                             const Fmp4MuxerOptions& options, std::string name) {
  if (absl::Status valid = options.Validate(); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name, ": ", valid.message()));
  }
  if (out == nullptr) return absl::InvalidArgumentError(absl::StrCat(name, ": no output"));
  std::unique_ptr<Fmp4Muxer> m(new Fmp4Muxer(std::move(name), options, out));
  Impl& im = *m->impl_;
  im.in_time_base = time_base.num > 0 && time_base.den > 0 ? time_base : source::kAvMicroseconds;
  if (frame_rate.num > 0 && frame_rate.den > 0) {
    m->frame_us_ = std::max<TimeUs>(1, av_rescale_q(1, av_inv_q(frame_rate), source::kAvMicroseconds));
  }
  int r = avformat_alloc_output_context2(&im.ctx, nullptr, "mp4", nullptr);
  if (r < 0 || im.ctx == nullptr) return m->Error("cannot create the mp4 muxer", r);
  AVStream* st = avformat_new_stream(im.ctx, nullptr);
  if (st == nullptr) return absl::ResourceExhaustedError(absl::StrCat(m->name_, ": cannot allocate a stream"));
  r = avcodec_parameters_copy(st->codecpar, &codecpar);
  if (r < 0) return m->Error("cannot copy the codec parameters", r);
  st->codecpar->codec_tag = 0;
  st->time_base = source::kAvMicroseconds;
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferBytes));
  if (buffer == nullptr) return absl::ResourceExhaustedError(absl::StrCat(m->name_, ": cannot allocate a buffer"));
  im.pb = avio_alloc_context(buffer, kIoBufferBytes, 1, m.get(), nullptr, &Fmp4Muxer::WriteCallback, nullptr);
  if (im.pb == nullptr) {
    av_free(buffer);
    return absl::ResourceExhaustedError(absl::StrCat(m->name_, ": cannot allocate an I/O context"));
  }
  im.ctx->pb = im.pb;
  im.ctx->flags |= AVFMT_FLAG_CUSTOM_IO;
  im.packet = av_packet_alloc();
  if (im.packet == nullptr) return absl::ResourceExhaustedError(absl::StrCat(m->name_, ": cannot allocate a packet"));

  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "empty_moov+default_base_moof+frag_custom+skip_trailer", 0);
  r = avformat_write_header(im.ctx, &opts);
  av_dict_free(&opts);
  if (absl::Status s = m->CheckSink(r, "cannot write the mp4 header"); !s.ok()) return s;
  avio_flush(im.pb);
  if (absl::Status s = m->CheckSink(0, "cannot write the mp4 header"); !s.ok()) return s;
  m->init_bytes_ = m->bytes_;
  m->complete_bytes_ = m->bytes_;
  return m;
}

absl::Status Fmp4Muxer::Write(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) {
  if (finished_) return absl::FailedPreconditionError(absl::StrCat(name_, ": write after Finish()"));
  if (!sink_error_.ok()) return sink_error_;
  Impl& im = *impl_;
  const bool key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
  if (packets_ == 0 && !key) {
    return absl::FailedPreconditionError(absl::StrCat(name_, ": the first packet must be a keyframe"));
  }
  // Fill in missing times and keep decode times increasing.
  if (dts_us == source::kNoPacketTime) dts_us = pts_us;
  if (dts_us == source::kNoPacketTime) dts_us = last_dts_us_ == source::kNoPacketTime ? 0 : last_dts_us_ + frame_us_;
  if (pts_us == source::kNoPacketTime) pts_us = dts_us;
  if (last_dts_us_ != source::kNoPacketTime && dts_us <= last_dts_us_) {
    dts_us = last_dts_us_ + 1;
    ++timestamp_fixes_;
  }
  pts_us = std::max(pts_us, dts_us);
  TimeUs duration_us =
      packet.duration > 0 ? av_rescale_q(packet.duration, im.in_time_base, source::kAvMicroseconds) : frame_us_;

  if (origin_us_ == source::kNoPacketTime) {
    origin_us_ = options_.time_origin_us != source::kNoPacketTime ? options_.time_origin_us : dts_us;
    first_pts_us_ = pts_us;
  }
  if (pending_ > 0) {
    bool end = key || options_.fragment_every_packet ||
               (options_.fragment_us > 0 && pts_us - fragment_start_us_ >= options_.fragment_us);
    if (end) DIDBAN_RETURN_IF_ERROR(EndFragment());
  }
  if (pending_ == 0) {
    fragment_start_us_ = pts_us;
    fragment_start_dts_us_ = dts_us;
  }

  int r = av_packet_ref(im.packet, &packet);
  if (r < 0) return Error("cannot reference a packet", r);
  im.packet->stream_index = 0;
  im.packet->pts = pts_us - origin_us_;
  im.packet->dts = dts_us - origin_us_;
  im.packet->duration = duration_us;
  im.packet->pos = -1;
  im.packet->time_base = source::kAvMicroseconds;
  r = av_write_frame(im.ctx, im.packet);  // takes the packet's reference
  av_packet_unref(im.packet);
  DIDBAN_RETURN_IF_ERROR(CheckSink(r, "cannot write a packet"));
  last_dts_us_ = dts_us;
  end_us_ = end_us_ == source::kNoPacketTime ? pts_us + duration_us : std::max(end_us_, pts_us + duration_us);
  ++packets_;
  ++pending_;
  if (options_.fragment_every_packet ||
      (options_.flush_after_us > 0 && dts_us + duration_us - fragment_start_dts_us_ >= options_.flush_after_us)) {
    DIDBAN_RETURN_IF_ERROR(EndFragment());
  }
  return absl::OkStatus();
}

absl::Status Fmp4Muxer::EndFragment() {
  if (pending_ == 0) return absl::OkStatus();
  int r = av_write_frame(impl_->ctx, nullptr);
  DIDBAN_RETURN_IF_ERROR(CheckSink(r, "cannot write a fragment"));
  avio_flush(impl_->pb);
  DIDBAN_RETURN_IF_ERROR(CheckSink(0, "cannot write a fragment"));
  complete_bytes_ = bytes_;
  complete_packets_ = packets_;
  complete_end_us_ = end_us_;
  pending_ = 0;
  ++fragments_;
  return absl::OkStatus();
}

absl::Status Fmp4Muxer::Finish() {
  if (finished_) return absl::OkStatus();
  finished_ = true;
  DIDBAN_RETURN_IF_ERROR(EndFragment());
  int r = av_write_trailer(impl_->ctx);
  DIDBAN_RETURN_IF_ERROR(CheckSink(r, "cannot finish the file"));
  avio_flush(impl_->pb);
  DIDBAN_RETURN_IF_ERROR(CheckSink(0, "cannot finish the file"));
  complete_bytes_ = bytes_;
  return absl::OkStatus();
}

}  // namespace didban::record
