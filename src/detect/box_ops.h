// Box arithmetic shared by the detectors: class-wise non-maximum suppression, letterboxing, clipping and merging.
// Pure functions; thread-safe.
#ifndef DIDBAN_DETECT_BOX_OPS_H_
#define DIDBAN_DETECT_BOX_OPS_H_

#include <vector>

#include <opencv2/core/mat.hpp>

#include "didban/detection.h"
#include "didban/geometry.h"

namespace didban::detect {

// Greedy non-maximum suppression per model class: keeps the highest-scoring detection and drops every other
// detection of the same `model_class` whose IoU with a kept one exceeds `iou_threshold`. Returns the kept detections
// sorted by decreasing score (ties keep their input order). At most `max_detections` are kept (0 = no limit).
Detections NmsPerClass(const Detections& detections, float iou_threshold, int max_detections = 0);

// How an image was fitted into a network input: scaled by `scale` (same on both axes when letterboxed) and placed at
// (pad_x, pad_y). Maps boxes back from network pixels to image pixels.
struct Letterbox {
  float scale_x = 1.f;  // network pixels per image pixel, horizontally
  float scale_y = 1.f;  // network pixels per image pixel, vertically
  float pad_x = 0.f;    // network pixels left of the image
  float pad_y = 0.f;    // network pixels above the image

  Box ToImage(const Box& network_box) const {
    return {(network_box.x - pad_x) / scale_x, (network_box.y - pad_y) / scale_y, network_box.w / scale_x,
            network_box.h / scale_y};
  }
};

// Resizes `image` (BGR) into a `width` x `height` canvas. With `keep_aspect`, scales by the largest factor that fits,
// places it at the top-left and fills the rest with grey `pad_value` (YOLOX); otherwise stretches it (plain resize).
// Writes the canvas to *out and returns the mapping.
Letterbox LetterboxImage(const cv::Mat& image, int width, int height, bool keep_aspect, cv::Mat* out,
                         int pad_value = 114);

// The part of `box` inside [0, width) x [0, height); an empty box (w = h = 0) when they do not overlap.
Box ClipBox(const Box& box, int width, int height);

// Smallest box holding both.
Box UnionBox(const Box& a, const Box& b);

// Merges boxes whose gap (the distance between their edges, on both axes) is at most `gap` pixels, repeatedly, until
// no two remaining boxes are that close. Order: by the first member's position in the input.
std::vector<Box> MergeNearbyBoxes(std::vector<Box> boxes, float gap);

}  // namespace didban::detect

#endif  // DIDBAN_DETECT_BOX_OPS_H_
