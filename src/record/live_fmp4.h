// Live video for browsers: one camera's stream-copied video as fragmented MP4 in memory (an init segment, then
// fragments of one packet, or of up to `fragment_us` of video) for Media Source Extensions. The track's timescale is 1
// MHz and libavformat starts its media time at the stream's first decode time, which the init chunk carries
// (LiveChunk::pts_us): a browser maps media time t to Frame::pts_us (the timestamps of the track messages) as
// init.pts_us + t * 1e6. One per camera; the server fans the chunks out to viewers with their own bounded queues.
#ifndef DIDBAN_RECORD_LIVE_FMP4_H_
#define DIDBAN_RECORD_LIVE_FMP4_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "didban/time.h"
#include "record/fmp4_muxer.h"
#include "source/packet.h"

namespace didban::record {

struct LiveChunk {
  bool init = false;  // the init segment (ftyp + moov); a new one follows every reconnect
  bool key = false;   // a fragment that starts with a keyframe (a viewer may join here)
  TimeUs pts_us = 0;  // presentation time of the fragment's first frame (Frame::pts_us)
  std::shared_ptr<const std::string> bytes;
};

// A PacketSink muxing in memory on the source's thread (no I/O, so it does not block) and handing each chunk to
// `on_chunk`, which must not block either. The latest init segment is kept for viewers that join. Thread-safe.
class LiveFmp4 final : public source::PacketSink {
 public:
  // `fragment_us` 0: each packet is its own fragment (lowest latency); > 0: a fragment ends once it spans this much
  // video (and before every keyframe), so viewers get fewer, larger writes for at most this much more latency.
  LiveFmp4(std::string camera, std::function<void(const LiveChunk&)> on_chunk, TimeUs fragment_us = 0);
  ~LiveFmp4() override;
  LiveFmp4(const LiveFmp4&) = delete;
  LiveFmp4& operator=(const LiveFmp4&) = delete;

  void OnStreamStart(const source::PacketStreamInfo& info) override;
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override;
  void OnStreamEnd() override;

  // The init segment of the current stream; nullptr before the first keyframe.
  std::shared_ptr<const std::string> InitSegment() const;
  int64_t Errors() const;

 private:
  class Buffer;
  const std::string camera_;
  const std::function<void(const LiveChunk&)> on_chunk_;
  const TimeUs fragment_us_;
  mutable std::mutex mu_;
  std::unique_ptr<Buffer> buffer_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Fmp4Muxer> muxer_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<AVCodecParameters> codecpar_ ABSL_GUARDED_BY(mu_);
  AVRational time_base_ ABSL_GUARDED_BY(mu_) = {0, 1};
  AVRational frame_rate_ ABSL_GUARDED_BY(mu_) = {0, 1};
  std::shared_ptr<const std::string> init_ ABSL_GUARDED_BY(mu_);
  int64_t errors_ ABSL_GUARDED_BY(mu_) = 0;
  // The open fragment's first packet: whether it is a keyframe, and its time.
  bool pending_key_ ABSL_GUARDED_BY(mu_) = false;
  TimeUs pending_pts_us_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_LIVE_FMP4_H_
