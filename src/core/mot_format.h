// The MOTChallenge text format for detections and tracks (`frame,id,x,y,w,h,score,a,b,c`), shared by the tracker
// command, the evaluators, fusion and drone georeferencing.
#ifndef DIDBAN_CORE_MOT_FORMAT_H_
#define DIDBAN_CORE_MOT_FORMAT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "didban/geometry.h"
#include "didban/status.h"

namespace didban {

struct MotRow {
  int frame = 0;      // 1-based frame number
  int64_t id = -1;    // track or object ID; -1 for detections
  Box box;            // pixels, top-left + size
  float score = 1.f;  // confidence (column 7); 1 when absent
  // Columns 8-10: class/x, visibility/y, z as written. MOT15 puts world x,y,z there; MOT16+ class and visibility.
  double c8 = -1, c9 = -1, c10 = -1;
};

// Limits of the MOTChallenge reader (docs/security.md), checked on every row before anything is sized from it (the
// tracker and the evaluators allocate per frame up to the highest frame number). A row beyond them is OutOfRange:
// "name:LINE: frame 100000000 is above the limit of 1000000 (raise it with --max-frame)".
struct MotLimits {
  int64_t max_frame = 1'000'000;   // highest frame number (9.2 h at 30 frames/s); at most INT32_MAX; --max-frame
  double max_coordinate_px = 1e6;  // largest |x|, |y|, w, h of a box, pixels
  double max_abs_id = 9e15;        // largest |id| (IDs are integers exactly representable as doubles)
};

// Parses MOTChallenge text (comma- or space-separated; at least 6 columns; blank lines and lines starting with '#'
// are skipped). `name` (the file) is used in errors: "name:LINE: what is wrong". Negative or non-finite widths and
// heights, non-numeric fields, frames < 1, non-integer frames or IDs and values beyond `limits` are errors.
absl::StatusOr<std::vector<MotRow>> ParseMot(const std::string& text, const std::string& name,
                                             const MotLimits& limits = {});
absl::StatusOr<std::vector<MotRow>> ReadMotFile(const std::string& path, const MotLimits& limits = {});

// Writes rows as `frame,id,x,y,w,h,score,-1,-1,-1` with two decimals for boxes.
std::string FormatMot(const std::vector<MotRow>& rows);
absl::Status WriteMotFile(const std::string& path, const std::vector<MotRow>& rows);

// Rows grouped by frame number (ascending).
std::map<int, std::vector<MotRow>> GroupByFrame(const std::vector<MotRow>& rows);

// Largest file ReadTextFile reads by default (docs/security.md): 256 MiB.
inline constexpr int64_t kMaxTextFileBytes = int64_t{256} << 20;

// Reads a whole file; NotFound / PermissionDenied etc. name the path. A file larger than `max_bytes` is
// OutOfRange ("path: 300000000 bytes is above the limit of 268435456 bytes for a text input"), checked before
// reading.
absl::StatusOr<std::string> ReadTextFile(const std::string& path, int64_t max_bytes = kMaxTextFileBytes);
absl::Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace didban

#endif  // DIDBAN_CORE_MOT_FORMAT_H_
