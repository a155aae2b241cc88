// Consumers of demuxed, still-encoded video packets: the source hands every packet of its video stream to a
// PacketSink (the segment recorder, the live fMP4 muxer) as well as to its decoder, so recording and live video are
// stream copies of the one camera connection and only analysis decodes.
#ifndef DIDBAN_SOURCE_PACKET_H_
#define DIDBAN_SOURCE_PACKET_H_

#include <limits>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/codec_par.h>
#include <libavutil/rational.h>
}

#include "didban/time.h"

namespace didban::source {

// A packet time the stream did not give (neither pts nor dts); the sink places the packet one nominal frame after
// the previous one.
constexpr TimeUs kNoPacketTime = std::numeric_limits<TimeUs>::min();

// What a sink needs to mux the stream of one connection. Pointers are valid only during OnStreamStart().
struct PacketStreamInfo {
  const AVCodecParameters* codecpar = nullptr;  // codec, size and extradata (SPS/PPS) of the video stream
  AVRational time_base = {0, 1};                // time base of AVPacket::pts/dts/duration
  AVRational frame_rate = {0, 1};               // nominal frame rate as FFmpeg guesses it; {0, 1} = unknown
  bool live = false;                            // a live input (timestamps are wall-clock microseconds)
};

// Receives the packets of one source. All calls come from the thread that calls Source::Read() (the source's demux
// thread), in order: OnStreamStart, OnPacket..., OnStreamEnd, and again OnStreamStart after each reconnect. Calls must
// not block: a sink that writes to disk or the network queues the packet (av_packet_ref) to its own thread with a
// bounded queue and counts what it drops. Thread-compatible from the source's side.
class PacketSink {
 public:
  virtual ~PacketSink() = default;

  // A connection's video stream is open (the first call, and after every reconnect).
  virtual void OnStreamStart(const PacketStreamInfo& info) = 0;
  // One packet of the video stream in demux (decode) order. `pts_us` is on the same microsecond timeline as
  // Frame::pts_us of the frame that this packet decodes to (for a frame whose timestamp the source had to nudge
  // forward to keep frame times increasing, the frame's time is one microsecond or so later); `dts_us` is the
  // decode time on the same timeline. Either may be kNoPacketTime. The packet is only borrowed for the call.
  virtual void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) = 0;
  // The connection ended (end of file, lost connection before a reconnect, or the source closing).
  virtual void OnStreamEnd() = 0;
};

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_PACKET_H_
