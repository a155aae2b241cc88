#include "center/site_runtime.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "testing/data.h"

namespace didban::center {
namespace {

constexpr char kHighway[] = "video_fixed/bgslibrary_video02.avi";  // 320x240, 25 frames/s, 30 s of traffic

// The highway camera of examples/bgslibrary_video02.yaml: a calibrated view with a counting line.
std::string HighwayCamera(const std::string& name, const std::string& uri, bool rules) {
  std::string cam = "  - name: " + name + "\n    uri: " + uri + R"(
    detector: {type: motion, model: mog2, warmup_s: 1.0, merge_gap_px: 0, split_ratio: 2.5, split_min_px: 10}
    calibration:
      homography:
        image: [[20, 235], [235, 235], [210, 60], [280, 60]]
        ground: [[0, 0], [7, 0], [0, 60], [7, 60]]
)";
  if (rules) cam += "    rules:\n      - {type: line, name: away-line, points: [[95, 150], [300, 150]]}\n";
  return cam;
}

absl::StatusOr<config::SiteConfig> WriteSite(const std::string& dir, const std::string& cameras,
                                             const std::string& sections = "") {
  std::string path = dir + "/site.yaml";
  std::ofstream(path) << "site:\n  name: test\n" << sections << "cameras:\n" << cameras;
  return config::LoadSiteConfig(path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls `done` every 20 ms for up to `seconds` of real time.
template <typename F>
bool WaitFor(F done, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// Every message of a topic that a subscription has received so far (drained into `seen`).
struct Collector {
  std::unique_ptr<bus::Subscription> sub;
  std::vector<bus::Message> seen;
  void Drain() { sub->Drain(&seen); }
  std::vector<Event> Events(const std::string& type) {
    Drain();
    std::vector<Event> out;
    for (const bus::Message& m : seen) {
      if (m.event() != nullptr && m.event()->type == type) out.push_back(*m.event());
    }
    return out;
  }
  int Tracks(const std::string& camera) {
    Drain();
    int n = 0;
    for (const bus::Message& m : seen) n += m.tracks() != nullptr && m.camera == camera ? 1 : 0;
    return n;
  }
};

Collector Subscribe(bus::Hub& hub) {
  bus::SubscriberOptions o;
  o.name = "test";
  o.capacity = 100000;
  auto sub = hub.Subscribe(o);
  EXPECT_TRUE(sub.ok());
  return Collector{std::move(*sub), {}};
}

int64_t FramesOf(const SiteRuntime& rt, const std::string& camera) {
  absl::StatusOr<CameraEntry> e = rt.Camera(camera);
  return e.ok() ? e->state.frames_total : -1;
}

// A site of one good camera (real video played live) and one whose file is missing at first: the good one keeps
// analysing, the missing one is reported offline after exactly the offline delay of the injected clock, and online
// again once its file appears (the runtime retries it with backoff). Camera changes go through the API.
TEST(SiteRuntimeTest, FailingCameraGoesOfflineWhileTheOtherRunsAndComesBack) {
  DIDBAN_REQUIRE_DATA(video, kHighway);
  const std::string dir = testing::MakeTempDir("runtime");
  const std::string late = dir + "/late.avi";
  absl::StatusOr<config::SiteConfig> site =
      WriteSite(dir, HighwayCamera("highway", video, true) + "  - name: late\n    uri: " + late + "\n");
  ASSERT_TRUE(site.ok()) << site.status();

  bus::Hub hub;
  Collector all = Subscribe(hub);
  // A subscriber that never reads is cut off; analysis does not wait for it.
  bus::SubscriberOptions stalled_options;
  stalled_options.name = "stalled";
  stalled_options.capacity = 8;
  auto stalled = hub.Subscribe(stalled_options);
  ASSERT_TRUE(stalled.ok());

  FakeClock clock(1'700'000'000'000'000);
  RuntimeOptions ro;
  ro.clock = &clock;  // supervision time; the video plays on the real clock
  ro.tick_s = 0;      // the test ticks
  ro.replay_speed = 2;
  ro.restart_backoff.initial_us = 100'000;
  ro.restart_backoff.max_us = 200'000;
  std::vector<Event> hooked;
  absl::Mutex hooked_mu;
  RuntimeHooks hooks;
  hooks.on_event = [&](const Event& e) {
    absl::MutexLock lock(&hooked_mu);
    hooked.push_back(e);
  };
  absl::StatusOr<std::unique_ptr<SiteRuntime>> made = SiteRuntime::Create(*site, ro, &hub, hooks);
  ASSERT_TRUE(made.ok()) << made.status();
  SiteRuntime& rt = **made;
  ASSERT_EQ(rt.Cameras().size(), 2u);
  EXPECT_TRUE(rt.Cameras()[0].calibrated);
  ASSERT_TRUE(rt.Start().ok());

  // The highway camera's frames, tracks and line crossings arrive on the hub.
  ASSERT_TRUE(WaitFor([&] { return !all.Events("line_cross").empty(); }, 30)) << "no line_cross event";
  Event cross = all.Events("line_cross")[0];
  EXPECT_EQ(cross.camera, "highway");
  EXPECT_EQ(cross.rule, "away-line");
  EXPECT_GT(cross.time_us, 1'000'000'000'000'000);  // wall-clock frame times
  EXPECT_GT(all.Tracks("highway"), 10);
  EXPECT_TRUE((*stalled)->CutOff());
  EXPECT_EQ(hub.Stats().cut_off_total, 1);
  absl::StatusOr<std::shared_ptr<const bus::CameraTracks>> tracks = rt.LatestTracks("highway");
  ASSERT_TRUE(tracks.ok() && *tracks != nullptr);
  EXPECT_EQ((*tracks)->width, 320);
  absl::StatusOr<std::string> jpeg = rt.SnapshotJpeg("highway");
  ASSERT_TRUE(jpeg.ok()) << jpeg.status();
  EXPECT_EQ(jpeg->substr(0, 2), "\xff\xd8");
  EXPECT_EQ(rt.SnapshotJpeg("late").status().code(), absl::StatusCode::kUnavailable);

  // Nothing is offline before the delay.
  rt.TickForTest();
  EXPECT_EQ(rt.Camera("highway")->state.health, bus::CameraHealth::kOnline);
  EXPECT_EQ(rt.Camera("late")->state.health, bus::CameraHealth::kStarting);
  clock.AdvanceUs(9'999'999);
  rt.TickForTest();
  EXPECT_TRUE(all.Events("camera_offline").empty());
  // At 10 s: only the silent camera goes offline (the highway analyses a frame after the clock moved).
  clock.AdvanceUs(1);
  const int64_t frames = FramesOf(rt, "highway");
  ASSERT_TRUE(WaitFor([&] { return FramesOf(rt, "highway") > frames + 1; }, 10));
  rt.TickForTest();
  std::vector<Event> offline = all.Events("camera_offline");
  ASSERT_EQ(offline.size(), 1u);
  EXPECT_EQ(offline[0].camera, "late");
  EXPECT_EQ(offline[0].time_us, clock.NowUs());
  EXPECT_EQ(offline[0].value, 10.0);
  EXPECT_EQ(offline[0].detail.rfind("no frame for 10.0 s: ", 0), 0u) << offline[0].detail;
  EXPECT_NE(offline[0].detail.find("late.avi"), std::string::npos) << offline[0].detail;
  CameraEntry late_entry = *rt.Camera("late");
  EXPECT_EQ(late_entry.state.health, bus::CameraHealth::kOffline);
  EXPECT_EQ(late_entry.state.frames_total, 0);
  EXPECT_EQ(rt.Camera("highway")->state.health, bus::CameraHealth::kOnline);
  rt.TickForTest();
  EXPECT_EQ(all.Events("camera_offline").size(), 1u);  // raised once

  // The file appears: the runtime's next retry opens it and the camera is online again.
  std::filesystem::create_symlink(video, late);
  ASSERT_TRUE(WaitFor([&] { return FramesOf(rt, "late") > 0; }, 10));
  rt.TickForTest();
  std::vector<Event> online = all.Events("camera_online");
  ASSERT_EQ(online.size(), 1u);
  EXPECT_EQ(online[0].camera, "late");
  EXPECT_EQ(rt.Camera("late")->state.health, bus::CameraHealth::kOnline);
  EXPECT_GE(rt.Camera("late")->state.starts, 1);

  // Every event also reached the hook (the store's entry point).
  {
    absl::MutexLock lock(&hooked_mu);
    int offline_hooked = 0;
    for (const Event& e : hooked) offline_hooked += e.type == "camera_offline" ? 1 : 0;
    EXPECT_EQ(offline_hooked, 1);
  }
  rt.Stop();
  EXPECT_EQ(rt.Camera("highway")->state.health, bus::CameraHealth::kStopped);
}

TEST(SiteRuntimeTest, CameraChangesAreCheckedFirstAndSurviveARestart) {
  DIDBAN_REQUIRE_DATA(video, kHighway);
  const std::string dir = testing::MakeTempDir("runtime-api");
  // Cameras added through the API may play files only from the test material's folder (`sources:`).
  const std::string material = std::filesystem::weakly_canonical(std::filesystem::path(video).parent_path());
  absl::StatusOr<config::SiteConfig> site =
      WriteSite(dir, HighwayCamera("highway", video, true) + "  - name: spare\n    uri: " + video + "\n",
                "sources:\n  file_roots: [" + material + "]\n");
  ASSERT_TRUE(site.ok()) << site.status();
  const std::string overlay = dir + "/site.runtime.json";
  bus::Hub hub;
  Collector all = Subscribe(hub);
  RuntimeOptions ro;
  ro.tick_s = 0.05;
  ro.replay_speed = 2;
  absl::StatusOr<std::unique_ptr<SiteRuntime>> made = SiteRuntime::Create(*site, ro, &hub);
  ASSERT_TRUE(made.ok()) << made.status();
  SiteRuntime& rt = **made;
  ASSERT_TRUE(rt.Start().ok());

  // Refused changes name the field and change nothing (no overlay file is written).
  auto code_and_message = [](const absl::Status& s) {
    return absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message());
  };
  EXPECT_EQ(
      code_and_message(rt.AddCamera({{"name", "gate"}, {"uri", video}, {"detector", {{"type", "nope"}}}}).status()),
      "INVALID_ARGUMENT: camera.detector: unknown detector 'nope' (known: dnn, gated, motion)");
  EXPECT_EQ(code_and_message(rt.AddCamera({{"name", "gate"}, {"uri", "/etc/passwd"}}).status()),
            "INVALID_ARGUMENT: camera.uri: '/etc/passwd' is outside the folders the site allows (sources.file_roots: " +
                material + ")");
  EXPECT_EQ(code_and_message(rt.AddCamera({{"name", "highway"}, {"uri", video}}).status()),
            "ALREADY_EXISTS: camera.name: a camera named 'highway' exists");
  EXPECT_EQ(code_and_message(rt.UpdateCamera("nope", {{"uri", video}}).status()), "NOT_FOUND: no camera named 'nope'");
  EXPECT_EQ(code_and_message(rt.UpdateCamera("spare", {{"name", "other"}, {"uri", video}}).status()),
            "INVALID_ARGUMENT: camera.name: 'other' does not match the camera 'spare' (remove it and add the new one "
            "to rename)");
  EXPECT_EQ(code_and_message(rt.UpdateCamera("spare", {{"uri", video}, {"fps", "fast"}}).status()),
            "INVALID_ARGUMENT: camera.fps: expected a number, got 'fast'");
  EXPECT_EQ(code_and_message(rt.RemoveCamera("nope")), "NOT_FOUND: no camera named 'nope'");
  EXPECT_FALSE(std::filesystem::exists(overlay));
  ASSERT_EQ(rt.Cameras().size(), 2u);

  // Add a camera, replace one, remove one; the others keep running.
  ASSERT_TRUE(WaitFor([&] { return all.Tracks("highway") > 5; }, 20));
  EXPECT_EQ(rt.Camera("highway")->state.starts, 1);
  absl::StatusOr<CameraEntry> gate = rt.AddCamera({{"name", "gate"}, {"uri", video}});
  ASSERT_TRUE(gate.ok()) << gate.status();
  EXPECT_TRUE(gate->from_api);
  absl::StatusOr<CameraEntry> spare = rt.UpdateCamera("spare", {{"uri", video}, {"analysis_width", 160}});
  ASSERT_TRUE(spare.ok()) << spare.status();
  EXPECT_EQ(spare->definition["analysis_width"], 160);
  ASSERT_TRUE(WaitFor([&] { return all.Tracks("gate") > 5 && all.Tracks("spare") > 5; }, 20));
  absl::StatusOr<std::shared_ptr<const bus::CameraTracks>> spare_tracks = rt.LatestTracks("spare");
  ASSERT_TRUE(spare_tracks.ok() && *spare_tracks != nullptr);
  EXPECT_EQ((*spare_tracks)->width, 320);  // full-resolution pixels although analysed at 160
  // The highway camera was not touched: same graph, still analysing.
  const int highway_tracks = all.Tracks("highway");
  EXPECT_EQ(rt.Camera("highway")->state.starts, 1);
  EXPECT_TRUE(WaitFor([&] { return all.Tracks("highway") > highway_tracks + 5; }, 20));
  ASSERT_TRUE(rt.RemoveCamera("highway").ok());
  EXPECT_EQ(rt.Camera("highway").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(rt.Camera("gate")->state.starts, 1);
  nlohmann::json saved = nlohmann::json::parse(ReadFile(overlay));
  EXPECT_EQ(saved["removed"], nlohmann::json::array({"highway"}));
  EXPECT_EQ(saved["put"]["gate"]["uri"], video);
  EXPECT_EQ(saved["put"]["spare"]["analysis_width"], 160);
  rt.Stop();
  EXPECT_EQ(rt.AddCamera({{"name", "late"}, {"uri", video}}).status().code(), absl::StatusCode::kFailedPrecondition);

  // A new runtime over the same site file has the changes.
  absl::StatusOr<std::unique_ptr<SiteRuntime>> again = SiteRuntime::Create(*site, ro, &hub);
  ASSERT_TRUE(again.ok()) << again.status();
  std::vector<CameraEntry> cams = (*again)->Cameras();
  ASSERT_EQ(cams.size(), 2u);
  EXPECT_EQ(cams[0].name, "gate");
  EXPECT_TRUE(cams[0].from_api);
  EXPECT_EQ(cams[1].name, "spare");
  EXPECT_EQ(cams[1].definition["analysis_width"], 160);

  // A broken overlay stops the start with its path named.
  std::ofstream(overlay) << R"({"version": 1, "put": {"x": {"name": "x"}}})";
  EXPECT_EQ(SiteRuntime::Create(*site, ro, &hub).status().message(), overlay + ": put.x: camera.uri: missing");
}

// Two calibrated cameras over the same road: the site's fusion group fuses their ground tracks into global tracks
// seen by both.
TEST(SiteRuntimeTest, FusesOverlappingCamerasOnTheGround) {
  DIDBAN_REQUIRE_DATA(video, kHighway);
  const std::string dir = testing::MakeTempDir("runtime-fuse");
  absl::StatusOr<config::SiteConfig> site =
      WriteSite(dir, HighwayCamera("east", video, false) + HighwayCamera("west", video, false));
  ASSERT_TRUE(site.ok()) << site.status();
  bus::Hub hub;
  Collector all = Subscribe(hub);
  RuntimeOptions ro;
  ro.tick_s = 0.1;
  ro.persist = false;
  absl::StatusOr<std::unique_ptr<SiteRuntime>> made = SiteRuntime::Create(*site, ro, &hub);
  ASSERT_TRUE(made.ok()) << made.status();
  SiteRuntime& rt = **made;
  ASSERT_EQ(rt.FusionGroups().size(), 1u);
  EXPECT_EQ(rt.FusionGroups()[0].name, "site");
  EXPECT_EQ(rt.FusionGroups()[0].cameras, (std::vector<std::string>{"east", "west"}));
  ASSERT_TRUE(rt.Start().ok());
  auto both = [&] {
    all.Drain();
    for (const bus::Message& m : all.seen) {
      if (const bus::GroupTracks* g = m.fused()) {
        for (const fuse::FusedTrack& t : g->step.tracks) {
          if (t.cameras.size() == 2) return true;
        }
      }
    }
    return false;
  };
  EXPECT_TRUE(WaitFor(both, 30)) << "no global track seen by both cameras";
  std::vector<bus::GroupTracks> fused = rt.FusedTracks();
  ASSERT_EQ(fused.size(), 1u);
  EXPECT_EQ(fused[0].group, "site");
  // A track's ground point is the calibration's projection of its box's bottom centre.
  absl::StatusOr<std::shared_ptr<const bus::CameraTracks>> t = rt.LatestTracks("east");
  ASSERT_TRUE(t.ok() && *t != nullptr);
  for (const bus::TrackView& v : (*t)->tracks) {
    ASSERT_TRUE(v.ground.has_value());
    std::optional<Point2> g = site->cameras[0].calibration.BoxToGround(v.box);
    ASSERT_TRUE(g.has_value());
    EXPECT_NEAR(v.ground->x, g->x, 1e-9);
    EXPECT_NEAR(v.ground->y, g->y, 1e-9);
  }
  rt.Stop();
  EXPECT_EQ(rt.FusionGroups()[0].push_errors, 0);
}

// A site-file camera's listing carries its calibration (the web UI's map and editor read it), and an update that
// leaves the calibration out (the editor saving rules) keeps it, in the listing and in the overlay.
TEST(SiteRuntimeTest, SiteCameraListingKeepsItsCalibration) {
  const std::string dir = testing::MakeTempDir("runtime-calibration");
  absl::StatusOr<config::SiteConfig> site = WriteSite(dir, HighwayCamera("highway", "highway.mp4", true));
  ASSERT_TRUE(site.ok()) << site.status();
  bus::Hub hub;
  absl::StatusOr<std::unique_ptr<SiteRuntime>> made = SiteRuntime::Create(*site, RuntimeOptions(), &hub);
  ASSERT_TRUE(made.ok()) << made.status();
  SiteRuntime& rt = **made;
  const nlohmann::json calibration = nlohmann::json::parse(
      R"({"homography": {"image": [[20, 235], [235, 235], [210, 60], [280, 60]],
                         "ground": [[0, 0], [7, 0], [0, 60], [7, 60]]}})");
  ASSERT_EQ(rt.Cameras().size(), 1u);
  EXPECT_EQ(rt.Cameras()[0].definition["calibration"], calibration);
  nlohmann::json def = rt.Cameras()[0].definition;
  def.erase("calibration");
  def["rules"] = nlohmann::json::parse(R"([{"type": "line", "name": "new-line", "points": [[0, 100], [320, 100]]}])");
  absl::StatusOr<CameraEntry> updated = rt.UpdateCamera("highway", def);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_TRUE(updated->calibrated);
  EXPECT_EQ(updated->definition["calibration"], calibration);
  EXPECT_EQ(updated->definition["rules"][0]["name"], "new-line");
  nlohmann::json saved = nlohmann::json::parse(ReadFile(dir + "/site.runtime.json"));
  EXPECT_EQ(saved["put"]["highway"]["calibration"], calibration);
}

// The dashboard's statistics: a camera's interval statistics reach on_stats as store rows (upserts by key) while it
// runs and when it stops; the latest count rows of its line add up to exactly the line_cross events it raised.
TEST(SiteRuntimeTest, IntervalStatisticsReachTheStatsHook) {
  DIDBAN_REQUIRE_DATA(video, kHighway);
  const std::string dir = testing::MakeTempDir("runtime-stats");
  absl::StatusOr<config::SiteConfig> site = WriteSite(dir, HighwayCamera("hw", video, true));
  ASSERT_TRUE(site.ok()) << site.status();
  bus::Hub hub;
  RuntimeOptions ro;
  ro.tick_s = 0.1;
  ro.persist = false;
  ro.loop_files = false;
  ro.replay_speed = 4;
  ro.stats_every_s = 1;
  std::mutex mu;
  int crossings = 0;
  int calls = 0;
  std::map<std::tuple<TimeUs, std::string, std::string, std::string, std::string>, double> latest;
  RuntimeHooks hooks;
  hooks.on_event = [&](const Event& e) {
    std::lock_guard<std::mutex> lock(mu);
    if (e.type == "line_cross") ++crossings;
  };
  hooks.on_stats = [&](std::vector<store::StatRow> rows) {
    std::lock_guard<std::mutex> lock(mu);
    ++calls;
    for (const store::StatRow& r : rows) {
      EXPECT_EQ(r.camera, "hw");
      latest[{r.start_us, r.rule, r.metric, r.object_class, r.direction}] = r.value;
    }
  };
  absl::StatusOr<std::unique_ptr<SiteRuntime>> made = SiteRuntime::Create(*site, ro, &hub, hooks);
  ASSERT_TRUE(made.ok()) << made.status();
  SiteRuntime& rt = **made;
  ASSERT_TRUE(rt.Start().ok());
  // 30 s of video at 4x: the camera ends (not looped) after about 7.5 s.
  EXPECT_TRUE(WaitFor([&] { return rt.Camera("hw").ok() && rt.Camera("hw")->state.last_error == "input ended"; }, 40));
  rt.Stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_GE(calls, 5);  // every second of frame time (7.5 s at 4x), and at the end
  ASSERT_GT(crossings, 0);
  double counted = 0;
  for (const auto& [key, value] : latest) {
    if (std::get<1>(key) == "away-line" && std::get<2>(key) == "count") counted += value;
  }
  EXPECT_EQ(counted, crossings);
}

}  // namespace
}  // namespace didban::center
