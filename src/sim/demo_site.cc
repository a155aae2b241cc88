#include "sim/demo_site.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numbers>
#include <sstream>
#include <thread>

#include <opencv2/calib3d.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "record/video_writer.h"

namespace didban::sim {
namespace {

// Bump when the renderers change what they draw, so that cached demo files are rendered again.
constexpr int kRendererVersion = 1;
constexpr const char* kStampFile = "demo.version";
constexpr double kRadToDeg = 180.0 / std::numbers::pi;
constexpr double kHighwayEastM = 400;  // the highway's road axis, metres east of the junction

TrafficVehicle Straight(int id, Point2 from, Point2 to, double speed_mps, double t0_s, cv::Scalar colour,
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
  const double len = std::hypot(to.x - from.x, to.y - from.y);
  v.path = {{t0_s, from.x, from.y}, {t0_s + len / speed_mps, to.x, to.y}};
  return v;
}

// The junction: a north-south main road (two lanes each way, x = +-1.75 and +-5.25 m) crossed at the origin by an
// east-west road (one lane each way, y = -1.75 eastbound, +1.75 westbound). Traffic alternates between the two roads
// as at a signal: north-south 3-23 s, east-west 17-40 s, north-south 35-52 s, east-west 46-60 s; at 14 s a car
// drives south in the northbound inner lane (wrong way) and at 28 s a car stops on the east arm for 14 s.
std::vector<TrafficVehicle> JunctionVehicles() {
  constexpr double kFar = 70;
  const double nb_in = 1.75, nb_out = 5.25, sb_in = -1.75, sb_out = -5.25, eb = -1.75, wb = 1.75;
  auto north = [&](int id, double x, double t0, double v, cv::Scalar c, ObjectClass k = ObjectClass::kCar) {
    return Straight(id, {x, -kFar}, {x, kFar}, v, t0, c, k);
  };
  auto south = [&](int id, double x, double t0, double v, cv::Scalar c, ObjectClass k = ObjectClass::kCar) {
    return Straight(id, {x, kFar}, {x, -kFar}, v, t0, c, k);
  };
  auto east = [&](int id, double t0, double v, cv::Scalar c, ObjectClass k = ObjectClass::kCar) {
    return Straight(id, {-kFar, eb}, {kFar, eb}, v, t0, c, k);
  };
  auto west = [&](int id, double t0, double v, cv::Scalar c, ObjectClass k = ObjectClass::kCar) {
    return Straight(id, {kFar, wb}, {-kFar, wb}, v, t0, c, k);
  };
  std::vector<TrafficVehicle> v = {
      north(1, nb_out, 3, 11, {40, 40, 200}),
      south(2, sb_in, 4, 12, {200, 60, 30}),
      south(3, sb_out, 7, 10, {60, 120, 60}, ObjectClass::kTruck),
      north(4, nb_out, 9, 12, {30, 180, 220}),
      east(10, 17.5, 11, {240, 240, 240}),
      west(11, 20, 12, {20, 20, 20}),
      west(12, 26, 11, {30, 90, 180}, ObjectClass::kTruck),
      west(13, 33, 12, {160, 40, 160}),
      north(5, nb_in, 35, 12, {200, 200, 40}),
      south(6, sb_in, 36, 11, {120, 30, 30}),
      north(7, nb_out, 38, 13, {40, 140, 240}),
      south(8, sb_out, 41, 10, {220, 220, 220}),
      north(9, nb_in, 44, 11, {50, 50, 150}),
      east(15, 46, 11, {0, 90, 200}),
      west(14, 50, 12, {90, 90, 90}),
  };
  TrafficVehicle wrong = south(20, nb_in, 14, 9, {255, 0, 255});
  wrong.role = VehicleRole::kWrongWay;
  v.push_back(wrong);
  // Eastbound, stops 18 m east of the junction from 27.8 s to 41.8 s, then drives on.
  TrafficVehicle stop;
  stop.id = 21;
  stop.role = VehicleRole::kStops;
  stop.colour = {0, 140, 255};
  const double arrive = 19 + (kFar + 18) / 10.0;
  stop.path = {{19, -kFar, eb}, {arrive, 18, eb}, {arrive + 14, 18, eb}, {arrive + 14 + (kFar - 18) / 10.0, kFar, eb}};
  v.push_back(stop);
  return v;
}

// A camera 11 m up at (east, north), looking at the junction centre, pitched 2 degrees below it.
TrafficCamera JunctionCamera(const DemoOptions& o, double east, double north) {
  TrafficCamera c;
  c.width = o.width;
  c.height = o.height;
  c.focal_px = 520.0 * o.width / 640.0;
  c.east_m = east;
  c.north_m = north;
  c.height_m = 11;
  c.yaw_deg = std::atan2(-east, -north) * kRadToDeg;
  c.pitch_deg = std::atan2(c.height_m, std::hypot(east, north)) * kRadToDeg + 2;
  return c;
}

void AppendScenario(std::ostringstream& out, const TrafficScenario& s) {
  const TrafficCamera& c = s.camera;
  out << s.name << ' ' << s.fps << ' ' << s.duration_s << ' ' << c.width << 'x' << c.height << ' ' << c.focal_px << ' '
      << c.east_m << ' ' << c.north_m << ' ' << c.height_m << ' ' << c.pitch_deg << ' ' << c.yaw_deg << ' '
      << s.lane_width_m << ' ' << s.median_east_m << ' ' << s.cross_north_m << ' ' << s.noise_sigma << ' ' << s.flicker
      << ' ' << s.seed << ';';
  for (double l : s.lane_centres_m) out << l << ',';
  for (double l : s.cross_lane_centres_m) out << l << ',';
  for (const TrafficVehicle& v : s.vehicles) {
    out << v.id << ':' << static_cast<int>(v.object_class) << ':' << static_cast<int>(v.role) << ':' << v.length_m
        << ':' << v.width_m << ':' << v.height_m << ':' << v.colour[0] << ':' << v.colour[1] << ':' << v.colour[2];
    for (const Keyframe& k : v.path) out << '/' << k.t_s << ',' << k.east_m << ',' << k.north_m;
    out << ';';
  }
  out << '\n';
}

uint64_t Fnv1a64(const std::string& text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 0x100000001b3ULL;
  }
  return h;
}

absl::Status WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  f.close();
  if (!f) return absl::InternalError(absl::StrCat(path.string(), ": cannot write"));
  return absl::OkStatus();
}

record::VideoWriterOptions WriterOptions(double fps) {
  record::VideoWriterOptions wo;
  wo.fps = fps;
  wo.preset = "veryfast";
  wo.crf = 26;
  wo.low_latency = true;  // no B-frames: packets in presentation order for the recorder and live viewers
  return wo;
}

absl::Status RenderTraffic(const DemoCamera& cam, const std::filesystem::path& path, const DemoProgress& progress) {
  DIDBAN_ASSIGN_OR_RETURN(TrafficScene scene, TrafficScene::Create(cam.scenario));
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<record::VideoWriter> writer,
                          record::VideoWriter::Create(path.string(), WriterOptions(cam.scenario.fps)));
  const int64_t n = scene.FrameCount();
  for (int64_t i = 0; i < n; ++i) {
    FramePtr f = scene.Render(i);
    DIDBAN_RETURN_IF_ERROR(writer->Write(f->image, f->pts_us));
    if (progress && (i % 50 == 49 || i + 1 == n)) progress(cam.name, i + 1, n);
  }
  return writer->Close();
}

absl::Status RenderDrone(const DemoCamera& cam, const DemoOptions& o, const std::filesystem::path& path,
                         const DemoProgress& progress) {
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<DroneFlight> flight, DroneFlight::Create(DemoDroneOptions(o)));
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<record::VideoWriter> writer,
                          record::VideoWriter::Create(path.string(), WriterOptions(o.drone_fps)));
  std::vector<DroneTruth> truth;
  const int n = flight->FrameCount();
  for (int i = 0; i < n; ++i) {
    DIDBAN_RETURN_IF_ERROR(writer->Write(flight->Render(i, &truth), flight->FrameTimeUs(i)));
    if (progress && (i % 50 == 49 || i + 1 == n)) progress(cam.name, i + 1, n);
  }
  DIDBAN_RETURN_IF_ERROR(writer->Close());
  std::filesystem::path srt = path;
  DIDBAN_RETURN_IF_ERROR(WriteText(srt.replace_extension(".srt"), flight->SrtText()));
  std::filesystem::path csv = path;
  return WriteText(csv.replace_extension(".truth.csv"), DroneFlight::TruthCsv(truth));
}

// YAML flow sequence of ground points.
std::string Points(const std::vector<Point2>& pts) {
  std::string out = "[";
  for (size_t i = 0; i < pts.size(); ++i) absl::StrAppend(&out, i ? ", " : "", "[", pts[i].x, ", ", pts[i].y, "]");
  return out + "]";
}

std::string PinholeYaml(const geo::PinholeCamera& cam) {
  cv::Vec3d rvec;
  cv::Rodrigues(cv::Mat(cam.r), rvec);
  return absl::StrFormat(
      "      pinhole: {fx: %.6f, fy: %.6f, cx: %.6f, cy: %.6f, rvec: [%.9f, %.9f, %.9f], tvec: [%.9f, %.9f, %.9f], "
      "width: %d, height: %d}\n",
      cam.k(0, 0), cam.k(1, 1), cam.k(0, 2), cam.k(1, 2), rvec[0], rvec[1], rvec[2], cam.t[0], cam.t[1], cam.t[2],
      cam.width, cam.height);
}

}  // namespace

absl::Status DemoOptions::Validate() const {
  if (width < 64 || height < 64 || width > 4096 || height > 4096 || width % 2 != 0 || height % 2 != 0) {
    return absl::InvalidArgumentError("demo: width and height must be even and in [64, 4096]");
  }
  for (double fps : {junction_fps, highway_fps, drone_fps}) {
    if (!(fps >= 1 && fps <= 60)) return absl::InvalidArgumentError("demo: frame rates must be in [1, 60]");
  }
  if (!(loop_s >= 50 && loop_s <= 600)) {
    return absl::InvalidArgumentError("demo: loop_s must be in [50, 600] (the scenes last 50 s)");
  }
  return absl::OkStatus();
}

std::vector<DemoCamera> DemoCameras(const DemoOptions& o) {
  std::vector<DemoCamera> out;
  const std::vector<TrafficVehicle> vehicles = JunctionVehicles();
  const Point2 junction_cameras[] = {{6, -38}, {34, 24}, {-32, 22}};
  for (int i = 0; i < 3; ++i) {
    DemoCamera c;
    c.name = absl::StrCat("junction-", i + 1);
    c.file = c.name + ".mp4";
    TrafficScenario& s = c.scenario;
    s.name = c.name;
    s.camera = JunctionCamera(o, junction_cameras[i].x, junction_cameras[i].y);
    s.fps = o.junction_fps;
    s.duration_s = o.loop_s;
    s.cross_lane_centres_m = {-1.75, 1.75};
    s.vehicles = vehicles;
    s.seed = 11 + static_cast<uint64_t>(i);
    out.push_back(std::move(c));
  }
  // The highway: the traffic scenario (wrong way at 25 s, stopped at 19-27 s, near miss at 37 s), 3 s later so that
  // the motion detector learns an empty road first.
  DemoCamera h;
  h.name = "highway";
  h.file = "highway.mp4";
  h.scenario = DefaultTrafficScenario();
  h.scenario.name = h.name;
  h.scenario.camera.width = o.width;
  h.scenario.camera.height = o.height;
  h.scenario.camera.focal_px = 520.0 * o.width / 640.0;
  h.scenario.fps = o.highway_fps;
  h.scenario.duration_s = o.loop_s;
  // 400 m east of the junction, in the site's one ground frame.
  h.scenario.camera.east_m += kHighwayEastM;
  h.scenario.median_east_m += kHighwayEastM;
  for (double& c : h.scenario.lane_centres_m) c += kHighwayEastM;
  for (TrafficVehicle& v : h.scenario.vehicles) {
    for (Keyframe& k : v.path) {
      k.t_s += 3;
      k.east_m += kHighwayEastM;
    }
  }
  out.push_back(std::move(h));
  DemoCamera d;
  d.name = "drone";
  d.file = "drone.mp4";
  d.drone = true;
  out.push_back(std::move(d));
  return out;
}

DroneFlightOptions DemoDroneOptions(const DemoOptions& o) {
  DroneFlightOptions d;
  d.seconds = o.loop_s;
  d.fps = o.drone_fps;
  d.camera.width = o.width;
  d.camera.height = o.height;
  d.altitude_m = 70;
  d.speed_mps = 6;
  d.moving_vehicles = 8;
  d.people = 4;
  d.parked_vehicles = 3;
  d.seed = 7;
  return d;
}

std::string DemoVersion(const DemoOptions& o) {
  std::ostringstream text;
  text.precision(17);
  text << "didban-demo renderer " << kRendererVersion << '\n';
  for (const DemoCamera& c : DemoCameras(o)) {
    text << c.name << ' ' << c.file << ' ' << c.drone << '\n';
    if (!c.drone) AppendScenario(text, c.scenario);
  }
  const DroneFlightOptions d = DemoDroneOptions(o);
  text << d.seconds << ' ' << d.fps << ' ' << d.camera.width << 'x' << d.camera.height << ' ' << d.camera.hfov_deg
       << ' ' << d.camera.focal35_mm << ' ' << d.altitude_m << ' ' << d.speed_mps << ' ' << d.heading_deg << ' '
       << d.lawnmower << ' ' << d.gimbal_pitch_deg << ' ' << d.moving_vehicles << ' ' << d.people << ' '
       << d.parked_vehicles << ' ' << d.seed << ' ' << d.lat0 << ' ' << d.lon0 << ' ' << d.ground_abs_alt_m << '\n';
  const record::VideoWriterOptions w = WriterOptions(1);
  text << w.codec << ' ' << w.crf << ' ' << w.preset << ' ' << w.low_latency << '\n';
  return absl::StrFormat("%016x", Fnv1a64(text.str()));
}

absl::StatusOr<bool> RenderDemoSite(const std::string& dir, const DemoOptions& o, const DemoProgress& progress) {
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  const std::filesystem::path root(dir);
  const std::string version = DemoVersion(o);
  const std::vector<DemoCamera> cameras = DemoCameras(o);
  std::error_code ec;
  bool complete = true;
  for (const DemoCamera& c : cameras) complete = complete && std::filesystem::is_regular_file(root / c.file, ec);
  {
    std::ifstream stamp(root / kStampFile);
    std::string have;
    std::getline(stamp, have);
    if (complete && have == version) return false;
  }
  std::filesystem::create_directories(root, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(dir, ": cannot create the demo folder: ", ec.message()));
  std::filesystem::remove(root / kStampFile, ec);
  // One camera per thread, as many threads as cores (the encoder itself runs on one thread).
  std::mutex mu;
  std::atomic<size_t> next{0};
  std::vector<absl::Status> results(cameras.size());
  const DemoProgress locked = [&mu, &progress](const std::string& camera, int64_t done, int64_t total) {
    std::lock_guard<std::mutex> lock(mu);
    if (progress) progress(camera, done, total);
  };
  auto work = [&] {
    for (size_t i = next++; i < cameras.size(); i = next++) {
      const DemoCamera& c = cameras[i];
      const std::filesystem::path path = root / c.file;
      results[i] = c.drone ? RenderDrone(c, o, path, locked) : RenderTraffic(c, path, locked);
    }
  };
  const size_t n_threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, cameras.size());
  std::vector<std::thread> threads;
  for (size_t t = 1; t < n_threads; ++t) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  for (const absl::Status& r : results) DIDBAN_RETURN_IF_ERROR(r);
  DIDBAN_RETURN_IF_ERROR(WriteText(root / kStampFile, version + "\n"));
  return true;
}

std::string DemoSiteYaml(const std::string& dir, const DemoOptions& o) {
  const std::filesystem::path root = std::filesystem::absolute(dir);
  const DroneFlightOptions drone = DemoDroneOptions(o);
  std::string y = absl::StrCat(
      "# The didban demo site, written by `didban demo` (files version ", DemoVersion(o),
      ").\n# Ground frame: metres, x east, y north, the junction centre at the origin. The highway runs north along\n"
      "# x = 400 m and is not fused; the three junction cameras are fusion group '",
      kDemoFusionGroup,
      "' (didban demo passes --group).\n"
      "site:\n  name: didban-demo\n  origin: {lat: ",
      absl::StrFormat("%.6f", drone.lat0), ", lon: ", absl::StrFormat("%.6f", drone.lon0),
      "}\n"
      "fusion: {roi: [-45, -45, 45, 45], retire_after_s: 2.0}\n"
      "cameras:\n");
  // The traffic tests' motion detector settings: native resolution, no merging of neighbouring blobs, a 60 s
  // background (a vehicle stopped for 14 s stays foreground and leaves no ghost).
  const std::string detector =
      "    detector: {type: motion, process_width: 0, blob_downscale: 1, merge_gap_px: -1, close_px: 4, "
      "background_time_s: 60}\n";
  for (const DemoCamera& c : DemoCameras(o)) {
    absl::StrAppend(&y, "  - name: ", c.name, "\n    uri: ", (root / c.file).string(), "\n");
    if (c.drone) {
      // Moving objects found on the stabilised drone video; no calibration (the aerial georeferencing of
      // `didban drone analyze` with drone.srt does not run inside `serve` yet).
      absl::StrAppend(&y, "    detector: {type: aerial}\n");
      continue;
    }
    absl::StrAppend(&y, detector, "    calibration:\n", PinholeYaml(MakeTrafficCamera(c.scenario.camera)),
                    "    rules:\n");
    auto rule = [&y](const std::string& text) { absl::StrAppend(&y, "      - ", text, "\n"); };
    if (c.name == "junction-1") {
      rule("{type: wrong_way, name: northbound, ground: " + Points({{0, -40}, {7.5, -40}, {7.5, 45}, {0, 45}}) +
           ", heading_deg: 0, tolerance_deg: 120}");
      rule("{type: wrong_way, name: southbound, ground: " + Points({{-7.5, -40}, {0, -40}, {0, 45}, {-7.5, 45}}) +
           ", heading_deg: 180, tolerance_deg: 120}");
      rule("{type: line, name: south-arm, ground: " + Points({{-8, -12}, {8, -12}}) +
           ", in: southbound, out: northbound}");
      rule("{type: zone, name: junction-box, ground: " + Points({{-7, -3.5}, {7, -3.5}, {7, 3.5}, {-7, 3.5}}) + "}");
    } else if (c.name == "junction-2") {
      rule("{type: stopped, name: east-arm, ground: " + Points({{8, -3.5}, {40, -3.5}, {40, 3.5}, {8, 3.5}}) +
           ", after_s: 5}");
      rule("{type: line, name: east-arm-count, ground: " + Points({{12, -4}, {12, 4}}) +
           ", in: eastbound, out: westbound}");
    } else if (c.name == "junction-3") {
      rule("{type: line, name: west-arm, ground: " + Points({{-12, 4}, {-12, -4}}) +
           ", in: westbound, out: eastbound}");
      rule("{type: speed, name: west-arm-speed, ground: " + Points({{-40, -3.5}, {-8, -3.5}, {-8, 3.5}, {-40, 3.5}}) +
           ", limit_kmh: 45}");
    } else {  // highway: the traffic tests' rules, moved to its axis at x = 400 m
      rule("{type: line, name: count20, ground: " + Points({{392, 20}, {408, 20}}) +
           ", in: southbound, out: northbound}");
      rule("{type: speed, name: speed, ground: " + Points({{392, 15}, {408, 15}, {408, 90}, {392, 90}}) +
           ", limit_kmh: 94}");
      rule("{type: wrong_way, name: nb, ground: " + Points({{400, 5}, {407.5, 5}, {407.5, 120}, {400, 120}}) +
           ", heading_deg: 0}");
      rule("{type: wrong_way, name: sb, ground: " + Points({{392.5, 5}, {400, 5}, {400, 120}, {392.5, 120}}) +
           ", heading_deg: 180}");
      rule("{type: stopped, name: incident, ground: " + Points({{392.5, 5}, {407.5, 5}, {407.5, 120}, {392.5, 120}}) +
           ", after_s: 5}");
      rule("{type: near_miss, name: nm, ground: " + Points({{392.5, 5}, {407.5, 5}, {407.5, 100}, {392.5, 100}}) +
           ", ttc_s: 1.5}");
      rule("{type: congestion, name: los, ground: " + Points({{392.5, 5}, {407.5, 5}, {407.5, 105}, {392.5, 105}}) +
           ", length_m: 100, lanes: 4, window_s: 10}");
    }
  }
  return y;
}

}  // namespace didban::sim
