// H.264 encoding of BGR frames (libx264 through libavcodec) into the packets that stream-copy consumers take: the
// encoder is a producer for a source::PacketSink (the segment recorder, the live fMP4 muxer), which gets
// OnStreamStart (codec parameters with the SPS/PPS as extradata), OnPacket for every encoded packet, on the frames'
// own microsecond timeline, and OnStreamEnd, exactly as it would from a camera's packet tee. Used where pixels must
// change before they leave the server: the masked live view and masked recording of cameras with privacy masks.
#ifndef DIDBAN_RECORD_H264_ENCODER_H_
#define DIDBAN_RECORD_H264_ENCODER_H_

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "didban/status.h"
#include "didban/time.h"
#include "source/packet.h"

namespace didban::record {

struct H264EncoderOptions {
  double fps = 25.0;                 // nominal frame rate (> 0): the stream's declared rate and the GOP length unit
  double keyframe_interval_s = 1.0;  // a keyframe every this many seconds of frames (> 0; at least every frame)
  int crf = 23;                      // constant rate factor 0..51 (lower = better, bigger); used when bitrate_kbps == 0
  int bitrate_kbps = 0;              // > 0: average bit rate instead of CRF (with a VBV of one second at that rate)
  std::string preset = "veryfast";   // libx264 speed preset (ultrafast, superfast, veryfast, faster, ...)
  bool zero_latency = true;          // tune zerolatency: no lookahead and no B-frames (a packet per frame, at once)
  int threads = 1;                   // encoder threads (>= 0; 0 = libx264's choice)
  std::string name = "H.264 encoder";  // prefixes error messages (e.g. "masked live video of north")

  absl::Status Validate() const;
};

// Encodes frames of one size into `out`. The encoder starts at the first frame (which calls out->OnStreamStart) and
// every later frame must have its size; odd sizes are padded by scaling to the next even size. Frame times must
// increase (a time that does not is nudged one microsecond past the previous one). Packets reach `out` in decode
// order with pts_us = the time given to Encode() for that frame; each packet is only borrowed for the call. The
// first packet is a keyframe (IDR), then one every keyframe_interval_s * fps frames counted from the previous one,
// and one whenever Encode() is told to force it (no scene-cut keyframes). Thread-compatible; `out` is not owned and
// must outlive the encoder (or its Finish()).
class H264Encoder {
 public:
  // InvalidArgument for bad options; NotFound when FFmpeg has no libx264.
  static absl::StatusOr<std::unique_ptr<H264Encoder>> Create(const H264EncoderOptions& options,
                                                             source::PacketSink* out);
  ~H264Encoder();  // Finish()es, ignoring errors
  H264Encoder(const H264Encoder&) = delete;
  H264Encoder& operator=(const H264Encoder&) = delete;

  // Encodes an 8-bit BGR frame shown at `pts_us`. `force_keyframe`: this frame becomes a keyframe (IDR), e.g. for a
  // viewer that joins. Errors name the encoder and the frame.
  absl::Status Encode(const cv::Mat& bgr, TimeUs pts_us, bool force_keyframe = false);
  // Drains the frames still in the encoder into `out`, then calls out->OnStreamEnd() (when the stream started).
  // Idempotent; no Encode() after it.
  absl::Status Finish();

  // The stream's codec parameters (H.264, size, extradata = SPS/PPS in Annex B); nullptr before the first frame.
  const AVCodecParameters* CodecParameters() const;
  int64_t FramesIn() const { return frames_in_; }
  int64_t PacketsOut() const { return packets_out_; }
  int64_t Keyframes() const { return keyframes_; }
  int64_t BytesOut() const { return bytes_out_; }
  // Frames per keyframe interval (the GOP length) in use.
  int GopFrames() const { return gop_frames_; }

 private:
  struct Impl;
  H264Encoder(H264EncoderOptions options, source::PacketSink* out);
  absl::Status Start(int width, int height);
  absl::Status Drain();
  absl::Status Error(const std::string& what) const;

  const H264EncoderOptions options_;
  source::PacketSink* const out_;
  std::unique_ptr<Impl> impl_;
  int gop_frames_ = 0;
  int64_t frames_in_ = 0;
  int64_t packets_out_ = 0;
  int64_t keyframes_ = 0;
  int64_t bytes_out_ = 0;
  TimeUs origin_us_ = 0;  // pts of the first frame: encoder times are relative to it (in microseconds)
  TimeUs last_pts_us_ = source::kNoPacketTime;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_H264_ENCODER_H_
