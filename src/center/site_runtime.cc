#include "center/site_runtime.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <utility>

#include <spdlog/spdlog.h>
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "center/camera_definition.h"
#include "center/replay_source.h"
#include "core/bounded_queue.h"
#include "core/camera_graph.h"
#include "detect/detectors.h"
#include "fuse/fixed_lag_fuser.h"
#include "geo/ground_projection.h"
#include "record/jpeg.h"
#include "rules/rule_engine.h"
#include "source/backoff.h"
#include "source/source.h"
#include "track/byte_tracker.h"

namespace didban::center {
namespace {

// A file path (or file:// URI, or an image sequence): played by ReplaySource when replay_files is set.
bool IsFileUri(const std::string& uri) {
  return uri.find("://") == std::string::npos || absl::StartsWithIgnoreCase(uri, "file://");
}

}  // namespace

absl::Status RuntimeOptions::Validate() const {
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError("runtime options: " + what); };
  if (!(offline_after_s > 0) || !std::isfinite(offline_after_s)) return bad("offline_after_s must be > 0");
  if (!(tick_s >= 0) || !std::isfinite(tick_s)) return bad("tick_s must be >= 0");
  if (!(state_every_s > 0) || !std::isfinite(state_every_s)) return bad("state_every_s must be > 0");
  if (!(replay_speed > 0) || !std::isfinite(replay_speed)) return bad("replay_speed must be > 0");
  if (!(stats_every_s > 0) || !std::isfinite(stats_every_s)) return bad("stats_every_s must be > 0");
  if (fuser_queue < 1) return bad("fuser_queue must be >= 1");
  if (absl::Status s = restart_backoff.Validate(); !s.ok()) return bad(absl::StrCat("restart_backoff: ", s.message()));
  if (absl::Status s = fuser.Validate(); !s.ok()) return bad(absl::StrCat("fuser: ", s.message()));
  for (const auto& [name, cams] : fusion_groups) {
    if (name.empty()) return bad("a fusion group needs a name");
    if (cams.empty()) return bad(absl::StrCat("fusion group ", name, ": no cameras"));
  }
  return absl::OkStatus();
}

// ---- internal state ----

struct SiteRuntime::Group {
  Group(std::string n, std::vector<std::string> c, bool all, const RuntimeOptions& o,
        std::vector<fuse::BatchCamera> calibrations)
      : name(std::move(n)),
        cameras(std::move(c)),
        all_calibrated(all),
        fuser(fuse::MakeLiveFuser(o.fuser, std::move(calibrations))),
        queue(o.fuser_queue, OverflowPolicy::kDropOldest) {}

  bool Takes(const config::CameraConfig& cam) const {
    if (all_calibrated) return cam.calibration.Calibrated();
    return std::find(cameras.begin(), cameras.end(), cam.name) != cameras.end();
  }

  const std::string name;
  const std::vector<std::string> cameras;  // configured members (empty with all_calibrated)
  const bool all_calibrated;               // the automatic group: every calibrated camera
  std::unique_ptr<fuse::LiveFuser> fuser;  // used by the group's thread only (fusion.mode: fixed_lag or streaming)
  BoundedQueue<fuse::CameraFrame> queue;
  std::thread thread;
  mutable absl::Mutex mu;
  std::shared_ptr<const bus::GroupTracks> latest ABSL_GUARDED_BY(mu);
  fuse::FuserStats stats ABSL_GUARDED_BY(mu);
  int64_t push_errors ABSL_GUARDED_BY(mu) = 0;
};

struct SiteRuntime::Slot {
  config::CameraConfig config;
  nlohmann::json definition;
  bool from_api = false;
  std::vector<Group*> groups;
  std::thread runner;
  std::atomic<bool> stop{false};
  std::atomic<TimeUs> last_frame_steady_us{0};  // on the runtime's clock; 0 = no frame yet
  std::atomic<int64_t> frames_seen{0};          // frames analysed over every graph of the camera

  mutable absl::Mutex mu;
  CameraGraph* graph ABSL_GUARDED_BY(mu) = nullptr;   // the running graph, owned by the runner thread
  FrameSource* source ABSL_GUARDED_BY(mu) = nullptr;  // its source (also while opening), for Interrupt()
  bus::CameraState state ABSL_GUARDED_BY(mu);
  TimeUs health_steady_us ABSL_GUARDED_BY(mu) = 0;    // when the health last changed (or the slot started)
  TimeUs state_published_us ABSL_GUARDED_BY(mu) = 0;  // steady time of the last camera_state message
  int64_t frames_before ABSL_GUARDED_BY(mu) = 0;      // frames analysed by earlier graphs
  int64_t frames_at_change ABSL_GUARDED_BY(mu) = 0;   // frames_seen when the health last changed
  int64_t rate_frames ABSL_GUARDED_BY(mu) = 0;        // frames_seen at rate_since_us
  TimeUs rate_since_us ABSL_GUARDED_BY(mu) = -1;      // steady time the frame rate is measured from (-1: not yet)
  bool ended ABSL_GUARDED_BY(mu) = false;             // a file ended normally: not restarted
  std::shared_ptr<const bus::CameraTracks> latest_tracks ABSL_GUARDED_BY(mu);
  FramePtr latest_frame ABSL_GUARDED_BY(mu);
};

namespace {

// The last sink of every camera graph: hands each analysed frame's tracks to the runtime.
class RuntimeSink final : public FrameSink {
 public:
  explicit RuntimeSink(std::function<void(const FramePtr&, const TrackSnapshot&)> on_frame)
      : on_frame_(std::move(on_frame)) {}
  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* /*events*/) override {
    on_frame_(frame, tracks);
    return absl::OkStatus();
  }

 private:
  std::function<void(const FramePtr&, const TrackSnapshot&)> on_frame_;
};

// After a camera's rule engine: hands the bins of its interval statistics that changed to `on_stats` every
// `every_us` of frame time and at the end of the stream (the dashboard reads them from the store).
class StatsSink final : public FrameSink {
 public:
  StatsSink(const rules::RuleEngine* engine, rules::IntervalStatsOptions options, TimeUs every_us,
            std::function<void(std::vector<store::StatRow>)> on_stats)
      : engine_(engine), options_(options), every_us_(every_us), on_stats_(std::move(on_stats)) {}
  absl::Status Consume(const FramePtr& frame, const TrackSnapshot& /*tracks*/,
                       std::vector<Event>* /*events*/) override {
    if (last_us_ == kNoTime) last_us_ = frame->pts_us;
    if (frame->pts_us - last_us_ >= every_us_ || frame->pts_us < last_us_) {
      last_us_ = frame->pts_us;
      Flush();
    }
    return absl::OkStatus();
  }
  absl::Status Finish() override {
    Flush();
    return absl::OkStatus();
  }

 private:
  static constexpr TimeUs kNoTime = std::numeric_limits<TimeUs>::min();
  // The bins from the last one written before (its late measurements) to the newest.
  void Flush() {
    const std::deque<rules::StatsBin>& bins = engine_->Stats().Bins();
    if (bins.empty()) return;
    std::deque<rules::StatsBin> changed;
    for (const rules::StatsBin& b : bins) {
      if (b.start_us >= written_from_us_) changed.push_back(b);
    }
    written_from_us_ = bins.back().start_us;
    std::vector<store::StatRow> rows = store::StatRowsFromBins(changed, options_, engine_->Camera());
    if (!rows.empty()) on_stats_(std::move(rows));
  }

  const rules::RuleEngine* engine_;
  const rules::IntervalStatsOptions options_;
  const TimeUs every_us_;
  const std::function<void(std::vector<store::StatRow>)> on_stats_;
  TimeUs last_us_ = kNoTime;
  TimeUs written_from_us_ = kNoTime;
};

}  // namespace

// ---- construction ----

SiteRuntime::SiteRuntime(config::SiteConfig site, RuntimeOptions options, bus::Hub* hub, RuntimeHooks hooks)
    : site_(std::move(site)),
      options_(std::move(options)),
      hub_(hub),
      hooks_(std::move(hooks)),
      clock_(options_.clock != nullptr ? options_.clock : &SystemClock()) {
  overlay_path_ = options_.overlay_path.empty() ? DefaultOverlayPath(site_.path) : options_.overlay_path;
}

SiteRuntime::~SiteRuntime() { Stop(); }

absl::StatusOr<std::unique_ptr<SiteRuntime>> SiteRuntime::Create(config::SiteConfig site, RuntimeOptions options,
                                                                 bus::Hub* hub, RuntimeHooks hooks) {
  if (hub == nullptr) return absl::InvalidArgumentError("site runtime: no hub");
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  DIDBAN_RETURN_IF_ERROR(site.Validate());
  std::unique_ptr<SiteRuntime> rt(new SiteRuntime(std::move(site), std::move(options), hub, std::move(hooks)));
  const config::SiteConfig& s = rt->site_;
  const nlohmann::json sources =
      s.sections.is_object() && s.sections.contains("sources") ? s.sections["sources"] : nlohmann::json();
  absl::StatusOr<SourcePolicy> policy =
      SourcePolicy::FromSection(sources, std::filesystem::path(s.path).parent_path().string());
  if (!policy.ok()) return absl::InvalidArgumentError(absl::StrCat(s.path, ": ", policy.status().message()));
  rt->sources_ = *std::move(policy);

  // The cameras: the site file's, less those the overlay removed, with the overlay's added or replaced.
  Overlay overlay;
  if (rt->options_.persist) {
    DIDBAN_ASSIGN_OR_RETURN(overlay, LoadOverlay(rt->overlay_path_));
  }
  struct Entry {
    config::CameraConfig config;
    nlohmann::json definition;
    bool from_api;
  };
  std::map<std::string, Entry> cams;
  for (const config::CameraConfig& c : s.cameras) {
    if (overlay.removed.count(c.name) || overlay.put.count(c.name)) continue;
    cams[c.name] = {c, CameraDefinitionJson(c), false};
  }
  for (const auto& [name, def] : overlay.put) {
    const std::string where = absl::StrCat(rt->overlay_path_, ": put.", name);
    DIDBAN_ASSIGN_OR_RETURN(config::CameraConfig c, ParseCameraDefinition(def, s, where));
    if (c.name != name) return absl::InvalidArgumentError(absl::StrCat(where, ": name is '", c.name, "'"));
    const config::CameraConfig* in_site = s.FindCamera(name);
    if (!def.contains("calibration") && in_site != nullptr) c.calibration = in_site->calibration;
    cams[name] = {std::move(c), def, true};
  }
  for (const auto& [name, e] : cams) DIDBAN_RETURN_IF_ERROR(CheckCamera(e.config));

  // Fusion groups. The fixed-lag fuser gets the calibrations of the group's cameras known now (cameras added later
  // through the API are fused by a restarted runtime).
  auto calibrations = [&](const std::vector<std::string>& members) {
    std::vector<fuse::BatchCamera> out;
    for (const auto& [name, e] : cams) {
      const bool member = members.empty() || std::find(members.begin(), members.end(), name) != members.end();
      if (member && e.config.calibration.Calibrated()) out.push_back({name, e.config.calibration});
    }
    return out;
  };
  if (rt->options_.fusion_groups.empty()) {
    int calibrated = 0;
    for (const auto& [name, e] : cams) calibrated += e.config.calibration.Calibrated() ? 1 : 0;
    if (calibrated >= 2)
      rt->groups_.push_back(
          std::make_unique<Group>("site", std::vector<std::string>{}, true, rt->options_, calibrations({})));
  } else {
    for (const auto& [name, members] : rt->options_.fusion_groups) {
      rt->groups_.push_back(std::make_unique<Group>(name, members, false, rt->options_, calibrations(members)));
    }
  }

  {
    absl::MutexLock api(&rt->api_mu_);
    rt->overlay_ = std::move(overlay);
  }
  absl::MutexLock lock(&rt->mu_);
  for (auto& [name, e] : cams) {
    rt->cameras_[name] = rt->MakeSlot(std::move(e.config), std::move(e.definition), e.from_api);
  }
  return rt;
}

std::shared_ptr<SiteRuntime::Slot> SiteRuntime::MakeSlot(config::CameraConfig camera, nlohmann::json definition,
                                                         bool from_api) {
  auto slot = std::make_shared<Slot>();
  for (const auto& g : groups_) {
    if (g->Takes(camera)) slot->groups.push_back(g.get());
  }
  absl::MutexLock lock(&slot->mu);
  slot->state.camera = camera.name;
  slot->state.graph.camera = camera.name;
  slot->config = std::move(camera);
  slot->definition = std::move(definition);
  slot->from_api = from_api;
  return slot;
}

// ---- start / stop ----

absl::Status SiteRuntime::Start() {
  std::vector<std::shared_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    if (running_) return absl::FailedPreconditionError("site runtime: already started");
    if (stopped_) return absl::FailedPreconditionError("site runtime: stopped; create a new one");
    running_ = true;
    for (const auto& [name, slot] : cameras_) slots.push_back(slot);
  }
  started_us_ = clock_->NowUs();
  for (const auto& g : groups_) {
    Group* group = g.get();
    group->thread = std::thread([this, group] { FuseLoop(group); });
  }
  for (const auto& slot : slots) StartSlot(slot);
  if (options_.tick_s > 0) supervisor_ = std::thread([this] { SuperviseLoop(); });
  spdlog::info("site {}: runtime started with {} cameras, {} fusion groups", site_.name, slots.size(), groups_.size());
  return absl::OkStatus();
}

void SiteRuntime::StartSlot(const std::shared_ptr<Slot>& slot) {
  const TimeUs now = clock_->SteadyUs();
  {
    absl::MutexLock lock(&slot->mu);
    slot->health_steady_us = now;
    slot->state.health = bus::CameraHealth::kStarting;
    slot->state.since_us = clock_->NowUs();
  }
  Slot* raw = slot.get();
  slot->runner = std::thread([this, raw] { RunCamera(raw); });
}

void SiteRuntime::StopSlot(const std::shared_ptr<Slot>& slot) {
  slot->stop.store(true);
  {
    absl::MutexLock lock(&slot->mu);  // also wakes a runner waiting out its backoff
    if (slot->source != nullptr) slot->source->Interrupt();
    if (slot->graph != nullptr) slot->graph->Stop();
  }
  if (slot->runner.joinable()) slot->runner.join();
  bus::CameraState st;
  {
    absl::MutexLock lock(&slot->mu);
    slot->state.health = bus::CameraHealth::kStopped;
    slot->state.since_us = clock_->NowUs();
    st = slot->state;
  }
  hub_->Publish(std::move(st));
}

void SiteRuntime::Stop() {
  std::vector<std::shared_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    if (!running_) return;
    running_ = false;
    for (const auto& [name, slot] : cameras_) slots.push_back(slot);
  }
  {
    absl::MutexLock lock(&supervisor_mu_);
    supervisor_stop_ = true;
    supervisor_wake_.SignalAll();
  }
  if (supervisor_.joinable()) supervisor_.join();
  // Ask every camera at once, then wait for each (graphs finish their sinks: files closed).
  for (const auto& slot : slots) {
    slot->stop.store(true);
    absl::MutexLock lock(&slot->mu);
    if (slot->source != nullptr) slot->source->Interrupt();
    if (slot->graph != nullptr) slot->graph->Stop();
  }
  for (const auto& slot : slots) StopSlot(slot);
  for (const auto& g : groups_) {
    g->queue.Close();
    if (g->thread.joinable()) g->thread.join();
  }
  spdlog::info("site {}: runtime stopped", site_.name);
}

bool SiteRuntime::Running() const {
  absl::MutexLock lock(&mu_);
  return running_;
}

// ---- one camera ----

void SiteRuntime::RunCamera(Slot* slot) {
  source::Backoff backoff(options_.restart_backoff);
  while (!slot->stop.load()) {
    int64_t frames_before = 0;
    {
      absl::MutexLock lock(&slot->mu);
      frames_before = slot->frames_before;
    }
    absl::Status run = RunGraphOnce(slot);
    if (slot->stop.load()) break;
    int64_t frames_after = 0;
    {
      absl::MutexLock lock(&slot->mu);
      if (slot->ended) break;  // a file that ended normally is not restarted
      frames_after = slot->frames_before;
    }
    if (frames_after > frames_before) backoff.Reset();
    const TimeUs delay = backoff.NextDelayUs();
    spdlog::warn("camera {}: {}; restarting in {:.1f} s", slot->config.name, std::string(run.message()),
                 UsToSeconds(delay));
    absl::MutexLock lock(&slot->mu);
    auto stopping = [slot] { return slot->stop.load(); };
    slot->mu.AwaitWithTimeout(absl::Condition(&stopping), absl::Microseconds(delay));
  }
}

absl::Status SiteRuntime::RunGraphOnce(Slot* slot) {
  const config::CameraConfig& cam = slot->config;
  auto fail = [slot](absl::Status s) {
    absl::MutexLock lock(&slot->mu);
    slot->source = nullptr;
    slot->state.last_error = std::string(s.message());
    return s;
  };
  source::SourceOptions so;
  so.camera = cam.name;
  so.max_width = cam.analysis_width;
  so.keep_full = false;  // analysis and snapshots use the analysed image; recording copies packets
  if (options_.packet_sink) so.packet_sink = options_.packet_sink(cam.name);
  std::unique_ptr<FrameSource> src;
  if (options_.replay_files && IsFileUri(cam.uri)) {
    ReplayOptions ro;
    ro.loop = options_.loop_files;
    ro.speed = options_.replay_speed;
    ro.clock = options_.source_clock;
    src = std::make_unique<ReplaySource>(cam.uri, so, ro);
  } else {
    absl::StatusOr<std::unique_ptr<FrameSource>> made = source::OpenSource(cam.uri, so);
    if (!made.ok()) return fail(made.status());
    src = std::move(*made);
  }
  {
    absl::MutexLock lock(&slot->mu);
    if (slot->stop.load()) return absl::CancelledError("stopped");
    slot->source = src.get();
  }
  if (absl::Status open = src->Open(); !open.ok()) return fail(open);
  const bool live = src->Info().live;
  const double fps = cam.fps > 0 ? cam.fps : (src->Info().fps > 0 ? src->Info().fps : 25);

  absl::StatusOr<std::unique_ptr<Detector>> detector = MakeDetector(cam);
  if (!detector.ok()) return fail(detector.status());
  absl::StatusOr<track::ByteTrackerOptions> topt = track::ByteTrackerOptions::FromJson(cam.tracker, fps);
  if (!topt.ok()) return fail(topt.status());
  std::vector<std::unique_ptr<FrameSink>> sinks;
  if (!cam.rules.empty()) {
    absl::StatusOr<std::unique_ptr<rules::RuleEngine>> engine = rules::RuleEngine::FromCamera(cam);
    if (!engine.ok()) return fail(engine.status());
    const rules::RuleEngine* engine_ptr = engine->get();
    sinks.push_back(std::move(*engine));
    if (hooks_.on_stats)
      sinks.push_back(std::make_unique<StatsSink>(engine_ptr, rules::RuleEngineOptions{}.stats,
                                                  static_cast<TimeUs>(options_.stats_every_s * kUsPerSecond),
                                                  hooks_.on_stats));
  }
  sinks.push_back(std::make_unique<RuntimeSink>(
      [this, slot](const FramePtr& frame, const TrackSnapshot& tracks) { OnFrame(slot, frame, tracks); }));

  CameraGraphOptions go;
  go.source_opened = true;
  if (options_.graph_queue > 0) go.queue_capacity = options_.graph_queue;
  go.on_event = [this](const Event& e) { EmitEvent(e); };
  auto graph = std::make_unique<CameraGraph>(cam.name, std::move(src), std::move(*detector),
                                             std::make_unique<track::ByteTracker>(*topt), std::move(sinks), go);
  {
    absl::MutexLock lock(&slot->mu);
    slot->source = nullptr;  // the graph owns it now; graph->Stop() interrupts it
    if (slot->stop.load()) return absl::CancelledError("stopped");
    slot->graph = graph.get();
    ++slot->state.starts;
  }
  absl::Status run = graph->Start();
  if (run.ok()) run = graph->Wait();
  CameraStatus final_status = graph->Status();
  {
    absl::MutexLock lock(&slot->mu);
    slot->graph = nullptr;
    slot->frames_before += final_status.frames_analysed;
    slot->state.graph = final_status;
    slot->state.frames_total = slot->frames_before;
    if (!run.ok()) {
      slot->state.last_error = std::string(run.message());
    } else if (!slot->stop.load()) {
      if (!live) slot->ended = true;
      slot->state.last_error = "input ended";
      run = absl::OutOfRangeError(absl::StrCat(cam.uri, ": input ended"));
    }
  }
  graph.reset();  // threads are joined; sinks finished
  return run;
}

// ---- outputs ----

void SiteRuntime::EmitEvent(const Event& e) {
  hub_->Publish(e);
  if (hooks_.on_event) hooks_.on_event(e);
}

void SiteRuntime::OnFrame(Slot* slot, const FramePtr& frame, const TrackSnapshot& tracks) {
  const config::CameraConfig& cam = slot->config;
  const double scale = frame->scale > 0 ? frame->scale : 1.0;
  const auto to_full = static_cast<float>(1.0 / scale);
  bus::CameraTracks ct;
  ct.camera = cam.name;
  ct.pts_us = frame->pts_us;
  ct.frame_index = frame->index;
  ct.width = static_cast<int>(std::lround(frame->image.cols / scale));
  ct.height = static_cast<int>(std::lround(frame->image.rows / scale));
  ct.tracks.reserve(tracks.tracks.size());
  fuse::CameraFrame cf;
  cf.camera = cam.name;
  cf.time = frame->pts_us;
  const bool calibrated = cam.calibration.Calibrated();
  for (const Track& t : tracks.tracks) {
    bus::TrackView v;
    v.id = t.id;
    v.object_class = t.object_class;
    v.state = t.state;
    v.score = t.score;
    v.box = t.box.Scaled(to_full);
    v.vx = t.vx * to_full;
    v.vy = t.vy * to_full;
    if (calibrated) {
      std::optional<geo::GroundPoint> g = geo::ProjectBoxToGround(cam.calibration, v.box);
      if (g) {
        v.ground = g->position;
        if (t.state == TrackState::kConfirmed) cf.observations.push_back({t.id, *g, v.box});
      }
    }
    ct.tracks.push_back(v);
  }
  for (Group* g : slot->groups) g->queue.Push(cf);
  if (hooks_.on_tracks) hooks_.on_tracks(ct);
  auto shared = std::make_shared<const bus::CameraTracks>(std::move(ct));
  bus::Message m;
  m.topic = bus::Topic::kTracks;
  m.camera = cam.name;
  m.payload = shared;
  hub_->Publish(std::move(m));
  {
    absl::MutexLock lock(&slot->mu);
    slot->latest_tracks = std::move(shared);
    slot->latest_frame = frame;
    slot->state.last_frame_us = clock_->NowUs();
  }
  slot->last_frame_steady_us.store(clock_->SteadyUs());
  slot->frames_seen.fetch_add(1);
}

void SiteRuntime::FuseLoop(Group* group) {
  while (std::optional<fuse::CameraFrame> f = group->queue.Pop()) {
    absl::Status pushed = group->fuser->PushFrame(*f);
    if (!pushed.ok()) {
      absl::MutexLock lock(&group->mu);
      ++group->push_errors;
      continue;
    }
    for (fuse::FusedStep& step : group->fuser->Poll()) {
      bus::GroupTracks gt{group->name, std::move(step)};
      if (hooks_.on_fused) hooks_.on_fused(gt);
      auto shared = std::make_shared<const bus::GroupTracks>(std::move(gt));
      bus::Message m;
      m.topic = bus::Topic::kFusedTracks;
      m.camera = group->name;
      m.payload = shared;
      hub_->Publish(std::move(m));
      absl::MutexLock lock(&group->mu);
      group->latest = std::move(shared);
    }
    absl::MutexLock lock(&group->mu);
    group->stats = group->fuser->Stats();
  }
}

// ---- supervision ----

void SiteRuntime::SuperviseLoop() {
  absl::MutexLock lock(&supervisor_mu_);
  while (!supervisor_stop_) {
    supervisor_mu_.Unlock();
    Tick();
    supervisor_mu_.Lock();
    supervisor_wake_.WaitWithTimeout(&supervisor_mu_, absl::Microseconds(SecondsToUs(options_.tick_s)));
  }
}

void SiteRuntime::TickForTest() { Tick(); }

void SiteRuntime::Tick() {
  std::vector<std::shared_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    for (const auto& [name, slot] : cameras_) slots.push_back(slot);
  }
  const TimeUs now = clock_->SteadyUs();
  const TimeUs offline_after = SecondsToUs(options_.offline_after_s);
  const TimeUs state_every = SecondsToUs(options_.state_every_s);
  std::vector<Event> events;
  std::vector<bus::CameraState> states;
  for (const auto& slot : slots) {
    const TimeUs last = slot->last_frame_steady_us.load();
    const int64_t seen = slot->frames_seen.load();
    absl::MutexLock lock(&slot->mu);
    bus::CameraState& st = slot->state;
    if (st.health == bus::CameraHealth::kStopped) continue;
    if (slot->graph != nullptr) {
      st.graph = slot->graph->Status();
      st.frames_total = slot->frames_before + st.graph.frames_analysed;
    }
    if (slot->rate_since_us < 0) {
      slot->rate_since_us = now;
      slot->rate_frames = seen;
    } else if (now - slot->rate_since_us >= kUsPerSecond) {
      st.frames_per_second = static_cast<double>(seen - slot->rate_frames) / UsToSeconds(now - slot->rate_since_us);
      slot->rate_since_us = now;
      slot->rate_frames = seen;
    }
    const bus::CameraHealth before = st.health;
    auto change = [&](bus::CameraHealth to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(slot->mu) {
      st.health = to;
      st.since_us = clock_->NowUs();
      slot->health_steady_us = now;
      slot->frames_at_change = seen;
    };
    if (before == bus::CameraHealth::kOffline) {
      if (seen > slot->frames_at_change) {
        change(bus::CameraHealth::kOnline);
        Event e;
        e.time_us = clock_->NowUs();
        e.camera = st.camera;
        e.type = "camera_online";
        e.detail = "frames arrive again";
        events.push_back(std::move(e));
      }
    } else {
      // Silent since its last frame, or since it started (or came back) when it had none since.
      const TimeUs ref =
          seen > slot->frames_at_change ? std::max(last, slot->health_steady_us) : slot->health_steady_us;
      if (now - ref >= offline_after) {
        change(bus::CameraHealth::kOffline);
        Event e;
        e.time_us = clock_->NowUs();
        e.camera = st.camera;
        e.type = "camera_offline";
        e.value = UsToSeconds(now - ref);
        e.unit = "s";
        e.detail = absl::StrFormat("no frame for %.1f s", UsToSeconds(now - ref));
        if (!st.last_error.empty()) absl::StrAppend(&e.detail, ": ", st.last_error);
        events.push_back(std::move(e));
      } else if (before == bus::CameraHealth::kStarting && seen > slot->frames_at_change) {
        change(bus::CameraHealth::kOnline);
      }
    }
    if (st.health != before || slot->state_published_us == 0 || now - slot->state_published_us >= state_every) {
      slot->state_published_us = now;
      states.push_back(st);
    }
  }
  for (const Event& e : events) {
    spdlog::warn("camera {}: {} ({})", e.camera, e.type, e.detail);
    EmitEvent(e);
  }
  for (bus::CameraState& s : states) hub_->Publish(std::move(s));
}

// ---- readers ----

CameraEntry SiteRuntime::EntryOf(const Slot& slot) const {
  CameraEntry e;
  e.name = slot.config.name;
  e.definition = slot.definition;
  e.from_api = slot.from_api;
  e.calibrated = slot.config.calibration.Calibrated();
  for (const Group* g : slot.groups) e.groups.push_back(g->name);
  absl::MutexLock lock(&slot.mu);
  e.state = slot.state;
  if (slot.graph != nullptr) {
    e.state.graph = slot.graph->Status();
    e.state.frames_total = slot.frames_before + e.state.graph.frames_analysed;
  }
  return e;
}

std::vector<CameraEntry> SiteRuntime::Cameras() const {
  std::vector<std::shared_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, slot] : cameras_) slots.push_back(slot);
  }
  std::vector<CameraEntry> out;
  out.reserve(slots.size());
  for (const auto& s : slots) out.push_back(EntryOf(*s));
  return out;
}

absl::StatusOr<CameraEntry> SiteRuntime::Camera(const std::string& name) const {
  std::shared_ptr<Slot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = cameras_.find(name);
    if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", name, "'"));
    slot = it->second;
  }
  return EntryOf(*slot);
}

absl::StatusOr<config::CameraConfig> SiteRuntime::CameraConfigOf(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(name);
  if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", name, "'"));
  return it->second->config;
}

absl::StatusOr<std::shared_ptr<const bus::CameraTracks>> SiteRuntime::LatestTracks(const std::string& camera) const {
  std::shared_ptr<Slot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = cameras_.find(camera);
    if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", camera, "'"));
    slot = it->second;
  }
  absl::MutexLock lock(&slot->mu);
  return slot->latest_tracks;
}

absl::StatusOr<FramePtr> SiteRuntime::LatestFrame(const std::string& camera) const {
  absl::MutexLock lock(&mu_);
  auto it = cameras_.find(camera);
  if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", camera, "'"));
  absl::MutexLock slot_lock(&it->second->mu);
  return it->second->latest_frame;
}

absl::StatusOr<std::string> SiteRuntime::SnapshotJpeg(const std::string& camera, int quality) const {
  FramePtr frame;
  {
    absl::MutexLock lock(&mu_);
    auto it = cameras_.find(camera);
    if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", camera, "'"));
    absl::MutexLock slot_lock(&it->second->mu);
    frame = it->second->latest_frame;
  }
  if (frame == nullptr) return absl::UnavailableError(absl::StrCat("camera ", camera, ": no frame analysed yet"));
  const cv::Mat& image = frame->full.empty() ? frame->image : frame->full;
  absl::StatusOr<std::string> jpeg = record::EncodeJpeg(image, quality);
  if (!jpeg.ok()) return absl::InternalError(absl::StrCat("camera ", camera, ": ", jpeg.status().message()));
  return jpeg;
}

std::vector<bus::GroupTracks> SiteRuntime::FusedTracks() const {
  std::vector<bus::GroupTracks> out;
  for (const auto& g : groups_) {
    absl::MutexLock lock(&g->mu);
    if (g->latest) out.push_back(*g->latest);
  }
  return out;
}

std::vector<FusionGroupStatus> SiteRuntime::FusionGroups() const {
  std::vector<FusionGroupStatus> out;
  std::vector<std::shared_ptr<Slot>> slots;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, slot] : cameras_) slots.push_back(slot);
  }
  for (const auto& g : groups_) {
    FusionGroupStatus s;
    s.name = g->name;
    for (const auto& slot : slots) {
      if (std::find(slot->groups.begin(), slot->groups.end(), g.get()) != slot->groups.end()) {
        s.cameras.push_back(slot->config.name);
      }
    }
    s.frames_dropped = g->queue.Dropped();
    absl::MutexLock lock(&g->mu);
    s.stats = g->stats;
    s.push_errors = g->push_errors;
    out.push_back(std::move(s));
  }
  return out;
}

// ---- API changes ----

absl::StatusOr<config::CameraConfig> SiteRuntime::CheckDefinition(const nlohmann::json& definition,
                                                                  const config::CameraConfig* previous) const {
  DIDBAN_ASSIGN_OR_RETURN(config::CameraConfig cam, ParseCameraDefinition(definition, site_));
  if (previous != nullptr && !definition.contains("calibration")) cam.calibration = previous->calibration;
  absl::Status check = CheckCamera(cam);
  if (!check.ok()) return absl::InvalidArgumentError(std::string(check.message()));
  // A new source is one the site allows; a camera that keeps its URI keeps it (site-file cameras are trusted).
  if (previous == nullptr || cam.uri != previous->uri) DIDBAN_RETURN_IF_ERROR(sources_.Check(cam.uri));
  return cam;
}

absl::Status SiteRuntime::Persist(const std::function<void(Overlay*)>& change) {
  Overlay next = overlay_;
  change(&next);
  if (options_.persist) DIDBAN_RETURN_IF_ERROR(SaveOverlay(overlay_path_, next));
  overlay_ = std::move(next);
  return absl::OkStatus();
}

absl::StatusOr<CameraEntry> SiteRuntime::AddCamera(const nlohmann::json& definition) {
  absl::MutexLock api(&api_mu_);
  DIDBAN_ASSIGN_OR_RETURN(config::CameraConfig cam, CheckDefinition(definition, nullptr));
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::FailedPreconditionError("site runtime: stopped");
    if (cameras_.count(cam.name)) {
      return absl::AlreadyExistsError(absl::StrCat("camera.name: a camera named '", cam.name, "' exists"));
    }
  }
  const std::string name = cam.name;
  DIDBAN_RETURN_IF_ERROR(Persist([&](Overlay* o) { o->put[name] = definition; }));
  std::shared_ptr<Slot> slot = MakeSlot(std::move(cam), definition, true);
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    cameras_[name] = slot;
    start = running_;
  }
  if (start) StartSlot(slot);
  spdlog::info("camera {}: added", name);
  return EntryOf(*slot);
}

absl::StatusOr<CameraEntry> SiteRuntime::UpdateCamera(const std::string& name, const nlohmann::json& definition) {
  absl::MutexLock api(&api_mu_);
  std::shared_ptr<Slot> old;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::FailedPreconditionError("site runtime: stopped");
    auto it = cameras_.find(name);
    if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", name, "'"));
    old = it->second;
  }
  nlohmann::json def = definition;
  if (!def.is_object()) return absl::InvalidArgumentError("camera: expected a JSON object");
  if (!def.contains("name")) def["name"] = name;
  if (def["name"] != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("camera.name: '", def["name"].is_string() ? def["name"].get<std::string>() : def["name"].dump(),
                     "' does not match the camera '", name, "' (remove it and add the new one to rename)"));
  }
  DIDBAN_ASSIGN_OR_RETURN(config::CameraConfig cam, CheckDefinition(def, &old->config));
  // Keep the camera's calibration definition (from the API or the site file) when the update leaves it out, so the
  // listing keeps showing it and a restart restores it.
  if (!def.contains("calibration") && old->definition.contains("calibration")) {
    def["calibration"] = old->definition["calibration"];
  }
  DIDBAN_RETURN_IF_ERROR(Persist([&](Overlay* o) { o->put[name] = def; }));
  std::shared_ptr<Slot> slot = MakeSlot(std::move(cam), def, true);
  bool start = false;
  {
    absl::MutexLock lock(&mu_);
    cameras_[name] = slot;
    start = running_;
  }
  StopSlot(old);
  if (start) StartSlot(slot);
  spdlog::info("camera {}: replaced", name);
  return EntryOf(*slot);
}

absl::Status SiteRuntime::RemoveCamera(const std::string& name) {
  absl::MutexLock api(&api_mu_);
  std::shared_ptr<Slot> old;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::FailedPreconditionError("site runtime: stopped");
    auto it = cameras_.find(name);
    if (it == cameras_.end()) return absl::NotFoundError(absl::StrCat("no camera named '", name, "'"));
    old = it->second;
  }
  const bool in_site = site_.FindCamera(name) != nullptr;
  DIDBAN_RETURN_IF_ERROR(Persist([&](Overlay* o) {
    o->put.erase(name);
    if (in_site) o->removed.insert(name);
  }));
  {
    absl::MutexLock lock(&mu_);
    cameras_.erase(name);
  }
  StopSlot(old);
  spdlog::info("camera {}: removed", name);
  return absl::OkStatus();
}

}  // namespace didban::center
