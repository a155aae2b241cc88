#include "detect/box_ops.h"

#include <algorithm>
#include <numeric>

#include <opencv2/imgproc.hpp>

namespace didban::detect {

Detections NmsPerClass(const Detections& detections, float iou_threshold, int max_detections) {
  std::vector<size_t> order(detections.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return detections[a].score > detections[b].score; });
  Detections kept;
  for (size_t i : order) {
    const Detection& d = detections[i];
    bool suppressed = false;
    for (const Detection& k : kept) {
      if (k.model_class == d.model_class && Iou(k.box, d.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    kept.push_back(d);
    if (max_detections > 0 && static_cast<int>(kept.size()) >= max_detections) break;
  }
  return kept;
}

Letterbox LetterboxImage(const cv::Mat& image, int width, int height, bool keep_aspect, cv::Mat* out, int pad_value) {
  Letterbox lb;
  if (!keep_aspect) {
    lb.scale_x = static_cast<float>(width) / static_cast<float>(image.cols);
    lb.scale_y = static_cast<float>(height) / static_cast<float>(image.rows);
    cv::resize(image, *out, cv::Size(width, height), 0, 0, cv::INTER_LINEAR);
    return lb;
  }
  float s = std::min(static_cast<float>(width) / static_cast<float>(image.cols),
                     static_cast<float>(height) / static_cast<float>(image.rows));
  int w = std::clamp(static_cast<int>(std::lround(image.cols * s)), 1, width);
  int h = std::clamp(static_cast<int>(std::lround(image.rows * s)), 1, height);
  out->create(height, width, image.type());
  out->setTo(cv::Scalar::all(pad_value));
  cv::Mat roi = (*out)(cv::Rect(0, 0, w, h));
  cv::resize(image, roi, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
  lb.scale_x = s;
  lb.scale_y = s;
  return lb;
}

Box ClipBox(const Box& box, int width, int height) {
  float x1 = std::clamp(box.x, 0.f, static_cast<float>(width));
  float y1 = std::clamp(box.y, 0.f, static_cast<float>(height));
  float x2 = std::clamp(box.Right(), 0.f, static_cast<float>(width));
  float y2 = std::clamp(box.Bottom(), 0.f, static_cast<float>(height));
  if (x2 <= x1 || y2 <= y1) return {};
  return Box::FromTlbr(x1, y1, x2, y2);
}

Box UnionBox(const Box& a, const Box& b) {
  return Box::FromTlbr(std::min(a.x, b.x), std::min(a.y, b.y), std::max(a.Right(), b.Right()),
                       std::max(a.Bottom(), b.Bottom()));
}

namespace {

bool Near(const Box& a, const Box& b, float gap) {
  float dx = std::max(a.x, b.x) - std::min(a.Right(), b.Right());
  float dy = std::max(a.y, b.y) - std::min(a.Bottom(), b.Bottom());
  return dx <= gap && dy <= gap;
}

}  // namespace

std::vector<Box> MergeNearbyBoxes(std::vector<Box> boxes, float gap) {
  bool merged = true;
  while (merged) {
    merged = false;
    for (size_t i = 0; i < boxes.size() && !merged; ++i) {
      for (size_t j = i + 1; j < boxes.size(); ++j) {
        if (Near(boxes[i], boxes[j], gap)) {
          boxes[i] = UnionBox(boxes[i], boxes[j]);
          boxes.erase(boxes.begin() + static_cast<std::ptrdiff_t>(j));
          merged = true;
          break;
        }
      }
    }
  }
  return boxes;
}

}  // namespace didban::detect
