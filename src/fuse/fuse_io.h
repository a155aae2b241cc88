// Conversions around the fuser: per-camera MOTChallenge rows -> camera frames of ground observations, and fused
// steps -> CSV (frame,time,id,x,y,lat,lon,cameras) / GeoJSON. Free functions; thread-safe.
#ifndef DIDBAN_FUSE_FUSE_IO_H_
#define DIDBAN_FUSE_FUSE_IO_H_

#include <optional>
#include <string>
#include <vector>

#include "core/mot_format.h"
#include "eval/mot_inputs.h"
#include "fuse/fuser.h"
#include "geo/camera_calibration.h"
#include "geo/ground_projection.h"
#include "geo/local_frame.h"

namespace didban::fuse {

// Frame number (1-based) <-> time at `fps`: time = (frame - 1) / fps.
TimeUs FrameTime(int frame, double fps);
int TimeFrame(TimeUs time, double fps);

// One CameraFrame per frame 1..last_frame (empty frames included, so the camera keeps reporting). Rows whose box
// does not reach the ground are skipped and counted in *unprojected (may be null). Row ids become local ids.
std::vector<CameraFrame> FramesFromMot(const std::string& camera, const geo::CameraCalibration& calibration,
                                       const std::vector<MotRow>& rows, double fps, int last_frame,
                                       const geo::GroundProjectionOptions& projection, int* unprojected);

// CSV with header `frame,time,id,x,y,lat,lon,cameras` (x, y metres; lat/lon empty without a frame anchor).
std::string FormatFusedCsv(const std::vector<FusedStep>& steps, double fps, const geo::LocalFrame* frame);
// GeoJSON FeatureCollection: one LineString per global id (lon/lat), properties id, first_time_s, last_time_s.
std::string FormatFusedGeoJson(const std::vector<FusedStep>& steps, const geo::LocalFrame& frame);
// The fused positions as ground rows (frame from time at fps).
std::vector<eval::GroundRow> FusedGroundRows(const std::vector<FusedStep>& steps, double fps);

}  // namespace didban::fuse

#endif  // DIDBAN_FUSE_FUSE_IO_H_
