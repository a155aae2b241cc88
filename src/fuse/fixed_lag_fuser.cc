#include "fuse/fixed_lag_fuser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

namespace didban::fuse {

FixedLagFuser::FixedLagFuser(FuserOptions options, BatchFuserOptions batch, std::vector<BatchCamera> cameras)
    : options_(std::move(options)), batch_(std::move(batch)), cameras_(std::move(cameras)) {
  batch_.linker = "junction";
  if (options_.fixed_lag_step_s > 0) options_.step_s = options_.fixed_lag_step_s;
  step_us_ = SecondsToUs(options_.step_s);
}

FixedLagFuser::~FixedLagFuser() = default;

absl::Status FixedLagFuser::PushFrame(const CameraFrame& frame) {
  auto last = last_time_.find(frame.camera);
  if (last != last_time_.end() && frame.time < last->second) {
    return absl::InvalidArgumentError(absl::StrCat("fixed-lag fuser: camera '", frame.camera, "' frame at ", frame.time,
                                                   " us is older than its previous one at ", last->second, " us"));
  }
  last_time_[frame.camera] = frame.time;
  newest_ = any_data_ ? std::max(newest_, frame.time) : frame.time;
  any_data_ = true;
  if (std::none_of(cameras_.begin(), cameras_.end(), [&](const BatchCamera& c) { return c.name == frame.camera; })) {
    ++unknown_frames_;
    return absl::OkStatus();
  }
  const TimeUs step = StepBucket(frame.time, step_us_);
  const auto n = static_cast<int64_t>(frame.observations.size());
  if (any_completed_ && step <= last_completed_) {
    stats_.late_dropped += n;
    return absl::OkStatus();
  }
  stats_.observations += n;
  std::map<std::string, CameraFrame>& by_camera = pending_[step];
  auto it = by_camera.find(frame.camera);
  // One frame per camera per step: the one nearest the step's time (the earlier on a tie).
  if (it == by_camera.end()) {
    by_camera.emplace(frame.camera, frame);
  } else if (std::llabs(frame.time - step) < std::llabs(it->second.time - step)) {
    it->second = frame;
  }
  return absl::OkStatus();
}

bool FixedLagFuser::Complete(TimeUs step) const {
  if (newest_ - step >= SecondsToUs(options_.max_lag_s)) return true;
  const TimeUs timeout = SecondsToUs(options_.camera_timeout_s);
  for (const auto& [camera, t] : last_time_) {
    if (newest_ - t > timeout) continue;  // dead: holds nothing back
    if (step_us_ > 0 ? (t < step + step_us_ / 2) : (t <= step)) return false;
  }
  return true;
}

void FixedLagFuser::CompleteStep(std::map<TimeUs, std::map<std::string, CameraFrame>>::iterator it) {
  std::vector<CameraFrame> frames;
  frames.reserve(it->second.size());
  for (auto& [camera, f] : it->second) frames.push_back(std::move(f));
  absl::StatusOr<StepConsensus> c = ConsensusOfStep(it->first, frames, cameras_, options_, batch_, &noise_);
  if (c.ok()) {
    window_.push_back(*std::move(c));
  } else {
    if (error_.ok()) error_ = c.status();
    StepConsensus empty;
    empty.time = it->first;
    window_.push_back(std::move(empty));
  }
  any_completed_ = true;
  last_completed_ = it->first;
  pending_.erase(it);
}

namespace {

double Dist(const Point2& a, const Point2& b) { return std::hypot(a.x - b.x, a.y - b.y); }

// The id of the emitted track nearest `p` within FixedLagFuser::kMatchM, or 0.
int64_t NearestEmitted(const std::vector<std::pair<int64_t, Point2>>& emitted, const Point2& p) {
  int64_t best = 0;
  double best_d = FixedLagFuser::kMatchM;
  for (const auto& [id, q] : emitted) {
    const double d = Dist(p, q);
    if (d < best_d) {
      best_d = d;
      best = id;
    }
  }
  return best;
}

struct Overlap {
  double count = 0;
  TimeUs last = std::numeric_limits<TimeUs>::min();
};

}  // namespace

std::vector<FusedStep> FixedLagFuser::Drain(bool all) {
  // 1. Complete the steps whose frames are all in (or forced: too many pending, end of input).
  while (!pending_.empty()) {
    auto it = pending_.begin();
    const bool forced = all || static_cast<int>(pending_.size()) > options_.max_pending_steps;
    if (!forced && !Complete(it->first)) break;
    CompleteStep(it);
  }
  // 2. The steps old enough to emit: up to the newest complete step less the lag (everything at the end).
  std::vector<FusedStep> out;
  if (!any_completed_ || window_.empty()) return out;
  const TimeUs emit_until = all ? last_completed_ : last_completed_ - SecondsToUs(options_.lag_s);
  if (any_emitted_ && emit_until <= last_emitted_) return out;
  if (window_.front().time > emit_until) return out;
  const std::vector<StepConsensus> steps(window_.begin(), window_.end());
  // The linker keeps every track (min_hits 1); here a track that continues an emitted id is kept whatever its
  // detections, and one that does not needs min(fixed_lag_birth_hits, min_hits) of them in the window.
  BatchFuserOptions link_options = batch_;
  link_options.junction.min_hits = 1;
  absl::StatusOr<std::vector<FusedStep>> linked = LinkConsensusSteps(steps, options_, link_options, cameras_);
  ++stats_.window_runs;
  if (!linked.ok()) {
    if (error_.ok()) error_ = linked.status();
    linked = std::vector<FusedStep>{};
    for (const StepConsensus& s : steps) linked->push_back({s.time, {}, {}});
  }
  std::map<TimeUs, const FusedStep*> by_time;
  for (const FusedStep& s : *linked) by_time[s.time] = &s;
  // Window track -> global id -> overlap, over the emitted steps still in the window.
  std::map<int64_t, std::map<int64_t, Overlap>> overlap;
  const double recency_us = options_.fixed_lag_recency_s > 0 ? 1e6 * options_.fixed_lag_recency_s : 0;
  // Ages from the newest step this run emits: every weight of the run is <= 1.
  auto weight = [&](TimeUs t) {
    return recency_us > 0 ? std::exp(-static_cast<double>(emit_until - t) / recency_us) : 1.0;
  };
  for (const Emitted& e : emitted_) {
    auto s = by_time.find(e.time);
    if (s == by_time.end()) continue;
    for (const FusedTrack& t : s->second->tracks) {
      const int64_t g = NearestEmitted(e.tracks, t.position);
      if (g == 0) continue;
      Overlap& o = overlap[t.id][g];
      o.count += weight(e.time);
      o.last = e.time;
    }
  }
  // Detections per window track (interpolated positions carry no cameras).
  std::map<int64_t, int> hits;
  for (const FusedStep& s : *linked) {
    for (const FusedTrack& t : s.tracks) hits[t.id] += t.cameras.empty() ? 0 : 1;
  }
  const int birth_hits = std::min(batch_.junction.min_hits, options_.fixed_lag_birth_hits);
  for (FusedStep& s : *linked) {
    std::erase_if(s.tracks, [&](const FusedTrack& t) { return hits[t.id] < birth_hits && !overlap.contains(t.id); });
  }
  for (const FusedStep& s : *linked) {
    if (any_emitted_ && s.time <= last_emitted_) continue;
    if (s.time > emit_until) break;
    // One-to-one assignment of window tracks to global ids, largest overlap first.
    std::vector<std::tuple<double, TimeUs, int64_t, int64_t>> pairs;  // count, last, window id, global id
    for (const auto& [w, gs] : overlap) {
      for (const auto& [g, o] : gs) pairs.emplace_back(o.count, o.last, w, g);
    }
    std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
      if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
      return std::tie(std::get<2>(a), std::get<3>(a)) < std::tie(std::get<2>(b), std::get<3>(b));
    });
    std::map<int64_t, int64_t> global_of;
    std::set<int64_t> used;
    for (const auto& [count, last, w, g] : pairs) {
      if (global_of.contains(w) || used.contains(g)) continue;
      global_of[w] = g;
      used.insert(g);
    }
    FusedStep emit;
    emit.time = s.time;
    std::set<int64_t> fresh;
    std::vector<int64_t> gid(s.tracks.size());
    for (size_t i = 0; i < s.tracks.size(); ++i) {  // by window id: new ids in order of first appearance
      auto m = global_of.find(s.tracks[i].id);
      if (m != global_of.end()) {
        gid[i] = m->second;
      } else {
        gid[i] = next_id_++;
        fresh.insert(gid[i]);
        ++stats_.tracks_created;
      }
      emit.tracks.push_back(s.tracks[i]);
      emit.tracks.back().id = gid[i];
    }
    // Corrections: a window track whose emitted id at the previous emitted step differs from its id now.
    if (!emitted_.empty()) {
      const Emitted& prev = emitted_.back();
      auto ps = by_time.find(prev.time);
      std::set<int64_t> ids_now;
      for (const FusedTrack& t : emit.tracks) ids_now.insert(t.id);
      if (ps != by_time.end()) {
        for (size_t i = 0; i < s.tracks.size(); ++i) {
          const int64_t w = s.tracks[i].id;
          const int64_t b = gid[i];
          for (const FusedTrack& pt : ps->second->tracks) {
            if (pt.id != w) continue;
            const int64_t a = NearestEmitted(prev.tracks, pt.position);
            if (a == 0 || a == b) break;
            FusionNotice n{fresh.contains(b) ? "split" : (ids_now.contains(a) ? "swap" : "merge"), a, b};
            if (n.kind == "split") ++stats_.splits;
            if (n.kind == "swap") ++stats_.swaps;
            if (n.kind == "merge") ++stats_.merges;
            emit.notices.push_back(std::move(n));
            break;
          }
        }
      }
    }
    std::sort(emit.tracks.begin(), emit.tracks.end(),
              [](const FusedTrack& a, const FusedTrack& b) { return a.id < b.id; });
    // The emitted step joins the history (and the overlaps of this run).
    Emitted e;
    e.time = s.time;
    for (size_t i = 0; i < s.tracks.size(); ++i) {
      e.tracks.emplace_back(gid[i], s.tracks[i].position);
      Overlap& o = overlap[s.tracks[i].id][gid[i]];
      o.count += weight(s.time);
      o.last = s.time;
    }
    emitted_.push_back(std::move(e));
    any_emitted_ = true;
    last_emitted_ = s.time;
    ++stats_.steps;
    out.push_back(std::move(emit));
  }
  // 3. Forget what left the window: steps older than window_s before the newest complete one, once emitted.
  const TimeUs keep_from = last_completed_ - SecondsToUs(options_.window_s);
  while (!window_.empty() && window_.front().time < keep_from && any_emitted_ &&
         window_.front().time <= last_emitted_) {
    window_.pop_front();
  }
  while (!emitted_.empty() && (window_.empty() || emitted_.front().time < window_.front().time)) emitted_.pop_front();
  if (!out.empty()) {
    auto snapshot = std::make_shared<const FusedStep>(out.back());
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    latest_ = std::move(snapshot);
  }
  return out;
}

std::vector<FusedStep> FixedLagFuser::Poll() { return Drain(false); }
std::vector<FusedStep> FixedLagFuser::Flush() { return Drain(true); }

std::shared_ptr<const FusedStep> FixedLagFuser::LatestStep() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return latest_;
}

std::unique_ptr<LiveFuser> MakeLiveFuser(const FuserOptions& options, std::vector<BatchCamera> cameras) {
  if (options.mode != "fixed_lag") return std::make_unique<Fuser>(options);
  absl::StatusOr<BatchFuserOptions> b = BatchFuserOptions::FromJson(options.fixed_lag, "fixed_lag");
  BatchFuserOptions batch = b.ok() ? *std::move(b) : BatchFuserOptions{};
  // The box model needs every camera's pinhole and image size (the pinhole's, or image_size in the mapping).
  const bool sized = batch.image_width > 0 || batch.box_model.image_width > 0;
  const bool pinhole = !cameras.empty() && std::all_of(cameras.begin(), cameras.end(), [&](const BatchCamera& c) {
    return c.calibration.pinhole.has_value() &&
           (sized || (c.calibration.pinhole->width > 0 && c.calibration.pinhole->height > 0));
  });
  if (!options.fixed_lag.contains("consensus") || !pinhole) batch.consensus = pinhole ? "box_model" : "ground";
  return std::make_unique<FixedLagFuser>(options, std::move(batch), std::move(cameras));
}

}  // namespace didban::fuse
