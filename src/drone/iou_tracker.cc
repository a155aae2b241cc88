#include "drone/iou_tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace didban::drone {

absl::Status IouTrackerOptions::Validate() const {
  if (min_iou < 0 || min_iou > 1) return absl::InvalidArgumentError("tracker: min_iou must be in [0, 1]");
  if (max_centre_px < 0) return absl::InvalidArgumentError("tracker: max_centre_px must be >= 0");
  if (min_hits < 1) return absl::InvalidArgumentError("tracker: min_hits must be >= 1");
  if (max_lost_us < 0) return absl::InvalidArgumentError("tracker: max_lost_us must be >= 0");
  if (!(velocity_smoothing > 0 && velocity_smoothing <= 1)) {
    return absl::InvalidArgumentError("tracker: velocity_smoothing must be in (0, 1]");
  }
  if (max_tracks < 1) return absl::InvalidArgumentError("tracker: max_tracks must be >= 1");
  return absl::OkStatus();
}

void IouTracker::Predict(TimeUs time_us) {
  const double dt = tracks_.empty() ? 0.0 : UsToSeconds(time_us - last_time_us_);
  for (Track& t : tracks_) {
    t.box.x += static_cast<float>(t.vx * dt);
    t.box.y += static_cast<float>(t.vy * dt);
  }
}

std::vector<std::pair<size_t, size_t>> IouTracker::Associate(const Detections& detections) const {
  std::vector<std::tuple<double, size_t, size_t>> candidates;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    for (size_t j = 0; j < detections.size(); ++j) {
      const Box& a = tracks_[i].box;
      const Box& b = detections[j].box;
      const double iou = Iou(a, b);
      const Point2 ca = a.Center();
      const Point2 cb = b.Center();
      const double dist = std::hypot(ca.x - cb.x, ca.y - cb.y);
      if (iou >= options_.min_iou) {
        candidates.emplace_back(1.0 + iou, i, j);
      } else if (dist <= options_.max_centre_px) {
        candidates.emplace_back(1.0 - dist / (options_.max_centre_px + 1e-9), i, j);
      }
    }
  }
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& x, const auto& y) { return std::get<0>(x) > std::get<0>(y); });
  std::vector<bool> used_t(tracks_.size(), false), used_d(detections.size(), false);
  std::vector<std::pair<size_t, size_t>> pairs;
  for (const auto& [affinity, i, j] : candidates) {
    if (used_t[i] || used_d[j]) continue;
    used_t[i] = used_d[j] = true;
    pairs.emplace_back(i, j);
  }
  return pairs;
}

void IouTracker::Retire(TimeUs time_us) {
  std::vector<Track> keep;
  keep.reserve(tracks_.size());
  for (Track& t : tracks_) {
    if (time_us - t.last_seen_us > options_.max_lost_us) {
      t.state = TrackState::kRemoved;
      removed_.push_back(t);
    } else {
      keep.push_back(t);
    }
  }
  tracks_ = std::move(keep);
  if (tracks_.size() > static_cast<size_t>(options_.max_tracks)) {
    std::sort(tracks_.begin(), tracks_.end(),
              [](const Track& a, const Track& b) { return a.last_seen_us > b.last_seen_us; });
    for (size_t i = options_.max_tracks; i < tracks_.size(); ++i) {
      tracks_[i].state = TrackState::kRemoved;
      removed_.push_back(tracks_[i]);
    }
    tracks_.resize(options_.max_tracks);
  }
}

const std::vector<Track>& IouTracker::Update(TimeUs time_us, const Detections& detections) {
  removed_.clear();
  reported_.clear();
  Predict(time_us);
  std::vector<bool> matched_d(detections.size(), false);
  std::vector<bool> matched_t(tracks_.size(), false);
  for (const auto& [i, j] : Associate(detections)) {
    Track& t = tracks_[i];
    const Detection& d = detections[j];
    const Point2 c_new = d.box.Center();
    const double since = UsToSeconds(time_us - t.last_seen_us);
    if (since > 0 && t.hits > 0) {
      // Velocity from the last matched position (the prediction moved the box; undo it for the measurement).
      const double px = t.box.Center().x - t.vx * since;
      const double py = t.box.Center().y - t.vy * since;
      const double a = options_.velocity_smoothing;
      t.vx = static_cast<float>((1 - a) * t.vx + a * (c_new.x - px) / since);
      t.vy = static_cast<float>((1 - a) * t.vy + a * (c_new.y - py) / since);
    }
    t.box = d.box;
    t.score = d.score;
    t.object_class = d.object_class;
    t.last_seen_us = time_us;
    ++t.hits;
    t.state = t.hits >= options_.min_hits ? TrackState::kConfirmed : TrackState::kTentative;
    matched_d[j] = true;
    matched_t[i] = true;
  }
  for (size_t i = 0; i < tracks_.size(); ++i) {
    if (!matched_t[i] && tracks_[i].state == TrackState::kConfirmed) tracks_[i].state = TrackState::kLost;
  }
  for (size_t j = 0; j < detections.size(); ++j) {
    if (matched_d[j]) continue;
    Track t;
    t.id = next_id_++;
    t.box = detections[j].box;
    t.score = detections[j].score;
    t.object_class = detections[j].object_class;
    t.first_seen_us = t.last_seen_us = time_us;
    t.hits = 1;
    t.state = options_.min_hits <= 1 ? TrackState::kConfirmed : TrackState::kTentative;
    tracks_.push_back(t);
  }
  last_time_us_ = time_us;
  Retire(time_us);
  for (const Track& t : tracks_) {
    if (t.state == TrackState::kConfirmed && t.last_seen_us == time_us) reported_.push_back(t);
  }
  return reported_;
}

}  // namespace didban::drone
