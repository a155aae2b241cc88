#include "detect/blob_split.h"

#include <algorithm>
#include <optional>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace didban::detect {

namespace {

// The largest extent in [begin, end).
int MaxOf(const std::vector<int>& extent, int begin, int end) {
  return *std::max_element(extent.begin() + begin, extent.begin() + end);
}

// Median of the non-zero extents in [begin, end); 0 when all are zero.
double MedianOf(const std::vector<int>& extent, int begin, int end) {
  std::vector<int> v;
  for (int i = begin; i < end; ++i) {
    if (extent[i] > 0) v.push_back(extent[i]);
  }
  if (v.empty()) return 0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  double upper = *mid;
  if (v.size() % 2 == 1) return upper;
  double lower = *std::max_element(v.begin(), mid);
  return 0.5 * (lower + upper);
}

struct Cut {
  int at = 0;        // first line of the second part
  double step = 0;   // the step factor found
  bool rows = true;  // a cut between rows (else between columns)
};

// The best cut of a profile (row widths or column heights): parts at least `min_part_px` long; with the narrow
// part first the last such cut (the narrow part keeps all its lines), with it second the first such cut.
std::optional<Cut> BestCut(const std::vector<int>& extent, const StepSplitOptions& o, bool rows) {
  const int n = static_cast<int>(extent.size());
  std::optional<Cut> narrow_first, narrow_second;
  for (int at = o.min_part_px; at <= n - o.min_part_px; ++at) {
    int first_max = MaxOf(extent, 0, at);
    int second_max = MaxOf(extent, at, n);
    if (first_max <= 0 || second_max <= 0) continue;
    double first_step = MedianOf(extent, at, n) / first_max;    // the first part is the narrow one
    double second_step = MedianOf(extent, 0, at) / second_max;  // the second part is the narrow one
    // The narrow part also needs some extent of its own across the cut.
    if (first_step >= o.ratio && first_max >= o.min_part_px) narrow_first = Cut{at, first_step, rows};  // the last
    if (second_step >= o.ratio && second_max >= o.min_part_px && !narrow_second) {
      narrow_second = Cut{at, second_step, rows};  // the first
    }
  }
  if (narrow_first && narrow_second) return narrow_first->step >= narrow_second->step ? narrow_first : narrow_second;
  return narrow_first ? narrow_first : narrow_second;
}

void Split(const cv::Mat& mask, cv::Rect box, const StepSplitOptions& o, int depth, std::vector<cv::Rect>* out) {
  box &= cv::Rect(0, 0, mask.cols, mask.rows);
  if (box.empty()) return;
  cv::Rect tight = cv::boundingRect(mask(box));
  if (tight.empty()) return;
  box = cv::Rect(box.x + tight.x, box.y + tight.y, tight.width, tight.height);
  if (depth < o.max_depth) {
    Silhouette s = SilhouetteOf(mask(box));
    std::optional<Cut> by_rows = BestCut(s.row_width, o, true);
    std::optional<Cut> by_columns = BestCut(s.column_height, o, false);
    std::optional<Cut> cut = by_rows;
    if (by_columns && (!cut || by_columns->step > cut->step)) cut = by_columns;
    if (cut) {
      cv::Rect first = box, second = box;
      if (cut->rows) {
        first.height = cut->at;
        second.y += cut->at;
        second.height -= cut->at;
      } else {
        first.width = cut->at;
        second.x += cut->at;
        second.width -= cut->at;
      }
      Split(mask, first, o, depth + 1, out);
      Split(mask, second, o, depth + 1, out);
      return;
    }
  }
  if (cv::countNonZero(mask(box)) >= o.min_area_px) out->push_back(box);
}

}  // namespace

absl::Status StepSplitOptions::Validate() const {
  if (!(ratio > 1.0)) return absl::InvalidArgumentError("split ratio: must be > 1");
  if (min_part_px < 1) return absl::InvalidArgumentError("split min_part_px: must be >= 1");
  if (min_area_px < 0) return absl::InvalidArgumentError("split min_area_px: must be >= 0");
  if (max_depth < 0 || max_depth > 8) return absl::InvalidArgumentError("split max_depth: must be in [0, 8]");
  return absl::OkStatus();
}

Silhouette SilhouetteOf(const cv::Mat& mask) {
  Silhouette s;
  s.row_width.assign(static_cast<size_t>(mask.rows), 0);
  std::vector<int> top(static_cast<size_t>(mask.cols), -1), bottom(static_cast<size_t>(mask.cols), -1);
  for (int y = 0; y < mask.rows; ++y) {
    const auto* row = mask.ptr<unsigned char>(y);
    int first = -1, last = -1;
    for (int x = 0; x < mask.cols; ++x) {
      if (row[x] == 0) continue;
      if (first < 0) first = x;
      last = x;
      if (top[static_cast<size_t>(x)] < 0) top[static_cast<size_t>(x)] = y;
      bottom[static_cast<size_t>(x)] = y;
    }
    if (first >= 0) s.row_width[static_cast<size_t>(y)] = last - first + 1;
  }
  s.column_height.assign(static_cast<size_t>(mask.cols), 0);
  for (size_t x = 0; x < top.size(); ++x) {
    if (top[x] >= 0) s.column_height[x] = bottom[x] - top[x] + 1;
  }
  return s;
}

std::vector<cv::Rect> SplitAtSteps(const cv::Mat& mask, const cv::Rect& box, const StepSplitOptions& options) {
  std::vector<cv::Rect> out;
  if (mask.empty() || mask.type() != CV_8UC1) return out;
  Split(mask, box, options, 0, &out);
  return out;
}

}  // namespace didban::detect
