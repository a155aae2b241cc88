// Live video for browsers, fanned out once per camera to every viewer:
//  - fragmented MP4 by stream copy (no re-encoding): each camera's demuxed packets arrive through a PacketSink (the
//    source's packet tee, beside the segment recorder), go through one record::LiveFmp4 muxer per camera while at
//    least one viewer watches (nothing is muxed when nobody does), and every fragment is queued to every viewer. The
//    group of pictures since the last keyframe is kept, so a new viewer starts at once at the latest keyframe.
//  - fragmented MP4 re-encoded with privacy masks, for a camera with masks (options.masked) and a viewer who may not
//    unmask: while at least one such viewer watches, the camera's packets (the same tee) are queued to one worker
//    thread per camera that decodes them, fills the masks (options.mask_pixels) and encodes H.264 once
//    (record::H264Encoder, a keyframe a second), muxed as above; every masked viewer of the camera shares it. Frame
//    times are kept: media time + origin_us is the frame's pts_us as for the stream copy, so boxes drawn from the
//    tracks messages land on the frames. The encoder, decoder and muxer are freed when the last masked viewer leaves.
//  - MJPEG as a fallback: while at least one MJPEG viewer watches a camera, its latest analysed frame is JPEG-encoded
//    once (at most `mjpeg_fps` times a second, only when a new frame arrived) and the one encoded part goes to all of
//    that camera's MJPEG viewers.
// Each viewer has its own bounded queue: a viewer of MP4 whose queue fills skips to the next keyframe (counted) and is
// cut off after `max_skips` skips in a row; an MJPEG viewer drops its oldest frame (counted). A slow viewer never
// slows the camera or the other viewers. Thread-safe.
#ifndef DIDBAN_SERVER_LIVE_VIDEO_H_
#define DIDBAN_SERVER_LIVE_VIDEO_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "absl/base/thread_annotations.h"
#include "didban/frame.h"
#include "didban/status.h"
#include "didban/time.h"
#include "record/h264_encoder.h"
#include "server/metrics.h"
#include "source/packet.h"

namespace didban::server {

struct LiveVideoOptions {
  size_t viewer_queue_messages = 256;    // per MP4 viewer; full: the viewer skips to the next keyframe
  size_t viewer_queue_bytes = 16 << 20;  // per MP4 viewer, bytes queued; over it: skips likewise
  int max_skips = 8;                     // skips in a row (no keyframe sent in between) before a cut-off
  size_t mjpeg_queue_frames = 2;         // per MJPEG viewer; full: the oldest frame is dropped
  double mjpeg_fps = 8;                  // at most this many JPEG frames a second per camera, > 0
  int mjpeg_quality = 75;                // JPEG quality, 1..100
  int max_viewers_per_camera = 256;      // more viewers of one camera are refused (503)
  // fMP4 fragments: 0 = one per packet (lowest latency); > 0 = a fragment ends once it spans this much video, so each
  // viewer gets fewer, larger writes (the server's CPU per viewer) for at most this much more latency.
  TimeUs fragment_us = 0;
  // The camera's latest analysed frame, or nullptr before the first. Called on the MJPEG thread, only while someone
  // watches the camera's MJPEG. May be empty (no MJPEG: the route answers 501).
  std::function<FramePtr(const std::string& camera)> latest_frame;
  // Applied to a private copy of the frame's pixels before the JPEG encode that every viewer shares, and to every
  // decoded frame (full resolution) of the masked re-encode: the place for privacy masks (record/privacy_mask.h). May
  // be empty (no masking).
  std::function<void(const std::string& camera, cv::Mat* image)> mask_pixels;
  // Whether the camera has privacy masks: its fMP4 viewers who may not unmask get the masked re-encode, whose
  // full-resolution frames go through mask_pixels (called on the camera's masked worker thread). Asked when a viewer
  // arrives. May be empty (no camera is masked); needs mask_pixels.
  std::function<bool(const std::string& camera)> masked;
  // The masked re-encode: veryfast, zerolatency, a keyframe a second, CRF 23, one thread by default (fps and name are
  // taken from the stream and the camera).
  record::H264EncoderOptions masked_encoder;
  size_t masked_queue_packets = 50;  // per camera, packets waiting for the re-encode; full: dropped to a keyframe

  absl::Status Validate() const;
};

// One message for a viewer: a text (JSON) message or binary bytes (an fMP4 init segment or fragment, or one
// multipart MJPEG part with its headers). Shared by every viewer; never changed.
struct LiveMessage {
  bool text = false;  // a JSON text message (the init description)
  bool init = false;  // an fMP4 init segment (ftyp + moov)
  bool key = false;   // an fMP4 fragment that starts at a keyframe
  std::shared_ptr<const std::string> bytes;
};

class LiveFeed;

// One viewer's bounded queue. The producer side (a camera's demux thread, the MJPEG thread) pushes and calls
// `on_ready` when the queue was empty; the connection pops on its own strand. Thread-safe.
class LiveViewer {
 public:
  // Next message to send, if any.
  std::optional<LiveMessage> TryPop();
  // The viewer skipped too often and must be disconnected (the connection counts it and closes).
  bool CutOff() const;
  // Detaches from the camera; no more messages arrive. Idempotent.
  void Close();
  int64_t Skipped() const;

  LiveViewer(LiveFeed* feed, bool mjpeg, std::function<void()> on_ready, const LiveVideoOptions& options);

 private:
  friend class LiveFeed;
  // Producer side, called with the feed's lock held; returns whether on_ready should be called (the queue was empty,
  // or the viewer was just cut off).
  bool Push(const LiveMessage& m);

  LiveFeed* const feed_;
  const bool mjpeg_;
  const std::function<void()> on_ready_;
  const LiveVideoOptions& options_;
  mutable std::mutex mu_;
  std::deque<LiveMessage> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool waiting_key_ ABSL_GUARDED_BY(mu_) = false;  // skipping: fragments are dropped until the next keyframe
  int skips_in_row_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t skipped_ ABSL_GUARDED_BY(mu_) = 0;  // skips (MP4) or dropped frames (MJPEG)
  bool cut_off_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // A stream-copy viewer who may see the camera without its privacy masks (set before the viewer is published).
  bool may_unmask_ = false;
};

// Per-camera figures for /metrics.
struct LiveVideoStats {
  std::string camera;
  int mp4_viewers = 0;     // of the stream copy
  int masked_viewers = 0;  // of the masked re-encode
  int mjpeg_viewers = 0;
  bool muxing = false;              // packets go to the muxer now
  int64_t fragments_total = 0;      // fMP4 fragments made
  int64_t bytes_total = 0;          // fMP4 bytes made (init segments and fragments)
  int64_t skips_total = 0;          // MP4 viewers' skips to the next keyframe
  int64_t cutoffs_total = 0;        // viewers cut off (too many skips in a row)
  int64_t jpeg_frames_total = 0;    // JPEG frames encoded (once per camera, shared by its MJPEG viewers)
  int64_t mjpeg_dropped_total = 0;  // MJPEG frames dropped by full viewer queues
  int64_t mux_errors_total = 0;
  // The masked re-encode.
  bool masked_encoding = false;         // the encoder runs now
  int64_t masked_frames_total = 0;      // frames decoded, masked and encoded (once per camera)
  int64_t masked_fragments_total = 0;   // its fMP4 fragments
  int64_t masked_bytes_total = 0;       // its fMP4 bytes (init segments and fragments)
  int64_t masked_dropped_total = 0;     // packets dropped because the re-encode fell behind (then up to a keyframe)
  int64_t masked_errors_total = 0;      // decode, encode and mux errors
  double masked_cpu_seconds_total = 0;  // CPU time of the camera's masked worker thread (decode + mask + encode)
};

class LiveVideo {
 public:
  static absl::StatusOr<std::unique_ptr<LiveVideo>> Create(LiveVideoOptions options);
  ~LiveVideo();  // stops the MJPEG thread; viewers still attached get no more messages
  LiveVideo(const LiveVideo&) = delete;
  LiveVideo& operator=(const LiveVideo&) = delete;

  // The packet tee's sink for `camera` (made on first use, valid for the LiveVideo's lifetime). Its calls must come
  // from one thread at a time (the camera's demux thread), as source::PacketSink says.
  source::PacketSink* PacketSink(const std::string& camera);

  // A new viewer of the camera's fMP4. It first gets the text init message and the init segment, then the fragments
  // from the latest keyframe on (at once when the camera is being muxed; else from the next keyframe). `on_ready` is
  // called (from a producer thread, with the camera's lock held but not the viewer's: it should only post a wake-up)
  // when a message arrives in an empty queue.
  // `unmasked`: the viewer may see the camera without its privacy masks (the caller checked the permission). A camera
  // with privacy masks (options.masked) gives a viewer that is not `unmasked` the masked re-encode; `unmasked`
  // viewers, and every viewer of a camera without masks, get the stream copy. When a camera gains masks while
  // viewers who may not unmask watch its stream copy, they are cut off at the next keyframe (they reconnect to the
  // masked re-encode).
  // ResourceExhausted over max_viewers_per_camera. The caller checks that the camera exists.
  absl::StatusOr<std::shared_ptr<LiveViewer>> WatchMp4(const std::string& camera, std::function<void()> on_ready,
                                                       bool unmasked = false);
  // A new viewer of the camera's MJPEG parts. Unimplemented without options.latest_frame.
  absl::StatusOr<std::shared_ptr<LiveViewer>> WatchMjpeg(const std::string& camera, std::function<void()> on_ready);

  std::vector<LiveVideoStats> Stats() const;  // by camera
  // Blocks until the camera's masked re-encode has handled every packet queued so far.
  void WaitMaskedIdleForTest(const std::string& camera);
  bool HasMjpeg() const { return static_cast<bool>(options_.latest_frame); }

  // The multipart boundary of MJPEG replies ("Content-Type: multipart/x-mixed-replace; boundary=<it>").
  static constexpr char kBoundary[] = "didbanframe";

 private:
  explicit LiveVideo(LiveVideoOptions options);
  LiveFeed* FeedOf(const std::string& camera);
  void MjpegLoop();

  const LiveVideoOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<LiveFeed>> feeds_ ABSL_GUARDED_BY(mu_);
  std::condition_variable mjpeg_wake_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> mjpeg_viewers_{0};
  std::thread mjpeg_thread_;
};

// didban_live_video_viewers{camera,format} (format mp4, mp4_masked, mjpeg), didban_live_video_fragments_total{camera},
// ..._bytes_total, ..._skips_total, ..._cutoffs_total, ..._jpeg_frames_total, ..._mjpeg_dropped_total,
// ..._mux_errors_total, ..._masked_frames_total, ..._masked_cpu_seconds_total, ..._masked_dropped_total,
// ..._masked_errors_total: scrape-time collectors of `metrics`. `video` must outlive `metrics`' renders.
void AddLiveVideoMetrics(LiveVideo& video, MetricsRegistry& metrics);

// The MSE codec string of a stream ("avc1.64001f" for H.264 from its SPS; "hvc1" for HEVC; else the codec's name).
std::string MseCodecString(const AVCodecParameters& codecpar);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_LIVE_VIDEO_H_
