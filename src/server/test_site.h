// A small real site for the server's tests: cameras, events and tracks in memory behind the SiteBackend interface,
// with a real bus::Hub for live messages. Camera definitions are checked the way the runtime will (known detector
// and rule types, named fields) and a refused change writes nothing. Thread-safe.
#ifndef DIDBAN_SERVER_TEST_SITE_H_
#define DIDBAN_SERVER_TEST_SITE_H_

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bus/hub.h"
#include "server/api_error.h"
#include "server/site_backend.h"

namespace didban::server {

class TestSite final : public SiteBackend {
 public:
  bus::Hub& hub() { return hub_; }

  void AddEventForTest(StoredEvent e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(std::move(e));
  }
  void AddTrackPointForTest(TrackPoint p) {
    absl::MutexLock lock(&mu_);
    points_.push_back(std::move(p));
  }
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
  absl::StatusOr<EventPage> Events(const EventFilter& f) const override {
    absl::MutexLock lock(&mu_);
    std::vector<const StoredEvent*> match;
    for (const auto& e : events_) {
      if (f.camera && e.event.camera != *f.camera) continue;
      if (f.type && e.event.type != *f.type) continue;
      if (f.rule && e.event.rule != *f.rule) continue;
      if (f.from_us && e.event.time_us < *f.from_us) continue;
      if (f.to_us && e.event.time_us >= *f.to_us) continue;
      if (f.acknowledged && e.acknowledged != *f.acknowledged) continue;
      match.push_back(&e);
    }
    std::sort(match.begin(), match.end(),
              [](const StoredEvent* a, const StoredEvent* b) { return a->event.time_us > b->event.time_us; });
    size_t start = 0;
    if (!f.cursor.empty()) {
      start = match.size();
      for (size_t i = 0; i < match.size(); ++i) {
        if (match[i]->id == f.cursor) start = i;
      }
    }
    EventPage page;
    for (size_t i = start; i < match.size() && page.events.size() < static_cast<size_t>(f.limit); ++i) {
      page.events.push_back(*match[i]);
      if (page.events.size() == static_cast<size_t>(f.limit) && i + 1 < match.size())
        page.next_cursor = match[i + 1]->id;
    }
    return page;
  }
  absl::StatusOr<StoredEvent> EventById(const std::string& id) const override {
    absl::MutexLock lock(&mu_);
    for (const auto& e : events_) {
      if (e.id == id) return e;
    }
    return FieldError(absl::StatusCode::kNotFound, "id", absl::StrCat("id: no event '", id, "'"));
  }
  absl::StatusOr<StoredEvent> Acknowledge(const std::string& id, const std::string& by) override {
    absl::MutexLock lock(&mu_);
    for (auto& e : events_) {
      if (e.id != id) continue;
      if (!e.acknowledged) {
        e.acknowledged = true;
        e.acknowledged_us = 1'700'000'100'000'000;
        e.acknowledged_by = by;
      }
      return e;
    }
    return FieldError(absl::StatusCode::kNotFound, "id", absl::StrCat("id: no event '", id, "'"));
  }
  absl::StatusOr<std::vector<StatsRow>> Stats(const StatsQuery& q) const override {
    absl::MutexLock lock(&mu_);
    std::map<std::tuple<TimeUs, std::string, std::string, std::string>, std::pair<int64_t, double>> bins;
    const TimeUs width = q.bucket_s * kUsPerSecond;
    for (const auto& e : events_) {
      if (e.event.time_us < q.from_us || e.event.time_us >= q.to_us) continue;
      if (q.camera && e.event.camera != *q.camera) continue;
      const TimeUs start = q.from_us + (e.event.time_us - q.from_us) / width * width;
      auto& bin = bins[{start, e.event.camera, e.event.type, e.event.rule}];
      bin.first += 1;
      bin.second += e.event.value;
    }
    std::vector<StatsRow> rows;
    for (const auto& [key, bin] : bins) {
      rows.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key), bin.first,
                      bin.second / static_cast<double>(bin.first)});
    }
    return rows;
  }
  absl::StatusOr<std::vector<TrackPoint>> Tracks(const TrackQuery& q) const override {
    absl::MutexLock lock(&mu_);
    std::vector<TrackPoint> out;
    for (const auto& p : points_) {
      if (p.camera != q.camera.value_or("")) continue;
      if (p.time_us < q.from_us || p.time_us >= q.to_us) continue;
      if (out.size() < static_cast<size_t>(q.limit)) out.push_back(p);
    }
    return out;
  }
  absl::StatusOr<std::vector<SegmentInfo>> Segments(const std::string& camera, TimeUs, TimeUs) const override {
    DIDBAN_RETURN_IF_ERROR(Camera(camera).status());
    return std::vector<SegmentInfo>{};
  }
  absl::StatusOr<ClipInfo> ExportClip(const ClipRequest&) override {
    return absl::UnimplementedError("clip export: not in the test site");
  }
  absl::StatusOr<ClipInfo> Clip(const std::string& id) const override {
    return FieldError(absl::StatusCode::kNotFound, "clip", absl::StrCat("clip: no clip '", id, "'"));
  }
  SiteMetrics Metrics() const override { return SiteMetrics{0.25, 7}; }
  absl::StatusOr<std::unique_ptr<bus::Subscription>> Subscribe(bus::SubscriberOptions options) override {
    return hub_.Subscribe(std::move(options));
  }

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
  mutable absl::Mutex mu_;
  bool ready_ ABSL_GUARDED_BY(mu_) = true;
  std::map<std::string, CameraInfo> cameras_ ABSL_GUARDED_BY(mu_);
  std::vector<StoredEvent> events_ ABSL_GUARDED_BY(mu_);
  std::vector<TrackPoint> points_ ABSL_GUARDED_BY(mu_);
};

}  // namespace didban::server

#endif  // DIDBAN_SERVER_TEST_SITE_H_
