// FFmpeg's process-wide log level, set once by every didban component that uses FFmpeg.
#ifndef DIDBAN_SOURCE_FFMPEG_LOG_H_
#define DIDBAN_SOURCE_FFMPEG_LOG_H_

namespace didban::source {

// Lowers FFmpeg's logging to errors only (decode problems are counted and reported through statuses), once per
// process, unless the environment variable DIDBAN_FFMPEG_LOG is set ("info", "warning", "debug": left at FFmpeg's
// default or set to that level). Thread-safe.
void QuietFfmpegLogs();

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_FFMPEG_LOG_H_
