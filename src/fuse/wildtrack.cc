#include "fuse/wildtrack.h"

#include <algorithm>
#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

namespace didban::fuse {

std::string WildtrackViewName(int view) { return absl::StrCat("C", view + 1); }

std::string WildtrackCalibrationStem(int view) {
  return view < 4 ? absl::StrCat("CVLab", view + 1) : absl::StrCat("IDIAP", view - 3);
}

Point2 WildtrackGround(int64_t position_id) {
  const int64_t column = position_id % 480;
  const int64_t row = position_id / 480;
  return {-3.0 + 0.025 * static_cast<double>(column), -9.0 + 0.025 * static_cast<double>(row)};
}

absl::StatusOr<std::vector<WildtrackFrame>> LoadWildtrackAnnotations(const std::string& root, int max_frames) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(root) / "annotations_positions";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir.string(), ": no such directory"));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (max_frames > 0 && static_cast<int>(files.size()) > max_frames) files.resize(max_frames);
  std::vector<WildtrackFrame> frames;
  for (const fs::path& f : files) {
    DIDBAN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(f.string()));
    WildtrackFrame frame;
    try {
      frame.annotation_frame = std::stoi(f.stem().string());
      nlohmann::json j = nlohmann::json::parse(text);
      for (const nlohmann::json& p : j) {
        WildtrackPerson person;
        person.person_id = p.at("personID").get<int64_t>();
        person.position_id = p.at("positionID").get<int64_t>();
        for (const nlohmann::json& v : p.at("views")) {
          int view = v.at("viewNum").get<int>();
          double x0 = v.at("xmin").get<double>(), x1 = v.at("xmax").get<double>();
          double y0 = v.at("ymin").get<double>(), y1 = v.at("ymax").get<double>();
          if (view < 0 || view >= kWildtrackViews || x0 < 0 || x1 <= x0 || y1 <= y0) continue;
          person.boxes[view] = Box::FromTlbr(static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1),
                                             static_cast<float>(y1));
        }
        frame.people.push_back(person);
      }
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(f.string(), ": ", e.what()));
    }
    frames.push_back(std::move(frame));
  }
  if (frames.empty()) return absl::NotFoundError(absl::StrCat(dir.string(), ": no annotation files"));
  return frames;
}

absl::StatusOr<std::vector<geo::CameraCalibration>> LoadWildtrackCalibrations(const std::string& root) {
  std::vector<geo::CameraCalibration> out;
  for (int v = 0; v < kWildtrackViews; ++v) {
    std::string stem = WildtrackCalibrationStem(v);
    DIDBAN_ASSIGN_OR_RETURN(
        geo::PinholeCamera cam,
        geo::LoadOpenCvXmlCalibration(absl::StrCat(root, "/calibrations/intrinsic_zero/intr_", stem, ".xml"),
                                      absl::StrCat(root, "/calibrations/extrinsic/extr_", stem, ".xml"), 0.01));
    cam.width = kWildtrackWidth;
    cam.height = kWildtrackHeight;
    geo::CameraCalibration cal;
    cal.pinhole = cam;
    out.push_back(cal);
  }
  return out;
}

absl::Status WildtrackNoiseOptions::Validate() const {
  if (!(drop_probability >= 0 && drop_probability <= 1)) {
    return absl::InvalidArgumentError("drop_probability must be in [0, 1]");
  }
  if (!(edge_sigma_fraction >= 0)) return absl::InvalidArgumentError("edge_sigma_fraction must be >= 0");
  if (!(false_per_view >= 0)) return absl::InvalidArgumentError("false_per_view must be >= 0");
  return absl::OkStatus();
}

WildtrackSet MakeWildtrackDetections(const std::vector<WildtrackFrame>& frames, uint64_t seed,
                                     const WildtrackNoiseOptions& options) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::poisson_distribution<int> false_count(options.false_per_view > 0 ? options.false_per_view : 1.0);
  WildtrackSet set;
  for (size_t k = 0; k < frames.size(); ++k) {
    const int frame = static_cast<int>(k) + 1;
    for (const WildtrackPerson& p : frames[k].people) {
      Point2 g = WildtrackGround(p.position_id);
      set.truth.push_back({frame, p.person_id, g.x, g.y});
    }
    for (int v = 0; v < kWildtrackViews; ++v) {
      std::vector<MotRow>& out = set.detections[v];
      for (const WildtrackPerson& p : frames[k].people) {
        if (!p.boxes[v]) continue;
        if (unit(rng) < options.drop_probability) continue;
        const Box& b = *p.boxes[v];
        const double s = options.edge_sigma_fraction * b.h;
        double x0 = b.x + s * normal(rng), y0 = b.y + s * normal(rng);
        double x1 = b.Right() + s * normal(rng), y1 = b.Bottom() + s * normal(rng);
        if (x1 < x0 + 1) x1 = x0 + 1;
        if (y1 < y0 + 1) y1 = y0 + 1;
        MotRow row;
        row.frame = frame;
        row.box = Box::FromTlbr(static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1),
                                static_cast<float>(y1));
        out.push_back(row);
      }
      int n = options.false_per_view > 0 ? false_count(rng) : 0;
      for (int i = 0; i < n; ++i) {
        // Plausible pedestrian sizes: 60 to 500 px tall, aspect 0.3 to 0.5, anywhere inside the image.
        double h = 60 + 440 * unit(rng);
        double w = h * (0.3 + 0.2 * unit(rng));
        double x = (kWildtrackWidth - w) * unit(rng);
        double y = (kWildtrackHeight - h) * unit(rng);
        MotRow row;
        row.frame = frame;
        row.box = {static_cast<float>(x), static_cast<float>(y), static_cast<float>(w), static_cast<float>(h)};
        out.push_back(row);
      }
    }
  }
  return set;
}

FuserOptions WildtrackFuserOptions() {
  FuserOptions o;
  o.step_s = 0.5;
  o.accel_sigma = 0.5;
  o.confirm_hits = 3;
  o.merge_gate_chi2 = 20;
  o.roi_min_x = -3;
  o.roi_min_y = -9;
  o.roi_max_x = 9;
  o.roi_max_y = 27;
  return o;
}

absl::Status WriteWildtrackSet(const WildtrackSet& set, const std::string& root, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(out_dir, ": cannot create directory: ", ec.message()));
  std::string abs_root = fs::absolute(root, ec).lexically_normal().string();
  std::string site = "site:\n  name: wildtrack\ncameras:\n";
  for (int v = 0; v < kWildtrackViews; ++v) {
    DIDBAN_RETURN_IF_ERROR(WriteMotFile(absl::StrCat(out_dir, "/", WildtrackViewName(v), ".txt"), set.detections[v]));
    std::string stem = WildtrackCalibrationStem(v);
    absl::StrAppend(&site, "  - name: ", WildtrackViewName(v), "\n    calibration:\n      opencv_xml:\n",
                    "        intrinsic: ", abs_root, "/calibrations/intrinsic_zero/intr_", stem, ".xml\n",
                    "        extrinsic: ", abs_root, "/calibrations/extrinsic/extr_", stem, ".xml\n",
                    "        units_to_m: 0.01\n");
  }
  const FuserOptions o = WildtrackFuserOptions();
  absl::StrAppend(&site, "fusion:\n  step_s: ", o.step_s, "\n  accel_sigma: ", o.accel_sigma,
                  "\n  confirm_hits: ", o.confirm_hits, "\n  merge_gate_chi2: ", o.merge_gate_chi2, "\n  roi: [",
                  o.roi_min_x, ", ", o.roi_min_y, ", ", o.roi_max_x, ", ", o.roi_max_y, "]\n",
                  "fusion_batch:\n  image_size: [", kWildtrackWidth, ", ", kWildtrackHeight,
                  "]\n  consensus: box_model\n  linker: junction\n");
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(absl::StrCat(out_dir, "/gt.csv"), eval::FormatGroundCsv(set.truth)));
  return WriteTextFile(absl::StrCat(out_dir, "/site.yaml"), site);
}

}  // namespace didban::fuse
