// How one camera's pixels map to the site's ground plane: an image-to-ground homography, or a full pinhole
// calibration (intrinsics, distortion, pose). Immutable after construction; thread-safe.
#ifndef DIDBAN_GEO_CAMERA_CALIBRATION_H_
#define DIDBAN_GEO_CAMERA_CALIBRATION_H_

#include <optional>
#include <string>

#include "didban/geometry.h"
#include "didban/status.h"
#include "geo/homography.h"
#include "geo/pinhole_camera.h"

namespace didban::geo {

// Which point of a box stands on the ground.
enum class GroundReference { kBottomCenter = 0, kCenter };

struct CameraCalibration {
  std::optional<GroundHomography> homography;  // pixels -> local metres
  std::optional<PinholeCamera> pinhole;        // world (local metres, z up) <-> pixels
  double ground_z = 0;                         // ground elevation for pinhole back-projection, metres
  GroundReference reference = GroundReference::kBottomCenter;

  bool Calibrated() const { return homography.has_value() || pinhole.has_value(); }
  // The box's reference pixel (bottom centre by default).
  Point2 ReferencePixel(const Box& box) const;
  // Ground position (local metres) of a pixel; nullopt when uncalibrated or the pixel is above the horizon.
  std::optional<Point2> PixelToGround(const Point2& pixel) const;
  std::optional<Point2> BoxToGround(const Box& box) const { return PixelToGround(ReferencePixel(box)); }
  // Pixel of a ground point (local metres); nullopt when uncalibrated or behind the camera.
  std::optional<Point2> GroundToPixel(const Point2& ground) const;
};

// Loaders for published calibration files (see src/geo/calibration_io.cc). Errors name the file and field.
// OpenCV FileStorage XML as in WILDTRACK: intrinsic file with camera_matrix and distortion_coefficients, extrinsic
// file with rvec and tvec. `units_to_m` scales the translation (WILDTRACK: centimetres, 0.01).
absl::StatusOr<PinholeCamera> LoadOpenCvXmlCalibration(const std::string& intrinsic_path,
                                                       const std::string& extrinsic_path, double units_to_m);
// Tsai camera calibration XML as in PETS-2009 (Geometry/Intrinsic/Extrinsic elements); translation in millimetres.
absl::StatusOr<PinholeCamera> LoadTsaiCalibration(const std::string& path);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_CAMERA_CALIBRATION_H_
