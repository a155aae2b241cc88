#include "source/ffmpeg_log.h"

#include <cstdlib>
#include <mutex>
#include <string>

extern "C" {
#include <libavutil/log.h>
}

namespace didban::source {

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
  });
}

}  // namespace didban::source
