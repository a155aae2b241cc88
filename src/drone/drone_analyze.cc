#include "drone/drone_analyze.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include <opencv2/videoio.hpp>

#include "core/mot_format.h"
#include "drone/drone_outputs.h"
#include "drone/srt_telemetry.h"

namespace didban::drone {

absl::StatusOr<DroneAnalyzeSummary> RunDroneAnalyze(const DroneAnalyzeRequest& request) {
  DIDBAN_ASSIGN_OR_RETURN(std::string srt, ReadTextFile(request.telemetry));
  DIDBAN_ASSIGN_OR_RETURN(std::vector<FlightPose> telemetry, ParseDjiSrt(srt, request.telemetry));
  FillYawFromCourse(&telemetry, SecondsToUs(1.0));

  cv::VideoCapture capture;
  try {
    if (!capture.open(request.video, cv::CAP_FFMPEG)) {
      return absl::NotFoundError(absl::StrCat(request.video, ": cannot open video"));
    }
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(request.video, ": cannot open video: ", e.what()));
  }
  CameraIntrinsics base;
  base.width = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_WIDTH));
  base.height = static_cast<int>(capture.get(cv::CAP_PROP_FRAME_HEIGHT));
  const double fps = capture.get(cv::CAP_PROP_FPS) > 0 ? capture.get(cv::CAP_PROP_FPS) : 25.0;
  DIDBAN_ASSIGN_OR_RETURN(CameraIntrinsics camera, ParseCameraSpec(request.camera_spec, base));

  AerialAnalyzerOptions options;
  options.camera = camera;
  DIDBAN_ASSIGN_OR_RETURN(auto analyzer, AerialAnalyzer::Create(options, telemetry));

  std::error_code ec;
  std::filesystem::create_directories(request.out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(request.out_dir, ": cannot create directory: ", ec.message()));

  cv::VideoWriter writer;
  const std::string annotated = request.out_dir + "/annotated.mp4";
  if (request.write_video) {
    for (const char* fourcc : {"avc1", "mp4v"}) {
      try {
        writer.open(annotated, cv::VideoWriter::fourcc(fourcc[0], fourcc[1], fourcc[2], fourcc[3]), fps,
                    cv::Size(camera.width, camera.height));
      } catch (const cv::Exception&) {
        continue;
      }
      if (writer.isOpened()) break;
    }
    if (!writer.isOpened()) return absl::InternalError(absl::StrCat(annotated, ": cannot open a video writer"));
  }

  DroneAnalyzeSummary summary;
  std::vector<GeoTrackPoint> points;
  std::set<int64_t> ids;
  double analyze_s = 0;
  cv::Mat image;
  while (true) {
    try {
      if (!capture.read(image) || image.empty()) break;
    } catch (const cv::Exception& e) {
      return absl::DataLossError(absl::StrCat(request.video, ": frame ", summary.frames, ": ", e.what()));
    }
    Frame frame;
    frame.camera = "drone";
    frame.index = summary.frames;
    // Frame time from the frame count: constant-frame-rate drone video, the SRT's own clock.
    frame.pts_us = SecondsToUs(summary.frames / fps);
    frame.image = image;
    frame.full = image;
    const auto t0 = std::chrono::steady_clock::now();
    auto result = analyzer->Process(frame);
    analyze_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!result.ok()) return result.status();
    for (const GeoTrackPoint& p : result->points) {
      points.push_back(p);
      ids.insert(p.id);
      if (!std::isnan(p.lat)) ++summary.track_points;
    }
    if (request.write_video) {
      cv::Mat drawn = image.clone();
      DrawTracks(result->tracks, &drawn);
      writer.write(drawn);
    }
    ++summary.frames;
  }
  if (summary.frames == 0) return absl::InvalidArgumentError(absl::StrCat(request.video, ": no frames decoded"));
  writer.release();
  summary.tracks = static_cast<int64_t>(ids.size());
  summary.ms_per_frame = 1e3 * analyze_s / summary.frames;

  const std::string& dir = request.out_dir;
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/tracks.csv", TracksCsv(points)));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/tracks.geojson", TracksGeoJson(points)));
  DIDBAN_RETURN_IF_ERROR(
      WriteTextFile(dir + "/flight.kml", FlightKml(telemetry, camera, analyzer->Local(), request.footprint_every)));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/flight.geojson",
                                       FlightGeoJson(telemetry, camera, analyzer->Local(), request.footprint_every)));
  return summary;
}

}  // namespace didban::drone
