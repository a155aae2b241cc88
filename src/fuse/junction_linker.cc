#include "fuse/junction_linker.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"

#include <Eigen/Dense>

#include "core/hungarian.h"
#include "core/params.h"

namespace didban::fuse {

absl::Status JunctionLinkerOptions::Validate() const {
  if (!(step_s > 0)) return absl::InvalidArgumentError("step_s must be > 0");
  if (!(accel_sigma > 0) || !(position_sigma_m > 0) || !(init_speed_sigma > 0)) {
    return absl::InvalidArgumentError("accel_sigma, position_sigma_m and init_speed_sigma must be > 0");
  }
  if (!(gate_chi2 > 0)) return absl::InvalidArgumentError("gate_chi2 must be > 0");
  if (!(max_detection_sigma_m >= 0)) return absl::InvalidArgumentError("max_detection_sigma_m must be >= 0");
  if (max_missed_steps < 0) return absl::InvalidArgumentError("max_missed_steps must be >= 0");
  if (!(accel_scale_m > 0) || !(jump_scale_m > 0)) {
    return absl::InvalidArgumentError("accel_scale_m and jump_scale_m must be > 0");
  }
  if (!(end_cost >= 0)) return absl::InvalidArgumentError("end_cost must be >= 0");
  if (junction_cost != "kalman" && junction_cost != "acceleration") {
    return absl::InvalidArgumentError(
        absl::StrCat("junction_cost must be kalman or acceleration, not '", junction_cost, "'"));
  }
  if (!(kalman_accel_sigma > 0)) return absl::InvalidArgumentError("kalman_accel_sigma must be > 0");
  if (kalman_head_steps < 1 || kalman_tail_steps < 1) {
    return absl::InvalidArgumentError("kalman_head_steps and kalman_tail_steps must be >= 1");
  }
  if (!(innovation_cap > 0)) return absl::InvalidArgumentError("innovation_cap must be > 0");
  if (!(birth_cost >= 0) || !(death_cost >= 0)) {
    return absl::InvalidArgumentError("birth_cost and death_cost must be >= 0");
  }
  if (!(junction_gate_m > 0)) return absl::InvalidArgumentError("junction_gate_m must be > 0");
  if (max_sweeps < 0) return absl::InvalidArgumentError("max_sweeps must be >= 0");
  if (junction_window_steps < 0) return absl::InvalidArgumentError("junction_window_steps must be >= 0");
  if (min_hits < 1) return absl::InvalidArgumentError("min_hits must be >= 1");
  if (max_fill_gap_steps < 0) return absl::InvalidArgumentError("max_fill_gap_steps must be >= 0");
  return absl::OkStatus();
}

absl::StatusOr<JunctionLinkerOptions> JunctionLinkerOptions::FromJson(const nlohmann::json& params,
                                                                      const std::string& where) {
  JunctionLinkerOptions o;
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(params,
                                          {"step_s",
                                           "accel_sigma",
                                           "position_sigma_m",
                                           "init_speed_sigma",
                                           "gate_chi2",
                                           "max_missed_steps",
                                           "optimize_junctions",
                                           "junction_cost",
                                           "kalman_accel_sigma",
                                           "kalman_head_steps",
                                           "kalman_tail_steps",
                                           "innovation_cap",
                                           "birth_cost",
                                           "death_cost",
                                           "accel_scale_m",
                                           "jump_scale_m",
                                           "end_cost",
                                           "junction_gate_m",
                                           "max_sweeps",
                                           "junction_window_steps",
                                           "min_hits",
                                           "max_fill_gap_steps",
                                           "detection_covariance",
                                           "max_detection_sigma_m"},
                                          where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "step_s", &o.step_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "accel_sigma", &o.accel_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "position_sigma_m", &o.position_sigma_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "init_speed_sigma", &o.init_speed_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "gate_chi2", &o.gate_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_missed_steps", &o.max_missed_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "optimize_junctions", &o.optimize_junctions, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "junction_cost", &o.junction_cost, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "kalman_accel_sigma", &o.kalman_accel_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "kalman_head_steps", &o.kalman_head_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "kalman_tail_steps", &o.kalman_tail_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "innovation_cap", &o.innovation_cap, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "birth_cost", &o.birth_cost, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "death_cost", &o.death_cost, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "accel_scale_m", &o.accel_scale_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "jump_scale_m", &o.jump_scale_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "end_cost", &o.end_cost, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "junction_gate_m", &o.junction_gate_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_sweeps", &o.max_sweeps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "junction_window_steps", &o.junction_window_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_hits", &o.min_hits, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_fill_gap_steps", &o.max_fill_gap_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "detection_covariance", &o.detection_covariance, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_detection_sigma_m", &o.max_detection_sigma_m, where));
  return Validated(std::move(o), where);
}

namespace {

using Vec2 = Eigen::Vector2d;
using Vec4 = Eigen::Vector4d;
using Mat4 = Eigen::Matrix4d;

constexpr double kNoPair = 1e9;

Vec2 V(const Point2& p) { return {p.x, p.y}; }

// Detection index by step: the track's points (real detections only; interpolation comes last).
using Track = std::map<int, std::pair<Point2, int>>;

// The detections' own position covariances, added to the model's measurement noise (zero where none was given, and
// for recovered detections).
class ExtraNoise {
 public:
  ExtraNoise() = default;
  // `covariances[k][j]` for detection j of step k; each one's standard deviations are capped at `max_sigma` (a
  // covariance with a non-finite entry counts as the cap).
  ExtraNoise(const std::vector<std::vector<Eigen::Matrix2d>>& covariances, double max_sigma) {
    capped_.resize(covariances.size());
    for (size_t k = 0; k < covariances.size(); ++k) {
      for (const Eigen::Matrix2d& c : covariances[k]) {
        if (!c.allFinite()) {
          capped_[k].push_back(Eigen::Matrix2d::Identity() * max_sigma * max_sigma);
          continue;
        }
        Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(0.5 * (c + c.transpose()));
        const Eigen::Vector2d ev = eig.eigenvalues().cwiseMax(0.0).cwiseMin(max_sigma * max_sigma);
        capped_[k].push_back(eig.eigenvectors() * ev.asDiagonal() * eig.eigenvectors().transpose());
      }
    }
  }
  // True when some detection of `step` has a covariance.
  bool Any(int step) const {
    return step >= 0 && static_cast<size_t>(step) < capped_.size() && !capped_[static_cast<size_t>(step)].empty();
  }
  Eigen::Matrix2d At(int step, int detection) const {
    if (step < 0 || detection < 0 || static_cast<size_t>(step) >= capped_.size()) return Eigen::Matrix2d::Zero();
    const std::vector<Eigen::Matrix2d>& v = capped_[static_cast<size_t>(step)];
    return static_cast<size_t>(detection) < v.size() ? v[static_cast<size_t>(detection)] : Eigen::Matrix2d::Zero();
  }

 private:
  std::vector<std::vector<Eigen::Matrix2d>> capped_;
};

// Constant-velocity Kalman model on the grid of steps: state (x, y, vx, vy), position measurements.
class CvModel {
 public:
  struct State {
    Vec4 x;
    Mat4 p;
  };

  CvModel(double dt, double accel_sigma, double position_sigma, double init_speed_sigma)
      : position_var_(position_sigma * position_sigma), speed_var_(init_speed_sigma * init_speed_sigma) {
    f_ = Mat4::Identity();
    f_(0, 2) = dt;
    f_(1, 3) = dt;
    Eigen::Matrix<double, 4, 2> g = Eigen::Matrix<double, 4, 2>::Zero();
    g(0, 0) = g(1, 1) = 0.5 * dt * dt;
    g(2, 0) = g(3, 1) = dt;
    q_ = g * g.transpose() * (accel_sigma * accel_sigma);
    r_ = Eigen::Matrix2d::Identity() * position_var_;
  }

  // A track starting at z, at rest with an uncertain velocity.
  State Start(const Point2& z) const {
    State s;
    s.x << z.x, z.y, 0, 0;
    s.p = Mat4::Zero();
    s.p(0, 0) = s.p(1, 1) = position_var_;
    s.p(2, 2) = s.p(3, 3) = speed_var_;
    return s;
  }
  void Predict(State* s) const {
    s->x = f_ * s->x;
    s->p = f_ * s->p * f_.transpose() + q_;
  }
  // `extra`: the detection's own covariance, added to the measurement noise.
  Eigen::Matrix2d InnovationCovariance(const State& s, const Eigen::Matrix2d& extra) const {
    return s.p.topLeftCorner<2, 2>() + r_ + extra;
  }
  void Update(State* s, const Point2& z, const Eigen::Matrix2d& extra) const {
    Eigen::Matrix<double, 2, 4> h = Eigen::Matrix<double, 2, 4>::Zero();
    h(0, 0) = h(1, 1) = 1;
    const Eigen::Matrix2d sc = h * s->p * h.transpose() + r_ + extra;
    const Eigen::Matrix<double, 4, 2> gain = s->p * h.transpose() * sc.inverse();
    s->x += gain * (V(z) - h * s->x);
    s->p = (Mat4::Identity() - gain * h) * s->p;
  }

 private:
  Mat4 f_, q_;
  Eigen::Matrix2d r_;
  double position_var_, speed_var_;
};

// One constant-velocity Kalman track of the forward pass.
struct Forward {
  CvModel::State s;
  int missed = 0;
  Track points;
};

// Step 1: forward constant-velocity Kalman pass.
std::vector<Track> ForwardPass(const std::vector<std::vector<Point2>>& steps, const JunctionLinkerOptions& o,
                               const Recoverer& recover, const ExtraNoise& extra) {
  const CvModel model(o.step_s, o.accel_sigma, o.position_sigma_m, o.init_speed_sigma);
  std::vector<Forward> live;
  std::vector<Track> done;
  for (int k = 0; k < static_cast<int>(steps.size()); ++k) {
    const std::vector<Point2>& obs = steps[static_cast<size_t>(k)];
    for (Forward& t : live) model.Predict(&t.s);
    std::vector<int> assigned(live.size(), -1);
    if (!live.empty() && !obs.empty()) {
      std::vector<std::vector<double>> cost(live.size(), std::vector<double>(obs.size(), kNoPair));
      const bool per_detection = extra.Any(k);  // else one innovation covariance per track
      for (size_t i = 0; i < live.size(); ++i) {
        Eigen::Matrix2d si = Eigen::Matrix2d::Identity();
        double log_det = 0;
        for (size_t j = 0; j < obs.size(); ++j) {
          if (j == 0 || per_detection) {
            const Eigen::Matrix2d s = model.InnovationCovariance(live[i].s, extra.At(k, static_cast<int>(j)));
            si = s.inverse();
            log_det = std::log(s.determinant());
          }
          const Vec2 d = V(obs[j]) - live[i].s.x.head<2>();
          const double m = d.dot(si * d);
          if (m < o.gate_chi2) cost[i][j] = m + log_det;
        }
      }
      std::vector<int> a = SolveAssignment(cost);
      for (size_t i = 0; i < live.size(); ++i) {
        if (a[i] >= 0 && cost[i][static_cast<size_t>(a[i])] < kNoPair) assigned[i] = a[i];
      }
    }
    // Detector feedback for the established tracks left unmatched.
    std::vector<std::optional<Point2>> recovered(live.size());
    std::vector<int> recovered_index(live.size(), -1);
    if (recover) {
      std::vector<RecoveryRequest> requests;
      std::vector<size_t> asked;
      for (size_t i = 0; i < live.size(); ++i) {
        if (assigned[i] >= 0 || live[i].points.size() < 2) continue;
        requests.push_back({{live[i].s.x(0), live[i].s.x(1)}, live[i].s.p.topLeftCorner<2, 2>(), std::nullopt});
        asked.push_back(i);
      }
      if (!requests.empty()) recover(k, &requests);
      int next_index = static_cast<int>(obs.size());
      for (size_t q = 0; q < requests.size(); ++q) {
        if (!requests[q].found) continue;
        recovered[asked[q]] = requests[q].found;
        recovered_index[asked[q]] = next_index++;
      }
    }
    std::vector<bool> used(obs.size(), false);
    std::vector<Forward> next;
    for (size_t i = 0; i < live.size(); ++i) {
      Forward& t = live[i];
      if (assigned[i] >= 0 || recovered[i]) {
        const Point2 z = assigned[i] >= 0 ? obs[static_cast<size_t>(assigned[i])] : *recovered[i];
        if (assigned[i] >= 0) used[static_cast<size_t>(assigned[i])] = true;
        model.Update(&t.s, z, extra.At(k, assigned[i]));
        t.points[k] = {z, assigned[i] >= 0 ? assigned[i] : recovered_index[i]};
        t.missed = 0;
      } else if (++t.missed > o.max_missed_steps) {
        done.push_back(std::move(t.points));
        continue;
      }
      next.push_back(std::move(t));
    }
    live = std::move(next);
    for (size_t j = 0; j < obs.size(); ++j) {
      if (used[j]) continue;
      Forward t;
      t.s = model.Start(obs[j]);
      t.points[k] = {obs[j], static_cast<int>(j)};
      live.push_back(std::move(t));
    }
  }
  for (Forward& t : live) done.push_back(std::move(t.points));
  return done;
}

double Cauchy(const Vec2& a, double scale) { return std::log1p(a.squaredNorm() / (scale * scale)); }

// Robust acceleration cost of continuing `head` (ends at step k) with `tail` (starts at step k + 1).
double JunctionCost(const Track& head, const Track& tail, int k, const JunctionLinkerOptions& o) {
  const Vec2 h0 = V(head.at(k).first);
  const Vec2 t1 = V(tail.at(k + 1).first);
  double c = 0;
  auto before = head.find(k - 1);
  c += before != head.end() ? Cauchy(t1 - 2 * h0 + V(before->second.first), o.accel_scale_m)
                            : Cauchy(t1 - h0, o.jump_scale_m);
  auto after = tail.find(k + 2);
  c += after != tail.end() ? Cauchy(V(after->second.first) - 2 * t1 + h0, o.accel_scale_m)
                           : Cauchy(t1 - h0, o.jump_scale_m);
  return c;
}

// Negative log-likelihood of the detections [begin, end) given the state at `step` (predicted to each detection's
// step; every innovation's chi2 capped at `cap`); the state is updated with them.
double Nll(Track::const_iterator begin, Track::const_iterator end, const CvModel& m, const ExtraNoise& extra,
           double cap, CvModel::State* s, int step) {
  double nll = 0;
  for (auto it = begin; it != end; ++it) {
    for (; step < it->first; ++step) m.Predict(s);
    const Eigen::Matrix2d e = extra.At(it->first, it->second.second);
    const Eigen::Matrix2d c = m.InnovationCovariance(*s, e);
    const Vec2 d = V(it->second.first) - s->x.head<2>();
    nll += std::min(d.dot(c.inverse() * d), cap) + std::log(c.determinant());
    m.Update(s, it->second.first, e);
  }
  return nll;
}

// Kalman cost of continuing `head` with `tail`: the tail's first detections scored as the head's continuation minus
// scored as a track of their own, minus the birth the joint saves.
double KalmanJunctionCost(const Track& head, const Track& tail, const CvModel& m, const ExtraNoise& extra,
                          const JunctionLinkerOptions& o) {
  auto first = head.end();
  for (int n = 0; n < o.kalman_head_steps && first != head.begin(); ++n) --first;
  CvModel::State s = m.Start(first->second.first);
  const int head_end = head.rbegin()->first;
  Nll(std::next(first), head.end(), m, extra, o.innovation_cap, &s, first->first);
  auto tail_end = tail.begin();
  for (int n = 0; n < o.kalman_tail_steps && tail_end != tail.end(); ++n) ++tail_end;
  const double joined = Nll(tail.begin(), tail_end, m, extra, o.innovation_cap, &s, head_end);
  CvModel::State alone = m.Start(tail.begin()->second.first);
  const double own = Nll(std::next(tail.begin()), tail_end, m, extra, o.innovation_cap, &alone, tail.begin()->first);
  return joined - own - o.birth_cost;
}

// Step 2: one pass over the boundaries; returns the number of boundaries whose pairing changed.
int JunctionSweep(std::vector<Track>* tracks, int num_steps, const ExtraNoise& extra, const JunctionLinkerOptions& o) {
  const bool kalman = o.junction_cost == "kalman";
  const CvModel model(o.step_s, o.kalman_accel_sigma, o.position_sigma_m, o.init_speed_sigma);
  const double end_head = kalman ? o.death_cost : o.end_cost;
  const double start_tail = kalman ? 0 : o.end_cost;
  int changes = 0;
  for (int k = 0; k + 1 < num_steps; ++k) {
    // Heads: tracks with a detection in [k - w, k] whose next one (if any) is in [k + 1, k + 1 + w]. Tails: tracks
    // with a detection in [k + 1, k + 1 + w] whose previous one (if any) is in [k - w, k]. (Tracks with a longer gap
    // across the boundary are left alone.) With w = 0: the tracks at k and k + 1.
    std::vector<size_t> heads, tails;
    const int w = o.junction_window_steps;
    for (size_t i = 0; i < tracks->size(); ++i) {
      const Track& t = (*tracks)[i];
      if (t.empty()) continue;
      const auto after = t.upper_bound(k);
      const bool before_near = after != t.begin() && std::prev(after)->first >= k - w;
      const bool after_near = after != t.end() && after->first <= k + 1 + w;
      if (before_near && (after_near || after == t.end())) heads.push_back(i);
      if (after_near && (before_near || after == t.begin())) tails.push_back(i);
    }
    if (heads.empty() || tails.empty()) continue;
    // Split every involved track at the boundary.
    std::set<size_t> involved(heads.begin(), heads.end());
    involved.insert(tails.begin(), tails.end());
    std::map<size_t, Track> head_part, tail_part;
    for (size_t i : involved) {
      const Track& t = (*tracks)[i];
      head_part[i] = Track(t.begin(), t.upper_bound(k));
      tail_part[i] = Track(t.upper_bound(k), t.end());
    }
    const size_t nh = heads.size(), nt = tails.size();
    std::vector<std::vector<double>> cost(nh + nt, std::vector<double>(nt + nh, kNoPair));
    for (size_t a = 0; a < nh; ++a) {
      const Track& h = head_part[heads[a]];
      for (size_t b = 0; b < nt; ++b) {
        const Track& t = tail_part[tails[b]];
        const int steps = t.begin()->first - h.rbegin()->first;
        if ((V(h.rbegin()->second.first) - V(t.begin()->second.first)).norm() < o.junction_gate_m * steps) {
          if (kalman) {
            cost[a][b] = KalmanJunctionCost(h, t, model, extra, o);
          } else if (steps == 1) {
            cost[a][b] = JunctionCost(h, t, k, o);
          }
        }
      }
      cost[a][nt + a] = end_head;
    }
    for (size_t b = 0; b < nt; ++b) {
      cost[nh + b][b] = start_tail;
      for (size_t a = 0; a < nh; ++a) cost[nh + b][nt + a] = 0;
    }
    const std::vector<int> assign = SolveAssignment(cost);
    std::map<size_t, size_t> pairing;  // head track -> tail track
    for (size_t a = 0; a < nh; ++a) {
      const int b = assign[a];
      if (b >= 0 && static_cast<size_t>(b) < nt && cost[a][static_cast<size_t>(b)] < kNoPair) {
        pairing[heads[a]] = tails[static_cast<size_t>(b)];
      }
    }
    std::map<size_t, size_t> current;
    for (size_t i : heads) {
      if (std::find(tails.begin(), tails.end(), i) != tails.end()) current[i] = i;
    }
    if (pairing == current) continue;
    ++changes;
    std::vector<Track> next;
    for (size_t i = 0; i < tracks->size(); ++i) {
      if (!involved.contains(i)) next.push_back(std::move((*tracks)[i]));
    }
    std::set<size_t> tails_used;
    for (size_t i : involved) {
      Track joined = std::move(head_part[i]);
      auto it = pairing.find(i);
      if (it != pairing.end()) {
        joined.insert(tail_part[it->second].begin(), tail_part[it->second].end());
        tails_used.insert(it->second);
      }
      if (!joined.empty()) next.push_back(std::move(joined));
    }
    for (size_t i : involved) {
      if (!tails_used.contains(i) && !tail_part[i].empty()) next.push_back(std::move(tail_part[i]));
    }
    *tracks = std::move(next);
  }
  return changes;
}

}  // namespace

std::vector<LinkedTrack> LinkJunctions(const std::vector<std::vector<Point2>>& steps,
                                       const JunctionLinkerOptions& options, const Recoverer& recover,
                                       const std::vector<std::vector<Eigen::Matrix2d>>& covariances) {
  const ExtraNoise extra =
      options.detection_covariance ? ExtraNoise(covariances, options.max_detection_sigma_m) : ExtraNoise();
  std::vector<Track> tracks = ForwardPass(steps, options, recover, extra);
  const int num_steps = static_cast<int>(steps.size());
  if (options.optimize_junctions) {
    for (int sweep = 0; sweep < options.max_sweeps; ++sweep) {
      if (JunctionSweep(&tracks, num_steps, extra, options) == 0) break;
    }
  }
  std::erase_if(tracks, [&](const Track& t) { return static_cast<int>(t.size()) < options.min_hits; });
  std::sort(tracks.begin(), tracks.end(), [](const Track& a, const Track& b) {
    if (a.begin()->first != b.begin()->first) return a.begin()->first < b.begin()->first;
    return a.begin()->second.second < b.begin()->second.second;
  });
  std::vector<LinkedTrack> out;
  out.reserve(tracks.size());
  for (const Track& t : tracks) {
    LinkedTrack l;
    for (auto it = t.begin(); it != t.end(); ++it) {
      l.positions[it->first] = it->second.first;
      l.detections[it->first] = it->second.second;
      auto next = std::next(it);
      if (next == t.end()) break;
      const int gap = next->first - it->first;
      if (gap <= 1 || gap - 1 > options.max_fill_gap_steps) continue;
      for (int s = it->first + 1; s < next->first; ++s) {
        const double w = static_cast<double>(s - it->first) / gap;
        const Point2& a = it->second.first;
        const Point2& b = next->second.first;
        l.positions[s] = {a.x + w * (b.x - a.x), a.y + w * (b.y - a.y)};
        l.detections[s] = -1;
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace didban::fuse
