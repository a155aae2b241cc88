#include "sim/drone_flight.h"

#include <chrono>
#include <cmath>

#include <gtest/gtest.h>

#include "drone/aerial_analyzer.h"
#include "geo/telemetry_srt.h"
#include "sim/drone_eval.h"

namespace didban::sim {
namespace {

struct FlightRun {
  AerialScore tracks;
  AerialScore detections;
};

FlightRun Analyze(const DroneFlightOptions& options, bool from_srt) {
  auto flight = DroneFlight::Create(options);
  EXPECT_TRUE(flight.ok()) << flight.status();
  geo::Telemetry telemetry = (*flight)->TelemetryPoses();
  if (from_srt) {
    auto parsed = geo::ParseDjiSrt((*flight)->SrtText(), "flight.srt");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    telemetry = *parsed;
  }
  drone::AerialAnalyzerOptions ao;
  ao.camera = options.camera;
  ao.tracker = drone::AerialTrackerOptions(options.fps);
  auto analyzer = drone::AerialAnalyzer::Create(ao, telemetry);
  EXPECT_TRUE(analyzer.ok()) << analyzer.status();
  FlightRun run;
  double render_s = 0, analyze_s = 0;
  for (int i = 0; i < (*flight)->FrameCount(); ++i) {
    std::vector<DroneTruth> truth;
    Frame f;
    f.index = i;
    f.pts_us = (*flight)->FrameTimeUs(i);
    auto t0 = std::chrono::steady_clock::now();
    f.image = (*flight)->Render(i, &truth);
    auto t1 = std::chrono::steady_clock::now();
    f.full = f.image;
    auto r = (*analyzer)->Process(f);
    render_s += std::chrono::duration<double>(t1 - t0).count();
    analyze_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<AerialReport> reports;
    for (const auto& p : r->points) reports.push_back({p.box, !std::isnan(p.lat), p.lat, p.lon});
    run.tracks.AddFrame(truth, reports);
    std::vector<AerialReport> dets;
    for (const auto& d : r->detections) dets.push_back({d.box, false, 0, 0});
    run.detections.AddFrame(truth, dets);
  }
  std::printf("render %.1f ms/frame, analyze %.1f ms/frame\n", 1e3 * render_s / (*flight)->FrameCount(),
              1e3 * analyze_s / (*flight)->FrameCount());
  return run;
}

TEST(DroneFlightTest, NadirFlightMeetsTargets) {
  DroneFlightOptions o;
  o.seconds = 8;
  const FlightRun run = Analyze(o, /*from_srt=*/true);
  std::printf("detections: truth %d reports %d matched %d fp %d recall %.3f precision %.3f\n",
              run.detections.TruthCount(), run.detections.ReportCount(), run.detections.MatchedCount(),
              run.detections.FalsePositives(), run.detections.Recall(), run.detections.Precision());
  std::printf("tracks: truth %d reports %d matched %d fp %d recall %.3f precision %.3f geo median %.2f p90 %.2f\n",
              run.tracks.TruthCount(), run.tracks.ReportCount(), run.tracks.MatchedCount(), run.tracks.FalsePositives(),
              run.tracks.Recall(), run.tracks.Precision(), run.tracks.MedianGeoErrorM(),
              run.tracks.GeoErrorQuantileM(0.9));
  EXPECT_GE(run.tracks.Recall(), 0.9);
  EXPECT_GE(run.tracks.Precision(), 0.9);
  EXPECT_LE(run.tracks.MedianGeoErrorM(), 5.0);
}

}  // namespace
}  // namespace didban::sim
