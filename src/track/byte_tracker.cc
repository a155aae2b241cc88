#include "track/byte_tracker.h"

#include <algorithm>
#include <cmath>

#include "core/params.h"

namespace didban::track {
namespace {

float IouOf(const Box& a, const Box& b, bool pixel_inclusive) {
  const float one = pixel_inclusive ? 1.f : 0.f;
  const float iw = std::min(a.Right(), b.Right()) - std::max(a.x, b.x) + one;
  if (iw <= 0) return 0.f;
  const float ih = std::min(a.Bottom(), b.Bottom()) - std::max(a.y, b.y) + one;
  if (ih <= 0) return 0.f;
  const float inter = iw * ih;
  const float uni = (a.w + one) * (a.h + one) + (b.w + one) * (b.h + one) - inter;
  return uni <= 0 ? 0.f : inter / uni;
}

// True when the boxes do not overlap (IoU 0), with the same arithmetic as IouOf.
bool Disjoint(const Box& a, const Box& b, bool pixel_inclusive) {
  const float one = pixel_inclusive ? 1.f : 0.f;
  return std::min(a.Right(), b.Right()) - std::max(a.x, b.x) + one <= 0 ||
         std::min(a.Bottom(), b.Bottom()) - std::max(a.y, b.y) + one <= 0;
}

constexpr int kClassCount = 9;

}  // namespace

// ---------------------------------------------------------------------------------------------------- options

ByteTrackerOptions ByteTrackerOptions::Default(double fps) {
  ByteTrackerOptions o;  // the member defaults are didban's tuned set (see docs/tracking.md)
  o.frame_rate = fps > 0 ? fps : 30;
  return o;
}

ByteTrackerOptions ByteTrackerOptions::ByteTrackCompatible(double fps, int track_buffer) {
  ByteTrackerOptions o;
  o.frame_rate = fps > 0 ? fps : 30;
  o.high_score = 0.5f;
  o.low_score = 0.f;
  o.birth_score = 0.6f;
  o.match_high = 0.8f;
  o.match_low = 0.5f;
  o.match_unconfirmed = 0.7f;
  o.match_recovery = 0.f;
  o.centre_distance_weight = 0.f;
  o.fuse_score = false;
  o.iou_pixel_inclusive = true;
  o.associate_predicted_box = false;
  o.confirm_hits = 2;
  o.tentative_max_gap_s = 0;
  o.confirm_first_update = true;
  o.predict_tentative = false;
  // ByteTrack: max_time_lost = int(fps / 30 * track_buffer) frames; a track is removed when the frame gap exceeds it.
  // Half a frame of margin makes the comparison robust to timestamp rounding.
  const double max_lost_frames = std::floor(o.frame_rate / 30.0 * track_buffer);
  o.max_lost_s = (max_lost_frames + 0.5) / o.frame_rate;
  o.duplicate_iou = 0.85f;
  o.observation_centric_reupdate = false;
  o.report_filtered_box = true;
  o.report_lost_s = 0;
  o.noise = KalmanXyahNoise{};
  return o;
}

absl::Status ByteTrackerOptions::Validate() const {
  auto bad = [](const std::string& what) { return absl::InvalidArgumentError("tracker options: " + what); };
  if (!(frame_rate > 0 && frame_rate < 1000)) return bad("frame_rate must be in (0, 1000) frames per second");
  if (!(low_score >= 0 && low_score <= high_score && high_score <= 1)) {
    return bad("scores must satisfy 0 <= low_score <= high_score <= 1");
  }
  if (!(birth_score >= 0 && birth_score <= 1)) return bad("birth_score must be in [0, 1]");
  for (auto [name, v] : {std::pair<const char*, float>{"match_high", match_high},
                         {"match_low", match_low},
                         {"match_unconfirmed", match_unconfirmed},
                         {"match_recovery", match_recovery}}) {
    if (!(v >= 0 && v <= 2)) return bad(absl::StrCat(name, " must be in [0, 2] (a cost limit)"));
  }
  if (!(centre_distance_weight >= 0 && centre_distance_weight <= 10)) {
    return bad("centre_distance_weight must be in [0, 10]");
  }
  if (confirm_hits < 1 || confirm_hits > 100) return bad("confirm_hits must be in [1, 100]");
  if (!(tentative_max_gap_s >= 0 && tentative_max_gap_s <= 60)) return bad("tentative_max_gap_s must be in [0, 60]");
  if (!(max_lost_s >= 0 && max_lost_s <= 600)) return bad("max_lost_s must be in [0, 600]");
  if (!(report_lost_s >= 0 && report_lost_s <= max_lost_s)) return bad("report_lost_s must be in [0, max_lost_s]");
  if (!(duplicate_iou > 0 && duplicate_iou <= 1)) return bad("duplicate_iou must be in (0, 1]");
  if (!(noise.std_weight_position > 0 && noise.std_weight_velocity > 0)) {
    return bad("std_weight_position and std_weight_velocity must be > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<ByteTrackerOptions> ByteTrackerOptions::FromJson(const nlohmann::json& params, double fps) {
  const std::string where = "tracker";
  absl::Status s = CheckKnownParams(params,
                                    {"preset",
                                     "frame_rate",
                                     "high_score",
                                     "low_score",
                                     "birth_score",
                                     "match_high",
                                     "match_low",
                                     "match_unconfirmed",
                                     "match_recovery",
                                     "centre_distance_weight",
                                     "fuse_score",
                                     "iou_pixel_inclusive",
                                     "associate_predicted_box",
                                     "confirm_hits",
                                     "tentative_max_gap_s",
                                     "confirm_first_update",
                                     "predict_tentative",
                                     "max_lost_s",
                                     "duplicate_iou",
                                     "observation_centric_reupdate",
                                     "report_filtered_box",
                                     "report_lost_s",
                                     "std_weight_position",
                                     "std_weight_velocity"},
                                    where);
  if (!s.ok()) return s;
  std::string preset = "default";
  if (s = ReadParam(params, "preset", &preset, where); !s.ok()) return s;
  if (s = ReadParam(params, "frame_rate", &fps, where); !s.ok()) return s;
  ByteTrackerOptions o;
  if (preset == "default") {
    o = Default(fps);
  } else if (preset == "bytetrack") {
    o = ByteTrackCompatible(fps);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ".preset: unknown preset '", preset, "' (known: default, bytetrack)"));
  }
  for (const absl::Status& r :
       {ReadParam(params, "high_score", &o.high_score, where),
        ReadParam(params, "low_score", &o.low_score, where),
        ReadParam(params, "birth_score", &o.birth_score, where),
        ReadParam(params, "match_high", &o.match_high, where),
        ReadParam(params, "match_low", &o.match_low, where),
        ReadParam(params, "match_unconfirmed", &o.match_unconfirmed, where),
        ReadParam(params, "match_recovery", &o.match_recovery, where),
        ReadParam(params, "centre_distance_weight", &o.centre_distance_weight, where),
        ReadParam(params, "fuse_score", &o.fuse_score, where),
        ReadParam(params, "iou_pixel_inclusive", &o.iou_pixel_inclusive, where),
        ReadParam(params, "associate_predicted_box", &o.associate_predicted_box, where),
        ReadParam(params, "confirm_hits", &o.confirm_hits, where),
        ReadParam(params, "tentative_max_gap_s", &o.tentative_max_gap_s, where),
        ReadParam(params, "confirm_first_update", &o.confirm_first_update, where),
        ReadParam(params, "predict_tentative", &o.predict_tentative, where),
        ReadParam(params, "max_lost_s", &o.max_lost_s, where),
        ReadParam(params, "duplicate_iou", &o.duplicate_iou, where),
        ReadParam(params, "observation_centric_reupdate", &o.observation_centric_reupdate, where),
        ReadParam(params, "report_filtered_box", &o.report_filtered_box, where),
        ReadParam(params, "report_lost_s", &o.report_lost_s, where),
        ReadParam(params, "std_weight_position", &o.noise.std_weight_position, where),
        ReadParam(params, "std_weight_velocity", &o.noise.std_weight_velocity, where)}) {
    if (!r.ok()) return r;
  }
  if (s = o.Validate(); !s.ok()) return s;
  return o;
}

// ---------------------------------------------------------------------------------------------------- tracker

ByteTracker::ByteTracker(ByteTrackerOptions options) : options_(options), frame_period_us_(1e6 / options_.frame_rate) {}

const std::vector<Track>& ByteTracker::Update(TimeUs time_us, const Detections& detections) {
  BeginUpdate(time_us, detections);
  Predict();
  AssociateHigh();
  AssociateLow();
  Recover();
  AssociateUnconfirmed();
  Spawn();
  Retire();
  return Publish();
}

void ByteTracker::BeginUpdate(TimeUs time_us, const Detections& detections) {
  // Times must not decrease (stage.h); a stream that goes back is treated as standing still.
  time_us_ = has_time_ ? std::max(time_us, time_us_) : time_us;
  has_time_ = true;
  dets_ = &detections;
  high_.clear();
  low_.clear();
  for (int i = 0; i < static_cast<int>(detections.size()); ++i) {
    const Detection& d = detections[i];
    if (!(d.box.w > 0 && d.box.h > 0)) continue;
    if (d.score >= options_.high_score) {
      high_.push_back(i);
    } else if (d.score >= options_.low_score) {
      low_.push_back(i);
    }
  }
  det_used_.assign(detections.size(), 0);
  drop_.assign(tracks_.size(), 0);
  removed_.clear();
  for (Record& r : tracks_) r.matched_now = false;
}

double ByteTracker::StepsBetween(TimeUs from, TimeUs to) const {
  return static_cast<double>(to - from) / frame_period_us_;
}

void ByteTracker::Predict() {
  for (Record& r : tracks_) {
    const bool in_pool = r.phase != Phase::kTentative;
    if (!in_pool && !options_.predict_tentative) continue;
    r.kf.Predict(static_cast<float>(StepsBetween(r.kf_time_us, time_us_)), r.phase == Phase::kLost, options_.noise);
    r.kf_time_us = time_us_;
  }
}

Box ByteTracker::AssociationBox(const Record& r) const {
  return options_.associate_predicted_box ? r.kf.StateBox() : r.filtered_box;
}

float ByteTracker::Cost(const Box& t, const Box& d) const {
  float cost = 1.f - IouOf(t, d, options_.iou_pixel_inclusive);
  if (options_.centre_distance_weight > 0) {
    const float dx = (t.x + t.w / 2) - (d.x + d.w / 2);
    const float dy = (t.y + t.h / 2) - (d.y + d.h / 2);
    const float ex = std::max(t.Right(), d.Right()) - std::min(t.x, d.x);
    const float ey = std::max(t.Bottom(), d.Bottom()) - std::min(t.y, d.y);
    const float diag2 = ex * ex + ey * ey;
    if (diag2 > 0) cost += options_.centre_distance_weight * (dx * dx + dy * dy) / diag2;
  }
  return cost;
}

void ByteTracker::BeginStep() { step_matches_.clear(); }

void ByteTracker::Match(const std::vector<int>& rows, const std::vector<int>& cols, float limit, bool fuse,
                        bool by_observation) {
  const int nr = static_cast<int>(rows.size());
  const int nc = static_cast<int>(cols.size());
  cost_.resize(static_cast<size_t>(nr) * nc);
  for (int i = 0; i < nr; ++i) {
    const Record& r = tracks_[rows[i]];
    const Box tb = by_observation ? r.observed_box : AssociationBox(r);
    for (int j = 0; j < nc; ++j) {
      const Detection& d = (*dets_)[cols[j]];
      // Disjoint boxes cost at least 1 (IoU 0, plus the centre term): never a match under a limit <= 1.
      if (limit <= 1.f && Disjoint(tb, d.box, options_.iou_pixel_inclusive)) {
        cost_[static_cast<size_t>(i) * nc + j] = 1.f;
        continue;
      }
      float c = Cost(tb, d.box);
      if (fuse) c = 1.f - (1.f - c) * d.score;
      cost_[static_cast<size_t>(i) * nc + j] = c;
    }
  }
  assigner_.Solve(cost_.data(), nr, nc, limit, &matches_);
}

void ByteTracker::ReUpdateAlongGap(Record& r, const Box& box) {
  // OC-SORT's observation-centric re-update: go back to the filter at the last observation and feed it a straight
  // line of virtual observations, one per frame period, ending at the new box.
  const double gap_steps = StepsBetween(r.last_seen_us, time_us_);
  const int n = std::max(1, static_cast<int>(std::lround(gap_steps)));
  const float step = static_cast<float>(gap_steps / n);
  r.kf = r.kf_at_observation;
  const Box& a = r.observed_box;
  for (int k = 1; k <= n; ++k) {
    const float f = static_cast<float>(k) / n;
    const Box v = k == n ? box
                         : Box{a.x + (box.x - a.x) * f, a.y + (box.y - a.y) * f, a.w + (box.w - a.w) * f,
                               a.h + (box.h - a.h) * f};
    r.kf.Predict(step, false, options_.noise);
    r.kf.Update(v, options_.noise);
  }
}

void ByteTracker::ApplyMatch(Record& r, int det) {
  const Detection& d = (*dets_)[det];
  if (options_.observation_centric_reupdate && r.phase == Phase::kLost &&
      StepsBetween(r.last_seen_us, time_us_) > 1.5) {
    ReUpdateAlongGap(r, d.box);
  } else {
    r.kf.Update(d.box, options_.noise);
  }
  r.kf_time_us = time_us_;
  r.kf_at_observation = r.kf;
  r.filtered_box = r.kf.StateBox();
  r.observed_box = d.box;
  r.score = d.score;
  r.last_seen_us = time_us_;
  ++r.hits;
  const int c = static_cast<int>(d.object_class);
  if (c >= 0 && c < kClassCount) ++r.class_votes[c];
  if (!r.confirmed && r.hits >= options_.confirm_hits) r.confirmed = true;
  r.phase = r.confirmed ? Phase::kTracked : Phase::kTentative;
  r.matched_now = true;
  det_used_[det] = 1;
  step_matches_.emplace_back(r.id, det);
}

void ByteTracker::AssociateHigh() {
  BeginStep();
  pool_.clear();
  for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
    if (tracks_[i].phase == Phase::kTracked) pool_.push_back(i);
  }
  for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
    if (tracks_[i].phase == Phase::kLost) pool_.push_back(i);
  }
  // Tracks that were being followed until now, before this association changes their phase.
  scratch_.clear();
  for (int t : pool_) scratch_.push_back(tracks_[t].phase == Phase::kTracked ? 1 : 0);
  Match(pool_, high_, options_.match_high, options_.fuse_score, false);
  for (const auto& [i, j] : matches_) ApplyMatch(tracks_[pool_[i]], high_[j]);
  remain_tracked_.clear();
  for (size_t i = 0; i < pool_.size(); ++i) {
    if (scratch_[i] && !tracks_[pool_[i]].matched_now) remain_tracked_.push_back(pool_[i]);
  }
  leftover_high_.clear();
  for (int d : high_) {
    if (!det_used_[d]) leftover_high_.push_back(d);
  }
}

void ByteTracker::AssociateLow() {
  BeginStep();
  Match(remain_tracked_, low_, options_.match_low, false, false);
  for (const auto& [i, j] : matches_) ApplyMatch(tracks_[remain_tracked_[i]], low_[j]);
  for (int t : remain_tracked_) {
    if (!tracks_[t].matched_now) tracks_[t].phase = Phase::kLost;
  }
}

void ByteTracker::Recover() {
  BeginStep();
  if (options_.match_recovery <= 0 || leftover_high_.empty()) return;
  scratch_.clear();
  for (int t : pool_) {
    if (!tracks_[t].matched_now) scratch_.push_back(t);
  }
  Match(scratch_, leftover_high_, options_.match_recovery, false, true);
  for (const auto& [i, j] : matches_) ApplyMatch(tracks_[scratch_[i]], leftover_high_[j]);
  std::erase_if(leftover_high_, [&](int d) { return det_used_[d] != 0; });
}

void ByteTracker::AssociateUnconfirmed() {
  BeginStep();
  scratch_.clear();
  for (int i = 0; i < static_cast<int>(tracks_.size()); ++i) {
    if (tracks_[i].phase == Phase::kTentative) scratch_.push_back(i);
  }
  Match(scratch_, leftover_high_, options_.match_unconfirmed, options_.fuse_score, false);
  for (const auto& [i, j] : matches_) ApplyMatch(tracks_[scratch_[i]], leftover_high_[j]);
  const TimeUs max_gap_us = SecondsToUs(options_.tentative_max_gap_s);
  for (int t : scratch_) {
    const Record& r = tracks_[t];
    if (!r.matched_now && time_us_ - r.last_seen_us > max_gap_us) drop_[t] = 1;
  }
  std::erase_if(leftover_high_, [&](int d) { return det_used_[d] != 0; });
}

void ByteTracker::Spawn() {
  BeginStep();
  for (int d : leftover_high_) {
    const Detection& det = (*dets_)[d];
    if (det.score < options_.birth_score) continue;
    Record r;
    r.id = next_id_++;
    r.kf.Initiate(det.box, options_.noise);
    r.kf_at_observation = r.kf;
    r.kf_time_us = time_us_;
    r.filtered_box = r.kf.StateBox();
    r.observed_box = det.box;
    r.score = det.score;
    r.first_seen_us = r.last_seen_us = time_us_;
    r.hits = 1;
    const int c = static_cast<int>(det.object_class);
    if (c >= 0 && c < kClassCount) ++r.class_votes[c];
    r.confirmed = (first_update_ && options_.confirm_first_update) || options_.confirm_hits <= 1;
    r.phase = r.confirmed ? Phase::kTracked : Phase::kTentative;
    r.matched_now = true;
    tracks_.push_back(r);
    drop_.push_back(0);
    step_matches_.emplace_back(r.id, d);
  }
  first_update_ = false;
}

void ByteTracker::Retire() {
  const TimeUs max_lost_us = SecondsToUs(options_.max_lost_s);
  const int n = static_cast<int>(tracks_.size());
  for (int i = 0; i < n; ++i) {
    const Record& r = tracks_[i];
    if (r.phase == Phase::kLost && time_us_ - r.last_seen_us > max_lost_us) drop_[i] = 1;
  }
  // Duplicates: a followed track and a lost one on the same object. The one followed for less time goes.
  if (options_.duplicate_iou < 1.f) {
    scratch_.clear();  // live lost tracks
    for (int i = 0; i < n; ++i) {
      if (tracks_[i].phase == Phase::kLost && !drop_[i]) scratch_.push_back(i);
    }
    lost_boxes_.clear();
    for (int b : scratch_) {
      lost_boxes_.push_back(options_.associate_predicted_box ? tracks_[b].kf.StateBox() : tracks_[b].filtered_box);
    }
    for (int a = 0; a < n && !scratch_.empty(); ++a) {
      const Record& ra = tracks_[a];
      if (ra.phase == Phase::kLost || drop_[a]) continue;
      for (size_t k = 0; k < scratch_.size(); ++k) {
        const int b = scratch_[k];
        if (IouOf(ra.filtered_box, lost_boxes_[k], options_.iou_pixel_inclusive) <= options_.duplicate_iou) continue;
        const Record& rb = tracks_[b];
        const TimeUs age_a = ra.last_seen_us - ra.first_seen_us;
        const TimeUs age_b = rb.last_seen_us - rb.first_seen_us;
        drop_[age_a > age_b ? b : a] = 2;
      }
    }
  }
  int out = 0;
  for (int i = 0; i < n; ++i) {
    if (drop_[i]) {
      if (tracks_[i].confirmed) removed_.push_back(ToTrack(tracks_[i], TrackState::kRemoved));
      continue;
    }
    if (out != i) tracks_[out] = tracks_[i];
    ++out;
  }
  tracks_.resize(out);
}

Track ByteTracker::ToTrack(const Record& r, TrackState state) const {
  Track t;
  t.id = r.id;
  if (state == TrackState::kConfirmed || state == TrackState::kTentative) {
    t.box = options_.report_filtered_box ? r.filtered_box : r.observed_box;
  } else {
    t.box = r.kf.StateBox();
  }
  t.score = r.score;
  int best = 0;
  for (int c = 1; c < kClassCount; ++c) {
    if (r.class_votes[c] > r.class_votes[best]) best = c;
  }
  t.object_class = static_cast<ObjectClass>(best);
  t.state = state;
  t.first_seen_us = r.first_seen_us;
  t.last_seen_us = r.last_seen_us;
  t.hits = r.hits;
  const float fps = static_cast<float>(options_.frame_rate);
  t.vx = r.kf.mean()(4) * fps;
  t.vy = r.kf.mean()(5) * fps;
  return t;
}

const std::vector<Track>& ByteTracker::Publish() {
  output_.clear();
  const TimeUs report_lost_us = SecondsToUs(options_.report_lost_s);
  for (const Record& r : tracks_) {
    if (r.phase == Phase::kTracked && r.confirmed) {
      output_.push_back(ToTrack(r, TrackState::kConfirmed));
    } else if (r.phase == Phase::kLost && report_lost_us > 0 && time_us_ - r.last_seen_us <= report_lost_us) {
      output_.push_back(ToTrack(r, TrackState::kLost));
    }
  }
  return output_;
}

std::vector<Track> ByteTracker::LiveTracksForTest() const {
  std::vector<Track> all;
  for (const Record& r : tracks_) {
    TrackState s = r.phase == Phase::kTentative ? TrackState::kTentative
                   : r.phase == Phase::kLost    ? TrackState::kLost
                                                : TrackState::kConfirmed;
    all.push_back(ToTrack(r, s));
  }
  return all;
}

}  // namespace didban::track
