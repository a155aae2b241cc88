#include "drone/drone_analyze.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>

#include "core/mot_format.h"
#include "drone/drone_outputs.h"
#include "drone/srt_telemetry.h"
#include "geo/telemetry_types.h"
#include "record/video_writer.h"
#include "source/source.h"

namespace didban::drone {
namespace {

constexpr double kDefaultHfovDeg = 73.7;  // DJI Mavic 3 (24 mm equivalent on a 36 mm-wide frame)

// The camera spec: the video's size, the request's keys over it, and the default lens when neither the request nor
// the telemetry gives one.
absl::StatusOr<geo::CameraSpec> CameraFor(const std::string& spec, const SourceInfo& info,
                                          const geo::Telemetry& telemetry) {
  DIDBAN_ASSIGN_OR_RETURN(geo::CameraSpec camera,
                          geo::ParseCameraSpec(absl::StrCat("width=", info.width, ",height=", info.height, ",", spec)));
  const bool has_lens =
      geo::HasValue(camera.hfov_deg) || geo::HasValue(camera.focal_mm) || geo::HasValue(camera.focal35_mm);
  const int first = telemetry.FirstWithPosition();
  const bool telemetry_lens =
      first >= 0 && (geo::HasValue(telemetry.samples[first].focal_35mm_mm) ||
                     (geo::HasValue(telemetry.samples[first].focal_mm) && geo::HasValue(camera.sensor_w_mm)));
  if (!has_lens && !telemetry_lens) camera.hfov_deg = kDefaultHfovDeg;
  return camera;
}

}  // namespace

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
  DIDBAN_ASSIGN_OR_RETURN(geo::CameraSpec camera, CameraFor(request.camera_spec, info, telemetry));

  AerialAnalyzerOptions options;
  options.camera = camera;
  options.tracker = AerialTrackerOptions(fps);
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
