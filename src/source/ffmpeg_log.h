// FFmpeg's process-wide log level and destination, set once by every didban component that uses FFmpeg.
#ifndef DIDBAN_SOURCE_FFMPEG_LOG_H_
#define DIDBAN_SOURCE_FFMPEG_LOG_H_

namespace didban::source {

// Once per process: lowers FFmpeg's logging to errors only (decode problems are counted and reported through
// statuses) unless the environment variable DIDBAN_FFMPEG_LOG is set ("info", "warning", "debug": left at FFmpeg's
// default or set to that level), and sends FFmpeg's lines through spdlog's default logger ("ffmpeg: [h264 @ 0x..]
// ..."; panic/fatal as critical, error, warning, anything chattier as info), so they take the logger's format and sink
// (and keep off a progress line) instead of FFmpeg writing to stderr itself. Thread-safe.
void QuietFfmpegLogs();

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_FFMPEG_LOG_H_
