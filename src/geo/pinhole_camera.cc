#include "geo/pinhole_camera.h"

#include <cmath>

#include <opencv2/calib3d.hpp>

namespace didban::geo {

cv::Vec3d PinholeCamera::Center() const { return -(r.t() * t); }

std::optional<Point2> PinholeCamera::Project(const cv::Vec3d& world) const {
  cv::Vec3d c = r * world + t;
  if (c[2] <= 1e-9) return std::nullopt;
  if (distortion.empty()) {
    cv::Vec3d p = k * (c / c[2]);
    return Point2{p[0], p[1]};
  }
  std::vector<cv::Point3d> obj{cv::Point3d(c[0], c[1], c[2])};
  std::vector<cv::Point2d> img;
  cv::projectPoints(obj, cv::Vec3d(0, 0, 0), cv::Vec3d(0, 0, 0), cv::Mat(k), distortion, img);
  return Point2{img[0].x, img[0].y};
}

Point2 PinholeCamera::Undistort(const Point2& pixel) const {
  if (distortion.empty()) return pixel;
  std::vector<cv::Point2d> in{cv::Point2d(pixel.x, pixel.y)}, out;
  cv::undistortPoints(in, out, cv::Mat(k), distortion, cv::noArray(), cv::Mat(k));
  return {out[0].x, out[0].y};
}

cv::Vec3d PinholeCamera::RayDirection(const Point2& pixel) const {
  Point2 u = Undistort(pixel);
  cv::Vec3d cam = k.inv() * cv::Vec3d(u.x, u.y, 1.0);
  cv::Vec3d world = r.t() * cam;
  return world / cv::norm(world);
}

std::optional<cv::Vec3d> PinholeCamera::PixelToGround(const Point2& pixel, double ground_z) const {
  cv::Vec3d o = Center();
  cv::Vec3d d = RayDirection(pixel);
  if (std::abs(d[2]) < 1e-12) return std::nullopt;
  double s = (ground_z - o[2]) / d[2];
  if (s <= 0) return std::nullopt;
  return o + s * d;
}

PinholeCamera LookAtCamera(const cv::Vec3d& centre, const cv::Vec3d& target, double focal_px, int width, int height) {
  PinholeCamera cam;
  cam.k = cv::Matx33d(focal_px, 0, width / 2.0, 0, focal_px, height / 2.0, 0, 0, 1);
  const cv::Vec3d f = cv::normalize(target - centre);
  const cv::Vec3d right = cv::normalize(f.cross(cv::Vec3d(0, 0, 1)));
  const cv::Vec3d down = f.cross(right);
  cam.r = cv::Matx33d(right[0], right[1], right[2], down[0], down[1], down[2], f[0], f[1], f[2]);
  cam.t = -(cam.r * centre);
  cam.width = width;
  cam.height = height;
  return cam;
}

}  // namespace didban::geo
