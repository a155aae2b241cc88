#include "record/clip_export.h"

#include <algorithm>
#include <array>
#include <deque>
#include <filesystem>
#include <memory>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

#include "absl/strings/str_cat.h"
#include "source/av_util.h"

namespace didban::record {
namespace {

using source::AvError;

struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;

struct InputDeleter {
  void operator()(AVFormatContext* f) const { avformat_close_input(&f); }
};

// The output file: opened at the first packet (with that segment's codec parameters).
class Output {
 public:
  explicit Output(std::string path) : path_(std::move(path)) {}
  ~Output() {
    if (ctx_ != nullptr) {
      if (ctx_->pb != nullptr) avio_closep(&ctx_->pb);
      avformat_free_context(ctx_);
    }
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  absl::Status Open(const AVCodecParameters& par) {
    int r = avformat_alloc_output_context2(&ctx_, nullptr, "mp4", path_.c_str());
    if (r < 0) return Error("cannot create the muxer", r);
    AVStream* st = avformat_new_stream(ctx_, nullptr);
    if (st == nullptr) return absl::ResourceExhaustedError("cannot allocate a stream");
    if ((r = avcodec_parameters_copy(st->codecpar, &par)) < 0) return Error("cannot copy codec parameters", r);
    st->codecpar->codec_tag = 0;
    st->time_base = source::kAvMicroseconds;
    if ((r = avio_open(&ctx_->pb, path_.c_str(), AVIO_FLAG_WRITE)) < 0) return Error("cannot create the file", r);
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "movflags", "faststart", 0);
    r = avformat_write_header(ctx_, &opts);
    av_dict_free(&opts);
    if (r < 0) return Error("cannot write the header", r);
    return absl::OkStatus();
  }

  // `p` has times in microseconds on the segments' timeline.
  absl::Status Write(AVPacket* p) {
    if (origin_us_ == AV_NOPTS_VALUE) origin_us_ = p->dts;
    p->pts -= origin_us_;
    p->dts -= origin_us_;
    // Sources with repeated decode times (AVI's packed B-frames) are nudged forward, as the muxer requires.
    if (last_dts_ != AV_NOPTS_VALUE && p->dts <= last_dts_) {
      p->dts = last_dts_ + 1;
      if (p->pts < p->dts) p->pts = p->dts;
    }
    last_dts_ = p->dts;
    p->stream_index = 0;
    p->pos = -1;
    int r = av_interleaved_write_frame(ctx_, p);
    if (r < 0) return Error("cannot write a packet", r);
    return absl::OkStatus();
  }

  absl::Status Finish() {
    int r = av_write_trailer(ctx_);
    if (r < 0) return Error("cannot finish the file", r);
    if ((r = avio_closep(&ctx_->pb)) < 0) return Error("cannot close the file", r);
    return absl::OkStatus();
  }

  bool IsOpen() const { return ctx_ != nullptr; }

 private:
  absl::Status Error(const std::string& what, int r) const {
    return absl::InternalError(absl::StrCat("cannot export to '", path_, "': ", what, ": ", AvError(r)));
  }

  const std::string path_;
  AVFormatContext* ctx_ = nullptr;
  int64_t origin_us_ = AV_NOPTS_VALUE;
  int64_t last_dts_ = AV_NOPTS_VALUE;
};

}  // namespace

absl::StatusOr<ExportedClip> ExportClip(const std::vector<SegmentInfo>& segments, TimeUs from_us, TimeUs to_us,
                                        const std::string& out_path) {
  if (to_us <= from_us) {
    return absl::InvalidArgumentError(absl::StrCat("export to '", out_path, "': empty range ", from_us, " .. ", to_us));
  }
  std::vector<const SegmentInfo*> used;
  for (const SegmentInfo& s : segments) {
    if (!s.open && s.start_us < to_us && from_us < s.end_us) used.push_back(&s);
  }
  std::sort(used.begin(), used.end(),
            [](const SegmentInfo* a, const SegmentInfo* b) { return a->start_us < b->start_us; });
  ExportedClip clip;
  clip.path = out_path;
  Output out(out_path);
  std::deque<PacketPtr> gop;  // before the start: packets from the newest keyframe
  bool started = false;
  bool done = false;
  for (const SegmentInfo* s : used) {
    if (done) break;
    AVFormatContext* raw = nullptr;
    int r = avformat_open_input(&raw, s->path.c_str(), nullptr, nullptr);
    if (r < 0) return absl::DataLossError(absl::StrCat("cannot read segment '", s->path, "': ", AvError(r)));
    std::unique_ptr<AVFormatContext, InputDeleter> in(raw);
    int v = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (v < 0) return absl::DataLossError(absl::StrCat("segment '", s->path, "' has no video stream"));
    const AVStream* st = in->streams[v];
    if (st->codecpar->width <= 0 && (r = avformat_find_stream_info(in.get(), nullptr)) < 0) {
      return absl::DataLossError(absl::StrCat("segment '", s->path, "': no frame size: ", AvError(r)));
    }
    ++clip.segments;
    auto write = [&](AVPacket* p) -> absl::Status {
      if (!out.IsOpen()) {
        DIDBAN_RETURN_IF_ERROR(out.Open(*st->codecpar));
        clip.start_us = p->pts;
      }
      clip.end_us = std::max(clip.end_us, p->pts + p->duration);
      ++clip.frames;
      return out.Write(p);
    };
    for (;;) {
      PacketPtr p(av_packet_alloc());
      if (p == nullptr) return absl::ResourceExhaustedError("cannot allocate a packet");
      if (av_read_frame(in.get(), p.get()) < 0) break;
      if (p->stream_index != v) continue;
      // To the segments' timeline in microseconds.
      av_packet_rescale_ts(p.get(), st->time_base, source::kAvMicroseconds);
      if (p->dts == AV_NOPTS_VALUE) p->dts = p->pts;
      p->pts += s->origin_us;
      p->dts += s->origin_us;
      if (p->dts >= to_us) {
        done = true;
        break;
      }
      const bool key = (p->flags & AV_PKT_FLAG_KEY) != 0;
      if (!started) {
        if (key) gop.clear();
        if (gop.empty() && !key) continue;
        gop.push_back(std::move(p));
        if (gop.back()->pts < from_us) continue;
        // The first frame at or after the start: write from the newest keyframe before it.
        started = true;
        for (PacketPtr& g : gop) DIDBAN_RETURN_IF_ERROR(write(g.get()));
        gop.clear();
        continue;
      }
      DIDBAN_RETURN_IF_ERROR(write(p.get()));
    }
  }
  if (!out.IsOpen()) {
    std::error_code ec;
    std::filesystem::remove(out_path, ec);
    return absl::NotFoundError(absl::StrCat("no recording between ", from_us, " and ", to_us, " us for '", out_path,
                                            "' (", used.size(), " segments overlap)"));
  }
  DIDBAN_RETURN_IF_ERROR(out.Finish());
  return clip;
}

absl::StatusOr<ExportedClip> ExportEventClip(const std::vector<SegmentInfo>& segments, TimeUs event_from_us,
                                             TimeUs event_to_us, TimeUs pre_roll_us, TimeUs post_roll_us,
                                             const std::string& out_path) {
  return ExportClip(segments, event_from_us - pre_roll_us, event_to_us + post_roll_us, out_path);
}

}  // namespace didban::record
