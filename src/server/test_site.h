// A small real site for the server's tests: cameras in memory, a real SQLite store in a temporary folder (events,
// tracks, statistics, segments, clips) and a real bus::Hub for live messages, behind the SiteBackend interface. Camera
// definitions are checked the way the runtime will (known detector and rule types, named fields) and a refused change
// writes nothing. Thread-safe.
#ifndef DIDBAN_SERVER_TEST_SITE_H_
#define DIDBAN_SERVER_TEST_SITE_H_

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bus/hub.h"
#include "server/api_error.h"
#include "server/site_backend.h"
#include "spdlog/spdlog.h"
#include "store/store.h"

namespace didban::server {

class TestSite final : public SiteBackend {
 public:
  bus::Hub& hub() { return hub_; }

  TestSite() {
    char tmpl[] = "/tmp/didban_server_test_XXXXXX";
    dir_ = mkdtemp(tmpl);
    store::StoreOptions o;
    o.track_min_interval_us = 0;  // keep every track point
    auto st = store::OpenStore("sqlite://" + dir_ + "/site.db", o);
    if (!st.ok()) {
      spdlog::critical("test site: {}", std::string(st.status().message()));
      std::abort();
    }
    store_ = std::move(*st);
  }
  ~TestSite() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  store::Store& store() { return *store_; }

  void SetReadyForTest(bool ready) {
    absl::MutexLock lock(&mu_);
    ready_ = ready;
  }

  SiteInfo Site() const override { return SiteInfo{"testsite", 47.5, 8.5, 1'700'000'000'000'000}; }
  bool Ready() const override {
    absl::MutexLock lock(&mu_);
    return ready_;
  }
  std::vector<CameraInfo> Cameras() const override {
    absl::MutexLock lock(&mu_);
    std::vector<CameraInfo> out;
    for (const auto& [name, c] : cameras_) out.push_back(c);
    return out;
  }
  absl::StatusOr<CameraInfo> Camera(const std::string& name) const override {
    absl::MutexLock lock(&mu_);
    auto it = cameras_.find(name);
    if (it == cameras_.end()) return NotFound(name);
    return it->second;
  }
  absl::StatusOr<CameraInfo> AddCamera(const nlohmann::json& def) override {
    DIDBAN_RETURN_IF_ERROR(Check(def));
    absl::MutexLock lock(&mu_);
    const std::string name = def["name"];
    if (cameras_.count(name)) {
      return FieldError(absl::StatusCode::kAlreadyExists, "name", absl::StrCat("name: camera '", name, "' exists"));
    }
    CameraInfo c{name, def, {}};
    c.status.state = "online";
    c.status.frames_total = 250;
    c.status.frames_dropped_total = 3;
    c.status.stage_seconds = {{"detect", 0.004}};
    cameras_[name] = c;
    return c;
  }
  absl::StatusOr<CameraInfo> UpdateCamera(const std::string& name, const nlohmann::json& def) override {
    DIDBAN_RETURN_IF_ERROR(Check(def));
    absl::MutexLock lock(&mu_);
    auto it = cameras_.find(name);
    if (it == cameras_.end()) return NotFound(name);
    it->second.definition = def;
    it->second.definition["name"] = name;
    return it->second;
  }
  absl::Status RemoveCamera(const std::string& name) override {
    absl::MutexLock lock(&mu_);
    if (!cameras_.erase(name)) return NotFound(name);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> SnapshotJpeg(const std::string& camera) const override {
    DIDBAN_RETURN_IF_ERROR(Camera(camera).status());
    return std::string("\xFF\xD8\xFF\xE0 test jpeg \xFF\xD9", 17);
  }
  store::Store* EventStore() override { return store_.get(); }
  absl::StatusOr<store::Clip> ExportClip(const ClipRequest&) override {
    return absl::UnimplementedError("clip export: not in the test site");
  }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions options) override {
    return hub_.Subscribe(std::move(options));
  }
  // Live video: none unless a test sets one (before the server starts).
  LiveVideo* Video() override { return video_; }
  void SetVideoForTest(LiveVideo* video) { video_ = video; }

 private:
  static absl::Status NotFound(const std::string& name) {
    return FieldError(absl::StatusCode::kNotFound, "camera", absl::StrCat("camera: no camera '", name, "'"));
  }
  // What the runtime checks beyond the schema: known detector and rule types.
  static absl::Status Check(const nlohmann::json& def) {
    static const std::set<std::string> kDetectors = {"motion", "fastestdet"};
    static const std::set<std::string> kRules = {"line", "zone", "speed"};
    if (def.contains("detector") && !kDetectors.count(def["detector"].value("type", ""))) {
      return InvalidField("detector.type", "detector.type: unknown detector");
    }
    if (def.contains("rules")) {
      for (size_t i = 0; i < def["rules"].size(); ++i) {
        if (!kRules.count(def["rules"][i].value("type", ""))) {
          const std::string field = absl::StrCat("rules[", i, "].type");
          return InvalidField(field, absl::StrCat(field, ": unknown rule type"));
        }
      }
    }
    return absl::OkStatus();
  }

  bus::Hub hub_;
  LiveVideo* video_ = nullptr;
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, CameraInfo> cameras_ ABSL_GUARDED_BY(mu_);
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_TEST_SITE_H_
