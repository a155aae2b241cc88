#include "geo/telemetry_georef.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace didban::geo {
namespace {

using json = nlohmann::json;

double SampleHeight(const TelemetrySample& s, const DronePoseOptions& pose) {
  if (pose.altitude != DronePoseOptions::Altitude::kAbsolute && HasValue(s.rel_alt_m)) {
    return pose.takeoff_elevation_m + s.rel_alt_m;
  }
  return HasValue(s.abs_alt_m) ? s.abs_alt_m : 0.0;
}

// Rounds to 2 decimals' worth and drops the sign of zero, so that tiny negatives print as 0.00.
double Tidy(double v) { return std::abs(v) < 0.005 ? 0.0 : v; }

json Ring(const LocalFrame& frame, const std::vector<Point2>& poly) {
  json ring = json::array();
  for (const LatLon& ll : ToLatLon(frame, poly)) ring.push_back({ll.lon, ll.lat});
  if (!poly.empty()) ring.push_back(ring.front());
  return json::array({ring});
}

// Number of video frames the telemetry spans.
int64_t FrameSpan(const Telemetry& t, double fps) {
  if (t.samples.empty()) return 0;
  if (t.HasFrameNumbers()) {
    return t.frame_counter ? t.samples.back().frame - t.samples.front().frame + 1 : t.samples.back().frame;
  }
  if (fps <= 0) return 0;
  return static_cast<int64_t>(UsToSeconds(t.samples.back().time_us) * fps) + 1;
}

// What georeferencing needs of the whole telemetry, with the options that supply what is missing.
absl::Status CheckNeeds(const Telemetry& t, const GeorefOptions& o) {
  bool position = false, altitude = HasValue(o.height_m), yaw = HasValue(o.pose.yaw_deg);
  for (const TelemetrySample& s : t.samples) {
    position = position || s.HasPosition();
    altitude = altitude || HasValue(s.rel_alt_m) || HasValue(s.abs_alt_m);
    yaw = yaw || HasValue(s.yaw_deg) || HasValue(s.gimbal_yaw_deg);
  }
  std::vector<std::string> missing;
  if (!position) {
    missing.emplace_back(
        "no position (latitude/longitude) in any record: give a telemetry file of the flight that has one (a log "
        "with GPS positions, a DJI flight-log CSV or a plain CSV: docs/drone.md)");
  }
  if (!altitude) {
    missing.emplace_back(
        "no altitude (height above take-off or above sea level) in any record: give the flight height above the "
        "take-off point with --height METRES");
  }
  if (!yaw) {
    missing.emplace_back(
        "no yaw (aircraft or gimbal heading) in any record: give the camera yaw (compass heading of the image top) "
        "with --yaw DEGREES");
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(t.source, ": ", absl::StrJoin(missing, "; ")));
}

}  // namespace

absl::Status GeorefOptions::Validate() const {
  DIDBAN_RETURN_IF_ERROR(camera.Validate());
  DIDBAN_RETURN_IF_ERROR(pose.Validate());
  if (!(fps >= 0 && fps <= 1000)) return absl::InvalidArgumentError("fps must be in [0, 1000]");
  if (footprint_step < 1) return absl::InvalidArgumentError("footprint step must be >= 1");
  if (video_frames < 0) return absl::InvalidArgumentError("video frames must be >= 0");
  if (max_footprints < 0) return absl::InvalidArgumentError("the footprint limit must be >= 0");
  if (!std::isfinite(ground_elevation_m)) return absl::InvalidArgumentError("ground elevation must be finite");
  if (HasValue(height_m) && !(height_m > 0 && height_m < 100'000)) {
    return absl::InvalidArgumentError("the flight height must be in (0, 100000) metres");
  }
  return absl::OkStatus();
}

absl::StatusOr<GeorefResult> GeorefTracks(const Telemetry& given, const std::vector<MotRow>& rows,
                                          const GeorefOptions& options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_RETURN_IF_ERROR(CheckNeeds(given, options));
  Telemetry filled;
  if (HasValue(options.height_m)) {
    filled = given;
    for (TelemetrySample& s : filled.samples) {
      if (!HasValue(s.rel_alt_m) && !HasValue(s.abs_alt_m)) s.rel_alt_m = options.height_m;
    }
  }
  const Telemetry& telemetry = HasValue(options.height_m) ? filled : given;
  int first = telemetry.FirstWithPosition();
  if (first < 0) return absl::InvalidArgumentError(absl::StrCat(telemetry.source, ": the telemetry has no positions"));
  GeorefResult out;
  if (telemetry.home_lat && telemetry.home_lon) {
    out.frame = LocalFrame(*telemetry.home_lat, *telemetry.home_lon);
  } else {
    out.frame = LocalFrame(telemetry.samples[first].lat, telemetry.samples[first].lon);
  }
  auto camera_at = [&](int64_t frame) -> absl::StatusOr<std::pair<PinholeCamera, TimeUs>> {
    auto pose = PoseAtFrame(telemetry, frame, options.fps);
    if (!pose.ok())
      return absl::Status(pose.status().code(), absl::StrCat("frame ", frame, ": ", pose.status().message()));
    auto cam = CameraFromTelemetry(*pose, options.camera, out.frame, options.pose);
    if (!cam.ok())
      return absl::Status(cam.status().code(), absl::StrCat("frame ", frame, ": ", cam.status().message()));
    return std::make_pair(*cam, pose->time_us);
  };
  for (const auto& [frame, frame_rows] : GroupByFrame(rows)) {
    DIDBAN_ASSIGN_OR_RETURN(auto cam, camera_at(frame));
    for (const MotRow& r : frame_rows) {
      Point2 px = options.bottom_centre ? r.box.BottomCenter() : r.box.Center();
      auto g = cam.first.PixelToGround(px, options.ground_elevation_m);
      if (!g) {
        ++out.skipped;
        continue;
      }
      LatLon ll = out.frame.ToLatLon((*g)[0], (*g)[1]);
      out.points.push_back({frame, cam.second, r.id, ll.lat, ll.lon, (*g)[0], (*g)[1]});
    }
  }
  // Flight path, thinned to about 5000 points.
  size_t stride = std::max<size_t>(1, telemetry.samples.size() / 5000);
  for (size_t i = 0; i < telemetry.samples.size(); i += stride) {
    if (telemetry.samples[i].HasPosition()) out.path.push_back(telemetry.samples[i]);
  }
  if (!telemetry.samples.back().HasPosition() || (telemetry.samples.size() - 1) % stride != 0) {
    if (telemetry.samples.back().HasPosition()) out.path.push_back(telemetry.samples.back());
  }
  // Footprints every footprint_step frames over the video's frames that the telemetry covers (frames without a
  // usable pose are left out); their number is checked before any is made.
  int64_t last_row_frame = 0;
  for (const MotRow& r : rows) last_row_frame = std::max<int64_t>(last_row_frame, r.frame);
  const int64_t video_frames = options.video_frames > 0 ? options.video_frames : last_row_frame;
  const int64_t span = std::min(FrameSpan(telemetry, options.fps), video_frames);
  const int64_t count = span <= 0 ? 0 : (span - 1) / options.footprint_step + 1;
  if (count > options.max_footprints) {
    return absl::OutOfRangeError(absl::StrCat(telemetry.source, ": ", count, " footprints (", span,
                                              " frames, one every ", options.footprint_step, ") is above the limit of ",
                                              options.max_footprints, "; raise --footprint-step"));
  }
  for (int64_t f = 1; f <= span; f += options.footprint_step) {
    auto cam = camera_at(f);
    if (!cam.ok()) continue;
    std::vector<Point2> poly = GroundFootprint(cam->first, options.ground_elevation_m, options.footprint);
    if (!poly.empty()) out.footprints.push_back({static_cast<int>(f), std::move(poly)});
  }
  return out;
}

std::string GeorefCsv(const GeorefResult& result) {
  std::string out = "frame,time,id,lat,lon,x,y\n";
  for (const GeorefPoint& p : result.points) {
    absl::StrAppend(&out, absl::StrFormat("%d,%.3f,%d,%.8f,%.8f,%.2f,%.2f\n", p.frame, UsToSeconds(p.time_us), p.id,
                                          p.lat, p.lon, Tidy(p.x), Tidy(p.y)));
  }
  return out;
}

std::string GeorefTracksGeoJson(const GeorefResult& result) {
  std::map<int64_t, std::vector<const GeorefPoint*>> by_id;
  for (const GeorefPoint& p : result.points) by_id[p.id].push_back(&p);
  json features = json::array();
  for (const auto& [id, pts] : by_id) {
    json coords = json::array();
    for (const GeorefPoint* p : pts) coords.push_back({p->lon, p->lat});
    json geometry = pts.size() == 1 ? json{{"type", "Point"}, {"coordinates", coords[0]}}
                                    : json{{"type", "LineString"}, {"coordinates", coords}};
    features.push_back(
        {{"type", "Feature"},
         {"properties", {{"id", id}, {"first_frame", pts.front()->frame}, {"last_frame", pts.back()->frame}}},
         {"geometry", geometry}});
  }
  return json{{"type", "FeatureCollection"}, {"features", features}}.dump() + "\n";
}

std::string FlightGeoJson(const GeorefResult& result) {
  json features = json::array();
  json line = json::array();
  for (const TelemetrySample& s : result.path) line.push_back({s.lon, s.lat, SampleHeight(s, {})});
  features.push_back({{"type", "Feature"},
                      {"properties", {{"kind", "flight_path"}}},
                      {"geometry", {{"type", "LineString"}, {"coordinates", line}}}});
  for (const FrameFootprint& f : result.footprints) {
    features.push_back({{"type", "Feature"},
                        {"properties", {{"kind", "footprint"}, {"frame", f.frame}}},
                        {"geometry", {{"type", "Polygon"}, {"coordinates", Ring(result.frame, f.polygon)}}}});
  }
  return json{{"type", "FeatureCollection"}, {"features", features}}.dump() + "\n";
}

std::string FlightKml(const GeorefResult& result) {
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n"
      "<name>didban drone flight</name>\n<Placemark><name>flight path</name><LineString>"
      "<altitudeMode>relativeToGround</altitudeMode><coordinates>";
  for (const TelemetrySample& s : result.path) {
    absl::StrAppend(&out, absl::StrFormat("%.8f,%.8f,%.2f ", s.lon, s.lat, SampleHeight(s, {})));
  }
  absl::StrAppend(&out, "</coordinates></LineString></Placemark>\n");
  for (const FrameFootprint& f : result.footprints) {
    absl::StrAppend(&out, "<Placemark><name>frame ", f.frame,
                    "</name><Polygon><outerBoundaryIs><LinearRing><coordinates>");
    std::vector<LatLon> lls = ToLatLon(result.frame, f.polygon);
    if (!lls.empty()) lls.push_back(lls.front());
    for (const LatLon& ll : lls) absl::StrAppend(&out, absl::StrFormat("%.8f,%.8f,0 ", ll.lon, ll.lat));
    absl::StrAppend(&out, "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>\n");
  }
  absl::StrAppend(&out, "</Document>\n</kml>\n");
  return out;
}

}  // namespace didban::geo
