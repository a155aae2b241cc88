// Small helpers shared by every stage that calls FFmpeg directly (the source, the writers, the recorder).
#ifndef DIDBAN_SOURCE_AV_UTIL_H_
#define DIDBAN_SOURCE_AV_UTIL_H_

#include <array>
#include <string>

extern "C" {
#include <libavutil/error.h>
#include <libavutil/rational.h>
}

namespace didban::source {

// didban's time base: microseconds (TimeUs).
inline constexpr AVRational kAvMicroseconds = {1, 1'000'000};

// FFmpeg's text for an error code (AVERROR(...)), e.g. "No such file or directory".
inline std::string AvError(int code) {
  std::array<char, AV_ERROR_MAX_STRING_SIZE> buf{};
  av_strerror(code, buf.data(), buf.size());
  return std::string(buf.data());
}

}  // namespace didban::source

#endif  // DIDBAN_SOURCE_AV_UTIL_H_
