#include "drone/drone_analyze.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "core/mot_format.h"
#include "detect/aerial_motion_detector.h"
#include "drone/drone_outputs.h"
#include "drone/srt_telemetry.h"
#include "geo/telemetry_types.h"
#include "record/video_writer.h"
#include "source/source.h"

namespace didban::drone {

absl::StatusOr<geo::ResolvedCamera> ResolveAnalyzeCamera(const DroneAnalyzeRequest& request, int width, int height,
                                                         const geo::Telemetry& telemetry, std::string_view srt_text) {
  // The video's size first: keys of the spec come later and override it.
  auto given = geo::ParseCameraSpec(absl::StrCat("width=", width, ",height=", height, ",", request.camera_spec));
  if (!given.ok()) return absl::InvalidArgumentError(absl::StrCat("--camera: ", given.status().message()));
  const geo::CameraSpec& spec = *given;
  if (spec.width != width || spec.height != height) {
    return absl::InvalidArgumentError(absl::StrCat("--camera: width=", spec.width, ", height=", spec.height,
                                                   " but the video ", request.video, " is ", width, "x", height,
                                                   " (the camera spec describes the analysed frames: leave width "
                                                   "and height out)"));
  }
  return geo::ResolveCameraSpec(spec, request.camera_profile, srt_text, telemetry);
}

absl::StatusOr<DroneAnalyzeSummary> RunDroneAnalyze(const DroneAnalyzeRequest& request) {
  source::SourceOptions source_options;
  source_options.camera = "drone";
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<FrameSource> source, source::OpenSource(request.video, source_options));
  DIDBAN_RETURN_IF_ERROR(source->Open());
  const SourceInfo& info = source->Info();
  const double fps = info.fps > 0 ? info.fps : 25.0;
  // The telemetry's recording is chosen against the video (its frame count and frame rate), so a file holding
  // several recordings never gives a pose from another part of it.
  geo::TelemetryReadOptions read;
  read.selection.segment = request.telemetry_segment;
  read.selection.fps = info.fps;
  read.selection.video_frames = info.frame_count;
  DIDBAN_ASSIGN_OR_RETURN(geo::Telemetry telemetry, geo::ReadTelemetryFile(request.telemetry, read));
  FillYawFromCourse(&telemetry, SecondsToUs(1.0));
  const std::vector<std::string> telemetry_warnings = telemetry.warnings;
  // A DJI SRT's first cues may name its camera by their layout and lens (geo::GuessCameraFromSrt).
  std::string srt_head;
  if (telemetry.format == "dji-srt") {
    auto text = ReadTextFile(request.telemetry);
    if (text.ok()) srt_head = text->substr(0, 4096);
  }
  DIDBAN_ASSIGN_OR_RETURN(const geo::ResolvedCamera resolved,
                          ResolveAnalyzeCamera(request, info.width, info.height, telemetry, srt_head));
  const geo::CameraSpec& camera = resolved.spec;

  AerialAnalyzerOptions options;
  options.camera = camera;
  options.tracker = AerialTrackerOptions(fps);
  if (!request.detector_params.empty()) {
    const nlohmann::json params = nlohmann::json::parse(request.detector_params, nullptr, /*allow_exceptions=*/false);
    if (!params.is_object()) {
      return absl::InvalidArgumentError("--detector-params: expected a JSON object, e.g. {\"diff_threshold\": 25}");
    }
    DIDBAN_ASSIGN_OR_RETURN(options.detector, detect::ParseAerialMotionOptions(params));
  }
  if (request.motion_gate_px >= 0) options.motion_gate.min_displacement_px = request.motion_gate_px;
  DIDBAN_ASSIGN_OR_RETURN(auto analyzer, AerialAnalyzer::Create(options, std::move(telemetry)));

  std::error_code ec;
  std::filesystem::create_directories(request.out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(request.out_dir, ": cannot create directory: ", ec.message()));

  std::unique_ptr<record::VideoWriter> writer;
  if (request.write_video) {
    record::VideoWriterOptions wo;
    wo.fps = fps;
    DIDBAN_ASSIGN_OR_RETURN(writer, record::VideoWriter::Create(request.out_dir + "/annotated.mp4", wo));
  }

  DroneAnalyzeSummary summary;
  summary.warnings = telemetry_warnings;
  summary.camera = resolved.how;
  std::vector<GeoTrackPoint> points;
  std::set<int64_t> ids;
  double analyze_s = 0;
  TimeUs first_pts = 0;
  while (true) {
    DIDBAN_ASSIGN_OR_RETURN(FramePtr decoded, source->Read());
    if (decoded == nullptr) break;
    if (summary.frames == 0) first_pts = decoded->pts_us;
    Frame frame = *decoded;
    frame.index = summary.frames;
    // The telemetry's clock starts with the video: frame time from the first frame.
    frame.pts_us = decoded->pts_us - first_pts;
    const auto t0 = std::chrono::steady_clock::now();
    auto result = analyzer->Process(frame);
    analyze_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!result.ok()) return result.status();
    for (const GeoTrackPoint& p : result->points) {
      points.push_back(p);
      ids.insert(p.id);
      if (!std::isnan(p.lat)) ++summary.track_points;
    }
    if (writer != nullptr) {
      cv::Mat drawn = frame.image.clone();
      DrawTracks(result->tracks, &drawn);
      DIDBAN_RETURN_IF_ERROR(writer->Write(drawn, frame.pts_us));
    }
    ++summary.frames;
  }
  if (summary.frames == 0) return absl::InvalidArgumentError(absl::StrCat(request.video, ": no frames decoded"));
  if (writer != nullptr) DIDBAN_RETURN_IF_ERROR(writer->Close());
  summary.tracks = static_cast<int64_t>(ids.size());
  summary.ms_per_frame = 1e3 * analyze_s / summary.frames;

  const std::string& dir = request.out_dir;
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/tracks.csv", TracksCsv(points)));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/tracks.geojson", TracksGeoJson(points)));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(dir + "/flight.kml", FlightKml(analyzer->Telemetry(), camera, analyzer->Local(),
                                                                      options.pose, request.footprint_every)));
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(
      dir + "/flight.geojson",
      FlightGeoJson(analyzer->Telemetry(), camera, analyzer->Local(), options.pose, request.footprint_every)));
  return summary;
}

}  // namespace didban::drone
