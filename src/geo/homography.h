// Image <-> ground-plane homography fitted from point pairs. Immutable after fitting; thread-safe.
#ifndef DIDBAN_GEO_HOMOGRAPHY_H_
#define DIDBAN_GEO_HOMOGRAPHY_H_

#include <vector>

#include <opencv2/core.hpp>

#include "didban/geometry.h"
#include "didban/status.h"

namespace didban::geo {

struct PointPair {
  Point2 image;   // pixels
  Point2 ground;  // metres in the local frame (east, north)
};

class GroundHomography {
 public:
  GroundHomography() = default;
  // Least-squares fit (all points, DLT with normalisation) from four or more pairs in general position.
  // Errors name the problem (too few points, collinear points, degenerate fit).
  static absl::StatusOr<GroundHomography> Fit(const std::vector<PointPair>& pairs);
  static GroundHomography FromMatrix(const cv::Matx33d& image_to_ground);

  Point2 ToGround(const Point2& pixel) const;
  Point2 ToImage(const Point2& ground) const;
  const cv::Matx33d& ImageToGround() const { return h_; }
  const cv::Matx33d& GroundToImage() const { return h_inv_; }

  // Reprojection errors of the fitting pairs: RMS in metres on the ground, and RMS in pixels in the image.
  double RmsGroundErrorM() const { return rms_ground_m_; }
  double RmsImageErrorPx() const { return rms_image_px_; }
  // True when the pixel lies on the ground side of the horizon (its projection is in front of the camera).
  bool IsBelowHorizon(const Point2& pixel) const;

 private:
  cv::Matx33d h_ = cv::Matx33d::eye();
  cv::Matx33d h_inv_ = cv::Matx33d::eye();
  double rms_ground_m_ = 0;
  double rms_image_px_ = 0;
};

}  // namespace didban::geo

#endif  // DIDBAN_GEO_HOMOGRAPHY_H_
