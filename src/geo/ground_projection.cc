#include "geo/ground_projection.h"

#include <cmath>

#include <Eigen/Dense>

namespace didban::geo {

absl::Status GroundProjectionOptions::Validate() const {
  if (!(pixel_sigma_px > 0)) return absl::InvalidArgumentError("pixel_sigma_px must be > 0");
  if (!(width_fraction >= 0) || !(height_fraction >= 0)) {
    return absl::InvalidArgumentError("width_fraction and height_fraction must be >= 0");
  }
  if (!(min_sigma_m >= 0)) return absl::InvalidArgumentError("min_sigma_m must be >= 0");
  if (!(max_sigma_m > min_sigma_m)) return absl::InvalidArgumentError("max_sigma_m must be > min_sigma_m");
  if (!(jacobian_step_px > 0)) return absl::InvalidArgumentError("jacobian_step_px must be > 0");
  return absl::OkStatus();
}

std::optional<GroundPoint> ProjectPixelToGround(const CameraCalibration& calibration, const Point2& pixel,
                                                double sigma_u_px, double sigma_v_px,
                                                const GroundProjectionOptions& options) {
  std::optional<Point2> centre = calibration.PixelToGround(pixel);
  if (!centre) return std::nullopt;
  const double h = options.jacobian_step_px;
  std::optional<Point2> u0 = calibration.PixelToGround({pixel.x - h, pixel.y});
  std::optional<Point2> u1 = calibration.PixelToGround({pixel.x + h, pixel.y});
  std::optional<Point2> v0 = calibration.PixelToGround({pixel.x, pixel.y - h});
  std::optional<Point2> v1 = calibration.PixelToGround({pixel.x, pixel.y + h});
  if (!u0 || !u1 || !v0 || !v1) return std::nullopt;
  Eigen::Matrix2d j;
  j << (u1->x - u0->x) / (2 * h), (v1->x - v0->x) / (2 * h),  //
      (u1->y - u0->y) / (2 * h), (v1->y - v0->y) / (2 * h);
  Eigen::Matrix2d pix = Eigen::Matrix2d::Zero();
  pix(0, 0) = sigma_u_px * sigma_u_px;
  pix(1, 1) = sigma_v_px * sigma_v_px;
  GroundPoint out;
  out.position = *centre;
  out.covariance = j * pix * j.transpose() + Eigen::Matrix2d::Identity() * options.min_sigma_m * options.min_sigma_m;
  if (std::sqrt(out.covariance.trace()) > options.max_sigma_m) return std::nullopt;
  return out;
}

std::optional<GroundPoint> ProjectBoxToGround(const CameraCalibration& calibration, const Box& box,
                                              const GroundProjectionOptions& options) {
  const double su = options.pixel_sigma_px + options.width_fraction * std::max(0.f, box.w);
  const double sv = options.pixel_sigma_px + options.height_fraction * std::max(0.f, box.h);
  return ProjectPixelToGround(calibration, calibration.ReferencePixel(box), su, sv, options);
}

}  // namespace didban::geo
