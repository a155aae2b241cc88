#include "fuse/batch_fuser.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <utility>

#include <Eigen/Dense>
#include <Eigen/Eigenvalues>

#include "core/hungarian.h"
#include "core/params.h"

namespace didban::fuse {

absl::Status BatchFuserOptions::Validate() const {
  if (!(pair_gate_chi2 > 0)) return absl::InvalidArgumentError("pair_gate_chi2 must be > 0");
  if (!(pair_gate_m > 0)) return absl::InvalidArgumentError("pair_gate_m must be > 0");
  if (min_support < 1) return absl::InvalidArgumentError("min_support must be >= 1");
  if (!(min_sigma_m >= 0)) return absl::InvalidArgumentError("min_sigma_m must be >= 0");
  if (kalman_confirm_hits < 1) return absl::InvalidArgumentError("kalman_confirm_hits must be >= 1");
  if (!(report_coast_s >= 0) || !(accel_sigma >= 0)) {
    return absl::InvalidArgumentError("report_coast_s and accel_sigma must be >= 0");
  }
  if (image_width < 0 || image_height < 0) return absl::InvalidArgumentError("image_size must be >= 0");
  if (!(link_gate_m > 0)) return absl::InvalidArgumentError("link_gate_m must be > 0");
  if (!(lookahead_weight >= 0)) return absl::InvalidArgumentError("lookahead_weight must be >= 0");
  if (!(velocity_smoothing >= 0 && velocity_smoothing <= 1)) {
    return absl::InvalidArgumentError("velocity_smoothing must be in [0, 1]");
  }
  if (link_passes < 1) return absl::InvalidArgumentError("link_passes must be >= 1");
  if (max_gap_steps < 1) return absl::InvalidArgumentError("max_gap_steps must be >= 1");
  if (min_track_hits < 1 || min_strong_hits < 1) {
    return absl::InvalidArgumentError("min_track_hits and min_strong_hits must be >= 1");
  }
  if (consensus != "ground" && consensus != "box_model") {
    return absl::InvalidArgumentError(absl::StrCat("consensus must be ground or box_model, not '", consensus, "'"));
  }
  if (linker != "fuser" && linker != "chain" && linker != "junction") {
    return absl::InvalidArgumentError(absl::StrCat("linker must be fuser, chain or junction, not '", linker, "'"));
  }
  if (!std::isfinite(min_link_score)) return absl::InvalidArgumentError("min_link_score must be finite");
  if (!(adapt_noise_rate > 0 && adapt_noise_rate <= 1)) {
    return absl::InvalidArgumentError("adapt_noise_rate must be in (0, 1]");
  }
  if (!(adapt_noise_max >= 1)) return absl::InvalidArgumentError("adapt_noise_max must be >= 1");
  if (!(smooth_accel_sigma >= 0)) return absl::InvalidArgumentError("smooth_accel_sigma must be >= 0");
  absl::Status st = box_model.Validate();
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("box_model: ", st.message()));
  st = junction.Validate();
  if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("junction: ", st.message()));
  return absl::OkStatus();
}

absl::StatusOr<BatchFuserOptions> BatchFuserOptions::FromJson(const nlohmann::json& params, const std::string& where) {
  BatchFuserOptions o;
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(
      params, {"pair_gate_chi2",   "pair_gate_m",        "min_support",   "image_size",     "link_gate_m",
               "lookahead_weight", "velocity_smoothing", "max_gap_steps", "min_track_hits", "min_strong_hits",
               "fill_gaps",        "link_passes",        "linker",        "kalman_weak",    "kalman_confirm_hits",
               "min_sigma_m",      "report_coast_s",     "accel_sigma",   "consensus",      "box_model",
               "min_link_score",   "junction",           "recover",       "adapt_noise",    "adapt_noise_rate",
               "adapt_noise_max",  "smooth_accel_sigma"},
      where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "pair_gate_chi2", &o.pair_gate_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "pair_gate_m", &o.pair_gate_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_support", &o.min_support, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "link_gate_m", &o.link_gate_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "lookahead_weight", &o.lookahead_weight, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "velocity_smoothing", &o.velocity_smoothing, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_gap_steps", &o.max_gap_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_track_hits", &o.min_track_hits, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_strong_hits", &o.min_strong_hits, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "fill_gaps", &o.fill_gaps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "link_passes", &o.link_passes, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "linker", &o.linker, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "consensus", &o.consensus, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_link_score", &o.min_link_score, where));
  if (params.contains("box_model")) {
    absl::StatusOr<MultiViewDetectionOptions> b =
        MultiViewDetectionOptions::FromJson(params["box_model"], absl::StrCat(where, ".box_model"));
    if (!b.ok()) return b.status();
    o.box_model = *std::move(b);
  }
  if (params.contains("junction")) {
    absl::StatusOr<JunctionLinkerOptions> j =
        JunctionLinkerOptions::FromJson(params["junction"], absl::StrCat(where, ".junction"));
    if (!j.ok()) return j.status();
    o.junction = *std::move(j);
  }
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "recover", &o.recover, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "adapt_noise", &o.adapt_noise, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "smooth_accel_sigma", &o.smooth_accel_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "adapt_noise_rate", &o.adapt_noise_rate, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "adapt_noise_max", &o.adapt_noise_max, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "kalman_weak", &o.kalman_weak, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_sigma_m", &o.min_sigma_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "report_coast_s", &o.report_coast_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "accel_sigma", &o.accel_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "kalman_confirm_hits", &o.kalman_confirm_hits, where));
  std::vector<int> size;
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "image_size", &size, where));
  if (!size.empty()) {
    if (size.size() != 2) return absl::InvalidArgumentError(absl::StrCat(where, ".image_size: expected [w, h]"));
    o.image_width = size[0];
    o.image_height = size[1];
  }
  return Validated(std::move(o), where);
}

namespace {

bool InRoi(const FuserOptions& o, const Point2& p) {
  if (!(o.roi_min_x < o.roi_max_x && o.roi_min_y < o.roi_max_y)) return true;
  return p.x >= o.roi_min_x && p.x <= o.roi_max_x && p.y >= o.roi_min_y && p.y <= o.roi_max_y;
}

// A hypothesis under construction: information-form sum of its detections.
struct Cluster {
  Eigen::Matrix2d info = Eigen::Matrix2d::Zero();
  Eigen::Vector2d info_x = Eigen::Vector2d::Zero();
  std::vector<int> members;  // observation indices
  std::vector<Contribution> cameras;

  Eigen::Matrix2d Cov() const { return info.inverse(); }
  Eigen::Vector2d Mean() const { return info.ldlt().solve(info_x); }
  bool HasCamera(const std::string& c) const {
    return std::any_of(cameras.begin(), cameras.end(), [&](const Contribution& x) { return x.camera == c; });
  }
};

struct Obs {
  std::string camera;
  int64_t local_id;
  Eigen::Vector2d x;
  Eigen::Matrix2d cov;
};

bool Covers(const geo::CameraCalibration& cal, const BatchFuserOptions& o, const Point2& p) {
  if (o.image_width <= 0 || o.image_height <= 0) return true;
  std::optional<Point2> px = cal.GroundToPixel(p);
  return px && px->x >= 0 && px->x < o.image_width && px->y >= 0 && px->y < o.image_height;
}

}  // namespace

std::vector<GroundHypothesis> ClusterStep(const std::vector<CameraFrame>& frames,
                                          const std::vector<BatchCamera>& cameras, const FuserOptions& fuser,
                                          const BatchFuserOptions& options) {
  std::vector<Obs> obs;
  for (const CameraFrame& f : frames) {
    for (const CameraObservation& o : f.observations) {
      if (!InRoi(fuser, o.ground.position)) continue;
      obs.push_back({f.camera, o.local_id, {o.ground.position.x, o.ground.position.y}, o.ground.covariance});
    }
  }
  // Start with one cluster per observation; merge the closest compatible pairs first (agglomerative, cluster means).
  std::vector<Cluster> clusters(obs.size());
  for (size_t i = 0; i < obs.size(); ++i) {
    Eigen::Matrix2d inv = obs[i].cov.inverse();
    clusters[i].info = inv;
    clusters[i].info_x = inv * obs[i].x;
    clusters[i].members = {static_cast<int>(i)};
    clusters[i].cameras = {{obs[i].camera, obs[i].local_id}};
  }
  std::vector<bool> alive(obs.size(), true);
  while (true) {
    double best = std::numeric_limits<double>::infinity();
    int bi = -1;
    int bj = -1;
    for (size_t i = 0; i < clusters.size(); ++i) {
      if (!alive[i]) continue;
      const Eigen::Vector2d mi = clusters[i].Mean();
      const Eigen::Matrix2d ci = clusters[i].Cov();
      for (size_t j = i + 1; j < clusters.size(); ++j) {
        if (!alive[j]) continue;
        const Eigen::Vector2d mj = clusters[j].Mean();
        const Eigen::Vector2d d = mi - mj;
        if (d.norm() > options.pair_gate_m) continue;
        bool disjoint = std::none_of(clusters[j].cameras.begin(), clusters[j].cameras.end(),
                                     [&](const Contribution& c) { return clusters[i].HasCamera(c.camera); });
        if (!disjoint) continue;
        const Eigen::Matrix2d s = ci + clusters[j].Cov();
        const double d2 = d.dot(s.ldlt().solve(d));
        if (d2 < options.pair_gate_chi2 && d2 < best) {
          best = d2;
          bi = static_cast<int>(i);
          bj = static_cast<int>(j);
        }
      }
    }
    if (bi < 0) break;
    Cluster& a = clusters[bi];
    Cluster& b = clusters[bj];
    a.info += b.info;
    a.info_x += b.info_x;
    a.members.insert(a.members.end(), b.members.begin(), b.members.end());
    a.cameras.insert(a.cameras.end(), b.cameras.begin(), b.cameras.end());
    alive[bj] = false;
  }
  std::vector<GroundHypothesis> out;
  for (size_t i = 0; i < clusters.size(); ++i) {
    if (!alive[i]) continue;
    GroundHypothesis h;
    const Eigen::Vector2d m = clusters[i].Mean();
    h.ground.position = {m.x(), m.y()};
    h.ground.covariance = clusters[i].Cov() + Eigen::Matrix2d::Identity() * options.min_sigma_m * options.min_sigma_m;
    h.cameras = clusters[i].cameras;
    std::sort(h.cameras.begin(), h.cameras.end(),
              [](const Contribution& x, const Contribution& y) { return x.camera < y.camera; });
    for (const BatchCamera& c : cameras) {
      if (Covers(c.calibration, options, h.ground.position)) ++h.covering;
    }
    const int support = static_cast<int>(h.cameras.size());
    h.strong = support >= options.min_support || support >= h.covering;
    out.push_back(std::move(h));
  }
  std::sort(out.begin(), out.end(), [](const GroundHypothesis& x, const GroundHypothesis& y) {
    return std::tie(x.ground.position.x, x.ground.position.y) < std::tie(y.ground.position.x, y.ground.position.y);
  });
  return out;
}

namespace {

// What the box model saw in one step, kept for recovery: every camera's boxes and their local ids, and the boxes the
// strong hypotheses took (the hypotheses and time are not used here).
using BoxStep = StepConsensus;

absl::StatusOr<std::vector<const geo::CameraCalibration*>> PinholeCalibrations(
    const std::vector<BatchCamera>& cameras) {
  std::vector<const geo::CameraCalibration*> calibrations;
  calibrations.reserve(cameras.size());
  for (const BatchCamera& c : cameras) {
    if (!c.calibration.pinhole) {
      return absl::InvalidArgumentError(
          absl::StrCat("consensus box_model: camera '", c.name, "' has no pinhole calibration"));
    }
    calibrations.push_back(&c.calibration);
  }
  return calibrations;
}

// The box model's options with the fuser's ROI and the batch image size where the box model sets none.
MultiViewDetectionOptions BoxModelOptions(const FuserOptions& fuser, const BatchFuserOptions& options) {
  MultiViewDetectionOptions mo = options.box_model;
  if (mo.roi.empty() && fuser.roi_min_x < fuser.roi_max_x && fuser.roi_min_y < fuser.roi_max_y) {
    mo.roi = {fuser.roi_min_x, fuser.roi_min_y, fuser.roi_max_x, fuser.roi_max_y};
  }
  if (mo.image_width <= 0 && options.image_width > 0) {
    mo.image_width = options.image_width;
    mo.image_height = options.image_height;
  }
  return mo;
}

// The box model's options with every box sigma scaled by `scale` (adapt_noise).
MultiViewDetectionOptions ScaledNoise(MultiViewDetectionOptions mo, double scale) {
  mo.sigma_center_rel *= scale;
  mo.sigma_edge_rel *= scale;
  mo.sigma_width_rel *= scale;
  mo.calibration_px *= scale;
  return mo;
}

GroundHypothesis ToGroundHypothesis(const PersonHypothesis& p, const std::vector<BatchCamera>& cameras,
                                    const BoxStep& step, double min_link_score) {
  GroundHypothesis h;
  h.ground.position = p.position;
  h.ground.covariance = p.covariance;
  for (const BoxRef& r : p.support) {
    const auto c = static_cast<size_t>(r.camera);
    h.cameras.push_back({cameras[c].name, step.local_ids[c][static_cast<size_t>(r.box)]});
  }
  std::sort(h.cameras.begin(), h.cameras.end(),
            [](const Contribution& a, const Contribution& b) { return a.camera < b.camera; });
  h.covering = p.covering;
  h.strong = p.score >= min_link_score;
  return h;
}

absl::StatusOr<std::vector<GroundHypothesis>> BoxModelStepKeeping(const std::vector<CameraFrame>& frames,
                                                                  const std::vector<BatchCamera>& cameras,
                                                                  const FuserOptions& fuser,
                                                                  const BatchFuserOptions& options, BoxStep* keep,
                                                                  NoiseEstimate* noise = nullptr) {
  DIDBAN_ASSIGN_OR_RETURN(const std::vector<const geo::CameraCalibration*> calibrations, PinholeCalibrations(cameras));
  BoxStep step;
  step.boxes.resize(cameras.size());
  step.local_ids.resize(cameras.size());
  for (const CameraFrame& f : frames) {
    auto it = std::find_if(cameras.begin(), cameras.end(), [&](const BatchCamera& c) { return c.name == f.camera; });
    if (it == cameras.end()) continue;
    const auto c = static_cast<size_t>(it - cameras.begin());
    for (const CameraObservation& o : f.observations) {
      if (!(o.box.w > 0 && o.box.h > 0)) continue;
      step.boxes[c].push_back(o.box);
      step.local_ids[c].push_back(o.local_id);
    }
  }
  const double scale = noise != nullptr ? noise->scale : 1.0;
  step.noise_scale = scale;
  absl::StatusOr<std::vector<PersonHypothesis>> people =
      DetectPeopleMultiView(calibrations, step.boxes, ScaledNoise(BoxModelOptions(fuser, options), scale));
  if (!people.ok()) return people.status();
  if (noise != nullptr) {
    // chi2 per degree of freedom of the people fitted from two or more boxes (4 coordinates per box, 2 fitted).
    double chi2 = 0, dof = 0;
    for (const PersonHypothesis& p : *people) {
      if (p.support.size() < 2) continue;
      chi2 += p.chi2;
      dof += 4.0 * static_cast<double>(p.support.size()) - 2;
    }
    if (dof >= 10 && chi2 > 0) {
      const double target = std::log(scale * std::sqrt(chi2 / dof));
      const double next = std::log(scale) + options.adapt_noise_rate * (target - std::log(scale));
      noise->scale = std::clamp(std::exp(next), 1.0, options.adapt_noise_max);
    }
  }
  std::vector<GroundHypothesis> out;
  out.reserve(people->size());
  for (const PersonHypothesis& p : *people) {
    out.push_back(ToGroundHypothesis(p, cameras, step, options.min_link_score));
    if (out.back().strong) step.taken.insert(step.taken.end(), p.support.begin(), p.support.end());
  }
  if (keep != nullptr) *keep = std::move(step);
  return out;
}

}  // namespace

absl::StatusOr<std::vector<GroundHypothesis>> BoxModelStep(const std::vector<CameraFrame>& frames,
                                                           const std::vector<BatchCamera>& cameras,
                                                           const FuserOptions& fuser,
                                                           const BatchFuserOptions& options) {
  return BoxModelStepKeeping(frames, cameras, fuser, options, nullptr);
}

TimeUs StepBucket(TimeUs t, TimeUs step_us) {
  if (step_us <= 0) return t;
  return static_cast<TimeUs>(std::floor(static_cast<double>(t) / static_cast<double>(step_us) + 0.5)) * step_us;
}

absl::StatusOr<StepConsensus> ConsensusOfStep(TimeUs time, const std::vector<CameraFrame>& frames,
                                              const std::vector<BatchCamera>& cameras, const FuserOptions& fuser,
                                              const BatchFuserOptions& options, NoiseEstimate* noise) {
  StepConsensus step;
  if (options.consensus == "box_model") {
    const bool keep = options.recover && options.linker == "junction";
    StepConsensus scratch;
    DIDBAN_ASSIGN_OR_RETURN(std::vector<GroundHypothesis> h,
                            BoxModelStepKeeping(frames, cameras, fuser, options, keep ? &step : &scratch,
                                                options.adapt_noise ? noise : nullptr));
    if (!keep) step.noise_scale = scratch.noise_scale;
    step.hypotheses = std::move(h);
  } else {
    step.hypotheses = ClusterStep(frames, cameras, fuser, options);
  }
  step.time = time;
  return step;
}

namespace {

// Constant-velocity Kalman smoother (Rauch-Tung-Striebel) over one track's steps, from its first to its last
// (missed steps are predicted and smoothed like the others). `measured(step, &covariance)` says whether the step has
// a detection and gives its measurement covariance; positions of every step of the range are written to `out`.
void SmoothTrack(const std::map<int, Point2>& positions, const std::function<bool(int, Eigen::Matrix2d*)>& measured,
                 double step_s, double accel_sigma, double init_speed_sigma, std::map<int, Point2>* out) {
  using Vec4 = Eigen::Vector4d;
  using Mat4 = Eigen::Matrix4d;
  if (positions.empty()) return;
  const int first = positions.begin()->first, last = positions.rbegin()->first;
  const int count = last - first + 1;
  const auto n = static_cast<size_t>(count);
  Mat4 f = Mat4::Identity();
  f(0, 2) = f(1, 3) = step_s;
  const double q = accel_sigma * accel_sigma;
  const double t2 = step_s * step_s, t3 = t2 * step_s, t4 = t3 * step_s;
  Mat4 qm = Mat4::Zero();
  for (int a = 0; a < 2; ++a) {
    qm(a, a) = q * t4 / 4;
    qm(a, a + 2) = qm(a + 2, a) = q * t3 / 2;
    qm(a + 2, a + 2) = q * t2;
  }
  Eigen::Matrix<double, 2, 4> h = Eigen::Matrix<double, 2, 4>::Zero();
  h(0, 0) = h(1, 1) = 1;
  std::vector<Vec4> xf(n), xp(n);
  std::vector<Mat4> pf(n), pp(n);
  Vec4 x = Vec4::Zero();
  Mat4 p = Mat4::Zero();
  for (size_t i = 0; i < n; ++i) {
    const int step = first + static_cast<int>(i);
    Eigen::Matrix2d r;
    const bool has = measured(step, &r);
    auto pos = positions.find(step);
    if (i == 0) {
      x << pos->second.x, pos->second.y, 0, 0;
      p.setZero();
      p.topLeftCorner<2, 2>() = r;
      p(2, 2) = p(3, 3) = init_speed_sigma * init_speed_sigma;
      xp[i] = x;
      pp[i] = p;
      xf[i] = x;
      pf[i] = p;
      continue;
    }
    x = f * x;
    p = f * p * f.transpose() + qm;
    xp[i] = x;
    pp[i] = p;
    if (has && pos != positions.end()) {
      const Eigen::Matrix2d s = h * p * h.transpose() + r;
      const Eigen::Matrix<double, 4, 2> k = p * h.transpose() * s.inverse();
      x += k * (Eigen::Vector2d(pos->second.x, pos->second.y) - h * x);
      p = (Mat4::Identity() - k * h) * p;
    }
    xf[i] = x;
    pf[i] = p;
  }
  Vec4 xs = xf[n - 1];
  (*out)[last] = {xs(0), xs(1)};
  for (size_t i = n - 1; i-- > 0;) {
    const Mat4 c = pf[i] * f.transpose() * pp[i + 1].inverse();
    xs = xf[i] + c * (xs - xp[i + 1]);
    (*out)[first + static_cast<int>(i)] = {xs(0), xs(1)};
  }
}

// Linker "junction": the strong hypotheses of a dense grid of steps through LinkJunctions.
// With `with_recovery` (box model), unmatched tracks are recovered from the boxes nobody took.
absl::StatusOr<std::vector<FusedStep>> JunctionLink(const std::vector<StepConsensus>& steps, TimeUs step_us,
                                                    const FuserOptions& fuser, const BatchFuserOptions& options,
                                                    const std::vector<BatchCamera>& cameras, bool with_recovery) {
  std::vector<TimeUs> times;
  times.reserve(steps.size());
  for (const StepConsensus& s : steps) times.push_back(s.time);
  if (times.empty()) return std::vector<FusedStep>{};
  const TimeUs t0 = times.front();
  auto index_of = [&](size_t k) {
    if (step_us <= 0) return static_cast<int>(k);
    return static_cast<int>(std::llround(static_cast<double>(times[k] - t0) / static_cast<double>(step_us)));
  };
  const int n = index_of(times.size() - 1) + 1;
  std::vector<std::vector<Point2>> points(static_cast<size_t>(n));
  std::vector<std::vector<const GroundHypothesis*>> source(static_cast<size_t>(n));
  std::vector<std::vector<Eigen::Matrix2d>> covariances(static_cast<size_t>(n));
  const bool box_model = options.consensus == "box_model";
  std::vector<TimeUs> step_time(static_cast<size_t>(n));
  std::vector<int> input_of(static_cast<size_t>(n), -1);  // grid step -> index into times
  for (int i = 0; i < n; ++i) step_time[static_cast<size_t>(i)] = t0 + static_cast<TimeUs>(i) * step_us;
  for (size_t k = 0; k < times.size(); ++k) {
    const auto i = static_cast<size_t>(index_of(k));
    step_time[i] = times[k];
    input_of[i] = static_cast<int>(k);
    for (const GroundHypothesis& h : steps[k].hypotheses) {
      if (!h.strong) continue;
      points[i].push_back(h.ground.position);
      // The box model's covariance is its fit's; the ground-point consensus's carries its gating floor
      // (min_sigma_m) and makes the linker worse (WILDTRACK seed 0 IDF1 85.2 -> 83.8 %), so it is not passed.
      if (box_model) covariances[i].push_back(h.ground.covariance);
      source[i].push_back(&h);
    }
  }
  JunctionLinkerOptions jo = options.junction;
  if (fuser.step_s > 0) jo.step_s = fuser.step_s;
  // Detector feedback: recovered hypotheses per grid step, in the order the linker numbers them.
  std::vector<std::vector<GroundHypothesis>> recovered(static_cast<size_t>(n));
  Recoverer recover;
  absl::Status recover_status;
  std::vector<const geo::CameraCalibration*> calibrations;
  const MultiViewDetectionOptions mo = BoxModelOptions(fuser, options);
  if (with_recovery) {
    DIDBAN_ASSIGN_OR_RETURN(calibrations, PinholeCalibrations(cameras));
    recover = [&](int step, std::vector<RecoveryRequest>* requests) {
      const int k = input_of[static_cast<size_t>(step)];
      if (k < 0 || !recover_status.ok()) return;
      const BoxStep& bs = steps[static_cast<size_t>(k)];
      std::vector<PersonPrior> priors;
      priors.reserve(requests->size());
      for (const RecoveryRequest& r : *requests) priors.push_back({r.predicted, r.covariance});
      absl::StatusOr<std::vector<std::optional<PersonHypothesis>>> found = RecoverPeople(
          calibrations, bs.boxes, bs.taken, priors, bs.noise_scale == 1 ? mo : ScaledNoise(mo, bs.noise_scale));
      if (!found.ok()) {
        recover_status = found.status();
        return;
      }
      for (size_t q = 0; q < requests->size(); ++q) {
        const std::optional<PersonHypothesis>& p = (*found)[q];
        if (!p) continue;
        (*requests)[q].found = p->position;
        recovered[static_cast<size_t>(step)].push_back(ToGroundHypothesis(*p, cameras, bs, options.min_link_score));
      }
    };
  }
  std::vector<LinkedTrack> tracks = LinkJunctions(points, jo, recover, covariances);
  DIDBAN_RETURN_IF_ERROR(recover_status);
  if (options.smooth_accel_sigma > 0) {
    const double floor = jo.position_sigma_m * jo.position_sigma_m;
    const double cap = jo.max_detection_sigma_m * jo.max_detection_sigma_m;
    for (LinkedTrack& t : tracks) {
      auto measured = [&](int step, Eigen::Matrix2d* r) {
        *r = Eigen::Matrix2d::Identity() * floor;
        auto d = t.detections.find(step);
        if (d == t.detections.end() || d->second < 0) return false;
        const auto di = static_cast<size_t>(d->second);
        const std::vector<const GroundHypothesis*>& detected = source[static_cast<size_t>(step)];
        const GroundHypothesis& hyp =
            di < detected.size() ? *detected[di] : recovered[static_cast<size_t>(step)][di - detected.size()];
        if (box_model && jo.detection_covariance && hyp.ground.covariance.allFinite()) {
          Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(
              0.5 * (hyp.ground.covariance + hyp.ground.covariance.transpose()));
          const Eigen::Vector2d ev = eig.eigenvalues().cwiseMax(0.0).cwiseMin(cap);
          *r += eig.eigenvectors() * ev.asDiagonal() * eig.eigenvectors().transpose();
        }
        return true;
      };
      std::map<int, Point2> smoothed;
      SmoothTrack(t.positions, measured, jo.step_s, options.smooth_accel_sigma, jo.init_speed_sigma, &smoothed);
      for (auto& [step, position] : t.positions) {
        auto it = smoothed.find(step);
        if (it != smoothed.end()) position = it->second;
      }
    }
  }
  std::vector<FusedStep> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) out[static_cast<size_t>(i)].time = step_time[static_cast<size_t>(i)];
  const double min_var = options.min_sigma_m * options.min_sigma_m;
  for (size_t id = 0; id < tracks.size(); ++id) {
    const LinkedTrack& t = tracks[id];
    for (auto it = t.positions.begin(); it != t.positions.end(); ++it) {
      const auto [step, position] = *it;
      FusedTrack f;
      f.id = static_cast<int64_t>(id) + 1;
      f.position = position;
      const int d = t.detections.at(step);
      if (d >= 0) {
        const std::vector<const GroundHypothesis*>& detected = source[static_cast<size_t>(step)];
        const auto di = static_cast<size_t>(d);
        const GroundHypothesis& h =
            di < detected.size() ? *detected[di] : recovered[static_cast<size_t>(step)][di - detected.size()];
        f.covariance = h.ground.covariance;
        f.cameras = h.cameras;
      } else {
        f.covariance = Eigen::Matrix2d::Identity() * std::max(min_var, 1e-4);
      }
      // Velocity: central difference over the neighbouring positions of the track.
      auto prev = it == t.positions.begin() ? it : std::prev(it);
      auto next = std::next(it) == t.positions.end() ? it : std::next(it);
      const double span =
          UsToSeconds(step_time[static_cast<size_t>(next->first)] - step_time[static_cast<size_t>(prev->first)]);
      if (span > 0) {
        f.velocity = {(next->second.x - prev->second.x) / span, (next->second.y - prev->second.y) / span};
      }
      out[static_cast<size_t>(step)].tracks.push_back(std::move(f));
    }
  }
  for (FusedStep& s : out) {
    std::sort(s.tracks.begin(), s.tracks.end(), [](const FusedTrack& a, const FusedTrack& b) { return a.id < b.id; });
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<FusedStep>> LinkConsensusSteps(const std::vector<StepConsensus>& steps,
                                                          const FuserOptions& fuser, const BatchFuserOptions& options,
                                                          const std::vector<BatchCamera>& cameras) {
  const bool recover = options.recover && options.consensus == "box_model";
  return JunctionLink(steps, SecondsToUs(fuser.step_s), fuser, options, cameras, recover);
}

namespace {

struct Hit {
  int step = 0;
  int hyp = 0;  // index into the step's hypotheses
};

struct Chain {
  std::vector<Hit> hits;
  Eigen::Vector2d last = Eigen::Vector2d::Zero();
  Eigen::Vector2d velocity = Eigen::Vector2d::Zero();  // metres per step
  int last_step = 0;
  bool has_velocity = false;
};

Eigen::Vector2d Pos(const GroundHypothesis& h) { return {h.ground.position.x, h.ground.position.y}; }

// Links the step hypotheses into chains (greedy in time, Hungarian per step with a one-step look-ahead).
std::vector<Chain> Link(const std::vector<std::vector<GroundHypothesis>>& hyps, const BatchFuserOptions& o) {
  std::vector<Chain> done;
  std::vector<Chain> live;
  constexpr double kInf = 1e9;
  for (int k = 0; k < static_cast<int>(hyps.size()); ++k) {
    // End chains unmatched for too long.
    std::vector<Chain> keep;
    for (Chain& c : live) {
      if (k - c.last_step > o.max_gap_steps) {
        done.push_back(std::move(c));
      } else {
        keep.push_back(std::move(c));
      }
    }
    live = std::move(keep);
    const std::vector<GroundHypothesis>& now = hyps[k];
    const std::vector<GroundHypothesis>* next = k + 1 < static_cast<int>(hyps.size()) ? &hyps[k + 1] : nullptr;
    std::vector<int> owner(now.size(), -1);
    if (!live.empty() && !now.empty()) {
      std::vector<std::vector<double>> cost(live.size(), std::vector<double>(now.size(), kInf));
      for (size_t t = 0; t < live.size(); ++t) {
        const Chain& c = live[t];
        const int gap = k - c.last_step;
        const Eigen::Vector2d pred = c.last + c.velocity * gap;
        const double gate = o.link_gate_m * gap;
        for (size_t j = 0; j < now.size(); ++j) {
          const Eigen::Vector2d h = Pos(now[j]);
          const double d = (h - pred).norm();
          if (d > gate) continue;
          double ahead = 0;
          if (next != nullptr && o.lookahead_weight > 0) {
            // Best continuation one step later under the velocity this link implies.
            const Eigen::Vector2d v = (h - c.last) / gap;
            const Eigen::Vector2d v2 =
                c.has_velocity ? (o.velocity_smoothing * v + (1 - o.velocity_smoothing) * c.velocity) : v;
            const Eigen::Vector2d p2 = h + v2;
            double best = o.link_gate_m;
            for (const GroundHypothesis& n : *next) best = std::min(best, (Pos(n) - p2).norm());
            ahead = best;
          }
          cost[t][j] = d + o.lookahead_weight * ahead;
        }
      }
      std::vector<int> a = SolveAssignment(cost);
      for (size_t t = 0; t < live.size(); ++t) {
        const int j = a[t];
        if (j < 0 || cost[t][j] >= kInf) continue;
        owner[j] = static_cast<int>(t);
        Chain& c = live[t];
        const Eigen::Vector2d h = Pos(now[j]);
        const Eigen::Vector2d v = (h - c.last) / (k - c.last_step);
        c.velocity = c.has_velocity ? (o.velocity_smoothing * v + (1 - o.velocity_smoothing) * c.velocity) : v;
        c.has_velocity = true;
        c.last = h;
        c.last_step = k;
        c.hits.push_back({k, static_cast<int>(j)});
      }
    }
    for (size_t j = 0; j < now.size(); ++j) {
      if (owner[j] >= 0 || !now[j].strong) continue;
      Chain c;
      c.last = Pos(now[j]);
      c.last_step = k;
      c.hits.push_back({k, static_cast<int>(j)});
      live.push_back(std::move(c));
    }
  }
  for (Chain& c : live) done.push_back(std::move(c));
  return done;
}

}  // namespace

absl::StatusOr<std::vector<FusedStep>> FuseBatch(const FuserOptions& fuser, const BatchFuserOptions& options,
                                                 const std::vector<BatchCamera>& cameras,
                                                 std::vector<CameraFrame> frames) {
  DIDBAN_RETURN_IF_ERROR(fuser.Validate());
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  const TimeUs step_us = SecondsToUs(fuser.step_s);
  std::map<TimeUs, std::vector<CameraFrame>> by_step;
  for (CameraFrame& f : frames) by_step[StepBucket(f.time, step_us)].push_back(std::move(f));
  if (options.linker == "junction") {
    std::vector<StepConsensus> steps;
    steps.reserve(by_step.size());
    NoiseEstimate noise;
    for (const auto& [t, fs] : by_step) {
      DIDBAN_ASSIGN_OR_RETURN(StepConsensus c, ConsensusOfStep(t, fs, cameras, fuser, options, &noise));
      steps.push_back(std::move(c));
    }
    return LinkConsensusSteps(steps, fuser, options, cameras);
  }
  std::vector<TimeUs> times;
  std::vector<std::vector<GroundHypothesis>> hyps;
  for (auto& [t, fs] : by_step) {
    times.push_back(t);
    if (options.consensus == "box_model") {
      absl::StatusOr<std::vector<GroundHypothesis>> h = BoxModelStepKeeping(fs, cameras, fuser, options, nullptr);
      if (!h.ok()) return h.status();
      hyps.push_back(*std::move(h));
    } else {
      hyps.push_back(ClusterStep(fs, cameras, fuser, options));
    }
  }
  if (options.linker == "fuser") {
    // One virtual camera carrying the strong hypotheses through the streaming fuser's Kalman association.
    // Each observation carries its hypothesis' index as local id (links off), to report the supporting cameras.
    std::vector<CameraFrame> consensus;
    std::map<TimeUs, size_t> step_of;
    for (size_t k = 0; k < hyps.size(); ++k) {
      CameraFrame f;
      f.camera = "consensus";
      f.time = times[k];
      step_of[times[k]] = k;
      for (size_t j = 0; j < hyps[k].size(); ++j) {
        const GroundHypothesis& h = hyps[k][j];
        if (h.strong || options.kalman_weak) f.observations.push_back({static_cast<int64_t>(j), h.ground});
      }
      consensus.push_back(std::move(f));
    }
    FuserOptions fo = fuser;
    fo.min_cameras_to_confirm = options.kalman_confirm_hits <= 1 ? 1 : 2;
    fo.confirm_hits = options.kalman_confirm_hits;
    fo.report_coast_s = options.report_coast_s;
    fo.use_links = false;
    if (options.accel_sigma > 0) fo.accel_sigma = options.accel_sigma;
    absl::StatusOr<std::vector<FusedStep>> steps = FuseAll(fo, std::move(consensus));
    if (!steps.ok()) return steps.status();
    for (FusedStep& s : *steps) {
      auto it = step_of.find(s.time);
      if (it == step_of.end()) continue;
      for (FusedTrack& t : s.tracks) {
        if (t.cameras.size() != 1 || t.cameras[0].local_id < 0) continue;
        t.cameras = hyps[it->second][static_cast<size_t>(t.cameras[0].local_id)].cameras;
      }
    }
    return steps;
  }
  auto enough = [&](const Chain& c) {
    int strong = 0;
    for (const Hit& h : c.hits) strong += hyps[h.step][h.hyp].strong ? 1 : 0;
    return static_cast<int>(c.hits.size()) >= options.min_track_hits || strong >= options.min_strong_hits;
  };
  std::vector<Chain> chains = Link(hyps, options);
  // Re-link without the hypotheses of chains too short to keep (duplicates and false coincidences that would
  // otherwise steal links from real tracks).
  for (int pass = 1; pass < options.link_passes; ++pass) {
    std::vector<std::vector<bool>> drop(hyps.size());
    for (size_t k = 0; k < hyps.size(); ++k) drop[k].assign(hyps[k].size(), false);
    for (const Chain& c : chains) {
      if (enough(c)) continue;
      for (const Hit& h : c.hits) drop[h.step][h.hyp] = true;
    }
    for (size_t k = 0; k < hyps.size(); ++k) {
      std::vector<GroundHypothesis> kept_h;
      for (size_t j = 0; j < hyps[k].size(); ++j) {
        if (!drop[k][j]) kept_h.push_back(std::move(hyps[k][j]));
      }
      hyps[k] = std::move(kept_h);
    }
    chains = Link(hyps, options);
  }
  // Keep chains with enough evidence; order by first appearance for the ids.
  std::vector<const Chain*> kept;
  for (const Chain& c : chains) {
    if (enough(c)) kept.push_back(&c);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const Chain* a, const Chain* b) { return a->hits.front().step < b->hits.front().step; });
  std::vector<FusedStep> out(times.size());
  for (size_t k = 0; k < times.size(); ++k) out[k].time = times[k];
  int64_t next_id = 1;
  for (const Chain* c : kept) {
    const int64_t id = next_id++;
    for (size_t i = 0; i < c->hits.size(); ++i) {
      const Hit& h = c->hits[i];
      const GroundHypothesis& g = hyps[h.step][h.hyp];
      FusedTrack t;
      t.id = id;
      t.position = g.ground.position;
      t.covariance = g.ground.covariance;
      t.cameras = g.cameras;
      if (i + 1 < c->hits.size()) {
        const Hit& n = c->hits[i + 1];
        const GroundHypothesis& gn = hyps[n.step][n.hyp];
        const double span = UsToSeconds(times[n.step] - times[h.step]);
        if (span > 0) {
          t.velocity = {(gn.ground.position.x - g.ground.position.x) / span,
                        (gn.ground.position.y - g.ground.position.y) / span};
        }
        if (options.fill_gaps) {
          for (int s = h.step + 1; s < n.step; ++s) {
            const double f = static_cast<double>(s - h.step) / (n.step - h.step);
            FusedTrack fill;
            fill.id = id;
            fill.position = {g.ground.position.x + f * (gn.ground.position.x - g.ground.position.x),
                             g.ground.position.y + f * (gn.ground.position.y - g.ground.position.y)};
            fill.velocity = t.velocity;
            fill.covariance = g.ground.covariance + gn.ground.covariance;
            out[s].tracks.push_back(std::move(fill));
          }
        }
      }
      out[h.step].tracks.push_back(std::move(t));
    }
  }
  for (FusedStep& s : out) {
    std::sort(s.tracks.begin(), s.tracks.end(), [](const FusedTrack& a, const FusedTrack& b) { return a.id < b.id; });
  }
  return out;
}

}  // namespace didban::fuse
