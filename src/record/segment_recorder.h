// Recording by stream copy: a PacketSink that writes a camera's packets into fragmented-MP4 segment files on its own
// writer thread, cut at keyframes, indexed through SegmentIndex, continuous or for events only, and that stops with
// an alert on a full disk and resumes when space returns (analysis is never slowed: packets are queued, not waited
// for). Masked recording (`masked_recording: true`): a MaskedReencoder in front of the recorder decodes the camera's
// packets, fills the privacy masks and encodes H.264 (record/h264_encoder.h), so the recorder writes the same
// segments from masked video only; such segments are named with kMaskedSegmentTag (IsMaskedSegment).
#ifndef DIDBAN_RECORD_SEGMENT_RECORDER_H_
#define DIDBAN_RECORD_SEGMENT_RECORDER_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "didban/status.h"
#include "didban/time.h"
#include "record/file_system.h"
#include "record/h264_encoder.h"
#include "record/privacy_mask.h"
#include "record/segment.h"
#include "source/packet.h"

namespace didban::record {

enum class RecordMode {
  kContinuous,  // every packet is recorded
  kEvents,      // only around events: Hold() ranges, with pre-roll kept in memory
};

// What a recorder tells the operator: recording stopped (disk full, write error) or resumed.
struct RecorderAlert {
  std::string camera;
  bool recording = false;  // false: recording stopped; true: it resumed
  std::string message;     // names the camera, the file and the cause
};

struct SegmentRecorderOptions {
  std::string camera;  // camera name (files and index); required
  std::string dir;     // the camera's recording folder; segment files go directly into it; required
  RecordMode mode = RecordMode::kContinuous;
  TimeUs segment_us = 60'000'000;     // a segment is cut at the first keyframe this long after its start, microseconds
  TimeUs fragment_us = 1'000'000;     // fragments end at keyframes and at most this long apart (0 = keyframes only):
                                      // after a crash the open segment plays up to its last fragment
  TimeUs pre_roll_us = 5'000'000;     // event mode: recorded before an event (from the keyframe before), microseconds
  size_t queue_packets = 1024;        // packets queued for the writer thread (> 0); more are dropped and counted
  int64_t min_free_bytes = 64 << 20;  // no new segment starts while the disk has less free; recording resumes above
  TimeUs retry_us = 5'000'000;        // after a stop, free space is checked again at most this often (stream time)
  FileSystem* fs = nullptr;           // nullptr = LocalFileSystem(). Not owned.
  SegmentIndex* index = nullptr;      // told of opened/closed segments; may be nullptr. Not owned.
  // The packets are a masked re-encode (MaskedReencoder): segment files are named "<camera>.masked-<UTC>.mp4"
  // (SegmentFileName of the camera name plus kMaskedSegmentTag), which IsMaskedSegment() recognises.
  bool masked = false;
  std::function<void(const RecorderAlert&)> on_alert;  // called on the writer thread; may be empty

  absl::Status Validate() const;
};

struct RecorderCounters {
  int64_t packets = 0;          // packets received from the source
  int64_t packets_written = 0;  // packets muxed into segments
  int64_t packets_dropped = 0;  // packets dropped because the writer's queue was full (then up to a keyframe)
  int64_t packets_lost = 0;     // packets of fragments that a write error cut off (not in any file)
  int64_t packets_skipped = 0;  // packets not recorded while stopped (disk full, write error) or outside events
  int64_t segments = 0;         // segments closed
  int64_t write_errors = 0;     // segments cut short by a write error (disk full included)
  int64_t bytes = 0;            // bytes of closed segments
  bool recording = true;        // false while stopped by a full disk or a write error
};

// One camera's recorder. OnStreamStart/OnPacket/OnStreamEnd come from the source's thread and only queue; Hold(),
// Counters() and Close() are thread-safe. The segment being written is closed (renamed from ".part") at a cut, at
// the end of a stream, and on Close().
class SegmentRecorder final : public source::PacketSink {
 public:
  static absl::StatusOr<std::unique_ptr<SegmentRecorder>> Create(SegmentRecorderOptions options);
  ~SegmentRecorder() override;  // Close()
  SegmentRecorder(const SegmentRecorder&) = delete;
  SegmentRecorder& operator=(const SegmentRecorder&) = delete;

  void OnStreamStart(const source::PacketStreamInfo& info) override;
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override;
  void OnStreamEnd() override;

  // Event mode: record [from_us - pre-roll, to_us] (stream times); overlapping holds merge, past ones are forgotten,
  // at most 64 are pending (the earliest are dropped). No effect in continuous mode (the store keeps event clips from
  // retention instead).
  void Hold(TimeUs from_us, TimeUs to_us);
  // Writes what is queued, closes the open segment and stops the writer thread. Idempotent.
  void Close();

  RecorderCounters Counters() const;
  // Blocks until the writer thread has handled everything queued so far.
  void WaitIdleForTest();

 private:
  struct Item;
  struct Writer;
  explicit SegmentRecorder(SegmentRecorderOptions options);
  void Push(std::unique_ptr<Item> item);
  void Run();

  const SegmentRecorderOptions options_;
  // Touched only on the source's thread (OnStreamStart / OnPacket): the last packet time of the connection and the
  // frame duration, to time a packet that comes without timestamps (RTSP's first packet often has none); recording
  // of a connection starts at its first keyframe with a time.
  TimeUs last_packet_us_ = source::kNoPacketTime;
  TimeUs frame_us_ = 40'000;
  std::unique_ptr<Writer> writer_;  // state of the writer thread (touched only there)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool resync_ ABSL_GUARDED_BY(mu_) = false;  // a packet was dropped: drop up to the next keyframe
  std::vector<std::pair<TimeUs, TimeUs>> holds_ ABSL_GUARDED_BY(mu_);  // event mode: [from, to], sorted, disjoint
  RecorderCounters counters_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

// Masked segments carry this tag after the camera's name in their file name ("gate.masked-20261202T...Z.mp4"), so
// the mark survives repair and re-indexing and needs no column in the index.
inline constexpr char kMaskedSegmentTag[] = ".masked";
// True when `path` is a segment of `camera` recorded masked (SegmentRecorderOptions::masked). A camera whose own
// name ends in ".masked" is not mistaken: the tag must follow the camera's full (sanitised) name.
bool IsMaskedSegment(const std::string& path, const std::string& camera);

struct MaskedReencoderOptions {
  std::string camera;          // for messages; required
  PrivacyMask mask;            // filled on every frame (full-resolution pixels); required (not empty)
  H264EncoderOptions encoder;  // fps is taken from the stream when it declares one; keyframes every second
  size_t queue_packets = 512;  // packets queued for the re-encode thread (> 0); more are dropped (to a keyframe)
  int decode_threads = 1;      // decoder threads (>= 0; 0 = FFmpeg's choice)

  absl::Status Validate() const;
};

struct ReencoderCounters {
  int64_t packets = 0;          // packets received from the source
  int64_t packets_dropped = 0;  // dropped because the queue was full (then up to a keyframe)
  int64_t frames_decoded = 0;
  int64_t frames_encoded = 0;  // masked frames given to the encoder
  int64_t decode_errors = 0;   // packets the decoder refused (the picture resumes at the next keyframe)
  int64_t encode_errors = 0;   // frames the encoder refused; the connection's encoder is then dropped
  double cpu_seconds = 0;      // CPU time of the re-encode thread (decode + mask + encode)
};

// A PacketSink that turns a camera's stream-copied packets into a masked H.264 stream for another PacketSink (the
// camera's SegmentRecorder): on its own thread it decodes each packet, fills the mask's polygons with black and
// encodes the frame at its own time (pts_us). Each connection (OnStreamStart .. OnStreamEnd) becomes one encoded
// stream (the encoder's OnStreamStart .. OnStreamEnd on `out`). Nothing unmasked reaches `out`: a frame that cannot
// be decoded or masked is not encoded. OnStreamStart/OnPacket/OnStreamEnd come from the source's thread and only
// queue; Close() and Counters() are thread-safe.
class MaskedReencoder final : public source::PacketSink {
 public:
  // `out` is not owned; it must outlive Close() and gets its calls from the re-encode thread only.
  static absl::StatusOr<std::unique_ptr<MaskedReencoder>> Create(MaskedReencoderOptions options,
                                                                 source::PacketSink* out);
  ~MaskedReencoder() override;  // Close()
  MaskedReencoder(const MaskedReencoder&) = delete;
  MaskedReencoder& operator=(const MaskedReencoder&) = delete;

  void OnStreamStart(const source::PacketStreamInfo& info) override;
  void OnPacket(const AVPacket& packet, TimeUs pts_us, TimeUs dts_us) override;
  void OnStreamEnd() override;

  // Re-encodes what is queued, ends the open stream on `out` and stops the thread. Idempotent.
  void Close();
  ReencoderCounters Counters() const;
  // Blocks until the thread has handled everything queued so far.
  void WaitIdleForTest();

 private:
  struct Item;
  struct Worker;
  MaskedReencoder(MaskedReencoderOptions options, source::PacketSink* out);
  void Push(std::unique_ptr<Item> item);
  void Run();

  const MaskedReencoderOptions options_;
  source::PacketSink* const out_;
  std::unique_ptr<Worker> worker_;  // touched only on the re-encode thread
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Item>> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  bool resync_ ABSL_GUARDED_BY(mu_) = false;  // a packet was dropped: drop up to the next keyframe
  ReencoderCounters counters_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_SEGMENT_RECORDER_H_
