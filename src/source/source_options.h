// Options of the video source (FFmpeg demux/decode): plain structs with units and defaults, validated before use.
#ifndef DIDBAN_SOURCE_SOURCE_OPTIONS_H_
#define DIDBAN_SOURCE_SOURCE_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "didban/status.h"
#include "didban/time.h"

namespace didban::source {

class PacketSink;  // source/packet.h

// Capped exponential backoff between reconnect attempts of a live source.
struct BackoffOptions {
  TimeUs initial_us = 500'000;  // first delay, microseconds (default 0.5 s)
  TimeUs max_us = 30'000'000;   // cap on any delay, microseconds (default 30 s)
  double multiplier = 2.0;      // each delay is the previous one times this (>= 1)
  double jitter = 0.0;          // random spread as a fraction of the delay, in [0, 1); 0 = off (default)
  uint64_t jitter_seed = 1;     // seed of the per-instance jitter generator (reproducible tests)
  // A source that was streaming comes back soon more often than not (a camera or server restart): for
  // after_loss_window_us after losing it, delays are capped at after_loss_max_us, so its return is noticed within
  // about that; later the schedule above resumes (a dead host is still backed off). Window 0 = off.
  TimeUs after_loss_max_us = 1'000'000;      // microseconds (default 1 s), > 0
  TimeUs after_loss_window_us = 60'000'000;  // microseconds (default 60 s), >= 0

  absl::Status Validate() const;
};

struct SourceOptions {
  std::string camera;          // Frame::camera; default "" = the input's file name (or host for URLs)
  int max_width = 0;           // pixels: Frame::image is downscaled to at most this width; 0 = full size
  bool keep_full = true;       // Frame::full holds the full-resolution frame; false leaves it empty when scaling
  int decode_threads = 1;      // FFmpeg decoder threads (1 = what we measure against `ffmpeg -threads 1`)
  bool live = false;           // force live behaviour (reconnect); rtsp/rtmp/http(s)/udp/tcp/srt are always live
  double sequence_fps = 25.0;  // frames per second of image sequences (`frames/%06d.jpg`), > 0
  std::string rtsp_transport = "tcp";   // "tcp" or "udp"
  TimeUs open_timeout_us = 10'000'000;  // connect/open deadline of network inputs, microseconds
  TimeUs read_timeout_us = 10'000'000;  // a network read that stalls longer fails (and reconnects), microseconds
  bool retry_open = false;              // live only: a failed first Open() retries with backoff instead of failing
  int max_reconnects = -1;              // live only: consecutive failed attempts before kFailed; -1 = retry forever
  BackoffOptions backoff;               // delays between reconnect attempts
  size_t pool_size = 8;                 // decoded buffers kept for reuse (per image size), >= 1
  Clock* clock = nullptr;               // wall/steady time and sleeping; nullptr = SystemClock(). Not owned.
  PacketSink* packet_sink = nullptr;    // gets every video packet as the decoder does (recorder, live video);
                                        // nullptr = none. Not owned; must outlive the source.

  absl::Status Validate() const;
};

// Reads options from a component's JSON parameters (keys as the field names, times in seconds with an `_s` suffix:
// `open_timeout_s`, `read_timeout_s`, `backoff_initial_s`, `backoff_max_s`, `backoff_multiplier`, `backoff_jitter`).
// Unknown keys and bad values are InvalidArgument errors naming the key. `uri` is accepted and ignored here.
absl::StatusOr<SourceOptions> ParseSourceOptions(const nlohmann::json& params);

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_SOURCE_OPTIONS_H_
