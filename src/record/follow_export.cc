#include "record/follow_export.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
}

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "source/av_util.h"

namespace didban::record {
namespace {

using source::AvError;

struct InputDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct CodecDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};

// One opened piece: its demuxer and video stream.
struct Input {
  const FollowPieceFile* piece = nullptr;
  std::unique_ptr<AVFormatContext, InputDeleter> fmt;
  int stream = -1;
  const AVStream* st = nullptr;
  TimeUs frame_us = 40'000;  // nominal frame interval (from the stream's frame rate)
};

absl::StatusOr<Input> OpenPiece(const FollowPieceFile& p, size_t index) {
  auto fail = [&](const std::string& what) {
    return absl::DataLossError(absl::StrCat("follow piece ", index, " (", p.camera, ", '", p.path, "'): ", what));
  };
  Input in;
  in.piece = &p;
  AVFormatContext* raw = nullptr;
  int r = avformat_open_input(&raw, p.path.c_str(), nullptr, nullptr);
  if (r < 0) return fail(absl::StrCat("cannot open: ", AvError(r)));
  in.fmt.reset(raw);
  if ((r = avformat_find_stream_info(raw, nullptr)) < 0) return fail(absl::StrCat("no stream info: ", AvError(r)));
  in.stream = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (in.stream < 0) return fail("no video stream");
  in.st = raw->streams[in.stream];
  const AVRational rate = av_guess_frame_rate(raw, raw->streams[in.stream], nullptr);
  if (rate.num > 0 && rate.den > 0) in.frame_us = std::max<TimeUs>(1, av_rescale(1'000'000, rate.den, rate.num));
  return in;
}

// Why two pieces cannot share one stream-copied track ("" when they can).
std::string Difference(const AVCodecParameters& a, const AVCodecParameters& b) {
  if (a.codec_id != b.codec_id) {
    return absl::StrCat("codec ", avcodec_get_name(a.codec_id), " vs ", avcodec_get_name(b.codec_id));
  }
  if (a.width != b.width || a.height != b.height) {
    return absl::StrCat("size ", a.width, "x", a.height, " vs ", b.width, "x", b.height);
  }
  if (a.extradata_size != b.extradata_size ||
      (a.extradata_size > 0 && std::memcmp(a.extradata, b.extradata, static_cast<size_t>(a.extradata_size)) != 0)) {
    return "different parameter sets (SPS/PPS)";
  }
  return "";
}

// Reads the piece's video packets in decode order with times in microseconds; `fn(packet)` returns false to stop.
template <typename Fn>
absl::Status ForEachPacket(Input& in, Fn&& fn) {
  for (;;) {
    std::unique_ptr<AVPacket, PacketDeleter> p(av_packet_alloc());
    if (p == nullptr) return absl::ResourceExhaustedError("cannot allocate a packet");
    if (av_read_frame(in.fmt.get(), p.get()) < 0) return absl::OkStatus();
    if (p->stream_index != in.stream) continue;
    av_packet_rescale_ts(p.get(), in.st->time_base, source::kAvMicroseconds);
    if (p->dts == AV_NOPTS_VALUE) p->dts = p->pts;
    if (p->pts == AV_NOPTS_VALUE) p->pts = p->dts;
    if (p->duration <= 0) p->duration = in.frame_us;
    if (!fn(p.get())) return absl::OkStatus();
  }
}

absl::Status JoinByCopy(std::vector<Input>& inputs, const std::string& out_path, FollowJoin* join) {
  AVFormatContext* ctx = nullptr;
  auto error = [&](const std::string& what, int r) {
    return absl::InternalError(absl::StrCat("follow export to '", out_path, "': ", what, ": ", AvError(r)));
  };
  int r = avformat_alloc_output_context2(&ctx, nullptr, "mp4", out_path.c_str());
  if (r < 0) return error("cannot create the muxer", r);
  std::unique_ptr<AVFormatContext, void (*)(AVFormatContext*)> out(ctx, [](AVFormatContext* c) {
    if (c->pb != nullptr) avio_closep(&c->pb);
    avformat_free_context(c);
  });
  AVStream* st = avformat_new_stream(ctx, nullptr);
  if (st == nullptr) return absl::ResourceExhaustedError("cannot allocate a stream");
  if ((r = avcodec_parameters_copy(st->codecpar, inputs.front().st->codecpar)) < 0) {
    return error("cannot copy codec parameters", r);
  }
  st->codecpar->codec_tag = 0;
  st->time_base = source::kAvMicroseconds;
  if ((r = avio_open(&ctx->pb, out_path.c_str(), AVIO_FLAG_WRITE)) < 0) return error("cannot create the file", r);
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "faststart", 0);
  r = avformat_write_header(ctx, &opts);
  av_dict_free(&opts);
  if (r < 0) return error("cannot write the header", r);
  TimeUs offset = 0;
  int64_t last_dts = AV_NOPTS_VALUE;
  for (Input& in : inputs) {
    const FollowPieceFile& piece = *in.piece;
    JoinedPiece jp;
    jp.camera = piece.camera;
    jp.from_us = piece.file_start_us;
    jp.out_from_us = offset;
    TimeUs first_pts = AV_NOPTS_VALUE, first_dts = AV_NOPTS_VALUE;
    TimeUs out_end = offset;
    absl::Status write_status;
    DIDBAN_RETURN_IF_ERROR(ForEachPacket(in, [&](AVPacket* p) {
      if (first_pts == AV_NOPTS_VALUE) {
        first_pts = p->pts;
        first_dts = p->dts;
      }
      const TimeUs site_pts = p->pts - first_pts + piece.file_start_us;
      if (p->dts - first_pts + piece.file_start_us >= piece.to_us) return false;
      jp.to_us = std::max(jp.to_us, site_pts + p->duration);
      p->pts = p->pts - first_dts + offset;
      p->dts = p->dts - first_dts + offset;
      if (last_dts != AV_NOPTS_VALUE && p->dts <= last_dts) {
        p->dts = last_dts + 1;
        if (p->pts < p->dts) p->pts = p->dts;
      }
      last_dts = p->dts;
      out_end = std::max(out_end, p->pts + p->duration);
      p->stream_index = 0;
      p->pos = -1;
      ++jp.frames;
      const int w = av_interleaved_write_frame(ctx, p);
      if (w < 0) {
        write_status = error("cannot write a packet", w);
        return false;
      }
      return true;
    }));
    DIDBAN_RETURN_IF_ERROR(write_status);
    jp.out_to_us = out_end;
    offset = out_end;
    join->frames += jp.frames;
    join->pieces.push_back(jp);
  }
  if (join->frames == 0) return absl::NotFoundError(absl::StrCat("follow export to '", out_path, "': no frame"));
  if ((r = av_write_trailer(ctx)) < 0) return error("cannot finish the file", r);
  if ((r = avio_closep(&ctx->pb)) < 0) return error("cannot close the file", r);
  join->duration_us = offset;
  return absl::OkStatus();
}

absl::Status JoinByReencode(std::vector<Input>& inputs, const std::string& out_path, const FollowJoinOptions& options,
                            FollowJoin* join) {
  VideoWriterOptions wo = options.writer;
  wo.fps = 1e6 / static_cast<double>(inputs.front().frame_us);
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<VideoWriter> writer, VideoWriter::Create(out_path, wo));
  const int out_w = inputs.front().st->codecpar->width, out_h = inputs.front().st->codecpar->height;
  TimeUs offset = 0;
  for (size_t index = 0; index < inputs.size(); ++index) {
    Input& in = inputs[index];
    const FollowPieceFile& piece = *in.piece;
    auto fail = [&](const std::string& what, int r) {
      return absl::DataLossError(
          absl::StrCat("follow piece ", index, " (", piece.camera, ", '", piece.path, "'): ", what, ": ", AvError(r)));
    };
    const AVCodec* codec = avcodec_find_decoder(in.st->codecpar->codec_id);
    if (codec == nullptr) return fail("no decoder", AVERROR_DECODER_NOT_FOUND);
    std::unique_ptr<AVCodecContext, CodecDeleter> dec(avcodec_alloc_context3(codec));
    int r = avcodec_parameters_to_context(dec.get(), in.st->codecpar);
    if (r < 0) return fail("decoder parameters", r);
    dec->pkt_timebase = source::kAvMicroseconds;
    dec->thread_count = 1;
    if ((r = avcodec_open2(dec.get(), codec, nullptr)) < 0) return fail("cannot open the decoder", r);
    std::unique_ptr<AVFrame, FrameDeleter> frame(av_frame_alloc());
    std::unique_ptr<SwsContext, SwsDeleter> sws;
    JoinedPiece jp;
    jp.camera = piece.camera;
    jp.from_us = piece.file_start_us;
    jp.out_from_us = offset;
    TimeUs first_pts = AV_NOPTS_VALUE;
    TimeUs out_end = offset;
    absl::Status status;
    cv::Mat bgr, sized;
    auto drain = [&]() -> absl::Status {
      for (;;) {
        const int got = avcodec_receive_frame(dec.get(), frame.get());
        if (got == AVERROR(EAGAIN) || got == AVERROR_EOF) return absl::OkStatus();
        if (got < 0) return fail("cannot decode", got);
        TimeUs t = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
        const TimeUs site = t - first_pts + piece.file_start_us;
        if (site < piece.file_start_us || site >= piece.to_us) continue;
        sws.reset(sws_getCachedContext(sws.release(), frame->width, frame->height,
                                       static_cast<AVPixelFormat>(frame->format), frame->width, frame->height,
                                       AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr));
        if (sws == nullptr) return fail("cannot convert the frame", AVERROR(EINVAL));
        bgr.create(frame->height, frame->width, CV_8UC3);
        uint8_t* dst[1] = {bgr.data};
        const int stride[1] = {static_cast<int>(bgr.step)};
        sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dst, stride);
        if (bgr.cols != out_w || bgr.rows != out_h) {
          cv::resize(bgr, sized, cv::Size(out_w, out_h), 0, 0, cv::INTER_AREA);
        } else {
          sized = bgr;
        }
        const TimeUs out_t = offset + (site - piece.file_start_us);
        DIDBAN_RETURN_IF_ERROR(writer->Write(sized, out_t));
        ++jp.frames;
        jp.to_us = std::max(jp.to_us, site + in.frame_us);
        out_end = std::max(out_end, out_t + in.frame_us);
      }
    };
    DIDBAN_RETURN_IF_ERROR(ForEachPacket(in, [&](AVPacket* p) {
      if (first_pts == AV_NOPTS_VALUE) first_pts = p->pts;
      if (p->dts - first_pts + piece.file_start_us >= piece.to_us) return false;
      const int s = avcodec_send_packet(dec.get(), p);
      if (s < 0 && s != AVERROR(EAGAIN)) {
        status = fail("cannot decode", s);
        return false;
      }
      status = drain();
      return status.ok();
    }));
    DIDBAN_RETURN_IF_ERROR(status);
    avcodec_send_packet(dec.get(), nullptr);
    DIDBAN_RETURN_IF_ERROR(drain());
    jp.out_to_us = out_end;
    offset = out_end;
    join->frames += jp.frames;
    join->pieces.push_back(jp);
  }
  if (join->frames == 0) return absl::NotFoundError(absl::StrCat("follow export to '", out_path, "': no frame"));
  DIDBAN_RETURN_IF_ERROR(writer->Close());
  join->encoder = writer->CodecName();
  join->duration_us = offset;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<FollowJoin> JoinFollowPieces(const std::vector<FollowPieceFile>& pieces, const std::string& out_path,
                                            const FollowJoinOptions& options) {
  if (pieces.empty()) return absl::InvalidArgumentError(absl::StrCat("follow export to '", out_path, "': no piece"));
  std::vector<Input> inputs;
  for (size_t i = 0; i < pieces.size(); ++i) {
    if (pieces[i].to_us <= pieces[i].file_start_us) {
      return absl::InvalidArgumentError(absl::StrCat("follow piece ", i, " (", pieces[i].camera, "): to_us ",
                                                     pieces[i].to_us, " is not after its start ",
                                                     pieces[i].file_start_us));
    }
    DIDBAN_ASSIGN_OR_RETURN(Input in, OpenPiece(pieces[i], i));
    inputs.push_back(std::move(in));
  }
  FollowJoin join;
  join.path = out_path;
  for (size_t i = 1; i < inputs.size() && join.stream_copy; ++i) {
    const std::string diff = Difference(*inputs.front().st->codecpar, *inputs[i].st->codecpar);
    if (!diff.empty()) {
      join.stream_copy = false;
      join.reencode_reason =
          absl::StrCat("piece ", i, " (", pieces[i].camera, ") differs from piece 0 (", pieces[0].camera, "): ", diff);
    }
  }
  absl::Status st =
      join.stream_copy ? JoinByCopy(inputs, out_path, &join) : JoinByReencode(inputs, out_path, options, &join);
  if (!st.ok()) {
    std::error_code ec;
    std::filesystem::remove(out_path, ec);
    return st;
  }
  for (size_t i = 1; i < join.pieces.size(); ++i) {
    join.pieces[i].repeat_us = std::max<TimeUs>(0, join.pieces[i - 1].to_us - join.pieces[i].from_us);
  }
  return join;
}

}  // namespace didban::record
