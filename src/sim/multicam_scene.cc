#include "sim/multicam_scene.h"

#include <cmath>
#include <map>
#include <random>

namespace didban::sim {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kWidth = 1920, kHeight = 1080;
constexpr double kObjectHeightM = 1.7;
constexpr double kSiteHalfM = 40;

struct Lane {
  double x0, y0, x1, y1;  // from, to (metres)
};

}  // namespace

absl::Status MulticamSceneOptions::Validate() const {
  if (cameras < 3) return absl::InvalidArgumentError("cameras must be >= 3");
  if (!(camera_radius_m > 0) || !(camera_height_m > 0)) {
    return absl::InvalidArgumentError("camera_radius_m and camera_height_m must be > 0");
  }
  if (!(duration_s > 0) || !(fps > 0)) return absl::InvalidArgumentError("duration_s and fps must be > 0");
  if (objects < 1) return absl::InvalidArgumentError("objects must be >= 1");
  if (!(box_sigma_px >= 0)) return absl::InvalidArgumentError("box_sigma_px must be >= 0");
  if (dropout_camera >= cameras) return absl::InvalidArgumentError("dropout_camera must be < cameras");
  if (!(dropout_s >= 0)) return absl::InvalidArgumentError("dropout_s must be >= 0");
  return absl::OkStatus();
}

MulticamScene MakeMulticamScene(const MulticamSceneOptions& o) {
  MulticamScene scene;
  std::mt19937_64 rng(o.seed);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int c = 0; c < o.cameras; ++c) {
    double a = 2 * kPi * c / o.cameras + kPi / 6;
    cv::Vec3d centre(o.camera_radius_m * std::cos(a), o.camera_radius_m * std::sin(a), o.camera_height_m);
    geo::CameraCalibration cal;
    cal.pinhole = geo::LookAtCamera(centre, cv::Vec3d(0, 0, 0), 1000, kWidth, kHeight);
    scene.camera_names.push_back(absl::StrCat("C", c + 1));
    scene.calibrations.push_back(cal);
  }
  // Lanes across the junction: both directions of the two roads and the two diagonals, 1.5 m off centre.
  const std::vector<Lane> lanes = {{-kSiteHalfM, -1.5, kSiteHalfM, -1.5},
                                   {kSiteHalfM, 1.5, -kSiteHalfM, 1.5},
                                   {1.5, -kSiteHalfM, 1.5, kSiteHalfM},
                                   {-1.5, kSiteHalfM, -1.5, -kSiteHalfM},
                                   {-28, -28, 28, 28},
                                   {28, -28, -28, 28}};
  struct Object {
    double start_s, speed;
    Lane lane;
  };
  std::vector<Object> objects;
  for (int i = 0; i < o.objects; ++i) {
    Object ob;
    ob.lane = lanes[i % lanes.size()];
    ob.start_s = (o.duration_s * 0.6) * i / o.objects;
    ob.speed = 3 + 5 * unit(rng);  // 3 to 8 m/s
    objects.push_back(ob);
  }
  scene.frames = static_cast<int>(std::floor(o.duration_s * o.fps));
  const size_t nc = scene.calibrations.size();
  scene.tracks.assign(nc, {});
  scene.reporting.assign(nc, std::vector<bool>(scene.frames, true));
  scene.visible.assign(nc, std::vector<std::vector<int64_t>>(scene.frames));
  std::vector<std::map<int64_t, int64_t>> local_ids(nc);  // per camera: object -> local id while visible
  std::vector<int64_t> next_local(nc, 1);
  for (int f = 0; f < scene.frames; ++f) {
    const double t = f / o.fps;
    for (size_t c = 0; c < nc; ++c) {
      bool out =
          static_cast<int>(c) == o.dropout_camera && t >= o.dropout_start_s && t < o.dropout_start_s + o.dropout_s;
      scene.reporting[c][f] = !out;
    }
    for (size_t i = 0; i < objects.size(); ++i) {
      const Object& ob = objects[i];
      const double len = std::hypot(ob.lane.x1 - ob.lane.x0, ob.lane.y1 - ob.lane.y0);
      const double s = (t - ob.start_s) * ob.speed;
      const int64_t id = static_cast<int64_t>(i) + 1;
      bool on_site = s >= 0 && s <= len;
      double x = ob.lane.x0 + (ob.lane.x1 - ob.lane.x0) * s / len;
      double y = ob.lane.y0 + (ob.lane.y1 - ob.lane.y0) * s / len;
      for (size_t c = 0; c < nc; ++c) {
        const geo::PinholeCamera& cam = *scene.calibrations[c].pinhole;
        std::optional<Point2> foot = on_site ? cam.Project({x, y, 0}) : std::nullopt;
        std::optional<Point2> head = on_site ? cam.Project({x, y, kObjectHeightM}) : std::nullopt;
        bool vis = foot && head && cam.InImage(*foot) && head->y >= 0;
        if (!vis) {
          local_ids[c].erase(id);
          continue;
        }
        scene.visible[c][f].push_back(id);
        if (!scene.reporting[c][f]) {
          local_ids[c].erase(id);  // the camera's tracker restarts after the gap
          continue;
        }
        auto [it, fresh] = local_ids[c].try_emplace(id, next_local[c]);
        if (fresh) ++next_local[c];
        double h = foot->y - head->y;
        double w = 0.4 * h;
        double x0 = foot->x - w / 2 + o.box_sigma_px * noise(rng), x1 = foot->x + w / 2 + o.box_sigma_px * noise(rng);
        double y0 = head->y + o.box_sigma_px * noise(rng), y1 = foot->y + o.box_sigma_px * noise(rng);
        MotRow row;
        row.frame = f + 1;
        row.id = it->second;
        row.box = Box::FromTlbr(static_cast<float>(x0), static_cast<float>(y0),
                                static_cast<float>(std::max(x1, x0 + 1)), static_cast<float>(std::max(y1, y0 + 1)));
        scene.tracks[c].push_back(row);
      }
      if (on_site) scene.truth.push_back({f + 1, id, x, y});
    }
  }
  return scene;
}

}  // namespace didban::sim
