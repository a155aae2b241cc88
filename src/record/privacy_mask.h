// Privacy masks and blurring: per-camera polygons (pixels of the full-resolution frame) filled with black on every
// frame before it leaves the server (snapshots, event images, MJPEG, exports), so nothing under them can be
// recovered; boxes of tracked objects blurred in evidence exports; and the masked re-encode of a clip (decode the
// stream-copied clip, fill and blur, encode H.264 with libx264) that replaces the stream copy for a masked camera.
// Values and free functions; thread-compatible.
#ifndef DIDBAN_RECORD_PRIVACY_MASK_H_
#define DIDBAN_RECORD_PRIVACY_MASK_H_

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "didban/geometry.h"
#include "didban/status.h"
#include "didban/time.h"
#include "record/clip_export.h"
#include "record/segment.h"
#include "record/video_writer.h"

namespace didban::record {

// Polygons of one camera, in pixels of the full-resolution frame (x right, y down).
struct PrivacyMask {
  std::vector<std::vector<cv::Point2f>> polygons;
  bool empty() const { return polygons.empty(); }
};

// Limits of a mask from the site file.
inline constexpr int kMaxMaskPolygons = 64;
inline constexpr int kMaxMaskVertices = 1000;        // per polygon
inline constexpr double kMaxMaskCoordinatePx = 1e5;  // |x|, |y|

// Parses a camera's `privacy_masks:` value: a list of polygons, each a list of at least 3 [x, y] points in
// full-resolution pixels. Null or a missing key is no mask. InvalidArgument naming `where` and the polygon/point.
absl::StatusOr<PrivacyMask> ParsePrivacyMask(const nlohmann::json& value, const std::string& where);
nlohmann::json PrivacyMaskToJson(const PrivacyMask& mask);

// Fills the mask's polygons with black (every channel 0) in `image`, which is the full frame scaled by `scale`
// (image width / full width; 1 for the full frame). Pixels whose centre lies inside a polygon, and its edges, are
// filled.
void ApplyPrivacyMask(const PrivacyMask& mask, cv::Mat& image, double scale = 1.0);

// Blurs `boxes` (full-resolution pixels, scaled by `scale` like ApplyPrivacyMask) beyond recognition: each box,
// grown by 10 %, is pixelated to blocks of 1/8 of its shorter side (at least 8 px), then smoothed.
void BlurBoxes(cv::Mat& image, const std::vector<Box>& boxes, double scale = 1.0);

// A masked (and/or blurred) re-encode of a time range.
struct MaskedExportOptions {
  PrivacyMask mask;  // filled on every frame; may be empty when only blurring
  // Boxes to blur on the frame shown at `time_us` (the segments' timeline), full-resolution pixels; empty = none.
  std::function<std::vector<Box>(TimeUs time_us)> blur_boxes;
  VideoWriterOptions writer;  // libx264 by default; fps is taken from the clip when it can be
};

struct MaskedExport {
  ExportedClip clip;         // path, frames, times (as the stream copy it was decoded from)
  std::string encoder;       // "libx264" (or "mpeg4" where FFmpeg lacks libx264)
  double cpu_seconds = 0;    // CPU time of the decode + mask + encode (this thread and the encoder's)
  double video_seconds = 0;  // length of the video re-encoded
  int64_t blurred_boxes = 0;
};

// Exports [from_us, to_us) of `segments` like ExportClip, then decodes it, fills the mask, blurs the boxes and
// encodes the result into `out_path` (MP4). The stream copy in between is removed. Errors as ExportClip's, and
// Internal naming the file when decoding or encoding fails (nothing is left at `out_path` then).
absl::StatusOr<MaskedExport> ExportMaskedClip(const std::vector<SegmentInfo>& segments, TimeUs from_us, TimeUs to_us,
                                              const std::string& out_path, const MaskedExportOptions& options);

// Decodes `in_path` (any video FFmpeg reads), fills the mask and blurs the boxes (times: `time_origin_us` plus the
// frame's time from the start of the file) and encodes into `out_path`. Used by ExportMaskedClip and benchmarks.
absl::StatusOr<MaskedExport> ReencodeMasked(const std::string& in_path, TimeUs time_origin_us,
                                            const std::string& out_path, const MaskedExportOptions& options);

// A stable key of the mask's polygons (16 hex digits of a 64-bit FNV-1a hash of their JSON), to name masked copies:
// a changed mask makes a new copy.
std::string PrivacyMaskKey(const PrivacyMask& mask);

// The masked re-encode of `in_path` (ReencodeMasked with `mask`), kept as `<cache_dir>/<name>-<mask key>.mp4` so that
// a second request does not re-encode: the cached file is returned when it exists (and is newer than `in_path`).
// One re-encode at a time in the process (others wait, then find the file). `*reencoded` (when given) tells whether
// this call re-encoded. Errors as ReencodeMasked's, and naming `cache_dir` when it cannot be made; nothing partial is
// left in the cache.
absl::StatusOr<std::string> CachedMaskedCopy(const std::string& in_path, TimeUs time_origin_us, const PrivacyMask& mask,
                                             const std::string& cache_dir, const std::string& name,
                                             bool* reencoded = nullptr);

}  // namespace didban::record

#endif  // DIDBAN_RECORD_PRIVACY_MASK_H_
