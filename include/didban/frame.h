// A decoded video frame. Frames are shared and immutable once published (std::shared_ptr<const Frame>); a stage that
// must draw on one copies the pixels explicitly. Buffers come from a pool owned by the source.
#ifndef DIDBAN_FRAME_H_
#define DIDBAN_FRAME_H_

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "didban/time.h"

namespace didban {

struct Frame {
  std::string camera;  // camera name from the site config (or the input's file name)
  int64_t index = 0;   // 0-based order of this frame over the source's life (not reset on reconnect)
  TimeUs pts_us = 0;   // presentation time from the stream, microseconds
  cv::Mat image;       // BGR, 8-bit: the image analysis runs on (possibly downscaled)
  cv::Mat full;        // BGR, 8-bit: the original resolution; shares `image`'s buffer when scale == 1
  double scale = 1.0;  // image size / full size (<= 1)

  int Width() const { return image.cols; }
  int Height() const { return image.rows; }
};

using FramePtr = std::shared_ptr<const Frame>;

}  // namespace didban

#endif  // DIDBAN_FRAME_H_
