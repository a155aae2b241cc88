#include "drone/drone_outputs.h"

#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

namespace didban::drone {
namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

// GeoJSON numbers rounded to 1e-7 degrees (about 1 cm).
double Round7(double v) { return std::round(v * 1e7) / 1e7; }

}  // namespace

std::string TracksCsv(const std::vector<GeoTrackPoint>& points) {
  std::string out = "frame,time,id,lat,lon,x,y,class\n";
  for (const GeoTrackPoint& p : points) {
    if (std::isnan(p.lat)) continue;
    const Point2 c = p.box.Center();
    absl::StrAppend(&out, p.frame, ",", Fixed(UsToSeconds(p.time_us), 3), ",", p.id, ",", Fixed(p.lat, 7), ",",
                    Fixed(p.lon, 7), ",", Fixed(c.x, 1), ",", Fixed(c.y, 1), ",",
                    std::string(ObjectClassName(p.object_class)), "\n");
  }
  return out;
}

std::string TracksGeoJson(const std::vector<GeoTrackPoint>& points) {
  std::map<int64_t, std::vector<const GeoTrackPoint*>> by_id;
  for (const GeoTrackPoint& p : points) {
    if (!std::isnan(p.lat)) by_id[p.id].push_back(&p);
  }
  nlohmann::json features = nlohmann::json::array();
  for (const auto& [id, pts] : by_id) {
    nlohmann::json coords = nlohmann::json::array();
    for (const GeoTrackPoint* p : pts) coords.push_back({Round7(p->lon), Round7(p->lat)});
    if (coords.size() == 1) coords.push_back(coords[0]);
    features.push_back({{"type", "Feature"},
                        {"geometry", {{"type", "LineString"}, {"coordinates", coords}}},
                        {"properties",
                         {{"id", id},
                          {"class", std::string(ObjectClassName(pts.front()->object_class))},
                          {"first_time", UsToSeconds(pts.front()->time_us)},
                          {"last_time", UsToSeconds(pts.back()->time_us)},
                          {"points", pts.size()}}}});
  }
  return nlohmann::json{{"type", "FeatureCollection"}, {"features", features}}.dump(1) + "\n";
}

namespace {

double AltitudeOf(const geo::TelemetrySample& p) {
  if (geo::HasValue(p.abs_alt_m)) return p.abs_alt_m;
  return geo::HasValue(p.rel_alt_m) ? p.rel_alt_m : 0.0;
}

}  // namespace

std::vector<geo::LatLon> Footprint(const geo::TelemetrySample& pose, const geo::CameraSpec& camera,
                                   const geo::LocalFrame& local, const geo::DronePoseOptions& options) {
  const auto cam = geo::CameraFromTelemetry(pose, camera, local, options);
  if (!cam.ok()) return {};
  const double w = camera.width, h = camera.height;
  std::vector<geo::LatLon> ring;
  for (const Point2& px : {Point2{0, 0}, Point2{w, 0}, Point2{w, h}, Point2{0, h}}) {
    const auto g = cam->PixelToGround(px, 0);
    if (!g) return {};
    ring.push_back(local.ToLatLon((*g)[0], (*g)[1], 0));
  }
  ring.push_back(ring.front());
  return ring;
}

std::string FlightGeoJson(const geo::Telemetry& telemetry, const geo::CameraSpec& camera, const geo::LocalFrame& local,
                          const geo::DronePoseOptions& options, int footprint_every) {
  const std::vector<geo::TelemetrySample>& poses = telemetry.samples;
  nlohmann::json path = nlohmann::json::array();
  for (const geo::TelemetrySample& p : poses) {
    if (p.HasPosition()) path.push_back({Round7(p.lon), Round7(p.lat), std::round(AltitudeOf(p) * 100) / 100});
  }
  nlohmann::json features = nlohmann::json::array();
  features.push_back({{"type", "Feature"},
                      {"geometry", {{"type", "LineString"}, {"coordinates", path}}},
                      {"properties", {{"name", "flight path"}}}});
  for (size_t i = 0; i < poses.size(); i += std::max(1, footprint_every)) {
    const auto ring = Footprint(poses[i], camera, local, options);
    if (ring.empty()) continue;
    nlohmann::json coords = nlohmann::json::array();
    for (const geo::LatLon& ll : ring) coords.push_back({Round7(ll.lon), Round7(ll.lat)});
    features.push_back({{"type", "Feature"},
                        {"geometry", {{"type", "Polygon"}, {"coordinates", {coords}}}},
                        {"properties", {{"name", "footprint"}, {"time", UsToSeconds(poses[i].time_us)}}}});
  }
  return nlohmann::json{{"type", "FeatureCollection"}, {"features", features}}.dump(1) + "\n";
}

std::string FlightKml(const geo::Telemetry& telemetry, const geo::CameraSpec& camera, const geo::LocalFrame& local,
                      const geo::DronePoseOptions& options, int footprint_every) {
  const std::vector<geo::TelemetrySample>& poses = telemetry.samples;
  std::string out =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n"
      "<name>didban drone flight</name>\n<Placemark><name>flight path</name><LineString><altitudeMode>absolute"
      "</altitudeMode><coordinates>\n";
  for (const geo::TelemetrySample& p : poses) {
    if (!p.HasPosition()) continue;
    absl::StrAppend(&out, Fixed(p.lon, 7), ",", Fixed(p.lat, 7), ",", Fixed(AltitudeOf(p), 2), "\n");
  }
  out += "</coordinates></LineString></Placemark>\n";
  for (size_t i = 0; i < poses.size(); i += std::max(1, footprint_every)) {
    const auto ring = Footprint(poses[i], camera, local, options);
    if (ring.empty()) continue;
    absl::StrAppend(&out, "<Placemark><name>footprint ", Fixed(UsToSeconds(poses[i].time_us), 2),
                    " s</name><Polygon><outerBoundaryIs><LinearRing><coordinates>\n");
    for (const geo::LatLon& ll : ring) absl::StrAppend(&out, Fixed(ll.lon, 7), ",", Fixed(ll.lat, 7), ",0\n");
    out += "</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>\n";
  }
  out += "</Document>\n</kml>\n";
  return out;
}

void DrawTracks(const std::vector<Track>& tracks, cv::Mat* image) {
  for (const Track& t : tracks) {
    const cv::Rect r(static_cast<int>(std::lround(t.box.x)), static_cast<int>(std::lround(t.box.y)),
                     static_cast<int>(std::lround(t.box.w)), static_cast<int>(std::lround(t.box.h)));
    const cv::Scalar colour((t.id * 67) % 256, (t.id * 151) % 256, 255 - (t.id * 37) % 128);
    cv::rectangle(*image, r, colour, 2);
    cv::putText(*image, std::to_string(t.id), cv::Point(r.x, std::max(10, r.y - 3)), cv::FONT_HERSHEY_SIMPLEX, 0.45,
                colour, 1, cv::LINE_AA);
  }
}

}  // namespace didban::drone
