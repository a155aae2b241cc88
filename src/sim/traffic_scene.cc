#include "sim/traffic_scene.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

namespace didban::sim {
namespace {

constexpr double kDegToRad = std::numbers::pi / 180.0;

// Deterministic hash noise in [0, 1).
double Hash(int64_t x, int64_t y, uint64_t seed) {
  uint64_t h = static_cast<uint64_t>(x) * 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(y) * 0xC2B2AE3D27D4EB4FULL ^
               seed * 0x165667B19E3779F9ULL;
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 29;
  return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
}

// Colour of the ground at (east, north): asphalt, markings, verge.
cv::Vec3b GroundColour(const TrafficScenario& s, double east, double north) {
  double half = 0.5 * s.lane_width_m * static_cast<double>(s.lane_centres_m.size());
  double road_left = s.median_east_m - half, road_right = s.median_east_m + half;
  auto grain = [&](double cell) {
    return Hash(static_cast<int64_t>(std::floor(east / cell)), static_cast<int64_t>(std::floor(north / cell)), s.seed);
  };
  const bool on_main = east >= road_left - 0.5 && east <= road_right + 0.5;
  const double cross_half = 0.5 * s.lane_width_m * static_cast<double>(s.cross_lane_centres_m.size());
  const bool on_cross = !s.cross_lane_centres_m.empty() && std::abs(north - s.cross_north_m) <= cross_half + 0.5;
  if (on_cross) {  // the cross road, and the junction box (plain asphalt) where it meets the main road
    bool marking = false;
    if (!on_main) {
      const double d = north - s.cross_north_m;
      const bool dash = std::fmod(std::abs(east) + 1000.0, 6.0) < 3.0;
      marking = std::abs(std::abs(d) - cross_half) < 0.1 || (std::abs(d) < 0.08 && dash);
      // Stop lines across each half, 1 m out from the main road.
      marking =
          marking || (std::abs(std::abs(east - s.median_east_m) - (half + 1.5)) < 0.2 && std::abs(d) < cross_half);
    }
    if (marking) return cv::Vec3b(215, 215, 215);
    double g = 0.6 * grain(0.08) + 0.4 * grain(0.8);
    auto v = static_cast<uchar>(72 + 30 * g);
    return cv::Vec3b(v, v, static_cast<uchar>(v + 3));
  }
  if (!on_main) {
    double g = grain(0.25);
    return cv::Vec3b(static_cast<uchar>(45 + 20 * g), static_cast<uchar>(95 + 35 * g), static_cast<uchar>(55 + 20 * g));
  }
  auto near = [&](double x, double w) { return std::abs(east - x) < w; };
  bool marking = near(road_left, 0.1) || near(road_right, 0.1) || near(s.median_east_m - 0.15, 0.06) ||
                 near(s.median_east_m + 0.15, 0.06);
  for (double c : s.lane_centres_m) {  // dashed boundaries between lanes of one direction: 3 m every 12 m
    for (double b : {c - 0.5 * s.lane_width_m, c + 0.5 * s.lane_width_m}) {
      bool edge =
          std::abs(b - road_left) < 0.3 || std::abs(b - road_right) < 0.3 || std::abs(b - s.median_east_m) < 0.3;
      if (!edge && near(b, 0.08) && std::fmod(north + 1000.0, 12.0) < 3.0) marking = true;
    }
  }
  if (marking) return cv::Vec3b(215, 215, 215);
  double g = 0.6 * grain(0.08) + 0.4 * grain(0.8);
  auto v = static_cast<uchar>(72 + 30 * g);
  return cv::Vec3b(v, v, static_cast<uchar>(v + 3));
}

cv::Mat RenderBackground(const TrafficScenario& s, const geo::PinholeCamera& cam) {
  cv::Mat bg(s.camera.height, s.camera.width, CV_8UC3);
  const double fwd_east = std::sin(s.camera.yaw_deg * kDegToRad), fwd_north = std::cos(s.camera.yaw_deg * kDegToRad);
  for (int y = 0; y < bg.rows; ++y) {
    for (int x = 0; x < bg.cols; ++x) {
      std::optional<cv::Vec3d> g = cam.PixelToGround({x + 0.5, y + 0.5}, 0);
      // Beyond 600 m ahead (along the camera's compass direction) is sky.
      if (!g || ((*g)[0] - s.camera.east_m) * fwd_east + ((*g)[1] - s.camera.north_m) * fwd_north > 600) {
        double f = static_cast<double>(y) / bg.rows;
        bg.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(235 - 40 * f), static_cast<uchar>(205 - 30 * f),
                                           static_cast<uchar>(170 - 20 * f));
        continue;
      }
      bg.at<cv::Vec3b>(y, x) = GroundColour(s, (*g)[0], (*g)[1]);
    }
  }
  return bg;
}

struct Pose {
  Point2 centre, velocity, heading;
  bool exists = false;
};

Pose PoseAt(const TrafficVehicle& v, double t) {
  Pose p;
  if (v.path.size() < 2 || t < v.path.front().t_s || t > v.path.back().t_s) return p;
  p.exists = true;
  size_t i = 0;
  while (i + 2 < v.path.size() && t > v.path[i + 1].t_s) ++i;
  const Keyframe& a = v.path[i];
  const Keyframe& b = v.path[i + 1];
  double dt = b.t_s - a.t_s;
  double s = dt > 0 ? (t - a.t_s) / dt : 0;
  p.centre = {a.east_m + s * (b.east_m - a.east_m), a.north_m + s * (b.north_m - a.north_m)};
  p.velocity = dt > 0 ? Point2{(b.east_m - a.east_m) / dt, (b.north_m - a.north_m) / dt} : Point2{};
  // Heading: this segment's direction, else the nearest moving segment's (a stopped vehicle keeps its heading).
  for (size_t k = 0; k < v.path.size() - 1; ++k) {
    size_t seg = i >= k ? i - k : i + k;
    for (size_t j : {seg, i + k}) {
      if (j + 1 >= v.path.size()) continue;
      double dx = v.path[j + 1].east_m - v.path[j].east_m, dy = v.path[j + 1].north_m - v.path[j].north_m;
      double n = std::hypot(dx, dy);
      if (n > 1e-9) {
        p.heading = {dx / n, dy / n};
        return p;
      }
    }
  }
  p.heading = {0, 1};
  return p;
}

std::array<cv::Vec3d, 8> Corners(const TrafficVehicle& v, const Pose& p) {
  Point2 h = p.heading;
  Point2 n{-h.y, h.x};
  double l = v.length_m / 2, w = v.width_m / 2;
  std::array<cv::Vec3d, 8> c;
  const double sl[4] = {l, l, -l, -l};
  const double sw[4] = {w, -w, -w, w};
  for (int i = 0; i < 4; ++i) {
    double x = p.centre.x + h.x * sl[i] + n.x * sw[i];
    double y = p.centre.y + h.y * sl[i] + n.y * sw[i];
    c[i] = {x, y, 0};
    c[i + 4] = {x, y, v.height_m};
  }
  return c;
}

}  // namespace

absl::Status TrafficScenario::Validate() const {
  if (camera.width < 16 || camera.height < 16 || !(camera.focal_px > 0) || !(camera.height_m > 0)) {
    return absl::InvalidArgumentError("traffic scenario: camera needs width, height >= 16 and focal, height > 0");
  }
  if (!(fps > 0) || !(duration_s > 0)) return absl::InvalidArgumentError("traffic scenario: fps, duration_s > 0");
  for (const TrafficVehicle& v : vehicles) {
    if (v.path.size() < 2) return absl::InvalidArgumentError(absl::StrCat("vehicle ", v.id, ": path needs 2 points"));
    for (size_t i = 1; i < v.path.size(); ++i) {
      if (!(v.path[i].t_s > v.path[i - 1].t_s)) {
        return absl::InvalidArgumentError(absl::StrCat("vehicle ", v.id, ": keyframe times must increase"));
      }
    }
  }
  return absl::OkStatus();
}

geo::PinholeCamera MakeTrafficCamera(const TrafficCamera& c) {
  geo::PinholeCamera cam;
  cam.k = cv::Matx33d(c.focal_px, 0, c.width / 2.0, 0, c.focal_px, c.height / 2.0, 0, 0, 1);
  double p = c.pitch_deg * kDegToRad;
  double yaw = c.yaw_deg * kDegToRad;
  // Rows: camera x (right: east at yaw 0), y (down in the image), z (forward: the compass direction yaw, pitched
  // down) in world coordinates.
  const double fe = std::sin(yaw), fn = std::cos(yaw);
  cam.r = cv::Matx33d(fn, -fe, 0, -std::sin(p) * fe, -std::sin(p) * fn, -std::cos(p), std::cos(p) * fe,
                      std::cos(p) * fn, -std::sin(p));
  cv::Vec3d centre(c.east_m, c.north_m, c.height_m);
  cam.t = -(cam.r * centre);
  cam.width = c.width;
  cam.height = c.height;
  return cam;
}

absl::StatusOr<TrafficScene> TrafficScene::Create(TrafficScenario scenario) {
  DIDBAN_RETURN_IF_ERROR(scenario.Validate());
  geo::PinholeCamera cam = MakeTrafficCamera(scenario.camera);
  cv::Mat bg = RenderBackground(scenario, cam);
  return TrafficScene(std::move(scenario), std::move(cam), std::move(bg));
}

int64_t TrafficScene::FrameCount() const {
  return static_cast<int64_t>(std::floor(scenario_.duration_s * scenario_.fps));
}

TimeUs TrafficScene::FrameTime(int64_t index) const { return SecondsToUs(static_cast<double>(index) / scenario_.fps); }

geo::CameraCalibration TrafficScene::Calibration() const {
  geo::CameraCalibration c;
  c.pinhole = camera_;
  return c;
}

std::vector<VehicleTruth> TrafficScene::Truth(int64_t index) const {
  double t = UsToSeconds(FrameTime(index));
  std::vector<VehicleTruth> out;
  for (const TrafficVehicle& v : scenario_.vehicles) {
    Pose p = PoseAt(v, t);
    if (!p.exists) continue;
    VehicleTruth vt;
    vt.id = v.id;
    vt.role = v.role;
    vt.object_class = v.object_class;
    vt.centre = p.centre;
    vt.velocity = p.velocity;
    float x0 = 1e9f, y0 = 1e9f, x1 = -1e9f, y1 = -1e9f;
    bool in_front = true;
    for (const cv::Vec3d& c : Corners(v, p)) {
      std::optional<Point2> px = camera_.Project(c);
      if (!px) {
        in_front = false;
        break;
      }
      x0 = std::min(x0, static_cast<float>(px->x));
      y0 = std::min(y0, static_cast<float>(px->y));
      x1 = std::max(x1, static_cast<float>(px->x));
      y1 = std::max(y1, static_cast<float>(px->y));
    }
    if (in_front) {
      x0 = std::max(x0, 0.f);
      y0 = std::max(y0, 0.f);
      x1 = std::min(x1, static_cast<float>(scenario_.camera.width));
      y1 = std::min(y1, static_cast<float>(scenario_.camera.height));
      vt.box = Box::FromTlbr(x0, y0, x1, y1);
      vt.visible = vt.box.w >= 1 && vt.box.h >= 1;
    }
    out.push_back(vt);
  }
  cv::Vec3d cam = camera_.Center();
  std::sort(out.begin(), out.end(), [&](const VehicleTruth& a, const VehicleTruth& b) {
    return std::hypot(a.centre.x - cam[0], a.centre.y - cam[1]) > std::hypot(b.centre.x - cam[0], b.centre.y - cam[1]);
  });
  return out;
}

FramePtr TrafficScene::Render(int64_t index) const {
  constexpr int kShift = 4;
  constexpr double kSubpixel = 1 << kShift;
  double t = UsToSeconds(FrameTime(index));
  cv::Mat img = background_.clone();
  cv::Vec3d cam = camera_.Center();
  for (const VehicleTruth& vt : Truth(index)) {
    if (!vt.visible) continue;
    const TrafficVehicle* v = nullptr;
    for (const TrafficVehicle& x : scenario_.vehicles) v = x.id == vt.id ? &x : v;
    Pose p = PoseAt(*v, t);
    std::array<cv::Vec3d, 8> c = Corners(*v, p);
    // Faces (corner indices) with outward normals and shading.
    struct Face {
      std::array<int, 4> idx;
      cv::Vec3d normal;
      double shade;
    };
    cv::Vec3d h(p.heading.x, p.heading.y, 0), n(-p.heading.y, p.heading.x, 0);
    const Face faces[] = {{{4, 5, 6, 7}, {0, 0, 1}, 1.0},
                          {{0, 1, 5, 4}, h, 0.8},
                          {{2, 3, 7, 6}, -h, 0.8},
                          {{3, 0, 4, 7}, n, 0.62},
                          {{1, 2, 6, 5}, -n, 0.62}};
    for (const Face& f : faces) {
      cv::Vec3d centre = 0.25 * (c[f.idx[0]] + c[f.idx[1]] + c[f.idx[2]] + c[f.idx[3]]);
      if ((cam - centre).dot(f.normal) <= 0) continue;
      // Sub-pixel vertices (kShift fractional bits). The camera model puts pixel i's edges at i and i + 1 (principal
      // point at width / 2), OpenCV's rasteriser puts pixel i's centre at i: shift by half a pixel so that the drawn
      // faces cover exactly the projected box (whole pixels would move a face by up to half a pixel and the
      // anti-aliased edge by one more, a bias that grows to metres far from the camera).
      std::vector<cv::Point> poly;
      for (int i : f.idx) {
        std::optional<Point2> px = camera_.Project(c[i]);
        poly.emplace_back(static_cast<int>(std::lround((px->x - 0.5) * kSubpixel)),
                          static_cast<int>(std::lround((px->y - 0.5) * kSubpixel)));
      }
      cv::fillConvexPoly(img, poly, v->colour * f.shade, cv::LINE_AA, kShift);
    }
  }
  // Lighting: slow flicker plus a little per-frame jitter, then sensor noise.
  double gain = 1.0 + scenario_.flicker * std::sin(2 * std::numbers::pi * 0.4 * t) +
                0.3 * scenario_.flicker * (Hash(index, 7, scenario_.seed) - 0.5);
  img.convertTo(img, -1, gain, 0);
  if (scenario_.noise_sigma > 0) {
    cv::Mat noise(img.size(), CV_16SC3);
    cv::RNG rng(scenario_.seed * 1000003ULL + static_cast<uint64_t>(index));
    rng.fill(noise, cv::RNG::NORMAL, 0, scenario_.noise_sigma);
    cv::Mat wide;
    img.convertTo(wide, CV_16SC3);
    wide += noise;
    wide.convertTo(img, CV_8UC3);
  }
  auto frame = std::make_shared<Frame>();
  frame->camera = scenario_.name;
  frame->index = index;
  frame->pts_us = FrameTime(index);
  frame->image = img;
  frame->full = img;
  frame->scale = 1.0;
  return frame;
}

int TrafficScene::CrossingDirection(const TrafficVehicle& v, double north_m) {
  if (v.path.size() < 2) return 0;
  double a = v.path.front().north_m - north_m, b = v.path.back().north_m - north_m;
  if (a < 0 && b > 0) return 1;
  if (a > 0 && b < 0) return -1;
  return 0;
}

double TrafficScene::ConstantSpeed(const TrafficVehicle& v) {
  double speed = -1;
  for (size_t i = 0; i + 1 < v.path.size(); ++i) {
    const Keyframe& a = v.path[i];
    const Keyframe& b = v.path[i + 1];
    double s = std::hypot(b.east_m - a.east_m, b.north_m - a.north_m) / (b.t_s - a.t_s);
    if (speed >= 0 && std::abs(s - speed) > 1e-9) return 0;
    speed = s;
  }
  return std::max(speed, 0.0);
}

namespace {

TrafficVehicle Through(int id, double east, bool northbound, double speed, double t0, cv::Scalar colour,
                       ObjectClass cls = ObjectClass::kCar) {
  TrafficVehicle v;
  v.id = id;
  v.object_class = cls;
  v.colour = colour;
  if (cls == ObjectClass::kTruck) {
    v.length_m = 10;
    v.width_m = 2.5;
    v.height_m = 3.2;
  }
  double from = northbound ? -25 : 170, to = northbound ? 170 : -25;
  v.path = {{t0, east, from}, {t0 + 195 / speed, east, to}};
  return v;
}

}  // namespace

TrafficScenario DefaultTrafficScenario() {
  TrafficScenario s;
  s.name = "sim-road";
  s.duration_s = 46;
  const double nb_in = 1.75, nb_out = 5.25, sb_in = -1.75, sb_out = -5.25;
  auto& v = s.vehicles;
  v.push_back(Through(1, nb_out, true, 18, 0, {40, 40, 200}));
  v.push_back(Through(2, nb_in, true, 25, 2, {200, 60, 30}));
  v.push_back(Through(3, sb_in, false, 22, 1, {30, 180, 220}));
  v.push_back(Through(4, sb_out, false, 16, 4, {240, 240, 240}));
  v.push_back(Through(5, nb_out, true, 14, 6, {60, 120, 60}, ObjectClass::kTruck));
  v.push_back(Through(6, sb_in, false, 27, 8, {20, 20, 20}));
  v.push_back(Through(7, nb_in, true, 23, 10, {160, 40, 160}));
  v.push_back(Through(8, sb_out, false, 19, 12, {30, 90, 180}));
  v.push_back(Through(9, nb_in, true, 24, 14, {200, 200, 40}));
  v.push_back(Through(10, sb_out, false, 18, 16, {120, 30, 30}));
  v.push_back(Through(11, nb_in, true, 22, 20, {40, 140, 240}));
  v.push_back(Through(12, sb_out, false, 21, 27, {220, 220, 220}));
  v.push_back(Through(13, sb_in, false, 25, 37, {50, 50, 150}));
  // Stops for 8 s in the northbound outer lane at north = 45 m, then drives on.
  TrafficVehicle stop;
  stop.id = 20;
  stop.role = VehicleRole::kStops;
  stop.colour = {0, 140, 255};
  stop.path = {{14, nb_out, -25},
               {14 + 70 / 15.0, nb_out, 45},
               {22 + 70 / 15.0, nb_out, 45},
               {22 + 70 / 15.0 + 125 / 15.0, nb_out, 170}};
  v.push_back(stop);
  // Drives north in the southbound inner lane.
  TrafficVehicle wrong = Through(21, sb_in, true, 15, 22, {255, 0, 255});
  wrong.role = VehicleRole::kWrongWay;
  v.push_back(wrong);
  // Near miss: a 20 m/s follower closes on a 12 m/s leader (northbound inner lane) and swerves to the outer lane
  // when 10.5 m behind (centres; time to collision 0.75 s).
  TrafficVehicle leader = Through(22, nb_in, true, 12, 30, {0, 200, 0});
  leader.role = VehicleRole::kNearMissLeader;
  leader.path = {{30, nb_in, -15}, {30 + 185 / 12.0, nb_in, 170}};
  v.push_back(leader);
  TrafficVehicle follower;
  follower.id = 23;
  follower.role = VehicleRole::kNearMissFollower;
  follower.colour = {0, 0, 255};
  const double g0 = 42.2, t_swerve = 30 + (g0 - 10.5) / 8;
  const double n_swerve = -15 - g0 + 20 * (t_swerve - 30);
  follower.path = {{30, nb_in, -15 - g0},
                   {t_swerve, nb_in, n_swerve},
                   {t_swerve + 1, nb_out, n_swerve + 20},
                   {t_swerve + 1 + (170 - n_swerve - 20) / 20, nb_out, 170}};
  v.push_back(follower);
  return s;
}

}  // namespace didban::sim
