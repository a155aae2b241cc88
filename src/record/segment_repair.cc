#include "record/segment_repair.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/error.h>
}

#include "absl/strings/str_cat.h"
#include "source/av_util.h"

namespace didban::record {
namespace {

using source::AvError;

uint64_t BigEndian(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

absl::StatusOr<int64_t> CompleteFragmentsLength(const std::string& path) {
  std::error_code ec;
  const auto file_size = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (ec) return absl::NotFoundError(absl::StrCat("cannot read '", path, "': ", ec.message()));
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open '", path, "'"));
  int64_t pos = 0;
  int64_t complete = 0;
  bool moov = false;
  bool moof = false;  // a moof is waiting for its mdat
  while (pos + 8 <= file_size) {
    std::array<unsigned char, 16> h{};
    in.seekg(pos);
    in.read(reinterpret_cast<char*>(h.data()), std::min<int64_t>(16, file_size - pos));
    if (!in && !in.eof()) break;
    in.clear();
    uint64_t size = BigEndian(h.data(), 4);
    std::string type(reinterpret_cast<const char*>(h.data() + 4), 4);
    if (size == 1) {
      if (pos + 16 > file_size) break;
      size = BigEndian(h.data() + 8, 8);
    }
    if (size < 8 || static_cast<int64_t>(size) > file_size - pos) break;  // 0 (to the end) or cut short
    pos += static_cast<int64_t>(size);
    if (type == "moov") {
      moov = true;
      complete = pos;
    } else if (type == "moof") {
      moof = true;
    } else if (type == "mdat" && moof && moov) {
      moof = false;
      complete = pos;
    } else if (!moof && moov && type != "mdat") {
      complete = pos;  // e.g. a trailing mfra/free box between fragments
    }
  }
  return moov ? complete : 0;
}

absl::StatusOr<SegmentInfo> ProbeSegment(const std::string& path, const std::string& camera) {
  std::string name = std::filesystem::path(path).filename().string();
  std::optional<ParsedSegmentName> parsed = ParseSegmentFileName(name);
  if (!parsed.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not named as a segment (camera-UTC.mp4)"));
  }
  AVFormatContext* fmt = nullptr;
  int r = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr);
  if (r < 0) return absl::DataLossError(absl::StrCat("cannot open segment '", path, "': ", AvError(r)));
  SegmentInfo s;
  s.camera = camera;
  s.path = path;
  s.origin_us = parsed->origin_us;
  s.open = parsed->open;
  int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) {
    avformat_close_input(&fmt);
    return absl::DataLossError(absl::StrCat("segment '", path, "' has no video stream"));
  }
  AVRational tb = fmt->streams[v]->time_base;
  AVPacket* pkt = av_packet_alloc();
  bool first = true;
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == v) {
      TimeUs pts = av_rescale_q(pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts, tb, source::kAvMicroseconds);
      TimeUs end = pts + av_rescale_q(pkt->duration, tb, source::kAvMicroseconds);
      if (first) s.start_us = s.origin_us + pts;
      s.end_us = first ? s.origin_us + end : std::max(s.end_us, s.origin_us + end);
      first = false;
      ++s.frames;
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&fmt);
  std::error_code ec;
  s.bytes = static_cast<int64_t>(std::filesystem::file_size(path, ec));
  if (first) return absl::DataLossError(absl::StrCat("segment '", path, "' holds no video packet"));
  return s;
}

absl::StatusOr<std::vector<RepairedSegment>> RepairSegments(const std::string& dir, const std::string& camera,
                                                            SegmentIndex* index) {
  std::error_code ec;
  std::vector<std::string> parts;
  if (!std::filesystem::exists(dir, ec)) return std::vector<RepairedSegment>();
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::optional<ParsedSegmentName> p = ParseSegmentFileName(e.path().filename().string());
    if (p.has_value() && p->open && e.is_regular_file()) parts.push_back(e.path().string());
  }
  if (ec) return absl::InternalError(absl::StrCat("cannot list '", dir, "': ", ec.message()));
  std::sort(parts.begin(), parts.end());
  std::vector<RepairedSegment> out;
  for (const std::string& part : parts) {
    RepairedSegment r;
    r.part_path = part;
    DIDBAN_ASSIGN_OR_RETURN(int64_t keep, CompleteFragmentsLength(part));
    const auto size = static_cast<int64_t>(std::filesystem::file_size(part, ec));
    std::string final_path = part.substr(0, part.size() - 5);  // without ".part"
    absl::StatusOr<SegmentInfo> probed = absl::DataLossError("no complete fragment");
    if (keep > 0) {
      std::filesystem::resize_file(part, static_cast<uintmax_t>(keep), ec);
      if (ec) return absl::InternalError(absl::StrCat("cannot truncate '", part, "': ", ec.message()));
      r.bytes_cut = size - keep;
      std::filesystem::rename(part, final_path, ec);
      if (ec) return absl::InternalError(absl::StrCat("cannot rename '", part, "': ", ec.message()));
      probed = ProbeSegment(final_path, camera);
      if (!probed.ok()) std::filesystem::remove(final_path, ec);
    } else {
      r.bytes_cut = size;
      std::filesystem::remove(part, ec);
    }
    if (probed.ok()) {
      r.segment = *probed;
      if (index != nullptr) index->OnSegmentClosed(r.segment);
    } else {
      r.removed = true;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace didban::record
