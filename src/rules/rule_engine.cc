#include "rules/rule_engine.h"

#include <algorithm>
#include <set>

#include "rules/builtin_rules.h"

namespace didban::rules {

Registry<Rule>& RuleRegistry() {
  static Registry<Rule>* registry = [] {
    auto* r = new Registry<Rule>("rule");
    RegisterBuiltinRules(r);
    return r;
  }();
  return *registry;
}

namespace {

template <typename Options, typename RuleT>
void Add(Registry<Rule>* registry, const std::string& name) {
  registry->Register(name, [](const nlohmann::json& params) -> absl::StatusOr<std::unique_ptr<Rule>> {
    DIDBAN_ASSIGN_OR_RETURN(Options o, Options::FromJson(params));
    return std::unique_ptr<Rule>(std::make_unique<RuleT>(std::move(o)));
  });
}

}  // namespace

void RegisterBuiltinRules(Registry<Rule>* registry) {
  Add<LineOptions, LineRule>(registry, "line");
  Add<ZoneOptions, ZoneRule>(registry, "zone");
  Add<SpeedOptions, SpeedRule>(registry, "speed");
  Add<WrongWayOptions, WrongWayRule>(registry, "wrong_way");
  Add<StoppedOptions, StoppedRule>(registry, "stopped");
  Add<CongestionOptions, CongestionRule>(registry, "congestion");
  Add<NearMissOptions, NearMissRule>(registry, "near_miss");
}

absl::Status RuleEngineOptions::Validate() const {
  if (track_timeout_us <= 0) return absl::InvalidArgumentError("track_timeout_us must be > 0");
  if (!(velocity_window_s > 0) || !(min_velocity_span_s > 0) || min_velocity_span_s > velocity_window_s ||
      trajectory_horizon_s < velocity_window_s) {
    return absl::InvalidArgumentError(
        "need 0 < min_velocity_span_s <= velocity_window_s <= trajectory_horizon_s (seconds)");
  }
  if (max_tracks == 0) return absl::InvalidArgumentError("max_tracks must be > 0");
  return stats.Validate();
}

absl::StatusOr<std::unique_ptr<RuleEngine>> RuleEngine::Create(std::string camera, geo::CameraCalibration calibration,
                                                               const std::vector<RuleSpec>& specs,
                                                               RuleEngineOptions options) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<RuleEngine> engine(new RuleEngine(std::move(camera), std::move(calibration), options));
  std::set<std::string> names;
  for (const RuleSpec& spec : specs) {
    auto prefixed = [&](const absl::Status& s) {
      return absl::Status(s.code(), absl::StrCat(spec.where.empty() ? spec.type : spec.where, ": ", s.message()));
    };
    absl::StatusOr<std::unique_ptr<Rule>> rule = RuleRegistry().Create(spec.type, spec.params);
    if (!rule.ok()) return prefixed(rule.status());
    std::string name = spec.name.empty() ? spec.type : spec.name;
    if (!names.insert(name).second) {
      return prefixed(absl::InvalidArgumentError(absl::StrCat("duplicate rule name '", name, "'")));
    }
    absl::Status bound = (*rule)->Bind({engine->camera_, name, engine->calibration_});
    if (!bound.ok()) return prefixed(bound);
    engine->rules_.push_back(std::move(*rule));
  }
  if (engine->calibration_.pinhole) {
    engine->SetImageSize(engine->calibration_.pinhole->width, engine->calibration_.pinhole->height);
  }
  return engine;
}

const Rule* RuleEngine::FindRule(const std::string& name) const {
  for (const auto& r : rules_) {
    if (r->Name() == name) return r.get();
  }
  return nullptr;
}

FrameInput RuleEngine::Prepare(const TrackSnapshot& snapshot) {
  FrameInput in;
  in.time_us = snapshot.time_us;
  in.frame_index = snapshot.frame_index;
  in.tracks.reserve(snapshot.tracks.size());
  const TimeUs window = SecondsToUs(o_.velocity_window_s);
  const TimeUs span = SecondsToUs(o_.min_velocity_span_s);
  for (const Track& t : snapshot.tracks) {
    if (t.state == didban::TrackState::kRemoved) continue;
    auto [it, fresh] = tracks_.try_emplace(t.id);
    if (fresh) it->second.trajectory = Trajectory(SecondsToUs(o_.trajectory_horizon_s));
    it->second.last_seen_us = snapshot.time_us;
    if (t.state != didban::TrackState::kConfirmed) continue;  // predictions and tentative tracks: state kept, not used
    TrackView tv;
    tv.track = &t;
    tv.id = t.id;
    tv.object_class = t.object_class;
    tv.pixel = calibration_.ReferencePixel(t.box);
    tv.ground = calibration_.PixelToGround(tv.pixel);
    bool clipped = width_ > 0 && height_ > 0 &&
                   (t.box.x <= o_.border_px || t.box.y <= o_.border_px || t.box.Right() >= width_ - o_.border_px ||
                    t.box.Bottom() >= height_ - o_.border_px);
    if (tv.ground) {
      if (!clipped) it->second.trajectory.Add(snapshot.time_us, *tv.ground);
      tv.trajectory = &it->second.trajectory;
      tv.velocity = tv.trajectory->Velocity(window, span);
    }
    in.tracks.push_back(tv);
  }
  return in;
}

void RuleEngine::Evict(int64_t id, TimeUs time_us, RuleOutput* out) {
  for (auto& r : rules_) r->Evict(id, time_us, out);
  tracks_.erase(id);
}

void RuleEngine::EvictStale(TimeUs now_us, RuleOutput* out) {
  std::vector<int64_t> stale;
  for (const auto& [id, st] : tracks_) {
    if (now_us - st.last_seen_us > o_.track_timeout_us) stale.push_back(id);
  }
  // Over the bound: the stalest go first.
  if (tracks_.size() - stale.size() > o_.max_tracks) {
    std::vector<std::pair<TimeUs, int64_t>> by_age;
    for (const auto& [id, st] : tracks_) by_age.emplace_back(st.last_seen_us, id);
    std::sort(by_age.begin(), by_age.end());
    for (size_t i = 0; i < tracks_.size() - o_.max_tracks; ++i) stale.push_back(by_age[i].second);
  }
  std::sort(stale.begin(), stale.end());
  stale.erase(std::unique(stale.begin(), stale.end()), stale.end());
  for (int64_t id : stale) Evict(id, now_us, out);
}

void RuleEngine::Publish(std::vector<Event>* events, size_t first_new) {
  for (size_t i = first_new; i < events->size(); ++i) stats_.AddEvent((*events)[i]);
  for (const Measurement& m : measurements_) stats_.AddMeasurement(m);
}

void RuleEngine::Process(const TrackSnapshot& snapshot, std::vector<Event>* events) {
  measurements_.clear();
  size_t first_new = events->size();
  RuleOutput out{events, &measurements_};
  last_time_us_ = snapshot.time_us;
  FrameInput in = Prepare(snapshot);
  for (auto& r : rules_) r->Process(in, &out);
  for (const Track& t : snapshot.tracks) {
    if (t.state == didban::TrackState::kRemoved) Evict(t.id, snapshot.time_us, &out);
  }
  EvictStale(snapshot.time_us, &out);
  Publish(events, first_new);
}

void RuleEngine::EndTrack(int64_t track_id, TimeUs time_us, std::vector<Event>* events) {
  measurements_.clear();
  size_t first_new = events->size();
  RuleOutput out{events, &measurements_};
  Evict(track_id, time_us, &out);
  Publish(events, first_new);
}

absl::Status RuleEngine::Consume(const FramePtr& frame, const TrackSnapshot& tracks, std::vector<Event>* events) {
  if (frame != nullptr && !frame->image.empty()) SetImageSize(frame->image.cols, frame->image.rows);
  Process(tracks, events);
  return absl::OkStatus();
}

absl::Status RuleEngine::Finish() {
  measurements_.clear();
  std::vector<Event> events;
  RuleOutput out{&events, &measurements_};
  std::vector<int64_t> ids;
  for (const auto& [id, st] : tracks_) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  for (int64_t id : ids) Evict(id, last_time_us_, &out);
  Publish(&events, 0);
  return absl::OkStatus();
}

}  // namespace didban::rules
