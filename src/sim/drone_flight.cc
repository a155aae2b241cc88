#include "sim/drone_flight.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <random>

#include <opencv2/imgproc.hpp>

#include "core/mot_format.h"
#include "drone/srt_telemetry.h"
#include "geo/camera_profiles.h"
#include "record/video_writer.h"

namespace didban::sim {

namespace {

constexpr double kDeg = M_PI / 180.0;

// Wraps degrees into [-180, 180).
double WrapDegrees(double deg) {
  double d = std::fmod(deg + 180.0, 360.0);
  if (d < 0) d += 360.0;
  return d - 180.0;
}

// Homography mapping ground-plane points (east, north metres, z = 0) to pixels for a camera.
cv::Matx33d GroundToImageHomography(const geo::PinholeCamera& camera) {
  const cv::Matx33d& r = camera.r;
  const cv::Matx33d m(r(0, 0), r(0, 1), camera.t[0], r(1, 0), r(1, 1), camera.t[1], r(2, 0), r(2, 1), camera.t[2]);
  return camera.k * m;
}
// Shadow offset per metre of object height (sun from the north-west, about 60 degrees up).
const Point2 kShadowPerM{0.45, -0.3};

Point2 Add(Point2 a, Point2 b, double s = 1.0) { return {a.x + s * b.x, a.y + s * b.y}; }

cv::Point2d Project(const cv::Matx33d& h, Point2 g) {
  const cv::Vec3d p = h * cv::Vec3d(g.x, g.y, 1.0);
  return {p[0] / p[2], p[1] / p[2]};
}

}  // namespace

// A vehicle or person: a rectangle (or ellipse) on the ground moving along a straight line at constant speed.
struct DroneFlight::Object {
  int id = 0;
  ObjectClass object_class = ObjectClass::kCar;
  bool person = false;
  Point2 start;           // local metres at t = 0
  Point2 dir;             // unit heading
  double speed_mps = 0;   // 0 = parked
  double length_m = 4.5;  // along the heading
  double width_m = 1.9;
  double height_m = 1.5;  // for the shadow
  cv::Scalar body;        // BGR
  cv::Scalar detail;      // windscreen / cab / head colour

  Point2 At(double t) const { return Add(start, dir, speed_mps * t); }
  // Ground outline (local metres) of the body, or of a part from `from` to `to` along the length (fractions).
  std::vector<Point2> Outline(double t, double from = 0, double to = 1, double width_frac = 1) const {
    const Point2 c = At(t);
    const Point2 side{dir.y, -dir.x};
    std::vector<Point2> pts;
    if (person) {
      for (int k = 0; k < 12; ++k) {
        const double a = 2 * M_PI * k / 12;
        pts.push_back(Add(Add(c, dir, 0.5 * length_m * width_frac * std::cos(a)), side,
                          0.5 * width_m * width_frac * std::sin(a)));
      }
      return pts;
    }
    const double l0 = (from - 0.5) * length_m, l1 = (to - 0.5) * length_m;
    const double w = 0.5 * width_m * width_frac;
    pts.push_back(Add(Add(c, dir, l0), side, -w));
    pts.push_back(Add(Add(c, dir, l1), side, -w));
    pts.push_back(Add(Add(c, dir, l1), side, w));
    pts.push_back(Add(Add(c, dir, l0), side, w));
    return pts;
  }
};

geo::CameraSpec DefaultDroneCamera() {
  geo::CameraSpec spec;
  spec.width = 1280;
  spec.height = 720;
  // A built-in profile: cannot fail.
  if (!geo::ApplyCameraProfile("mavic3", &spec).ok()) spec.hfov_deg = 71.59;
  return spec;
}

absl::Status DroneFlightOptions::Validate() const {
  auto bad = [](const std::string& m) { return absl::InvalidArgumentError(absl::StrCat("drone flight: ", m)); };
  DIDBAN_RETURN_IF_ERROR(camera.Validate());
  if (!(seconds > 0 && seconds <= 600)) return bad(absl::StrCat("seconds must be in (0, 600], got ", seconds));
  if (!(fps >= 1 && fps <= 120)) return bad(absl::StrCat("fps must be in [1, 120], got ", fps));
  if (!(altitude_m >= 10 && altitude_m <= 500)) return bad("altitude_m must be in [10, 500]");
  if (!(speed_mps >= 0 && speed_mps <= 30)) return bad("speed_mps must be in [0, 30]");
  if (!(gimbal_pitch_deg >= -90 && gimbal_pitch_deg <= -30)) return bad("gimbal_pitch_deg must be in [-90, -30]");
  if (moving_vehicles < 0 || people < 0 || parked_vehicles < 0) return bad("object counts must be >= 0");
  if (leg_m <= 0 || spacing_m <= 0) return bad("leg_m and spacing_m must be > 0");
  if (gps_sigma_m < 0 || alt_sigma_m < 0 || yaw_sigma_deg < 0) return bad("noise sigmas must be >= 0");
  if (gps_tau_s <= 0 || alt_tau_s <= 0 || yaw_tau_s <= 0) return bad("noise correlation times must be > 0");
  if (!(texture_m_per_px > 0.01 && texture_m_per_px <= 1)) return bad("texture_m_per_px must be in (0.01, 1]");
  if (sensor_noise < 0) return bad("sensor_noise must be >= 0");
  return geo::ValidateLatLon(lat0, lon0, "drone flight: take-off point");
}

DroneFlight::DroneFlight(const DroneFlightOptions& options, geo::LocalFrame local) : options_(options), local_(local) {}

absl::StatusOr<std::unique_ptr<DroneFlight>> DroneFlight::Create(const DroneFlightOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<DroneFlight> f(
      new DroneFlight(options, geo::LocalFrame(options.lat0, options.lon0, options.ground_abs_alt_m)));
  DIDBAN_ASSIGN_OR_RETURN(const double focal_px, options.camera.FocalPx());
  // The 35 mm-equivalent focal length that geo::CameraSpec turns back into focal_px (FocalPx is proportional to the
  // telemetry's focal length when the spec has no lens of its own): 24 mm for the Mavic 3 profile.
  geo::CameraSpec no_lens = options.camera;
  no_lens.hfov_deg = no_lens.focal_mm = no_lens.focal35_mm = no_lens.dfov_deg = geo::kNoValue;
  geo::TelemetrySample unit;
  unit.focal_35mm_mm = 1;
  DIDBAN_ASSIGN_OR_RETURN(const double px_per_mm, no_lens.FocalPx(&unit));
  f->focal35_mm_ = focal_px / px_per_mm;
  f->true_poses_.source = f->telemetry_.source = "simulated flight";
  f->true_poses_.format = f->telemetry_.format = "dji-srt";
  f->PlanRoute();
  f->AddTelemetryNoise();
  DIDBAN_RETURN_IF_ERROR(f->MakeCameras());
  f->MakeTexture();
  f->PlaceObjects();
  return f;
}

void DroneFlight::PlanRoute() {
  const int n = std::max(1, static_cast<int>(std::lround(options_.seconds * options_.fps)));
  const double h = options_.heading_deg * kDeg;
  const Point2 along{std::sin(h), std::cos(h)};
  const Point2 across{std::cos(h), -std::sin(h)};
  // Route as waypoints (local metres), starting at the take-off point.
  std::vector<Point2> wps{{0, 0}};
  const double total = options_.speed_mps * options_.seconds + 1;
  if (!options_.lawnmower) {
    wps.push_back(Add({0, 0}, along, std::max(total, 1.0)));
  } else {
    double len = 0;
    int leg = 0;
    while (len < total) {
      const Point2 last = wps.back();
      const double sign = leg % 2 == 0 ? 1 : -1;
      wps.push_back(Add(last, along, sign * options_.leg_m));
      wps.push_back(Add(wps.back(), across, options_.spacing_m));
      len += options_.leg_m + options_.spacing_m;
      ++leg;
    }
  }
  double yaw = options_.heading_deg;
  const double max_turn = 30.0 / options_.fps;  // degrees per frame
  size_t seg = 0;
  double seg_pos = 0;
  for (int i = 0; i < n; ++i) {
    // Position after travelling speed * t along the waypoints.
    double remaining = i == 0 ? 0 : options_.speed_mps / options_.fps;
    while (seg + 1 < wps.size()) {
      const double seg_len = std::hypot(wps[seg + 1].x - wps[seg].x, wps[seg + 1].y - wps[seg].y);
      if (seg_pos + remaining <= seg_len) {
        seg_pos += remaining;
        break;
      }
      remaining -= seg_len - seg_pos;
      seg_pos = 0;
      ++seg;
    }
    const size_t s = std::min(seg, wps.size() - 2);
    const Point2 d{wps[s + 1].x - wps[s].x, wps[s + 1].y - wps[s].y};
    const double len = std::max(1e-9, std::hypot(d.x, d.y));
    const Point2 pos = Add(wps[s], {d.x / len, d.y / len}, std::min(seg_pos, len));
    const double want = std::atan2(d.x, d.y) / kDeg;
    yaw += std::clamp(WrapDegrees(want - yaw), -max_turn, max_turn);
    yaw = WrapDegrees(yaw);
    nadir_.push_back(pos);
    geo::TelemetrySample p;
    p.time_us = SecondsToUs(i / options_.fps);
    p.frame = i + 1;
    const geo::LatLon ll = local_.ToLatLon(pos.x, pos.y, options_.altitude_m);
    p.lat = ll.lat;
    p.lon = ll.lon;
    p.rel_alt_m = options_.altitude_m;
    p.abs_alt_m = options_.ground_abs_alt_m + options_.altitude_m;
    p.gimbal_yaw_deg = yaw;
    p.gimbal_pitch_deg = options_.gimbal_pitch_deg;
    p.gimbal_roll_deg = 0;
    true_poses_.samples.push_back(p);
  }
}

absl::Status DroneFlight::MakeCameras() {
  cameras_.clear();
  cameras_.reserve(true_poses_.samples.size());
  for (const geo::TelemetrySample& p : true_poses_.samples) {
    DIDBAN_ASSIGN_OR_RETURN(geo::PinholeCamera c, geo::CameraFromTelemetry(p, options_.camera, local_));
    cameras_.push_back(c);
  }
  return absl::OkStatus();
}

void DroneFlight::AddTelemetryNoise() {
  std::mt19937_64 rng(options_.seed * 7919 + 17);
  std::normal_distribution<double> g(0, 1);
  const double dt = 1.0 / options_.fps;
  // First-order Gauss-Markov: stationary sigma, correlation time tau.
  struct Gm {
    double sigma, phi, x;
  };
  auto make = [&](double sigma, double tau) { return Gm{sigma, std::exp(-dt / tau), sigma * g(rng)}; };
  Gm e = make(options_.gps_sigma_m, options_.gps_tau_s), n = make(options_.gps_sigma_m, options_.gps_tau_s);
  Gm a = make(options_.alt_sigma_m, options_.alt_tau_s), y = make(options_.yaw_sigma_deg, options_.yaw_tau_s);
  auto step = [&](Gm& s) { s.x = s.phi * s.x + s.sigma * std::sqrt(1 - s.phi * s.phi) * g(rng); };
  for (size_t i = 0; i < true_poses_.samples.size(); ++i) {
    if (i > 0) {
      step(e);
      step(n);
      step(a);
      step(y);
    }
    geo::TelemetrySample p = true_poses_.samples[i];
    const geo::LatLon ll = local_.ToLatLon(nadir_[i].x + e.x, nadir_[i].y + n.x, options_.altitude_m);
    p.lat = ll.lat;
    p.lon = ll.lon;
    p.rel_alt_m += a.x;
    p.abs_alt_m += a.x;
    p.gimbal_yaw_deg = WrapDegrees(p.gimbal_yaw_deg + y.x);
    p.focal_35mm_mm = focal35_mm_;
    telemetry_.samples.push_back(p);
  }
}

void DroneFlight::MakeTexture() {
  // Ground area seen during the flight, plus a margin.
  double x0 = 1e18, x1 = -1e18, y0 = 1e18, y1 = -1e18;
  const auto& cam = options_.camera;
  for (size_t i = 0; i < cameras_.size(); i += 5) {
    const geo::PinholeCamera& c = cameras_[i];
    for (const Point2 px : {Point2{0, 0}, Point2{1.0 * cam.width, 0}, Point2{0, 1.0 * cam.height},
                            Point2{1.0 * cam.width, 1.0 * cam.height}}) {
      const auto g = c.PixelToGround(px, 0);
      if (!g) continue;
      x0 = std::min(x0, (*g)[0]);
      x1 = std::max(x1, (*g)[0]);
      y0 = std::min(y0, (*g)[1]);
      y1 = std::max(y1, (*g)[1]);
    }
  }
  const double margin = 40;
  x0 -= margin, x1 += margin, y0 -= margin, y1 += margin;
  tex_res_ = options_.texture_m_per_px;
  while ((x1 - x0) / tex_res_ * (y1 - y0) / tex_res_ > 40e6) tex_res_ *= 1.25;  // bound memory (~120 MB)
  const int w = static_cast<int>(std::ceil((x1 - x0) / tex_res_));
  const int h = static_cast<int>(std::ceil((y1 - y0) / tex_res_));
  tex_x0_ = x0;
  tex_y1_ = y1;
  cv::RNG rng(options_.seed * 31 + 5);

  // Sand: octaves of smooth noise plus fine grain and ripples.
  cv::Mat noise(h, w, CV_32F, cv::Scalar(0));
  for (const auto& [cell_m, weight] : {std::pair{40.0, 0.5}, std::pair{8.0, 0.3}, std::pair{1.5, 0.2}}) {
    const int cw = std::max(2, static_cast<int>(w * tex_res_ / cell_m) + 2);
    const int ch = std::max(2, static_cast<int>(h * tex_res_ / cell_m) + 2);
    cv::Mat small(ch, cw, CV_32F);
    rng.fill(small, cv::RNG::UNIFORM, -1.0, 1.0);
    cv::Mat big;
    cv::resize(small, big, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
    noise += weight * big;
  }
  cv::Mat grain(h, w, CV_32F);
  rng.fill(grain, cv::RNG::NORMAL, 0.0, 1.0);
  cv::Mat ripple(h, w, CV_32F);
  const double ra = 0.5, lambda_m = 2.5;
  for (int v = 0; v < h; ++v) {
    float* r = ripple.ptr<float>(v);
    const float* nz = noise.ptr<float>(v);
    for (int u = 0; u < w; ++u) {
      const double gx = u * tex_res_, gy = v * tex_res_;
      r[u] = static_cast<float>(std::sin(2 * M_PI * (gx * std::cos(ra) + gy * std::sin(ra)) / lambda_m + 3 * nz[u]));
    }
  }
  std::vector<cv::Mat> ch(3);
  const double base[3] = {128, 172, 206};  // BGR sand
  const double amp[3] = {22, 26, 28};
  for (int c = 0; c < 3; ++c) {
    ch[c] = base[c] + amp[c] * noise + 6.0 * grain + 5.0 * ripple;
    ch[c].convertTo(ch[c], CV_8U);
  }
  cv::merge(ch, texture_);

  auto to_tex = [&](Point2 g) {
    return cv::Point(static_cast<int>(std::lround((g.x - tex_x0_) / tex_res_ * 16)),
                     static_cast<int>(std::lround((tex_y1_ - g.y) / tex_res_ * 16)));
  };
  const double px_per_m = 1.0 / tex_res_;

  // Roads: one along the route (offset to the side), one crossing it at the route's middle, one diagonal.
  const double hd = options_.heading_deg * kDeg;
  const Point2 along{std::sin(hd), std::cos(hd)};
  const Point2 across{std::cos(hd), -std::sin(hd)};
  const Point2 mid = nadir_[nadir_.size() / 2];
  roads_.push_back({Add({0, 0}, across, 18), along});
  roads_.push_back({mid, across});
  const double diag = hd + 0.9;
  roads_.push_back({Add(mid, along, -25), {std::sin(diag), std::cos(diag)}});
  const double reach = std::hypot(x1 - x0, y1 - y0);
  for (const Road& r : roads_) {
    const cv::Point a = to_tex(Add(r.origin, r.dir, -reach));
    const cv::Point b = to_tex(Add(r.origin, r.dir, reach));
    cv::line(texture_, a, b, cv::Scalar(112, 138, 158), static_cast<int>(8 * px_per_m), cv::LINE_AA, 4);
    const Point2 side{r.dir.y, -r.dir.x};
    for (double off : {-1.6, 1.6}) {
      cv::line(texture_, to_tex(Add(Add(r.origin, side, off), r.dir, -reach)),
               to_tex(Add(Add(r.origin, side, off), r.dir, reach)), cv::Scalar(92, 112, 130),
               static_cast<int>(0.5 * px_per_m), cv::LINE_AA, 4);
    }
  }
  // Rocks and scrub, one per ~120 square metres, each with a shadow.
  const double area = (x1 - x0) * (y1 - y0);
  const int n_rocks = static_cast<int>(area / 120);
  for (int i = 0; i < n_rocks; ++i) {
    const Point2 g{rng.uniform(x0, x1), rng.uniform(y0, y1)};
    const double r = rng.uniform(0.25, 1.2);
    const bool scrub = rng.uniform(0, 3) == 0;
    const cv::Scalar colour =
        scrub ? cv::Scalar(60, 95, 85) + cv::Scalar::all(rng.uniform(-10, 10)) : cv::Scalar::all(rng.uniform(55, 110));
    const cv::Size axes(static_cast<int>(r * px_per_m * 16),
                        static_cast<int>(r * rng.uniform(0.5, 1.0) * px_per_m * 16));
    const double angle = rng.uniform(0.0, 180.0);
    cv::ellipse(texture_, to_tex(Add(g, kShadowPerM, r)), axes, angle, 0, 360, cv::Scalar(80, 110, 135), cv::FILLED,
                cv::LINE_AA, 4);
    cv::ellipse(texture_, to_tex(g), axes, angle, 0, 360, colour, cv::FILLED, cv::LINE_AA, 4);
  }
}

void DroneFlight::PlaceObjects() {
  std::mt19937_64 rng(options_.seed * 104729 + 3);
  std::uniform_real_distribution<double> u01(0, 1);
  auto uni = [&](double a, double b) { return a + (b - a) * u01(rng); };
  const double t_end = options_.seconds;
  const std::vector<cv::Scalar> paints = {{235, 235, 235}, {200, 200, 195}, {40, 40, 40},  {40, 40, 190},
                                          {150, 80, 30},   {70, 120, 60},   {30, 30, 110}, {60, 180, 220}};
  int id = 1;
  auto nadir_at = [&](double t) {
    const size_t i = std::min(nadir_.size() - 1, static_cast<size_t>(std::max(0.0, t * options_.fps)));
    return nadir_[i];
  };
  auto make_vehicle = [&](bool moving) {
    auto o = std::make_shared<Object>();
    o->id = id++;
    const bool truck = u01(rng) < 0.25;
    o->object_class = truck ? ObjectClass::kTruck : ObjectClass::kCar;
    o->length_m = truck ? uni(7, 9) : uni(4.2, 4.9);
    o->width_m = truck ? 2.5 : uni(1.8, 2.0);
    o->height_m = truck ? 3.0 : 1.5;
    o->body = paints[rng() % paints.size()];
    o->detail = truck ? cv::Scalar(uni(150, 230), uni(150, 230), uni(150, 230)) : cv::Scalar(50, 45, 40);
    const Road& road = roads_[rng() % roads_.size()];
    const double sign = u01(rng) < 0.5 ? 1 : -1;
    o->dir = {road.dir.x * sign, road.dir.y * sign};
    o->speed_mps = moving ? (truck ? uni(5, 10) : uni(6, 15)) : 0;
    // Be on the road near the drone's nadir at a random time in the middle of the flight.
    const double tc = uni(0.2, 0.8) * t_end;
    const Point2 nd = nadir_at(tc);
    const double s = (nd.x - road.origin.x) * road.dir.x + (nd.y - road.origin.y) * road.dir.y + uni(-20, 20);
    const Point2 side{o->dir.y, -o->dir.x};
    const Point2 at_tc = Add(Add(road.origin, road.dir, s), side, moving ? 1.8 : 5.5);
    o->start = Add(at_tc, o->dir, -o->speed_mps * tc);
    return o;
  };
  // Objects keep apart from each other during the flight (so each one is one blob): retry placements that would
  // come closer than `gap` metres to an earlier object.
  auto apart = [&](const Object& o, double gap) {
    for (const auto& other : objects_) {
      for (double t = 0; t <= t_end; t += 0.25) {
        const Point2 a = o.At(t), b = other->At(t);
        const double reach = 0.5 * (o.length_m + other->length_m) + gap;
        if (std::hypot(a.x - b.x, a.y - b.y) < reach) return false;
      }
    }
    return true;
  };
  auto add = [&](const std::function<std::shared_ptr<Object>()>& make, double gap) {
    std::shared_ptr<Object> o;
    for (int attempt = 0; attempt < 50; ++attempt) {
      o = make();
      if (apart(*o, gap) || attempt == 49) break;
      --id;
    }
    objects_.push_back(o);
  };
  for (int i = 0; i < options_.moving_vehicles; ++i) add([&] { return make_vehicle(true); }, 3.0);
  for (int i = 0; i < options_.parked_vehicles; ++i) add([&] { return make_vehicle(false); }, 3.0);
  auto make_person = [&] {
    auto o = std::make_shared<Object>();
    o->id = id++;
    o->person = true;
    o->object_class = ObjectClass::kPerson;
    o->length_m = 0.6;
    o->width_m = 0.45;
    o->height_m = 1.7;
    o->body = paints[2 + rng() % 5];
    o->detail = cv::Scalar(30, 40, 60);
    const double a = uni(0, 2 * M_PI);
    o->dir = {std::sin(a), std::cos(a)};
    o->speed_mps = uni(1.1, 1.8);
    const double tc = uni(0.2, 0.8) * t_end;
    const Point2 at_tc = Add(nadir_at(tc), {uni(-35, 35), uni(-25, 25)});
    o->start = Add(at_tc, o->dir, -o->speed_mps * tc);
    return o;
  };
  for (int i = 0; i < options_.people; ++i) add(make_person, 3.0);
}

cv::Mat DroneFlight::Render(int i, std::vector<DroneTruth>* truth) const {
  const auto& cam = options_.camera;
  const geo::PinholeCamera& c = cameras_[i];
  const cv::Matx33d g2i = GroundToImageHomography(c);
  const cv::Matx33d t2g(tex_res_, 0, tex_x0_, 0, -tex_res_, tex_y1_, 0, 0, 1);
  cv::Mat img;
  cv::warpPerspective(texture_, img, g2i * t2g, cv::Size(cam.width, cam.height), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                      cv::Scalar(128, 172, 206));
  const double t = UsToSeconds(true_poses_.samples[i].time_us);
  const cv::Rect frame_rect(0, 0, cam.width, cam.height);
  auto to_px = [&](const std::vector<Point2>& ground) {
    std::vector<cv::Point> pts;
    for (const Point2& g : ground) {
      const cv::Point2d p = Project(g2i, g);
      pts.emplace_back(static_cast<int>(std::lround(p.x * 16)), static_cast<int>(std::lround(p.y * 16)));
    }
    return pts;
  };
  for (const auto& o : objects_) {
    // Shadow: the outline moved away from the sun, darkening the ground.
    std::vector<Point2> outline = o->Outline(t);
    std::vector<Point2> shadow;
    shadow.reserve(outline.size());
    for (const Point2& p : outline) shadow.push_back(Add(p, kShadowPerM, o->height_m));
    const std::vector<cv::Point> sp = to_px(shadow);
    const cv::Rect sr = cv::boundingRect(sp);
    const cv::Rect roi(sr.x / 16 - 1, sr.y / 16 - 1, sr.width / 16 + 3, sr.height / 16 + 3);
    const cv::Rect clipped = roi & frame_rect;
    if (clipped.area() == 0) continue;
    cv::Mat mask(clipped.size(), CV_8U, cv::Scalar(0));
    std::vector<cv::Point> shifted;
    shifted.reserve(sp.size());
    for (const cv::Point& p : sp) shifted.emplace_back(p.x - clipped.x * 16, p.y - clipped.y * 16);
    cv::fillConvexPoly(mask, shifted, cv::Scalar(255), cv::LINE_AA, 4);
    cv::Mat region = img(clipped);
    cv::Mat dark;
    region.convertTo(dark, -1, 0.55);
    dark.copyTo(region, mask);
    // Body and details.
    const std::vector<cv::Point> body = to_px(outline);
    cv::fillConvexPoly(img, body, o->body, cv::LINE_AA, 4);
    if (o->person) {
      cv::fillConvexPoly(img, to_px(o->Outline(t, 0, 1, 0.45)), o->detail, cv::LINE_AA, 4);
    } else if (o->object_class == ObjectClass::kTruck) {
      cv::fillConvexPoly(img, to_px(o->Outline(t, 0.0, 0.7, 1.0)), o->detail, cv::LINE_AA, 4);
    } else {
      cv::fillConvexPoly(img, to_px(o->Outline(t, 0.55, 0.72, 0.85)), o->detail, cv::LINE_AA, 4);
      cv::fillConvexPoly(img, to_px(o->Outline(t, 0.12, 0.22, 0.85)), o->detail, cv::LINE_AA, 4);
    }
    if (truth == nullptr) continue;
    const cv::Rect br = cv::boundingRect(body);
    const double bx0 = br.x / 16.0, by0 = br.y / 16.0, bx1 = (br.x + br.width) / 16.0, by1 = (br.y + br.height) / 16.0;
    const double cx = 0.5 * (bx0 + bx1), cy = 0.5 * (by0 + by1);
    if (cx < 0 || cy < 0 || cx >= cam.width || cy >= cam.height) continue;
    DroneTruth row;
    row.frame = i;
    row.time_us = true_poses_.samples[i].time_us;
    row.id = o->id;
    row.object_class = o->object_class;
    row.moving = o->speed_mps > 0;
    row.box = Box::FromTlbr(static_cast<float>(std::max(0.0, bx0)), static_cast<float>(std::max(0.0, by0)),
                            static_cast<float>(std::min<double>(cam.width, bx1)),
                            static_cast<float>(std::min<double>(cam.height, by1)));
    const Point2 g = o->At(t);
    row.east = g.x;
    row.north = g.y;
    const geo::LatLon ll = local_.ToLatLon(g.x, g.y, 0);
    row.lat = ll.lat;
    row.lon = ll.lon;
    truth->push_back(row);
  }
  if (options_.sensor_noise > 0) {
    cv::Mat noise(img.size(), CV_16SC3);
    cv::RNG rng(options_.seed * 1000003 + static_cast<uint64_t>(i));
    rng.fill(noise, cv::RNG::NORMAL, 0, options_.sensor_noise);
    cv::Mat sum;
    cv::add(img, noise, sum, cv::noArray(), CV_16SC3);
    sum.convertTo(img, CV_8UC3);
  }
  return img;
}

std::string DroneFlight::SrtText() const {
  return drone::FormatDjiSrt(telemetry_.samples, SecondsToUs(1.0 / options_.fps), "2026-11-28 09:30:00", focal35_mm_);
}

std::string DroneFlight::TruthCsv(const std::vector<DroneTruth>& rows) {
  std::string out = "frame,time,id,class,moving,x,y,w,h,lat,lon\n";
  char buf[256];
  for (const DroneTruth& r : rows) {
    std::snprintf(buf, sizeof(buf), "%d,%.3f,%d,%s,%d,%.2f,%.2f,%.2f,%.2f,%.7f,%.7f\n", r.frame, UsToSeconds(r.time_us),
                  r.id, std::string(ObjectClassName(r.object_class)).c_str(), r.moving ? 1 : 0, r.box.x, r.box.y,
                  r.box.w, r.box.h, r.lat, r.lon);
    out += buf;
  }
  return out;
}

absl::Status WriteDroneFlight(const DroneFlight& flight, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot create directory: ", ec.message()));
  const std::string video = dir + "/flight.mp4";
  record::VideoWriterOptions wo;
  wo.fps = flight.Options().fps;
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<record::VideoWriter> writer, record::VideoWriter::Create(video, wo));
  std::vector<DroneTruth> truth;
  for (int i = 0; i < flight.FrameCount(); ++i) {
    DIDBAN_RETURN_IF_ERROR(writer->Write(flight.Render(i, &truth), flight.FrameTimeUs(i)));
  }
  DIDBAN_RETURN_IF_ERROR(writer->Close());
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/flight.srt", flight.SrtText()));
  return WriteTextFile(dir + "/truth.csv", DroneFlight::TruthCsv(truth));
}

}  // namespace didban::sim
