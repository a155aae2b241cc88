// Projection of a camera's box onto the site's ground plane with a position covariance: the box's reference pixel
// (undistorted through the calibration) is mapped to local metres, and pixel noise is carried to the ground through
// the local Jacobian of the pixel -> ground map, so the covariance grows with distance from the camera (the map
// stretches) and with the box's size (larger boxes have larger absolute edge noise). Free functions; thread-safe.
#ifndef DIDBAN_GEO_GROUND_PROJECTION_H_
#define DIDBAN_GEO_GROUND_PROJECTION_H_

#include <optional>

#include <Eigen/Core>

#include "didban/geometry.h"
#include "didban/status.h"
#include "geo/camera_calibration.h"

namespace didban::geo {

struct GroundProjectionOptions {
  double pixel_sigma_px = 2.0;    // reference-pixel noise of a tiny box, pixels (1 sigma)
  double width_fraction = 0.02;   // extra horizontal noise per pixel of box width (sigma_u += f * w)
  double height_fraction = 0.03;  // extra vertical noise per pixel of box height (sigma_v += f * h)
  double min_sigma_m = 0.05;      // floor added to both axes on the ground, metres (calibration error)
  double max_sigma_m = 50;        // points less certain than this are rejected (near the horizon), metres
  double jacobian_step_px = 1.0;  // finite-difference step for the Jacobian, pixels

  absl::Status Validate() const;
};

// A ground position in the local frame (metres) with its 2x2 covariance (m^2).
struct GroundPoint {
  Point2 position;
  Eigen::Matrix2d covariance = Eigen::Matrix2d::Identity();
};

// Ground point of `pixel` with the given pixel standard deviations (u, v); nullopt when the pixel (or its Jacobian
// neighbourhood) does not reach the ground or the result is less certain than max_sigma_m.
std::optional<GroundPoint> ProjectPixelToGround(const CameraCalibration& calibration, const Point2& pixel,
                                                double sigma_u_px, double sigma_v_px,
                                                const GroundProjectionOptions& options);

// Ground point of a box's reference pixel (bottom centre by default), pixel noise from the box's size.
std::optional<GroundPoint> ProjectBoxToGround(const CameraCalibration& calibration, const Box& box,
                                              const GroundProjectionOptions& options = {});

}  // namespace didban::geo

#endif  // DIDBAN_GEO_GROUND_PROJECTION_H_
