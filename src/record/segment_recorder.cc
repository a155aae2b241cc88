#include "record/segment_recorder.h"

#include <time.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <opencv2/core.hpp>

#include "absl/strings/str_cat.h"
#include "record/fmp4_muxer.h"
#include "source/av_util.h"

namespace didban::record {
namespace {

constexpr char kPart[] = ".part";
// Event mode keeps at least this much video in memory besides the pre-roll, for events reported late.
constexpr TimeUs kEventLatencyUs = 2'000'000;
constexpr size_t kMaxHolds = 64;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

absl::Status SegmentRecorderOptions::Validate() const {
  if (camera.empty()) return absl::InvalidArgumentError("recorder: camera is empty");
  if (dir.empty()) return absl::InvalidArgumentError(absl::StrCat("recorder of camera '", camera, "': dir is empty"));
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("recorder of camera '", camera, "': ", what));
  };
  if (segment_us <= 0) return bad(absl::StrCat("segment_us must be > 0, got ", segment_us));
  if (fragment_us < 0) return bad(absl::StrCat("fragment_us must be >= 0, got ", fragment_us));
  if (pre_roll_us < 0) return bad(absl::StrCat("pre_roll_us must be >= 0, got ", pre_roll_us));
  if (queue_packets == 0) return bad("queue_packets must be > 0");
  if (min_free_bytes < 0) return bad(absl::StrCat("min_free_bytes must be >= 0, got ", min_free_bytes));
  if (retry_us < 0) return bad(absl::StrCat("retry_us must be >= 0, got ", retry_us));
  return absl::OkStatus();
}

struct SegmentRecorder::Item {
  enum class Kind { kStart, kPacket, kEnd } kind = Kind::kPacket;
  AVCodecParameters* codecpar = nullptr;  // kStart
  AVRational time_base = {0, 1};
  AVRational frame_rate = {0, 1};
  AVPacket* packet = nullptr;  // kPacket
  TimeUs pts_us = source::kNoPacketTime;
  TimeUs dts_us = source::kNoPacketTime;

  Item() = default;
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;
  ~Item() {
    avcodec_parameters_free(&codecpar);
    av_packet_free(&packet);
  }
  bool Key() const { return packet != nullptr && (packet->flags & AV_PKT_FLAG_KEY) != 0; }
  TimeUs Time() const { return pts_us != source::kNoPacketTime ? pts_us : dts_us; }
};

// The writer thread's state.
struct SegmentRecorder::Writer {
  std::unique_ptr<Item> stream;  // the kStart item of the current connection
  std::unique_ptr<WritableFile> file;
  std::unique_ptr<Fmp4Muxer> muxer;
  SegmentInfo segment;
  bool stopped = false;  // by a full disk or a write error
  TimeUs next_check_us = source::kNoPacketTime;
  TimeUs last_time_us = 0;
  std::deque<std::unique_ptr<Item>> preroll;  // event mode: recent packets, from a keyframe
};

SegmentRecorder::SegmentRecorder(SegmentRecorderOptions options)
    : options_(std::move(options)), writer_(std::make_unique<Writer>()) {}

absl::StatusOr<std::unique_ptr<SegmentRecorder>> SegmentRecorder::Create(SegmentRecorderOptions options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (options.fs == nullptr) options.fs = &LocalFileSystem();
  std::unique_ptr<SegmentRecorder> r(new SegmentRecorder(std::move(options)));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

SegmentRecorder::~SegmentRecorder() { Close(); }

void SegmentRecorder::Push(std::unique_ptr<Item> item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    if (item->kind == Item::Kind::kPacket) {
      ++counters_.packets;
      if (resync_ && !item->Key()) {
        ++counters_.packets_dropped;
        return;
      }
      if (queue_.size() >= options_.queue_packets) {
        ++counters_.packets_dropped;
        resync_ = true;
        return;
      }
      resync_ = false;
    }
    queue_.push_back(std::move(item));
  }
  cv_.notify_all();
}

void SegmentRecorder::OnStreamStart(const source::PacketStreamInfo& info) {
  auto item = std::make_unique<Item>();
  item->kind = Item::Kind::kStart;
  item->codecpar = avcodec_parameters_alloc();
  if (item->codecpar == nullptr || info.codecpar == nullptr ||
      avcodec_parameters_copy(item->codecpar, info.codecpar) < 0) {
    spdlog::error("recorder of camera '{}': cannot copy the stream's codec parameters", options_.camera);
    return;
  }
  item->time_base = info.time_base;
  item->frame_rate = info.frame_rate;
  last_packet_us_ = source::kNoPacketTime;
  frame_us_ = info.frame_rate.num > 0 && info.frame_rate.den > 0
                  ? std::clamp<TimeUs>(av_rescale(1'000'000, info.frame_rate.den, info.frame_rate.num), 1000, 1'000'000)
                  : 40'000;
  {
    std::lock_guard<std::mutex> lock(mu_);
    resync_ = true;  // a connection starts at a keyframe for the recorder
  }
  Push(std::move(item));
}

void SegmentRecorder::OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) {
  if (pts_us == source::kNoPacketTime && dts_us == source::kNoPacketTime) {
    if (last_packet_us_ == source::kNoPacketTime) {
      // No time to place it at (the first packet of an RTSP session often has none): recording starts at the next
      // keyframe that has one.
      std::lock_guard<std::mutex> lock(mu_);
      ++counters_.packets;
      ++counters_.packets_skipped;
      return;
    }
    pts_us = dts_us = last_packet_us_ + frame_us_;  // one frame after the previous packet
  }
  if (last_packet_us_ == source::kNoPacketTime && (packet.flags & AV_PKT_FLAG_KEY) == 0) {
    std::lock_guard<std::mutex> lock(mu_);  // the stream's first keyframe had no time: wait for the next one
    ++counters_.packets;
    ++counters_.packets_skipped;
    return;
  }
  last_packet_us_ = std::max(pts_us, dts_us);
  auto item = std::make_unique<Item>();
  item->packet = av_packet_clone(&packet);
  if (item->packet == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.packets;
    ++counters_.packets_dropped;
    resync_ = true;
    return;
  }
  item->pts_us = pts_us;
  item->dts_us = dts_us;
  Push(std::move(item));
}

void SegmentRecorder::OnStreamEnd() {
  auto item = std::make_unique<Item>();
  item->kind = Item::Kind::kEnd;
  Push(std::move(item));
}

void SegmentRecorder::Hold(TimeUs from_us, TimeUs to_us) {
  std::lock_guard<std::mutex> lock(mu_);
  from_us -= options_.pre_roll_us;
  if (to_us < from_us) return;
  holds_.emplace_back(from_us, to_us);
  std::sort(holds_.begin(), holds_.end());
  std::vector<std::pair<TimeUs, TimeUs>> merged;
  for (const auto& h : holds_) {
    if (!merged.empty() && h.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, h.second);
    } else {
      merged.push_back(h);
    }
  }
  if (merged.size() > kMaxHolds) merged.erase(merged.begin(), merged.end() - kMaxHolds);
  holds_ = std::move(merged);
}

RecorderCounters SegmentRecorder::Counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void SegmentRecorder::WaitIdleForTest() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return (queue_.empty() && !busy_) || stop_; });
}

void SegmentRecorder::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SegmentRecorder::Run() {
  Writer& w = *writer_;
  auto count = [this](auto&& update) {
    std::lock_guard<std::mutex> lock(mu_);
    update(counters_);
  };
  auto alert = [this](bool recording, std::string message) {
    if (recording) {
      spdlog::info("{}", message);
    } else {
      spdlog::error("{}", message);
    }
    if (options_.on_alert) options_.on_alert(RecorderAlert{options_.camera, recording, std::move(message)});
  };
  auto stop = [&](TimeUs t, const std::string& message) {
    w.stopped = true;
    w.next_check_us = t + options_.retry_us;
    count([](RecorderCounters& c) { c.recording = false; });
    alert(false, absl::StrCat("recording of camera '", options_.camera, "' stopped: ", message));
  };
  auto info_now = [&](bool open) {
    SegmentInfo s = w.segment;
    s.open = open;
    s.frames = open ? w.muxer->CompletePackets() : w.muxer->Packets();
    s.end_us = open ? w.muxer->CompleteEndUs() : w.muxer->EndUs();
    s.bytes = open ? w.muxer->CompleteBytes() : w.file->Size();
    return s;
  };
  auto report_closed = [&](SegmentInfo s) {
    count([&](RecorderCounters& c) {
      ++c.segments;
      c.bytes += s.bytes;
    });
    if (options_.index != nullptr) options_.index->OnSegmentClosed(s);
  };
  // A write failed: keep the complete fragments, stop recording.
  auto fail = [&](TimeUs t, const absl::Status& error) {
    SegmentInfo s = info_now(true);
    count([&](RecorderCounters& c) {
      ++c.write_errors;
      const int64_t lost = w.muxer->Packets() - w.muxer->CompletePackets();
      c.packets_written -= lost;
      c.packets_lost += lost;
    });
    s.open = false;
    std::string part = w.segment.path + kPart;
    absl::Status kept = s.frames > 0 ? w.file->Truncate(s.bytes) : absl::CancelledError("no complete fragment");
    (void)w.file->Close();
    w.muxer.reset();
    w.file.reset();
    if (kept.ok() && options_.fs->Rename(part, s.path).ok()) {
      report_closed(s);
    } else {
      (void)options_.fs->Remove(part);
    }
    stop(t, std::string(error.message()));
  };
  auto close_segment = [&](TimeUs t) {
    if (w.muxer == nullptr) return;
    if (absl::Status s = w.muxer->Finish(); !s.ok()) return fail(t, s);
    SegmentInfo s = info_now(false);
    if (absl::Status c = w.file->Close(); !c.ok()) return fail(t, c);
    w.muxer.reset();
    w.file.reset();
    if (absl::Status r = options_.fs->Rename(s.path + kPart, s.path); !r.ok()) return stop(t, std::string(r.message()));
    report_closed(s);
  };
  auto open_segment = [&](const Item& first) -> bool {
    TimeUs t = first.Time();
    absl::StatusOr<int64_t> free = options_.fs->FreeBytes(options_.dir);
    if (!free.ok()) {
      // The folder may not exist yet: ask about its parent.
      free = options_.fs->FreeBytes(std::filesystem::path(options_.dir).parent_path().string());
    }
    if (free.ok() && *free < options_.min_free_bytes) {
      stop(t, absl::StrCat("the disk of '", options_.dir, "' has ", *free, " bytes free, below min_free_bytes ",
                           options_.min_free_bytes));
      return false;
    }
    TimeUs origin = first.dts_us != source::kNoPacketTime ? first.dts_us : t;
    SegmentInfo s;
    s.camera = options_.camera;
    const std::string file_camera = options_.masked ? options_.camera + kMaskedSegmentTag : options_.camera;
    s.path = (std::filesystem::path(options_.dir) / SegmentFileName(file_camera, origin)).string();
    s.origin_us = origin;
    s.start_us = t;
    s.end_us = t;
    s.open = true;
    s.event = options_.mode == RecordMode::kEvents;
    absl::StatusOr<std::unique_ptr<WritableFile>> file = options_.fs->OpenForWrite(s.path + kPart);
    if (!file.ok()) {
      count([](RecorderCounters& c) { ++c.write_errors; });
      stop(t, std::string(file.status().message()));
      return false;
    }
    Fmp4MuxerOptions mo;
    mo.fragment_us = options_.fragment_us;
    mo.time_origin_us = origin;
    absl::StatusOr<std::unique_ptr<Fmp4Muxer>> muxer = Fmp4Muxer::Create(
        *w.stream->codecpar, w.stream->time_base, w.stream->frame_rate, file->get(), mo, s.path + kPart);
    if (!muxer.ok()) {
      (void)(*file)->Close();
      (void)options_.fs->Remove(s.path + kPart);
      count([](RecorderCounters& c) { ++c.write_errors; });
      stop(t, std::string(muxer.status().message()));
      return false;
    }
    w.file = std::move(*file);
    w.muxer = std::move(*muxer);
    w.segment = s;
    if (options_.index != nullptr) options_.index->OnSegmentOpened(s);
    return true;
  };
  // Continuous recording of one packet (also the event mode's packets inside a hold).
  auto record = [&](const Item& item) {
    TimeUs t = item.Time();
    if (w.stopped) {
      if (!item.Key() || t < w.next_check_us) {
        count([](RecorderCounters& c) { ++c.packets_skipped; });
        return;
      }
      absl::StatusOr<int64_t> free = options_.fs->FreeBytes(options_.dir);
      if (!free.ok() || *free < options_.min_free_bytes) {
        w.next_check_us = t + options_.retry_us;
        count([](RecorderCounters& c) { ++c.packets_skipped; });
        return;
      }
      w.stopped = false;
      count([](RecorderCounters& c) { c.recording = true; });
      alert(true, absl::StrCat("recording of camera '", options_.camera, "' resumed: ", *free, " bytes free"));
    }
    if (w.muxer != nullptr && item.Key() && t - w.segment.start_us >= options_.segment_us) close_segment(t);
    if (w.muxer == nullptr) {
      if (!item.Key() || w.stopped || !open_segment(item)) {
        count([](RecorderCounters& c) { ++c.packets_skipped; });
        return;
      }
    }
    if (absl::Status s = w.muxer->Write(*item.packet, item.pts_us, item.dts_us); !s.ok()) {
      count([](RecorderCounters& c) { ++c.packets_lost; });
      return fail(t, s);
    }
    count([](RecorderCounters& c) { ++c.packets_written; });
  };

  for (;;) {
    std::unique_ptr<Item> item;
    bool in_hold = false;
    TimeUs hold_from = 0;
    {
      std::unique_lock<std::mutex> lock(mu_);
      busy_ = false;
      cv_.notify_all();
      cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stop_ and drained
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      if (item->kind == Item::Kind::kPacket && options_.mode == RecordMode::kEvents) {
        const TimeUs t = item->Time();
        while (!holds_.empty() && holds_.front().second < t) holds_.erase(holds_.begin());
        if (!holds_.empty() && holds_.front().first <= t) {
          in_hold = true;
          hold_from = holds_.front().first;
        }
      }
    }
    switch (item->kind) {
      case Item::Kind::kStart:
        close_segment(w.last_time_us);
        count([&](RecorderCounters& c) { c.packets_skipped += static_cast<int64_t>(w.preroll.size()); });
        w.preroll.clear();
        w.stream = std::move(item);
        break;
      case Item::Kind::kEnd:
        close_segment(w.last_time_us);
        count([&](RecorderCounters& c) { c.packets_skipped += static_cast<int64_t>(w.preroll.size()); });
        w.preroll.clear();
        w.stream.reset();
        break;
      case Item::Kind::kPacket: {
        if (w.stream == nullptr) {
          count([](RecorderCounters& c) { ++c.packets_skipped; });
          break;
        }
        const TimeUs t = item->Time();
        w.last_time_us = t;
        if (options_.mode == RecordMode::kContinuous) {
          record(*item);
          break;
        }
        if (!in_hold) {
          if (w.muxer != nullptr) close_segment(t);
          // Keep the pre-roll: from the newest keyframe at or before t - (pre-roll + latency).
          if (item->Key()) {
            const TimeUs keep_from = t - options_.pre_roll_us - kEventLatencyUs;
            size_t cut = 0;
            for (size_t i = 0; i < w.preroll.size(); ++i) {
              if (w.preroll[i]->Key() && w.preroll[i]->Time() <= keep_from) cut = i;
            }
            count([&](RecorderCounters& c) { c.packets_skipped += static_cast<int64_t>(cut); });
            w.preroll.erase(w.preroll.begin(), w.preroll.begin() + static_cast<std::ptrdiff_t>(cut));
          }
          if (!w.preroll.empty() || item->Key()) {
            w.preroll.push_back(std::move(item));
          } else {
            count([](RecorderCounters& c) { ++c.packets_skipped; });
          }
          break;
        }
        if (w.muxer == nullptr && !w.preroll.empty()) {
          // An event began: write the buffered packets and this one from the newest keyframe at or before hold_from.
          w.preroll.push_back(std::move(item));
          size_t first = 0;
          for (size_t i = 0; i < w.preroll.size(); ++i) {
            if (w.preroll[i]->Key() && w.preroll[i]->Time() <= hold_from) first = i;
          }
          count([&](RecorderCounters& c) { c.packets_skipped += static_cast<int64_t>(first); });
          for (size_t i = first; i < w.preroll.size(); ++i) record(*w.preroll[i]);
          w.preroll.clear();
          break;
        }
        record(*item);
        break;
      }
    }
  }
  close_segment(w.last_time_us);
}

// ---------------------------------------------------------------------------------------------------------------
// Masked recording

bool IsMaskedSegment(const std::string& path, const std::string& camera) {
  const std::optional<ParsedSegmentName> parsed = ParseSegmentFileName(std::filesystem::path(path).filename().string());
  return parsed && parsed->camera == SafeCameraName(camera) + kMaskedSegmentTag;
}

absl::Status MaskedReencoderOptions::Validate() const {
  if (camera.empty()) return absl::InvalidArgumentError("masked re-encode: camera is empty");
  auto bad = [&](const std::string& what) {
    return absl::InvalidArgumentError(absl::StrCat("masked re-encode of camera '", camera, "': ", what));
  };
  if (mask.empty()) return bad("privacy mask is empty (masked recording needs privacy_masks)");
  if (queue_packets == 0) return bad("queue_packets must be > 0");
  if (decode_threads < 0) return bad(absl::StrCat("decode_threads must be >= 0, got ", decode_threads));
  if (absl::Status s = encoder.Validate(); !s.ok()) return bad(std::string(s.message()));
  return absl::OkStatus();
}

struct MaskedReencoder::Item {
  enum class Kind { kStart, kPacket, kEnd } kind = Kind::kPacket;
  AVCodecParameters* codecpar = nullptr;  // kStart
  AVRational frame_rate = {0, 1};
  AVPacket* packet = nullptr;  // kPacket; pts/dts rewritten to microseconds (pts_us, dts_us)

  Item() = default;
  Item(const Item&) = delete;
  Item& operator=(const Item&) = delete;
  ~Item() {
    avcodec_parameters_free(&codecpar);
    av_packet_free(&packet);
  }
};

// The re-encode thread's state: the decoder and encoder of the current connection.
struct MaskedReencoder::Worker {
  AVCodecContext* dec = nullptr;
  AVFrame* frame = nullptr;
  SwsContext* sws = nullptr;
  int sws_w = 0, sws_h = 0, sws_fmt = -1;
  std::unique_ptr<H264Encoder> encoder;
  H264EncoderOptions encoder_options;
  cv::Mat bgr;
  bool failed = false;  // the connection's encoder refused a frame: nothing more is encoded until the next start

  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { CloseDecoder(); }
  void CloseDecoder() {
    avcodec_free_context(&dec);
    av_frame_free(&frame);
    sws_freeContext(sws);
    sws = nullptr;
    sws_fmt = -1;
  }
};

MaskedReencoder::MaskedReencoder(MaskedReencoderOptions options, source::PacketSink* out)
    : options_(std::move(options)), out_(out), worker_(std::make_unique<Worker>()) {}

absl::StatusOr<std::unique_ptr<MaskedReencoder>> MaskedReencoder::Create(MaskedReencoderOptions options,
                                                                         source::PacketSink* out) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  if (out == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("masked re-encode of camera '", options.camera, "': no output"));
  }
  std::unique_ptr<MaskedReencoder> r(new MaskedReencoder(std::move(options), out));
  r->thread_ = std::thread([p = r.get()] { p->Run(); });
  return r;
}

MaskedReencoder::~MaskedReencoder() { Close(); }

void MaskedReencoder::Push(std::unique_ptr<Item> item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    if (item->kind == Item::Kind::kPacket) {
      ++counters_.packets;
      const bool key = (item->packet->flags & AV_PKT_FLAG_KEY) != 0;
      if (resync_ && !key) {
        ++counters_.packets_dropped;
        return;
      }
      if (queue_.size() >= options_.queue_packets) {
        ++counters_.packets_dropped;
        resync_ = true;
        return;
      }
      resync_ = false;
    }
    queue_.push_back(std::move(item));
  }
  cv_.notify_all();
}

void MaskedReencoder::OnStreamStart(const source::PacketStreamInfo& info) {
  auto item = std::make_unique<Item>();
  item->kind = Item::Kind::kStart;
  item->codecpar = avcodec_parameters_alloc();
  if (item->codecpar == nullptr || info.codecpar == nullptr ||
      avcodec_parameters_copy(item->codecpar, info.codecpar) < 0) {
    spdlog::error("masked re-encode of camera '{}': cannot copy the stream's codec parameters", options_.camera);
    return;
  }
  item->frame_rate = info.frame_rate;
  {
    std::lock_guard<std::mutex> lock(mu_);
    resync_ = true;  // decoding starts at a keyframe
  }
  Push(std::move(item));
}

void MaskedReencoder::OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) {
  auto item = std::make_unique<Item>();
  item->packet = av_packet_clone(&packet);
  if (item->packet == nullptr) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counters_.packets;
    ++counters_.packets_dropped;
    resync_ = true;
    return;
  }
  // The decoder carries the packet's times to its frame: in microseconds, each frame comes out at its own pts_us.
  item->packet->pts = pts_us == source::kNoPacketTime ? AV_NOPTS_VALUE : pts_us;
  item->packet->dts = dts_us == source::kNoPacketTime ? AV_NOPTS_VALUE : dts_us;
  item->packet->duration = 0;
  Push(std::move(item));
}

void MaskedReencoder::OnStreamEnd() {
  auto item = std::make_unique<Item>();
  item->kind = Item::Kind::kEnd;
  Push(std::move(item));
}

ReencoderCounters MaskedReencoder::Counters() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counters_;
}

void MaskedReencoder::WaitIdleForTest() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return (queue_.empty() && !busy_) || stop_; });
}

void MaskedReencoder::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MaskedReencoder::Run() {
  Worker& w = *worker_;
  auto count = [this](auto&& update) {
    std::lock_guard<std::mutex> lock(mu_);
    update(counters_);
  };
  // Ends the connection's encoded stream on `out` (the encoder drains, then calls out->OnStreamEnd()).
  auto finish = [&] {
    if (w.encoder != nullptr) {
      if (absl::Status s = w.encoder->Finish(); !s.ok()) {
        spdlog::error("masked re-encode of camera '{}': {}", options_.camera, std::string(s.message()));
      }
      w.encoder.reset();
    }
    w.CloseDecoder();
  };
  // One decoded frame: to BGR, the mask filled, encoded at its own time.
  auto encode = [&](const AVFrame& f) {
    count([](ReencoderCounters& c) { ++c.frames_decoded; });
    const TimeUs pts = f.best_effort_timestamp != AV_NOPTS_VALUE ? f.best_effort_timestamp : f.pts;
    if (w.failed || pts == AV_NOPTS_VALUE || f.width <= 0 || f.height <= 0) return;
    if (w.sws == nullptr || w.sws_w != f.width || w.sws_h != f.height || w.sws_fmt != f.format) {
      sws_freeContext(w.sws);
      w.sws = sws_getContext(f.width, f.height, static_cast<AVPixelFormat>(f.format), f.width, f.height,
                             AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr);
      w.sws_w = f.width;
      w.sws_h = f.height;
      w.sws_fmt = f.format;
      if (w.sws == nullptr) return;
    }
    w.bgr.create(f.height, f.width, CV_8UC3);
    uint8_t* dst[4] = {w.bgr.data, nullptr, nullptr, nullptr};
    const int dst_stride[4] = {static_cast<int>(w.bgr.step[0]), 0, 0, 0};
    sws_scale(w.sws, f.data, f.linesize, 0, f.height, dst, dst_stride);
    ApplyPrivacyMask(options_.mask, w.bgr);
    if (w.encoder == nullptr) {
      absl::StatusOr<std::unique_ptr<H264Encoder>> e = H264Encoder::Create(w.encoder_options, out_);
      if (!e.ok()) {
        spdlog::error("masked re-encode of camera '{}': {}", options_.camera, std::string(e.status().message()));
        w.failed = true;
        count([](ReencoderCounters& c) { ++c.encode_errors; });
        return;
      }
      w.encoder = *std::move(e);
    }
    if (absl::Status s = w.encoder->Encode(w.bgr, pts); !s.ok()) {
      spdlog::error("masked re-encode of camera '{}': {}", options_.camera, std::string(s.message()));
      w.failed = true;  // e.g. the size changed within a connection; the next connection starts again
      count([](ReencoderCounters& c) { ++c.encode_errors; });
      return;
    }
    count([](ReencoderCounters& c) { ++c.frames_encoded; });
  };
  auto drain = [&] {
    while (w.dec != nullptr && avcodec_receive_frame(w.dec, w.frame) == 0) {
      encode(*w.frame);
      av_frame_unref(w.frame);
    }
  };
  auto start = [&](const Item& item) {
    finish();
    w.failed = false;
    w.encoder_options = options_.encoder;
    if (w.encoder_options.name == H264EncoderOptions().name) {
      w.encoder_options.name = absl::StrCat("masked recording of ", options_.camera);
    }
    if (item.frame_rate.num > 0 && item.frame_rate.den > 0) {
      const double fps = av_q2d(item.frame_rate);
      if (fps >= 1 && fps <= 240) w.encoder_options.fps = fps;
    }
    const AVCodec* codec = avcodec_find_decoder(item.codecpar->codec_id);
    w.dec = codec != nullptr ? avcodec_alloc_context3(codec) : nullptr;
    w.frame = av_frame_alloc();
    if (w.dec == nullptr || w.frame == nullptr || avcodec_parameters_to_context(w.dec, item.codecpar) < 0) {
      spdlog::error("masked re-encode of camera '{}': no decoder for the stream", options_.camera);
      w.CloseDecoder();
      return;
    }
    w.dec->pkt_timebase = source::kAvMicroseconds;
    w.dec->thread_count = options_.decode_threads;
    if (int r = avcodec_open2(w.dec, codec, nullptr); r < 0) {
      spdlog::error("masked re-encode of camera '{}': cannot open the decoder: {}", options_.camera,
                    source::AvError(r));
      w.CloseDecoder();
    }
  };

  for (;;) {
    std::unique_ptr<Item> item;
    {
      std::unique_lock<std::mutex> lock(mu_);
      busy_ = false;
      cv_.notify_all();
      cv_.wait(lock, [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stop_ and drained
      item = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    const double cpu0 = ThreadCpuSeconds();
    switch (item->kind) {
      case Item::Kind::kStart:
        start(*item);
        break;
      case Item::Kind::kEnd:
        if (w.dec != nullptr && avcodec_send_packet(w.dec, nullptr) >= 0) drain();
        finish();
        break;
      case Item::Kind::kPacket:
        if (w.dec == nullptr) break;
        if (avcodec_send_packet(w.dec, item->packet) < 0) count([](ReencoderCounters& c) { ++c.decode_errors; });
        drain();
        break;
    }
    const double cpu = ThreadCpuSeconds() - cpu0;
    count([cpu](ReencoderCounters& c) { c.cpu_seconds += cpu; });
  }
  if (w.dec != nullptr && avcodec_send_packet(w.dec, nullptr) >= 0) drain();
  finish();
}

}  // namespace didban::record
