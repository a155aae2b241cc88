// Loaders for published camera calibrations: OpenCV FileStorage XML (WILDTRACK) and Tsai XML (PETS-2009).
//
// The files are small and regular, so they are read with a minimal tag/attribute scanner rather than a full XML
// parser: WILDTRACK's extrinsic files hold bare `<rvec>` / `<tvec>` text that cv::FileStorage does not read as
// matrices.
//
// Tsai's model (Tsai 1987; Willson's reference implementation):
//   x_c = R (x_w) + T, R = Rz(rz) Ry(ry) Rx(rx), T in millimetres;
//   undistorted sensor point (mm)  Xu = f x_c / z_c,  Yu = f y_c / z_c;
//   radial distortion, stated from the distorted point: Xu = Xd (1 + kappa1 r^2), r^2 = Xd^2 + Yd^2;
//   pixel: u = sx Xd / dpx + Cx,  v = Yd / dpy + Cy.
// As a PinholeCamera: fx = f sx / dpx, fy = f / dpy, (cx, cy) = (Cx, Cy), t in metres. In normalised coordinates
// (distorted d = (Xd, Yd) / f, undistorted n) Tsai says n = d (1 + kappa1 f^2 |d|^2), whereas OpenCV states the
// distortion the other way round, d = n (1 + k1 |n|^2 + k2 |n|^4 + k3 |n|^6). We fit k1, k2, k3 by linear least
// squares over radii covering the image (exact Tsai inverse sampled at 64 radii out to the farthest corner); for
// PETS-2009 the residual is far below a hundredth of a pixel (tested).
#include <array>
#include <cmath>
#include <fstream>
#include <sstream>

#include <Eigen/Dense>
#include <opencv2/calib3d.hpp>

#include "absl/strings/str_cat.h"
#include "core/mot_format.h"
#include "geo/camera_calibration.h"

namespace didban::geo {
namespace {

// Calibration files are a few kilobytes; anything above this is refused before it is read (docs/security.md).
constexpr int64_t kMaxCalibrationBytes = 1 << 20;
// Image sizes a calibration may state, pixels.
constexpr double kMaxImageSide = 100'000;

absl::StatusOr<std::string> ReadWhole(const std::string& path) {
  if (!std::ifstream(path, std::ios::binary)) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open calibration file"));
  }
  return ReadTextFile(path, kMaxCalibrationBytes);
}

// cv::Rodrigues on a rotation vector read from a file; OpenCV's exceptions stop here.
absl::StatusOr<cv::Matx33d> Rotation(const std::vector<double>& rvec, const std::string& path) {
  try {
    cv::Matx33d r;
    cv::Rodrigues(cv::Vec3d(rvec[0], rvec[1], rvec[2]), r);
    return r;
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": rvec: ", e.what()));
  }
}

// Text between `<tag ...>` and `</tag>` at or after `from`; nullopt when absent.
std::optional<std::string> ElementText(const std::string& xml, const std::string& tag, size_t from = 0) {
  size_t open = xml.find("<" + tag, from);
  while (open != std::string::npos) {
    char next = open + tag.size() + 1 < xml.size() ? xml[open + tag.size() + 1] : '\0';
    if (next == '>' || next == ' ' || next == '\t' || next == '\n' || next == '\r') break;
    open = xml.find("<" + tag, open + 1);
  }
  if (open == std::string::npos) return std::nullopt;
  size_t start = xml.find('>', open);
  if (start == std::string::npos) return std::nullopt;
  size_t end = xml.find("</" + tag + ">", start);
  if (end == std::string::npos) return std::nullopt;
  return xml.substr(start + 1, end - start - 1);
}

absl::StatusOr<std::vector<double>> Numbers(const std::string& text, const std::string& path, const std::string& field,
                                            size_t expected) {
  std::vector<double> out;
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    char* end = nullptr;
    double v = std::strtod(tok.c_str(), &end);
    if (end == tok.c_str() || *end != '\0' || !std::isfinite(v)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", field, ": not a number: '", tok, "'"));
    }
    out.push_back(v);
  }
  if (expected != 0 && out.size() != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", field, ": expected ", expected, " numbers, got ", out.size()));
  }
  return out;
}

// The `<data>` numbers of an OpenCV matrix element, or the element's own text when it has no `<data>`.
absl::StatusOr<std::vector<double>> MatrixNumbers(const std::string& xml, const std::string& path,
                                                  const std::string& tag, size_t expected) {
  std::optional<std::string> body = ElementText(xml, tag);
  if (!body) return absl::InvalidArgumentError(absl::StrCat(path, ": missing <", tag, ">"));
  std::optional<std::string> data = ElementText(*body, "data");
  return Numbers(data ? *data : *body, path, tag, expected);
}

// Value of attribute `name` of the first `<element ...>`.
absl::StatusOr<double> Attribute(const std::string& xml, const std::string& path, const std::string& element,
                                 const std::string& name) {
  size_t open = xml.find("<" + element + " ");
  if (open == std::string::npos) return absl::InvalidArgumentError(absl::StrCat(path, ": missing <", element, ">"));
  size_t close = xml.find('>', open);
  std::string tag = xml.substr(open, close - open);
  size_t at = tag.find(" " + name + "=\"");
  if (at == std::string::npos) at = tag.find("\t" + name + "=\"");
  if (at == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", element, ".", name, ": missing"));
  }
  size_t start = at + name.size() + 3;
  size_t end = tag.find('"', start);
  DIDBAN_ASSIGN_OR_RETURN(std::vector<double> v,
                          Numbers(tag.substr(start, end - start), path, element + "." + name, 1));
  return v[0];
}

}  // namespace

absl::StatusOr<PinholeCamera> LoadOpenCvXmlCalibration(const std::string& intrinsic_path,
                                                       const std::string& extrinsic_path, double units_to_m) {
  if (!(units_to_m > 0) || !std::isfinite(units_to_m)) {
    return absl::InvalidArgumentError(absl::StrCat("units_to_m must be > 0, got ", units_to_m));
  }
  DIDBAN_ASSIGN_OR_RETURN(std::string intr, ReadWhole(intrinsic_path));
  DIDBAN_ASSIGN_OR_RETURN(std::string extr, ReadWhole(extrinsic_path));
  PinholeCamera cam;
  DIDBAN_ASSIGN_OR_RETURN(std::vector<double> k, MatrixNumbers(intr, intrinsic_path, "camera_matrix", 9));
  cam.k = cv::Matx33d(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]);
  if (ElementText(intr, "distortion_coefficients")) {
    DIDBAN_ASSIGN_OR_RETURN(cam.distortion, MatrixNumbers(intr, intrinsic_path, "distortion_coefficients", 0));
    if (cam.distortion.size() != 4 && cam.distortion.size() != 5 && cam.distortion.size() != 8) {
      return absl::InvalidArgumentError(absl::StrCat(
          intrinsic_path, ": distortion_coefficients: expected 4, 5 or 8 numbers, got ", cam.distortion.size()));
    }
    bool all_zero = true;
    for (double d : cam.distortion) all_zero = all_zero && d == 0;
    if (all_zero) cam.distortion.clear();
  }
  DIDBAN_ASSIGN_OR_RETURN(std::vector<double> rvec, MatrixNumbers(extr, extrinsic_path, "rvec", 3));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<double> tvec, MatrixNumbers(extr, extrinsic_path, "tvec", 3));
  DIDBAN_ASSIGN_OR_RETURN(cam.r, Rotation(rvec, extrinsic_path));
  cam.t = cv::Vec3d(tvec[0], tvec[1], tvec[2]) * units_to_m;
  return cam;
}

absl::StatusOr<PinholeCamera> LoadTsaiCalibration(const std::string& path) {
  DIDBAN_ASSIGN_OR_RETURN(std::string xml, ReadWhole(path));
  struct Field {
    const char* element;
    const char* name;
    double value = 0;
  };
  std::array<Field, 16> f{{{"Geometry", "width"},
                           {"Geometry", "height"},
                           {"Geometry", "dpx"},
                           {"Geometry", "dpy"},
                           {"Intrinsic", "focal"},
                           {"Intrinsic", "kappa1"},
                           {"Intrinsic", "cx"},
                           {"Intrinsic", "cy"},
                           {"Intrinsic", "sx"},
                           {"Extrinsic", "tx"},
                           {"Extrinsic", "ty"},
                           {"Extrinsic", "tz"},
                           {"Extrinsic", "rx"},
                           {"Extrinsic", "ry"},
                           {"Extrinsic", "rz"},
                           {"Geometry", "ncx"}}};
  for (Field& x : f) {
    DIDBAN_ASSIGN_OR_RETURN(x.value, Attribute(xml, path, x.element, x.name));
  }
  const double width = f[0].value, height = f[1].value, dpx = f[2].value, dpy = f[3].value;
  const double focal = f[4].value, kappa1 = f[5].value, cx = f[6].value, cy = f[7].value, sx = f[8].value;
  if (!(focal > 0) || !(dpx > 0) || !(dpy > 0) || !(sx > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": focal, dpx, dpy and sx must be > 0"));
  }
  if (!(width >= 0 && width <= kMaxImageSide && height >= 0 && height <= kMaxImageSide)) {  // checked before the cast
    return absl::OutOfRangeError(absl::StrCat(path, ": Geometry width/height ", width, "x", height,
                                              " is beyond the limit of ", kMaxImageSide, " px"));
  }
  if (!(width >= 0 && width <= 100'000) || !(height >= 0 && height <= 100'000)) {  // found by fuzzing
    return absl::InvalidArgumentError(absl::StrCat(path, ": Geometry width and height must be in [0, 100000] pixels"));
  }
  PinholeCamera cam;
  cam.width = static_cast<int>(width);
  cam.height = static_cast<int>(height);
  const double fx = focal * sx / dpx, fy = focal / dpy;
  cam.k = cv::Matx33d(fx, 0, cx, 0, fy, cy, 0, 0, 1);
  const double sa = std::sin(f[12].value), ca = std::cos(f[12].value);
  const double sb = std::sin(f[13].value), cb = std::cos(f[13].value);
  const double sg = std::sin(f[14].value), cg = std::cos(f[14].value);
  cam.r = cv::Matx33d(cb * cg, cg * sa * sb - ca * sg, sa * sg + ca * cg * sb,  //
                      cb * sg, sa * sb * sg + ca * cg, ca * sb * sg - cg * sa,  //
                      -sb, cb * sa, ca * cb);
  cam.t = cv::Vec3d(f[9].value, f[10].value, f[11].value) * 1e-3;
  if (kappa1 != 0) {
    // Fit d = n (1 + k1 n^2 + k2 n^4 + k3 n^6) to Tsai's n = d (1 + kappa1 f^2 d^2) over the image's radii.
    const double w = width > 0 ? width : 2 * cx, h = height > 0 ? height : 2 * cy;
    double max_d = 0;
    for (double u : {0.0, w}) {
      for (double v : {0.0, h}) max_d = std::max(max_d, std::hypot((u - cx) / fx, (v - cy) / fy));
    }
    const double kf = kappa1 * focal * focal;
    constexpr int kSamples = 64;
    Eigen::MatrixXd a(kSamples, 3);
    Eigen::VectorXd b(kSamples);
    for (int i = 0; i < kSamples; ++i) {
      double d = max_d * (i + 1) / kSamples;
      double n = d * (1 + kf * d * d);
      double n2 = n * n;
      a(i, 0) = n2;
      a(i, 1) = n2 * n2;
      a(i, 2) = n2 * n2 * n2;
      b(i) = d / n - 1;
    }
    Eigen::Vector3d k = a.colPivHouseholderQr().solve(b);
    cam.distortion = {k(0), k(1), 0, 0, k(2)};
  }
  return cam;
}

}  // namespace didban::geo
