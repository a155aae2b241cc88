#include "sim/drone_flight.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_split.h"
#include "detect/aerial_motion_detector.h"
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

// Tuning harness (not run by default): renders each seed's flight once, then runs every variant of the analyzer's
// options on it and prints the scores. Environment: SWEEP_SEEDS (e.g. "1,2,3"), SWEEP_PITCH (-90), SWEEP_SECONDS
// (8), SWEEP_VARIANTS: ';'-separated JSON objects of AerialMotionOptions keys plus "gate" (min_displacement_px),
// "gate_window", "min_object_m", "confirm_hits" ("{}" = the defaults).
// ./build/src/sim/sim_test --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Sweep'
TEST(DroneFlightTest, DISABLED_Sweep) {
  auto env = [](const char* k, const char* d) {
    const char* v = std::getenv(k);
    return std::string(v ? v : d);
  };
  std::vector<int> seeds;
  for (absl::string_view x : absl::StrSplit(env("SWEEP_SEEDS", "1"), ',')) seeds.push_back(std::stoi(std::string(x)));
  std::vector<std::string> variants = absl::StrSplit(env("SWEEP_VARIANTS", "{}"), ';');
  struct Totals {
    AerialScore tracks, dets;
    double analyze_s = 0;
    int frames = 0;
  };
  std::vector<Totals> totals(variants.size());
  for (int seed : seeds) {
    DroneFlightOptions o;
    o.seconds = std::stod(env("SWEEP_SECONDS", "8"));
    o.gimbal_pitch_deg = std::stod(env("SWEEP_PITCH", "-90"));
    o.seed = static_cast<uint64_t>(seed);
    auto flight = DroneFlight::Create(o);
    ASSERT_TRUE(flight.ok()) << flight.status();
    auto telemetry = geo::ParseDjiSrt((*flight)->SrtText(), "flight.srt");
    ASSERT_TRUE(telemetry.ok()) << telemetry.status();
    std::vector<cv::Mat> frames;
    std::vector<std::vector<DroneTruth>> truth((*flight)->FrameCount());
    for (int i = 0; i < (*flight)->FrameCount(); ++i) {
      cv::Mat bgr = (*flight)->Render(i, &truth[i]);
      frames.emplace_back();
      cv::cvtColor(bgr, frames.back(), cv::COLOR_BGR2GRAY);
    }
    for (size_t v = 0; v < variants.size(); ++v) {
      nlohmann::json j = nlohmann::json::parse(variants[v]);
      drone::AerialAnalyzerOptions ao;
      ao.camera = o.camera;
      ao.tracker = drone::AerialTrackerOptions(o.fps);
      for (const auto& [key, value] :
           std::vector<std::pair<std::string, double*>>{{"gate", &ao.motion_gate.min_displacement_px},
                                                        {"gate_window", &ao.motion_gate.window_s},
                                                        {"min_object_m", &ao.min_object_m}}) {
        if (j.contains(key)) {
          *value = j[key].get<double>();
          j.erase(key);
        }
      }
      if (j.contains("confirm_hits")) {
        ao.tracker.confirm_hits = j["confirm_hits"].get<int>();
        j.erase("confirm_hits");
      }
      auto det = detect::ParseAerialMotionOptions(j);
      ASSERT_TRUE(det.ok()) << det.status();
      ao.detector = *det;
      auto analyzer = drone::AerialAnalyzer::Create(ao, *telemetry);
      ASSERT_TRUE(analyzer.ok()) << analyzer.status();
      AerialScore tr, de;
      double analyze_s = 0;
      for (size_t i = 0; i < frames.size(); ++i) {
        Frame f;
        f.index = static_cast<int64_t>(i);
        f.pts_us = (*flight)->FrameTimeUs(static_cast<int>(i));
        f.image = frames[i];
        const auto t0 = std::chrono::steady_clock::now();
        auto r = (*analyzer)->Process(f);
        analyze_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        ASSERT_TRUE(r.ok()) << r.status();
        std::vector<AerialReport> reports, dets;
        for (const auto& p : r->points) reports.push_back({p.box, !std::isnan(p.lat), p.lat, p.lon});
        for (const auto& d : r->detections) dets.push_back({d.box, false, 0, 0});
        for (AerialScore* sc : {&tr, &totals[v].tracks}) sc->AddFrame(truth[i], reports, o.camera.height);
        for (AerialScore* sc : {&de, &totals[v].dets}) sc->AddFrame(truth[i], dets, o.camera.height);
      }
      totals[v].analyze_s += analyze_s;
      totals[v].frames += static_cast<int>(frames.size());
      std::printf(
          "SEED v=%zu seed=%d recall=%.3f precision=%.3f people=%d/%d vehicles=%d/%d fp=%d parked=%d near=%d "
          "missed_thirds=%d,%d,%d det_r=%.3f det_p=%.3f geo_med=%.2f ms=%.1f\n",
          v, seed, tr.Recall(), tr.Precision(), tr.PeopleMatched(), tr.PeopleTruth(), tr.VehiclesMatched(),
          tr.VehiclesTruth(), tr.FalsePositives(), tr.FalseOnParked(), tr.FalseNearMoving(), tr.MissedInThird(0),
          tr.MissedInThird(1), tr.MissedInThird(2), de.Recall(), de.Precision(), tr.MedianGeoErrorM(),
          1e3 * analyze_s / frames.size());
      std::fflush(stdout);
    }
  }
  for (size_t v = 0; v < variants.size(); ++v) {
    const AerialScore& tr = totals[v].tracks;
    std::printf(
        "TOTAL v=%zu %s recall=%.3f precision=%.3f people=%d/%d vehicles=%d/%d fp=%d parked=%d near=%d "
        "missed_thirds=%d,%d,%d det_r=%.3f det_p=%.3f geo_med=%.2f ms=%.1f\n",
        v, variants[v].c_str(), tr.Recall(), tr.Precision(), tr.PeopleMatched(), tr.PeopleTruth(), tr.VehiclesMatched(),
        tr.VehiclesTruth(), tr.FalsePositives(), tr.FalseOnParked(), tr.FalseNearMoving(), tr.MissedInThird(0),
        tr.MissedInThird(1), tr.MissedInThird(2), totals[v].dets.Recall(), totals[v].dets.Precision(),
        tr.MedianGeoErrorM(), 1e3 * totals[v].analyze_s / std::max(1, totals[v].frames));
  }
}

}  // namespace
}  // namespace didban::sim
