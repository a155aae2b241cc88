// Writing BGR frames to a video file: H.264 (libx264) in MP4 through libavcodec/libavformat, MPEG-4 part 2 when the
// FFmpeg build has no libx264.
#ifndef DIDBAN_RECORD_VIDEO_WRITER_H_
#define DIDBAN_RECORD_VIDEO_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "didban/status.h"
#include "didban/time.h"

namespace didban::record {

struct VideoWriterOptions {
  double fps = 25.0;                // declared frame rate, frames per second (> 0); also spaces frames written
                                    // without a timestamp
  std::string codec = "libx264";    // FFmpeg encoder name; "libx264" falls back to "mpeg4" when missing
  int crf = 23;                     // libx264 constant rate factor, 0..51 (lower = better, bigger)
  std::string preset = "veryfast";  // libx264 speed preset
  int mpeg4_bitrate_kbps = 4000;    // bit rate of the mpeg4 encoder, kilobits per second (> 0)
  int threads = 1;                  // encoder threads (>= 0; 0 = FFmpeg's choice)
  // MP4/MOV only: write a fragmented file (an empty moov first, then a moof+mdat per key frame, each flushed to disk
  // as it is complete), which stays playable up to its last complete fragment if the process dies without Close().
  // false = a plain MP4 whose index (moov) is written by Close().
  bool fragmented = false;
  // libx264: tune for zero latency (no lookahead, no B-frames), so a frame is in the file soon after Write() and
  // Close() has few frames left to flush (live runs); false = the better compression of lookahead.
  bool low_latency = false;

  absl::Status Validate() const;
};

// Encodes BGR frames into one video file (container from the file name: .mp4, .mkv, .avi ...). The encoder is set up
// at the first frame, whose size every later frame must have; odd widths/heights are padded by scaling to the next
// even size (4:2:0 needs even sizes). Timestamps start the stream at 0 and must increase (a frame whose time does not
// advance is placed one tick after the previous one). Thread-compatible.
class VideoWriter {
 public:
  // Opens `path` for writing. Errors name the path: "cannot write video 'PATH': ...".
  static absl::StatusOr<std::unique_ptr<VideoWriter>> Create(const std::string& path,
                                                             const VideoWriterOptions& options);
  ~VideoWriter();  // Close()s, ignoring errors
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Appends an 8-bit BGR frame shown at `pts_us` (microseconds, any origin: the first frame becomes time 0).
  absl::Status Write(const cv::Mat& bgr, TimeUs pts_us);
  // Appends a frame one nominal frame interval (1/fps) after the previous one.
  absl::Status Write(const cv::Mat& bgr);
  // Flushes the encoder and finishes the file. Idempotent. Writing no frame at all is an error (the file is removed).
  absl::Status Close();

  int64_t FramesWritten() const { return frames_; }
  // The encoder in use ("libx264" or "mpeg4"); "" before the first frame.
  const std::string& CodecName() const { return codec_name_; }
  const std::string& Path() const { return path_; }

 private:
  struct Impl;
  VideoWriter(std::string path, VideoWriterOptions options);
  absl::Status StartEncoder(int width, int height);
  absl::Status Encode(bool flush);
  absl::Status Error(const std::string& what) const;

  const std::string path_;
  const VideoWriterOptions options_;
  std::unique_ptr<Impl> impl_;
  std::string codec_name_;
  int64_t frames_ = 0;
  TimeUs first_pts_us_ = 0;
  TimeUs last_pts_us_ = 0;
  bool closed_ = false;
};

}  // namespace didban::record

#endif  // DIDBAN_RECORD_VIDEO_WRITER_H_
