// Plain geometric values shared by every stage. Pixel boxes are float, top-left + size.
#ifndef DIDBAN_GEOMETRY_H_
#define DIDBAN_GEOMETRY_H_

#include <algorithm>
#include <cmath>

namespace didban {

struct Point2 {
  double x = 0;
  double y = 0;
};

// An axis-aligned box in pixels: top-left corner (x, y), width w and height h.
struct Box {
  float x = 0;
  float y = 0;
  float w = 0;
  float h = 0;

  float Right() const { return x + w; }
  float Bottom() const { return y + h; }
  float Area() const { return std::max(0.f, w) * std::max(0.f, h); }
  Point2 Center() const { return {x + 0.5 * w, y + 0.5 * h}; }
  // The default ground reference point of an object standing on the ground.
  Point2 BottomCenter() const { return {x + 0.5 * w, static_cast<double>(y) + h}; }
  Box Scaled(float s) const { return {x * s, y * s, w * s, h * s}; }
  static Box FromTlbr(float x1, float y1, float x2, float y2) { return {x1, y1, x2 - x1, y2 - y1}; }
};

inline float Intersection(const Box& a, const Box& b) {
  float iw = std::min(a.Right(), b.Right()) - std::max(a.x, b.x);
  float ih = std::min(a.Bottom(), b.Bottom()) - std::max(a.y, b.y);
  return (iw <= 0 || ih <= 0) ? 0.f : iw * ih;
}

inline float Iou(const Box& a, const Box& b) {
  float inter = Intersection(a, b);
  float uni = a.Area() + b.Area() - inter;
  return uni <= 0 ? 0.f : inter / uni;
}

}  // namespace didban

#endif  // DIDBAN_GEOMETRY_H_
