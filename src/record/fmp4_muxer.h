// Fragmented MP4 by stream copy: still-encoded packets in, an init segment (ftyp + moov) and media fragments
// (moof + mdat) out to a ByteSink, through libavformat's mp4 muxer. Used by the segment recorder (one file per
// segment) and for live video to browsers (Media Source Extensions), one muxer per camera.
#ifndef DIDBAN_RECORD_FMP4_MUXER_H_
#define DIDBAN_RECORD_FMP4_MUXER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "didban/status.h"
#include "didban/time.h"
#include "record/file_system.h"
#include "source/packet.h"

namespace didban::record {

struct Fmp4MuxerOptions {
  // A fragment ends before each keyframe and before a packet that would make it span longer than this,
  // microseconds; 0 = fragments end at keyframes only.
  TimeUs fragment_us = 1'000'000;
  // Each packet is its own fragment (live video: lowest latency). Overrides fragment_us.
  bool fragment_every_packet = false;
  // A fragment also ends right after the packet that makes it span at least this long (from its first packet's decode
  // time to this packet's end), microseconds; 0 = off. Live video: fewer, larger fragments (fewer writes per viewer)
  // for at most this much latency.
  TimeUs flush_after_us = 0;
  // Times in the file are packet times minus this origin, microseconds (the track's timescale is 1 MHz);
  // source::kNoPacketTime = the first packet's decode time, so the file's decode times start at 0.
  TimeUs time_origin_us = source::kNoPacketTime;

  absl::Status Validate() const;
};

// Muxes one video stream. The init segment is written by Create(); packets must come in decode order, the first one
// a keyframe. Bytes reach the sink when a fragment ends, so after a crash the sink holds the init segment and every
// ended fragment. Thread-compatible.
class Fmp4Muxer {
 public:
  // `codecpar` is copied. `time_base` is that of AVPacket::duration; `frame_rate` ({0,1} = unknown, 25 assumed)
  // spaces packets that carry no duration or time. `name` prefixes error messages (e.g. the file path). `out` is not
  // owned and must outlive the muxer.
  static absl::StatusOr<std::unique_ptr<Fmp4Muxer>> Create(const AVCodecParameters& codecpar, AVRational time_base,
                                                           AVRational frame_rate, ByteSink* out,
                                                           const Fmp4MuxerOptions& options, std::string name);
  ~Fmp4Muxer();
  Fmp4Muxer(const Fmp4Muxer&) = delete;
  Fmp4Muxer& operator=(const Fmp4Muxer&) = delete;

  // Adds one packet at `pts_us`/`dts_us` (the source's timeline; kNoPacketTime = unknown). A decode time that does
  // not increase is nudged one microsecond past the previous one (counted in TimestampFixes()).
  absl::Status Write(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us);
  // Ends the current fragment (writes it to the sink); nothing happens when no packet is pending.
  absl::Status EndFragment();
  // Ends the last fragment. No index (mfra) is written: the file is complete as it is. Idempotent.
  absl::Status Finish();

  // Bytes written to the sink by ended fragments and the init segment: a prefix that is a playable file.
  int64_t CompleteBytes() const { return complete_bytes_; }
  int64_t InitBytes() const { return init_bytes_; }
  int64_t Packets() const { return packets_; }
  int64_t Fragments() const { return fragments_; }
  // Packets written since the last fragment ended.
  int64_t PendingPackets() const { return pending_; }
  int64_t TimestampFixes() const { return timestamp_fixes_; }
  // The time origin in use (time 0 of the file on the source's timeline); kNoPacketTime before the first packet.
  TimeUs TimeOriginUs() const { return origin_us_; }
  // The first packet's presentation time and the end (last presentation time + duration) of packets written.
  TimeUs FirstPtsUs() const { return first_pts_us_; }
  TimeUs EndUs() const { return end_us_; }
  // Packets that ended fragments cover up to this time (end of the last ended fragment).
  TimeUs CompleteEndUs() const { return complete_end_us_; }
  int64_t CompletePackets() const { return complete_packets_; }

 private:
  struct Impl;
  Fmp4Muxer(std::string name, Fmp4MuxerOptions options, ByteSink* out);
  absl::Status Error(const std::string& what, int av_error) const;
  absl::Status CheckSink(int av_result, const std::string& what);
  static int WriteCallback(void* opaque, uint8_t* buf, int size);

  const std::string name_;
  const Fmp4MuxerOptions options_;
  ByteSink* const out_;
  std::unique_ptr<Impl> impl_;
  absl::Status sink_error_;
  int64_t bytes_ = 0;
  int64_t complete_bytes_ = 0;
  int64_t init_bytes_ = 0;
  int64_t packets_ = 0;
  int64_t fragments_ = 0;
  int64_t timestamp_fixes_ = 0;
  int64_t pending_ = 0;  // packets in the open fragment
  int64_t complete_packets_ = 0;
  TimeUs frame_us_ = 40'000;
  TimeUs origin_us_ = source::kNoPacketTime;
  TimeUs first_pts_us_ = source::kNoPacketTime;
  TimeUs fragment_start_us_ = 0;
  TimeUs fragment_start_dts_us_ = 0;
  TimeUs last_dts_us_ = source::kNoPacketTime;
  TimeUs end_us_ = source::kNoPacketTime;
  TimeUs complete_end_us_ = source::kNoPacketTime;
  bool finished_ = false;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_FMP4_MUXER_H_
