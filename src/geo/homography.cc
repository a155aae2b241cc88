#include "geo/homography.h"

#include <cmath>

#include <opencv2/calib3d.hpp>

namespace didban::geo {
namespace {

Point2 Apply(const cv::Matx33d& h, const Point2& p) {
  cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1.0);
  return {v[0] / v[2], v[1] / v[2]};
}

}  // namespace

absl::StatusOr<GroundHomography> GroundHomography::Fit(const std::vector<PointPair>& pairs) {
  if (pairs.size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat("homography needs at least 4 point pairs, got ", pairs.size()));
  }
  std::vector<cv::Point2d> img, gnd;
  for (const PointPair& p : pairs) {
    if (!std::isfinite(p.image.x) || !std::isfinite(p.image.y) || !std::isfinite(p.ground.x) ||
        !std::isfinite(p.ground.y)) {
      return absl::InvalidArgumentError("homography point pair has a non-finite coordinate");
    }
    img.emplace_back(p.image.x, p.image.y);
    gnd.emplace_back(p.ground.x, p.ground.y);
  }
  // Reject (nearly) collinear image points: every triple collinear means no homography.
  bool general = false;
  for (size_t i = 0; i < img.size() && !general; ++i)
    for (size_t j = i + 1; j < img.size() && !general; ++j)
      for (size_t k = j + 1; k < img.size() && !general; ++k) {
        cv::Point2d a = img[j] - img[i], b = img[k] - img[i];
        double area = std::abs(a.x * b.y - a.y * b.x);
        double scale = std::max(1.0, cv::norm(a) * cv::norm(b));
        general = area / scale > 1e-3;
      }
  if (!general) return absl::InvalidArgumentError("homography image points are collinear");
  cv::Mat h = cv::findHomography(img, gnd, 0);
  if (h.empty()) return absl::InvalidArgumentError("homography fit failed (degenerate point pairs)");
  GroundHomography out;
  out.h_ = cv::Matx33d(h);
  out.h_inv_ = out.h_.inv();
  double sg = 0, si = 0;
  for (const PointPair& p : pairs) {
    Point2 g = out.ToGround(p.image);
    Point2 i = out.ToImage(p.ground);
    sg += (g.x - p.ground.x) * (g.x - p.ground.x) + (g.y - p.ground.y) * (g.y - p.ground.y);
    si += (i.x - p.image.x) * (i.x - p.image.x) + (i.y - p.image.y) * (i.y - p.image.y);
  }
  out.rms_ground_m_ = std::sqrt(sg / pairs.size());
  out.rms_image_px_ = std::sqrt(si / pairs.size());
  return out;
}

GroundHomography GroundHomography::FromMatrix(const cv::Matx33d& image_to_ground) {
  GroundHomography out;
  out.h_ = image_to_ground;
  out.h_inv_ = image_to_ground.inv();
  return out;
}

Point2 GroundHomography::ToGround(const Point2& pixel) const { return Apply(h_, pixel); }
Point2 GroundHomography::ToImage(const Point2& ground) const { return Apply(h_inv_, ground); }

bool GroundHomography::IsBelowHorizon(const Point2& pixel) const {
  cv::Vec3d v = h_ * cv::Vec3d(pixel.x, pixel.y, 1.0);
  // The horizon line is where the third coordinate changes sign; points whose sign matches the image centre's
  // projection of a fitted ground point are on the ground side. We use the sign of w for a ground point mapped back.
  cv::Vec3d g = h_inv_ * cv::Vec3d(0, 0, 1.0);
  cv::Vec3d back = h_ * g;
  return (v[2] > 0) == (back[2] > 0);
}

}  // namespace didban::geo
