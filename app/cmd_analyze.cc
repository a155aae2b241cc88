// `didban analyze INPUT`: one camera's pipeline (source -> detect -> track -> rules -> writers) over a clip or a
// stream, writing tracks (MOTChallenge), events, a JSON summary and an annotated MP4.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "app/command.h"
#include "app/progress.h"
#include "center/camera_definition.h"
#include "config/site_config.h"
#include "core/camera_graph.h"
#include "core/json_io.h"
#include "core/mot_format.h"
#include "detect/detectors.h"
#include "record/annotated_video_sink.h"
#include "record/snapshot_sink.h"
#include "record/track_log_sink.h"
#include "rules/rule_engine.h"
#include "rules/rules_annotator.h"
#include "source/source.h"
#include "track/byte_tracker.h"

namespace didban::app {
namespace {

struct AnalyzeFlags {
  std::string input;
  std::string out = "out";
  std::string site;
  std::string camera;
  std::string detector;
  std::string model;
  std::string model_config;
  std::string decoder;
  std::string classes;
  float score = -1;
  double detect_rate = -1;
  int analysis_width = -1;
  std::string tracker_preset;
  bool no_video = false;
  bool quiet = false;
  double max_lag_s = 0.5;
};

// Turns SIGINT and SIGTERM into one call of `on_stop` on a thread of its own (the signals are blocked in every other
// thread, so no work runs in a signal handler). A second signal exits at once, without closing the outputs.
class StopOnSignal {
 public:
  explicit StopOnSignal(std::function<void(int)> on_stop) {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, &previous_);  // inherited by the threads started from now on
    thread_ = std::thread([this, on_stop = std::move(on_stop)] {
      int signals = 0;
      while (!done_.load()) {
        timespec wait{0, 100'000'000};
        int sig = sigtimedwait(&set_, nullptr, &wait);
        if (sig < 0) continue;
        if (++signals == 1) {
          on_stop(sig);
        } else {
          static constexpr char kMessage[] = "didban analyze: second signal, exiting without closing the outputs\n";
          (void)!write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
          _exit(128 + sig);
        }
      }
    });
  }
  ~StopOnSignal() {
    done_.store(true);
    thread_.join();
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  sigset_t set_{};
  sigset_t previous_{};
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// Writes `text` to `path` through a temporary file and a rename, so the file is whole or absent.
absl::Status WriteFileAtomically(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  DIDBAN_RETURN_IF_ERROR(WriteTextFile(tmp.string(), text));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(path.string(), ": cannot write (", ec.message(), ")"));
  return absl::OkStatus();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + 1e-6 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int64_t PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// The camera to analyse: from the site file, or a default camera named after the input.
absl::StatusOr<config::CameraConfig> ResolveCamera(const AnalyzeFlags& f, std::optional<config::SiteConfig>* site) {
  config::CameraConfig cam;
  if (!f.site.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(config::SiteConfig s, config::LoadSiteConfig(f.site));
    const config::CameraConfig* found = nullptr;
    if (!f.camera.empty()) {
      found = s.FindCamera(f.camera);
      if (found == nullptr) {
        return absl::NotFoundError(absl::StrCat(f.site, ": no camera named '", f.camera, "'"));
      }
    } else if (s.cameras.size() == 1) {
      found = &s.cameras[0];
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(f.site, " has ", s.cameras.size(), " cameras: choose one with --camera NAME"));
    }
    cam = *found;
    *site = std::move(s);
  } else {
    cam.name = f.camera.empty() ? std::filesystem::path(f.input).stem().string() : f.camera;
    cam.detector.type = "motion";
    cam.detector.params = nlohmann::json::object();
  }
  if (!f.input.empty()) cam.uri = f.input;
  if (cam.uri.empty()) return absl::InvalidArgumentError("no input: give INPUT or a camera uri in the site file");
  // Flags override the site file.
  if (!f.detector.empty() && f.detector != cam.detector.type) {
    cam.detector.type = f.detector;
    cam.detector.params = nlohmann::json::object();
  }
  nlohmann::json& p = cam.detector.params;
  if (!p.is_object()) p = nlohmann::json::object();
  p.erase("type");
  p.erase("name");
  // The DNN's parameters sit at the top for "dnn" and under "dnn" for "gated".
  nlohmann::json& dnn = cam.detector.type == "gated" ? p["dnn"] : p;
  if (!dnn.is_object()) dnn = nlohmann::json::object();
  if (!f.model.empty()) dnn["model"] = f.model;
  if (!f.model_config.empty()) dnn["config"] = f.model_config;
  if (!f.decoder.empty()) dnn["decoder"] = f.decoder;
  if (!f.classes.empty()) dnn["classes"] = absl::StrSplit(f.classes, ',', absl::SkipEmpty());
  if (f.score >= 0) dnn["score_threshold"] = f.score;
  if (f.detect_rate >= 0) p["detect_hz"] = f.detect_rate;
  if (f.analysis_width >= 0) cam.analysis_width = f.analysis_width;
  if (!f.tracker_preset.empty()) {
    if (!cam.tracker.is_object()) cam.tracker = nlohmann::json::object();
    cam.tracker["preset"] = f.tracker_preset;
  }
  return cam;
}

absl::Status RunAnalyze(const AnalyzeFlags& f) {
  std::optional<config::SiteConfig> site;
  DIDBAN_ASSIGN_OR_RETURN(config::CameraConfig cam, ResolveCamera(f, &site));

  source::SourceOptions so;
  so.camera = cam.name;
  so.max_width = cam.analysis_width;
  so.keep_full = !f.no_video;
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<FrameSource> src, source::OpenSource(cam.uri, so));
  // The calibration reaches the detector as a ground homography in its params (center::DetectorParams).
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<Detector> detector,
                          detect::CreateDetector(cam.detector.type, center::DetectorParams(cam)));

  std::error_code ec;
  std::filesystem::create_directories(f.out, ec);
  if (ec) return absl::PermissionDeniedError(absl::StrCat(f.out, ": cannot create output folder: ", ec.message()));
  std::filesystem::path out(f.out);

  // A signal stops the run wherever it is: opening the source, reading it, waiting to reconnect, or analysing.
  std::atomic<FrameSource*> opening{src.get()};  // until the graph owns the source (then Stop() interrupts it)
  std::atomic<bool> stop_requested{false};
  std::atomic<CameraGraph*> running_graph{nullptr};
  StopOnSignal stop_on_signal([&](int sig) {
    spdlog::info("{}: {}, stopping", cam.name, sig == SIGINT ? "interrupted" : "terminated");
    stop_requested.store(true);
    if (FrameSource* s = opening.load(); s != nullptr) s->Interrupt();
    if (CameraGraph* g = running_graph.load(); g != nullptr) g->Stop();
  });

  // Open the source first so the tracker knows the frame rate and errors name the input before any output exists.
  absl::Status open = src->Open();
  if (!open.ok() && stop_requested.load()) {
    nlohmann::json summary = {{"input", cam.uri},  {"camera", cam.name}, {"end", "stopped"},
                              {"complete", false}, {"frames", 0},        {"note", "stopped while opening the input"}};
    return WriteFileAtomically(out / "summary.json", summary.dump(2) + "\n");
  }
  if (!open.ok()) return open;
  const SourceInfo info = src->Info();
  double fps = cam.fps > 0 ? cam.fps : (info.fps > 0 ? info.fps : 25);
  DIDBAN_ASSIGN_OR_RETURN(track::ByteTrackerOptions topt, track::ByteTrackerOptions::FromJson(cam.tracker, fps));
  auto tracker = std::make_unique<track::ByteTracker>(topt);

  std::vector<std::unique_ptr<FrameSink>> sinks;
  DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<record::TrackLogSink> log,
                          record::TrackLogSink::Create((out / "tracks.txt").string()));
  record::TrackLogSink* log_ptr = log.get();
  sinks.push_back(std::move(log));
  rules::RuleEngine* engine = nullptr;
  if (!cam.rules.empty()) {
    DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<rules::RuleEngine> e, rules::RuleEngine::FromCamera(cam));
    engine = e.get();
    sinks.push_back(std::move(e));
    std::filesystem::create_directories(out / "snapshots", ec);
    if (ec) return absl::PermissionDeniedError(absl::StrCat((out / "snapshots").string(), ": ", ec.message()));
    sinks.push_back(std::make_unique<record::SnapshotSink>((out / "snapshots").string()));
  }
  if (!f.no_video) {
    record::VideoWriterOptions wo;
    wo.fps = fps;
    wo.fragmented = info.live;   // a live run may end by a kill: keep the video playable up to its last key frame
    wo.low_latency = info.live;  // frames reach the file soon, and a stop has little to flush
    record::AnnotatorOptions ao;
    ao.on_full = true;
    // Text readable on small and large frames alike.
    const double font = std::clamp(info.width / 1280.0 * 0.6, 0.3, 0.8);
    ao.font_scale = font;
    ao.thickness = info.width < 640 ? 1 : 2;
    DIDBAN_ASSIGN_OR_RETURN(std::unique_ptr<record::AnnotatedVideoSink> video,
                            record::AnnotatedVideoSink::Create((out / "annotated.mp4").string(), wo, ao));
    if (engine != nullptr) {
      rules::RulesAnnotatorOptions ro;
      ro.draw_tracks = false;
      ro.font_scale = font;
      ro.thickness = ao.thickness;
      video->SetOverlay([engine, ro](cv::Mat* drawn, double scale, const Frame&, const TrackSnapshot& tracks,
                                     const std::vector<Event>& events) {
        *drawn = rules::RulesAnnotator(ro).Draw(*drawn, *engine, tracks, events, scale);
      });
    }
    sinks.push_back(std::move(video));
  }

  std::ofstream events_out(out / "events.jsonl", std::ios::trunc);
  if (!events_out) return absl::PermissionDeniedError(absl::StrCat((out / "events.jsonl").string(), ": cannot write"));
  std::map<std::string, int64_t> events_by_type;
  CameraGraphOptions go;
  go.source_opened = true;
  go.max_lag_us = SecondsToUs(f.max_lag_s);
  go.on_event = [&](const Event& e) {
    ++events_by_type[e.type];
    events_out << EventToJson(e).dump() << '\n' << std::flush;  // on disk as it happens
  };
  ProgressBar progress(cam.name, info.frame_count, !f.quiet);
  int64_t analysed = 0;
  CameraGraph* graph_ptr = nullptr;
  auto note = [&graph_ptr]() -> std::string {
    if (graph_ptr == nullptr) return "";
    CameraStatus s = graph_ptr->Status();
    std::string text;
    if (s.frames_dropped > 0) {
      absl::StrAppend(&text, "dropped ", s.frames_dropped, " (lag ", s.dropped_lag, ", queue full ",
                      s.dropped_queue_full, ")");
    }
    if (s.source.reconnects > 0 || s.source.reconnect_attempts > 0) {
      absl::StrAppend(&text, text.empty() ? "" : "  ", "reconnects ", s.source.reconnects, ", offline ",
                      absl::StrFormat("%.1f", UsToSeconds(s.source.offline_us)), " s");
    }
    return text;
  };
  go.on_frame = [&](const Frame&, const TrackSnapshot&) { progress.Update(++analysed, note); };

  double cpu0 = CpuSeconds();
  int64_t wall0 = SystemClock().SteadyUs();
  CameraGraph graph(cam.name, std::move(src), std::move(detector), std::move(tracker), std::move(sinks), go);
  graph_ptr = &graph;
  running_graph.store(&graph);
  opening.store(nullptr);
  if (stop_requested.load()) graph.Stop();  // a signal between opening and here
  absl::Status run = graph.Run();
  running_graph.store(nullptr);
  progress.Finish();
  double wall_s = UsToSeconds(SystemClock().SteadyUs() - wall0);
  double cpu_s = CpuSeconds() - cpu0;
  events_out.close();

  CameraStatus st = graph.Status();
  const char* end = st.end == RunEnd::kRunning ? "error" : RunEndName(st.end);
  const double offline_s = UsToSeconds(st.source.offline_us);
  const double up_s = std::max(1e-6, wall_s - offline_s);
  nlohmann::json summary = log_ptr->Summary();
  summary["input"] = cam.uri;
  summary["camera"] = cam.name;
  summary["detector"] = cam.detector.type;
  summary["width"] = info.width;
  summary["height"] = info.height;
  summary["fps"] = info.fps;
  summary["codec"] = info.codec;
  summary["live"] = info.live;
  summary["end"] = end;
  summary["frames_decoded"] = st.frames_decoded;
  summary["frames_analysed"] = st.frames_analysed;
  summary["frames_dropped"] = st.frames_dropped;
  summary["drops"] = {{"lag", st.dropped_lag}, {"queue_full", st.dropped_queue_full}};
  summary["discarded_at_end"] = st.discarded_at_end;
  summary["max_lag_s"] = f.max_lag_s;
  summary["queue_capacity"] = st.queue_capacity;
  summary["decode_errors"] = st.source.decode_errors;
  summary["read_errors"] = st.source.read_errors;
  summary["reconnects"] = st.source.reconnects;
  summary["reconnect_attempts"] = st.source.reconnect_attempts;
  summary["offline_s"] = offline_s;
  summary["events"] = events_by_type;
  summary["wall_s"] = wall_s;
  summary["cpu_s"] = cpu_s;
  // Over the time the source was up: a stream that was down for a while does not lower the rate.
  summary["frames_per_s"] = st.frames_analysed / up_s;
  summary["peak_rss_mib"] = PeakRssKb() / 1024.0;
  summary["stage_ms_per_frame"] = {{"decode", st.frames_decoded ? st.decode_us / 1e3 / st.frames_decoded : 0},
                                   {"detect", st.frames_analysed ? st.detect_us / 1e3 / st.frames_analysed : 0},
                                   {"track", st.frames_analysed ? st.track_us / 1e3 / st.frames_analysed : 0},
                                   {"sinks", st.frames_analysed ? st.sinks_us / 1e3 / st.frames_analysed : 0}};
  summary["complete"] = std::string(end) == "eof";
  if (!run.ok()) summary["error"] = std::string(run.message());
  DIDBAN_RETURN_IF_ERROR(WriteFileAtomically(out / "summary.json", summary.dump(2) + "\n"));
  if (engine != nullptr) {
    DIDBAN_RETURN_IF_ERROR(WriteTextFile((out / "stats.csv").string(), engine->Stats().ToCsv(cam.name)));
    DIDBAN_RETURN_IF_ERROR(WriteTextFile((out / "stats.json").string(), engine->Stats().ToJson().dump(2) + "\n"));
    std::optional<geo::LocalFrame> frame;
    if (site && site->origin) frame.emplace(site->origin->lat, site->origin->lon, site->origin->alt);
    DIDBAN_RETURN_IF_ERROR(WriteTextFile((out / "hotspots.geojson").string(),
                                         engine->Stats().HotspotsGeoJson(frame ? &*frame : nullptr).dump(2) + "\n"));
  }
  if (!run.ok()) return run;
  if (!f.quiet) {
    std::string extra;
    if (std::string(end) != "eof") absl::StrAppend(&extra, ", ", end);
    if (st.frames_dropped > 0) absl::StrAppend(&extra, ", ", st.frames_dropped, " dropped");
    if (st.source.reconnects > 0) {
      absl::StrAppend(&extra, ", ", st.source.reconnects, " reconnects (", absl::StrFormat("%.1f", offline_s),
                      " s offline)");
    }
    std::printf("%s: %lld frames, %lld tracks, %.1f frames/s%s -> %s\n", cam.name.c_str(),
                static_cast<long long>(st.frames_analysed), static_cast<long long>(summary["tracks"].get<int64_t>()),
                summary["frames_per_s"].get<double>(), extra.c_str(), f.out.c_str());
  }
  return absl::OkStatus();
}

void Setup(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<AnalyzeFlags>();
  CLI::App* cmd = root.add_subcommand(
      "analyze", "Detect and track objects in a clip or stream; write tracks, events, a summary and an annotated MP4");
  cmd->add_option("input", flags->input, "Video file, image sequence (frames/%06d.jpg), rtsp:// or http:// URL");
  cmd->add_option("--out", flags->out, "Output folder (created)")->capture_default_str();
  cmd->add_option("--site", flags->site, "Site configuration (YAML): calibration, detector, rules");
  cmd->add_option("--camera", flags->camera, "Camera of the site file to use (and the name written in outputs)");
  cmd->add_option("--detector", flags->detector, "Detector: motion (default), dnn, gated (motion-gated dnn)");
  cmd->add_option("--model", flags->model, "Model file for dnn/gated (.onnx, or Darknet .weights)");
  cmd->add_option("--model-config", flags->model_config, "Darknet .cfg for a .weights model");
  cmd->add_option("--decoder", flags->decoder, "Model output decoder: auto, fastestdet, yolox, darknet");
  cmd->add_option("--classes", flags->classes, "Comma-separated class names to keep (e.g. car,bus,truck,person)");
  cmd->add_option("--score", flags->score, "Minimum detection score in [0, 1]");
  cmd->add_option("--detect-rate", flags->detect_rate, "gated: DNN runs per second at most");
  cmd->add_option("--analysis-width", flags->analysis_width, "Analyse frames downscaled to this width (pixels)");
  cmd->add_option("--tracker", flags->tracker_preset, "Tracker preset: default or bytetrack");
  cmd->add_flag("--no-video", flags->no_video, "Do not write the annotated video");
  cmd->add_option("--max-lag", flags->max_lag_s,
                  "Live input: drop frames only when analysis is more than this many seconds behind the newest frame")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("-q,--quiet", flags->quiet, "No progress bar or final line");
  cmd->callback([flags, exit_code] {
    absl::Status s = RunAnalyze(*flags);
    if (!s.ok()) {
      std::fprintf(stderr, "didban analyze: %s\n", std::string(s.message()).c_str());
      *exit_code = 1;
    }
  });
}

DIDBAN_REGISTER_COMMAND(analyze, Setup);

}  // namespace
}  // namespace didban::app
