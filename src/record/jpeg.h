// JPEG encoding of frames (snapshots, event images, MJPEG) through libjpeg-turbo, so that didban does not load
// OpenCV's imgcodecs (and the GDAL and GStreamer stacks behind it) for one codec.
#ifndef DIDBAN_RECORD_JPEG_H_
#define DIDBAN_RECORD_JPEG_H_

#include <string>

#include <opencv2/core/mat.hpp>

#include "didban/status.h"

namespace didban::record {

// Encodes an 8-bit BGR (3 channels) or grey (1 channel) image as a baseline JPEG of `quality` (clamped to [1, 100]).
// Returns the JPEG bytes; InvalidArgument for an empty image or another type. Thread-safe (no shared state).
absl::StatusOr<std::string> EncodeJpeg(const cv::Mat& image, int quality = 85);

// EncodeJpeg, then writes `path` (replacing it). Errors name the path.
absl::Status WriteJpeg(const std::string& path, const cv::Mat& image, int quality = 85);

}  // namespace didban::record

#endif  // DIDBAN_RECORD_JPEG_H_
