#include "geo/camera_calibration.h"

namespace didban::geo {

// Placeholders until the multicam work lands (issue 4).
absl::StatusOr<PinholeCamera> LoadOpenCvXmlCalibration(const std::string& intrinsic_path,
                                                       const std::string& extrinsic_path, double /*units_to_m*/) {
  return absl::UnimplementedError(
      absl::StrCat("OpenCV XML calibration loading is not implemented yet: ", intrinsic_path, ", ", extrinsic_path));
}

absl::StatusOr<PinholeCamera> LoadTsaiCalibration(const std::string& path) {
  return absl::UnimplementedError(absl::StrCat("Tsai calibration loading is not implemented yet: ", path));
}

}  // namespace didban::geo
