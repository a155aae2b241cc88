// A calibrated pinhole camera (intrinsics, lens distortion, pose) over the site's local ground frame. Used by
// overlapping fixed cameras (WILDTRACK/PETS calibrations) and by drone cameras posed from telemetry.
// Immutable after construction; thread-safe.
#ifndef DIDBAN_GEO_PINHOLE_CAMERA_H_
#define DIDBAN_GEO_PINHOLE_CAMERA_H_

#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "didban/geometry.h"

namespace didban::geo {

struct PinholeCamera {
  cv::Matx33d k = cv::Matx33d::eye();  // intrinsics, pixels
  std::vector<double> distortion;      // OpenCV order k1, k2, p1, p2[, k3 ...]; empty = none
  cv::Matx33d r = cv::Matx33d::eye();  // rotation world -> camera
  cv::Vec3d t{0, 0, 0};                // translation world -> camera, metres (x_cam = r * x_world + t)
  int width = 0, height = 0;           // image size, pixels (0 = unknown)

  // Camera centre in world coordinates, metres.
  cv::Vec3d Center() const;
  // World point (metres) -> distorted pixel; nullopt if behind the camera.
  std::optional<Point2> Project(const cv::Vec3d& world) const;
  // Removes lens distortion from a pixel (returns an ideal pixel in the same K).
  Point2 Undistort(const Point2& pixel) const;
  // Intersects the viewing ray of a (distorted) pixel with the horizontal plane z = ground_z; nullopt if the ray
  // does not reach it in front of the camera.
  std::optional<cv::Vec3d> PixelToGround(const Point2& pixel, double ground_z = 0) const;
  // Unit viewing-ray direction in world coordinates for a (distorted) pixel.
  cv::Vec3d RayDirection(const Point2& pixel) const;
  // True if the pixel lies inside the image (requires width/height).
  bool InImage(const Point2& p) const { return p.x >= 0 && p.y >= 0 && p.x < width && p.y < height; }
};

// A distortion-free camera at `centre` (metres, z up) looking at `target` with no roll (image x to the right of the
// viewing direction, y down), focal length `focal_px`, principal point at the image centre.
PinholeCamera LookAtCamera(const cv::Vec3d& centre, const cv::Vec3d& target, double focal_px, int width, int height);

}  // namespace didban::geo

#endif  // DIDBAN_GEO_PINHOLE_CAMERA_H_
