#include "fuse/fuse_io.h"

#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

namespace didban::fuse {

TimeUs FrameTime(int frame, double fps) { return SecondsToUs(static_cast<double>(frame - 1) / fps); }

int TimeFrame(TimeUs time, double fps) { return static_cast<int>(std::lround(UsToSeconds(time) * fps)) + 1; }

std::vector<CameraFrame> FramesFromMot(const std::string& camera, const geo::CameraCalibration& calibration,
                                       const std::vector<MotRow>& rows, double fps, int last_frame,
                                       const geo::GroundProjectionOptions& projection, int* unprojected) {
  std::vector<CameraFrame> frames(std::max(0, last_frame));
  for (int f = 0; f < last_frame; ++f) {
    frames[f].camera = camera;
    frames[f].time = FrameTime(f + 1, fps);
  }
  for (const MotRow& r : rows) {
    if (r.frame < 1 || r.frame > last_frame) continue;
    std::optional<geo::GroundPoint> g = geo::ProjectBoxToGround(calibration, r.box, projection);
    if (!g) {
      if (unprojected != nullptr) ++*unprojected;
      continue;
    }
    frames[r.frame - 1].observations.push_back({r.id, *g, r.box});
  }
  return frames;
}

std::string FormatFusedCsv(const std::vector<FusedStep>& steps, double fps, const geo::LocalFrame* frame) {
  std::string out = "frame,time,id,x,y,lat,lon,cameras\n";
  char buf[256];
  for (const FusedStep& s : steps) {
    for (const FusedTrack& t : s.tracks) {
      std::snprintf(buf, sizeof(buf), "%d,%.3f,%lld,%.3f,%.3f,", TimeFrame(s.time, fps), UsToSeconds(s.time),
                    static_cast<long long>(t.id), t.position.x, t.position.y);
      out += buf;
      if (frame != nullptr) {
        geo::LatLon ll = frame->ToLatLon(t.position.x, t.position.y);
        std::snprintf(buf, sizeof(buf), "%.8f,%.8f,", ll.lat, ll.lon);
        out += buf;
      } else {
        out += ",,";
      }
      out += FormatContributions(t.cameras);
      out += '\n';
    }
  }
  return out;
}

std::string FormatFusedGeoJson(const std::vector<FusedStep>& steps, const geo::LocalFrame& frame) {
  struct Path {
    std::vector<std::pair<double, double>> lonlat;
    double first = 0, last = 0;
  };
  std::map<int64_t, Path> paths;
  for (const FusedStep& s : steps) {
    for (const FusedTrack& t : s.tracks) {
      geo::LatLon ll = frame.ToLatLon(t.position.x, t.position.y);
      auto [it, fresh] = paths.try_emplace(t.id);
      if (fresh) it->second.first = UsToSeconds(s.time);
      it->second.last = UsToSeconds(s.time);
      it->second.lonlat.emplace_back(std::round(ll.lon * 1e8) / 1e8, std::round(ll.lat * 1e8) / 1e8);
    }
  }
  nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
  for (const auto& [id, p] : paths) {
    nlohmann::json coords = nlohmann::json::array();
    for (const auto& [lon, lat] : p.lonlat) coords.push_back({lon, lat});
    if (coords.size() == 1) coords.push_back(coords[0]);  // a LineString needs two positions
    fc["features"].push_back({{"type", "Feature"},
                              {"properties", {{"id", id}, {"first_time_s", p.first}, {"last_time_s", p.last}}},
                              {"geometry", {{"type", "LineString"}, {"coordinates", coords}}}});
  }
  return fc.dump() + "\n";
}

std::vector<eval::GroundRow> FusedGroundRows(const std::vector<FusedStep>& steps, double fps) {
  std::vector<eval::GroundRow> rows;
  for (const FusedStep& s : steps) {
    for (const FusedTrack& t : s.tracks) rows.push_back({TimeFrame(s.time, fps), t.id, t.position.x, t.position.y});
  }
  return rows;
}

}  // namespace didban::fuse
