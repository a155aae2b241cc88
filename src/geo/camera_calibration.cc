#include "geo/camera_calibration.h"

namespace didban::geo {

Point2 CameraCalibration::ReferencePixel(const Box& box) const {
  return reference == GroundReference::kCenter ? box.Center() : box.BottomCenter();
}

std::optional<Point2> CameraCalibration::PixelToGround(const Point2& pixel) const {
  if (pinhole.has_value()) {
    std::optional<cv::Vec3d> g = pinhole->PixelToGround(pixel, ground_z);
    if (!g) return std::nullopt;
    return Point2{(*g)[0], (*g)[1]};
  }
  if (homography.has_value()) {
    if (!homography->IsBelowHorizon(pixel)) return std::nullopt;
    return homography->ToGround(pixel);
  }
  return std::nullopt;
}

std::optional<Point2> CameraCalibration::GroundToPixel(const Point2& ground) const {
  if (pinhole.has_value()) return pinhole->Project({ground.x, ground.y, ground_z});
  if (homography.has_value()) return homography->ToImage(ground);
  return std::nullopt;
}

}  // namespace didban::geo
