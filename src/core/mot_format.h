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

// Parses MOTChallenge text (comma- or space-separated; at least 6 columns; blank lines and lines starting with '#'
// are skipped). `name` (the file) is used in errors: "name:LINE: what is wrong". Negative or non-finite widths and
// heights, non-numeric fields and frames < 1 are errors.
absl::StatusOr<std::vector<MotRow>> ParseMot(const std::string& text, const std::string& name);
absl::StatusOr<std::vector<MotRow>> ReadMotFile(const std::string& path);

// Writes rows as `frame,id,x,y,w,h,score,-1,-1,-1` with two decimals for boxes.
std::string FormatMot(const std::vector<MotRow>& rows);
absl::Status WriteMotFile(const std::string& path, const std::vector<MotRow>& rows);

// Rows grouped by frame number (ascending).
std::map<int, std::vector<MotRow>> GroupByFrame(const std::vector<MotRow>& rows);

// Reads a whole file; NotFound / PermissionDenied etc. name the path.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);
absl::Status WriteTextFile(const std::string& path, const std::string& text);

}  // namespace didban

#endif  // DIDBAN_CORE_MOT_FORMAT_H_
