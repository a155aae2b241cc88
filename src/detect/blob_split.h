// Splitting of motion blobs that hold several objects, from the shape of their silhouette: a vehicle ahead standing
// on the roof of a lorry behind it in the image (a narrow part on top of a wide one), a car beside a lorry (a short
// part beside a tall one). Pure functions; thread-safe.
#ifndef DIDBAN_DETECT_BLOB_SPLIT_H_
#define DIDBAN_DETECT_BLOB_SPLIT_H_

#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

#include "didban/status.h"

namespace didban::detect {

// Options of SplitAtSteps. Sizes are in pixels of the mask.
struct StepSplitOptions {
  // A part is cut off where the silhouette steps by at least this factor: for a cut between rows, the median row
  // width of one side is at least `ratio` times the largest row width of the other side (and likewise for a cut
  // between columns with column heights). Must be > 1.
  double ratio = 2.0;
  // Both parts of a cut are at least this many rows (row cut) or columns (column cut) long, and a part keeps at
  // least this many foreground pixels in each direction; >= 1.
  int min_part_px = 4;
  // Parts with fewer foreground pixels than this are dropped; >= 0.
  int min_area_px = 0;
  // Cuts are applied recursively to the parts, at most this deep (0 = no cut). [0, 8].
  int max_depth = 3;

  absl::Status Validate() const;
};

// The silhouette extents of the foreground (non-zero pixels) of an 8-bit single-channel mask: for every row its
// width (last - first foreground column + 1, 0 when empty) and for every column its height. Exposed for tests.
struct Silhouette {
  std::vector<int> row_width;
  std::vector<int> column_height;
};
Silhouette SilhouetteOf(const cv::Mat& mask);

// Splits the foreground of `mask` (CV_8UC1, non-zero = foreground) inside `box` where its silhouette steps (see
// StepSplitOptions), recursively, and returns the bounding boxes (in mask coordinates) of the parts' foreground,
// top-to-bottom then left-to-right by cut order. The whole box tightened to its foreground when nothing is cut; empty
// when the box holds no foreground. Among row and column cuts the one with the larger step wins; of several cut
// positions with the narrow part on top (or left) the lowest (rightmost) one, with the narrow part below (right) the
// highest (leftmost) one, so that the narrow part keeps all its rows (columns). `options` must be valid.
std::vector<cv::Rect> SplitAtSteps(const cv::Mat& mask, const cv::Rect& box, const StepSplitOptions& options);

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_BLOB_SPLIT_H_
