#include "source/ffmpeg_log.h"

#include <array>
#include <cstdarg>
#include <cstdlib>
#include <mutex>
#include <string>

#include <spdlog/spdlog.h>

extern "C" {
#include <libavutil/log.h>
}

namespace didban::source {
namespace {

spdlog::level::level_enum SpdlogLevel(int av_level) {
  if (av_level <= AV_LOG_FATAL) return spdlog::level::critical;
  if (av_level <= AV_LOG_ERROR) return spdlog::level::err;
  if (av_level <= AV_LOG_WARNING) return spdlog::level::warn;
  return spdlog::level::info;  // the user asked for more with DIDBAN_FFMPEG_LOG
}

// FFmpeg may log a line in pieces (several calls, the last ending in '\n'), from any of its threads.
void ToSpdlog(void* avcl, int level, const char* fmt, va_list vl) {
  if (level > av_log_get_level()) return;
  thread_local int print_prefix = 1;
  thread_local std::string pending;
  std::array<char, 1024> piece{};
  av_log_format_line2(avcl, level, fmt, vl, piece.data(), static_cast<int>(piece.size()), &print_prefix);
  pending += piece.data();
  if (pending.empty() || pending.back() != '\n') return;
  while (!pending.empty() && (pending.back() == '\n' || pending.back() == '\r')) pending.pop_back();
  if (!pending.empty()) spdlog::log(SpdlogLevel(level), "ffmpeg: {}", pending);
  pending.clear();
}

}  // namespace

void QuietFfmpegLogs() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("DIDBAN_FFMPEG_LOG");
    std::string level = env != nullptr ? env : "";
    if (level == "debug") {
      av_log_set_level(AV_LOG_DEBUG);
    } else if (level == "warning") {
      av_log_set_level(AV_LOG_WARNING);
    } else if (level.empty()) {
      av_log_set_level(AV_LOG_ERROR);
    }  // "info" or anything else: FFmpeg's default
    av_log_set_callback(ToSpdlog);
  });
}

}  // namespace didban::source
