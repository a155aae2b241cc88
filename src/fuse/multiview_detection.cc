#include "fuse/multiview_detection.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <set>
#include <utility>

#include <Eigen/Eigenvalues>

#include "core/hungarian.h"
#include "core/params.h"

namespace didban::fuse {

absl::Status MultiViewDetectionOptions::Validate() const {
  if (!(person_height_m > 0)) return absl::InvalidArgumentError("person_height_m must be > 0");
  if (!(person_diameter_m > 0)) return absl::InvalidArgumentError("person_diameter_m must be > 0");
  if (!(sigma_center_rel >= 0 && sigma_edge_rel >= 0 && sigma_width_rel >= 0 && calibration_px >= 0)) {
    return absl::InvalidArgumentError("sigma_center_rel, sigma_edge_rel, sigma_width_rel, calibration_px must be >= 0");
  }
  if (!(sigma_center_rel > 0 || calibration_px > 0) || !(sigma_edge_rel > 0 || calibration_px > 0) ||
      !(sigma_width_rel > 0 || calibration_px > 0)) {
    return absl::InvalidArgumentError("every box sigma must be > 0 (set calibration_px > 0 or the relative sigmas)");
  }
  if (!(gate_chi2 > 0)) return absl::InvalidArgumentError("gate_chi2 must be > 0");
  if (!(single_chi2 > 0)) return absl::InvalidArgumentError("single_chi2 must be > 0");
  if (!std::isfinite(match_score) || !std::isfinite(miss_score) || !std::isfinite(min_score)) {
    return absl::InvalidArgumentError("match_score, miss_score, min_score must be finite");
  }
  if (refine_iterations < 1) return absl::InvalidArgumentError("refine_iterations must be >= 1");
  if (polish_iterations < 0) return absl::InvalidArgumentError("polish_iterations must be >= 0");
  if (!(redetect_pair_m >= 0)) return absl::InvalidArgumentError("redetect_pair_m must be >= 0");
  if (max_fit_iterations < 1) return absl::InvalidArgumentError("max_fit_iterations must be >= 1");
  if (image_width < 0 || image_height < 0) return absl::InvalidArgumentError("image_width, image_height must be >= 0");
  if (!roi.empty() && (roi.size() != 4 || !(roi[0] < roi[2] && roi[1] < roi[3]))) {
    return absl::InvalidArgumentError("roi must be [min_x, min_y, max_x, max_y] with min < max, or empty");
  }
  if (!(seed_roi_margin_m >= 0)) return absl::InvalidArgumentError("seed_roi_margin_m must be >= 0");
  if (!(min_separation_m >= 0)) return absl::InvalidArgumentError("min_separation_m must be >= 0");
  if (recover_min_boxes < 1) return absl::InvalidArgumentError("recover_min_boxes must be >= 1");
  if (!(recover_chi2 >= 0) || !(recover_chi2_per_box >= 0)) {
    return absl::InvalidArgumentError("recover_chi2 and recover_chi2_per_box must be >= 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<MultiViewDetectionOptions> MultiViewDetectionOptions::FromJson(const nlohmann::json& params,
                                                                              const std::string& where) {
  MultiViewDetectionOptions o;
  DIDBAN_RETURN_IF_ERROR(
      CheckKnownParams(params, {"person_height_m",      "person_diameter_m", "sigma_center_rel",  "sigma_edge_rel",
                                "sigma_width_rel",      "calibration_px",    "gate_chi2",         "single_chi2",
                                "match_score",          "miss_score",        "min_score",         "refine_iterations",
                                "max_fit_iterations",   "image_width",       "image_height",      "roi",
                                "seed_roi_margin_m",    "min_separation_m",  "recover_min_boxes", "recover_chi2",
                                "recover_chi2_per_box", "polish_iterations", "redetect_pair_m"},
                       where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "person_height_m", &o.person_height_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "person_diameter_m", &o.person_diameter_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "sigma_center_rel", &o.sigma_center_rel, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "sigma_edge_rel", &o.sigma_edge_rel, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "sigma_width_rel", &o.sigma_width_rel, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "calibration_px", &o.calibration_px, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "gate_chi2", &o.gate_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "single_chi2", &o.single_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "match_score", &o.match_score, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "miss_score", &o.miss_score, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_score", &o.min_score, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "refine_iterations", &o.refine_iterations, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "polish_iterations", &o.polish_iterations, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "redetect_pair_m", &o.redetect_pair_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_fit_iterations", &o.max_fit_iterations, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "image_width", &o.image_width, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "image_height", &o.image_height, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "roi", &o.roi, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "seed_roi_margin_m", &o.seed_roi_margin_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_separation_m", &o.min_separation_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "recover_min_boxes", &o.recover_min_boxes, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "recover_chi2", &o.recover_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "recover_chi2_per_box", &o.recover_chi2_per_box, where));
  return Validated(std::move(o), where);
}

namespace {

constexpr int kMeasurements = 4;           // centre x, top, bottom, width
constexpr double kMinBoxHeightPx = 5;      // smaller predicted boxes are not seen
constexpr double kJacobianStepM = 0.01;    // numeric Jacobian step
constexpr double kMaxStepM = 2;            // Gauss-Newton step limit per iteration
constexpr double kConvergedStepM = 0.005;  // a fit stops after a step this small
constexpr double kRankTolerance = 1e-12;   // relative eigenvalue of J^T J below which it counts as 0
constexpr double kFailedChi2 = 1e9;
constexpr double kUnmatched = 1e9;

using Measurement = std::array<double, kMeasurements>;

// One camera prepared for fast prediction: the 3x4 projection matrix when there is no lens distortion.
struct ModelCamera {
  const geo::PinholeCamera* pinhole = nullptr;
  bool linear = true;
  cv::Matx34d p;
  double center_x = 0, center_y = 0;  // camera centre on the ground plane, metres
  double ground_z = 0;
  double width = 0, height = 0;  // image size, pixels
};

// A predicted box in one camera.
struct Prediction {
  bool valid = false;  // every model point in front of the camera
  Measurement m{};     // centre x, top, bottom, width, pixels
  double h = 0;        // box height, pixels
};

bool ProjectPoint(const ModelCamera& cam, double x, double y, double z, double* u, double* v) {
  if (cam.linear) {
    const cv::Matx34d& p = cam.p;
    double w = p(2, 0) * x + p(2, 1) * y + p(2, 2) * z + p(2, 3);
    // The depth is the third camera coordinate: K's last row is (0, 0, 1).
    if (w <= 1e-9) return false;
    *u = (p(0, 0) * x + p(0, 1) * y + p(0, 2) * z + p(0, 3)) / w;
    *v = (p(1, 0) * x + p(1, 1) * y + p(1, 2) * z + p(1, 3)) / w;
    return true;
  }
  std::optional<Point2> q = cam.pinhole->Project(cv::Vec3d(x, y, z));
  if (!q) return false;
  *u = q->x;
  *v = q->y;
  return true;
}

Prediction Predict(const ModelCamera& cam, double x, double y, const MultiViewDetectionOptions& o) {
  Prediction out;
  double fu = 0, fv = 0, hu = 0, hv = 0;
  if (!ProjectPoint(cam, x, y, cam.ground_z, &fu, &fv)) return out;
  if (!ProjectPoint(cam, x, y, cam.ground_z + o.person_height_m, &hu, &hv)) return out;
  double dx = x - cam.center_x, dy = y - cam.center_y;
  double n = std::hypot(dx, dy);
  if (n < 1e-9) {
    dx = 1;
    dy = 0;
    n = 1;
  }
  // Perpendicular to the horizontal viewing direction, half a diameter long.
  const double r = 0.5 * o.person_diameter_m / n;
  const double px = -dy * r, py = dx * r;
  const double mid_z = cam.ground_z + 0.5 * o.person_height_m;
  double au = 0, av = 0, bu = 0, bv = 0;
  if (!ProjectPoint(cam, x + px, y + py, mid_z, &au, &av)) return out;
  if (!ProjectPoint(cam, x - px, y - py, mid_z, &bu, &bv)) return out;
  out.valid = true;
  out.m = {0.5 * (fu + hu), hv, fv, std::abs(au - bu)};
  out.h = fv - hv;
  return out;
}

// Which coordinates of a predicted box can be measured: clipped edges are ignored (bit k = coordinate k).
unsigned MeasuredMask(const ModelCamera& cam, const Prediction& p) {
  unsigned mask = 0xF;
  if (p.m[0] - 0.5 * p.m[3] < 0 || p.m[0] + 0.5 * p.m[3] > cam.width) mask &= ~0x9U;
  if (p.m[1] < 0) mask &= ~0x2U;
  if (p.m[2] > cam.height) mask &= ~0x4U;
  return mask;
}

// True when the camera's image should show a person with this predicted box.
bool Covers(const ModelCamera& cam, const Prediction& p) {
  return p.valid && p.h > kMinBoxHeightPx && p.m[0] >= 0 && p.m[0] < cam.width && p.m[2] > 0 &&
         p.m[2] < cam.height + 0.2 * p.h && p.m[1] < cam.height;
}

Measurement ToMeasurement(const Box& b) {
  return {b.x + 0.5 * static_cast<double>(b.w), static_cast<double>(b.y), static_cast<double>(b.y) + b.h,
          static_cast<double>(b.w)};
}

// One observation of a fit: a camera and the measured box.
struct Observation {
  int camera = 0;
  int box = 0;
};

// Everything one DetectPeopleMultiView call shares; buffers are reused to keep the inner loops allocation-free.
struct Context {
  const MultiViewDetectionOptions* o = nullptr;
  std::vector<ModelCamera> cams;
  std::vector<std::vector<Measurement>> meas;  // per camera, per box
  std::vector<std::vector<char>> usable;       // per camera, per box: finite coordinates
  std::vector<Prediction> preds;               // per camera, scratch
  std::array<std::vector<double>, 3> res;      // residual buffers (at g, g + dx, g + dy)
  std::array<std::vector<unsigned>, 3> masks;  // measured masks per observation, matching `res`

  Measurement Sigma(double h) const {
    auto s = [&](double rel) { return std::sqrt(rel * h * rel * h + o->calibration_px * o->calibration_px); };
    return {s(o->sigma_center_rel), s(o->sigma_edge_rel), s(o->sigma_edge_rel), s(o->sigma_width_rel)};
  }
};

// Normalised residuals of the observations at ground point (x, y) into ctx->res[slot]; false when a camera cannot
// see the point (behind it or too small).
bool Residuals(Context* ctx, const std::vector<Observation>& obs, double x, double y, int slot) {
  std::vector<double>& r = ctx->res[slot];
  std::vector<unsigned>& masks = ctx->masks[slot];
  r.clear();
  masks.clear();
  for (const Observation& ob : obs) {
    const ModelCamera& cam = ctx->cams[ob.camera];
    Prediction p = Predict(cam, x, y, *ctx->o);
    if (!p.valid || p.h <= kMinBoxHeightPx) return false;
    const unsigned mask = MeasuredMask(cam, p);
    const Measurement sig = ctx->Sigma(p.h);
    const Measurement& d = ctx->meas[ob.camera][ob.box];
    for (int k = 0; k < kMeasurements; ++k) {
      if (mask & (1U << k)) r.push_back((d[k] - p.m[k]) / sig[k]);
    }
    masks.push_back(mask);
  }
  return true;
}

// J^T J and J^T r of the numeric Jacobian at (x, y) (residuals at (x, y) must be in res[0]); false when the set
// of measured coordinates changes within a step.
bool NormalEquations(Context* ctx, const std::vector<Observation>& obs, double x, double y, Eigen::Matrix2d* jtj,
                     Eigen::Vector2d* jtr) {
  if (!Residuals(ctx, obs, x + kJacobianStepM, y, 1) || !Residuals(ctx, obs, x, y + kJacobianStepM, 2)) return false;
  if (ctx->masks[1] != ctx->masks[0] || ctx->masks[2] != ctx->masks[0]) return false;
  jtj->setZero();
  jtr->setZero();
  const std::vector<double>& r0 = ctx->res[0];
  for (size_t i = 0; i < r0.size(); ++i) {
    const double jx = (ctx->res[1][i] - r0[i]) / kJacobianStepM;
    const double jy = (ctx->res[2][i] - r0[i]) / kJacobianStepM;
    (*jtj)(0, 0) += jx * jx;
    (*jtj)(0, 1) += jx * jy;
    (*jtj)(1, 1) += jy * jy;
    (*jtr)(0) += jx * r0[i];
    (*jtr)(1) += jy * r0[i];
  }
  (*jtj)(1, 0) = (*jtj)(0, 1);
  return true;
}

struct FitResult {
  double x = 0, y = 0;
  double chi2 = kFailedChi2;
  bool ok = false;
};

// Gauss-Newton fit of the ground point to the observations from (x0, y0), steps limited to kMaxStepM. Without a
// prior each step is the least-squares step (minimum norm when the Jacobian is rank-deficient). With a Gaussian prior
// on the point it is the maximum a posteriori step, chi2 includes the prior's term and `information` (if given) gets
// J^T J + prior^-1 at the result.
FitResult Fit(Context* ctx, const std::vector<Observation>& obs, double x0, double y0,
              const PersonPrior* prior = nullptr, Eigen::Matrix2d* information = nullptr) {
  FitResult f{x0, y0, kFailedChi2, false};
  Eigen::Matrix2d lambda = Eigen::Matrix2d::Zero();
  Eigen::Vector2d mean = Eigen::Vector2d::Zero();
  if (prior != nullptr) {
    lambda = prior->covariance.inverse();
    mean = {prior->mean.x, prior->mean.y};
  }
  Eigen::Matrix2d jtj;
  Eigen::Vector2d jtr;
  for (int it = 0; it < ctx->o->max_fit_iterations; ++it) {
    if (!Residuals(ctx, obs, f.x, f.y, 0) || !NormalEquations(ctx, obs, f.x, f.y, &jtj, &jtr)) return f;
    Eigen::Vector2d step = Eigen::Vector2d::Zero();
    if (prior != nullptr) {
      step = -(jtj + lambda).ldlt().solve(jtr + lambda * (Eigen::Vector2d(f.x, f.y) - mean));
    } else {
      Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(jtj);
      const Eigen::Vector2d ev = eig.eigenvalues().cwiseMax(0.0);
      // Eigenvalues of J^T J carry an absolute error of about eps * the largest, so smaller ones are treated as zero
      // (one residual, or a direction no measurement constrains): the minimum-norm least-squares step.
      const double cutoff = kRankTolerance * ev.maxCoeff();
      for (int k = 0; k < 2; ++k) {
        if (ev(k) > cutoff && ev(k) > 0) {
          const Eigen::Vector2d v = eig.eigenvectors().col(k);
          step -= v * (v.dot(jtr) / ev(k));
        }
      }
    }
    const double n = step.norm();
    if (!std::isfinite(n)) return f;
    if (n > kMaxStepM) step *= kMaxStepM / n;
    f.x += step(0);
    f.y += step(1);
    if (n < kConvergedStepM) break;
  }
  if (!Residuals(ctx, obs, f.x, f.y, 0)) return f;
  double chi2 = 0;
  for (double r : ctx->res[0]) chi2 += r * r;
  if (prior != nullptr) {
    const Eigen::Vector2d d = Eigen::Vector2d(f.x, f.y) - mean;
    chi2 += d.dot(lambda * d);
    if (information != nullptr) {
      if (!NormalEquations(ctx, obs, f.x, f.y, &jtj, &jtr)) return f;
      *information = jtj + lambda;
    }
  }
  f.chi2 = chi2;
  f.ok = std::isfinite(chi2);
  return f;
}

bool InRoi(const MultiViewDetectionOptions& o, double x, double y, double margin) {
  if (o.roi.empty()) return true;
  return x >= o.roi[0] - margin && x <= o.roi[2] + margin && y >= o.roi[1] - margin && y <= o.roi[3] + margin;
}

struct Seed {
  int camera = 0;
  int box = 0;
  double x = 0, y = 0;
};

// The refined hypothesis of one seed, valid while none of the boxes it accepted (`deps`) is used.
struct Candidate {
  bool computed = false;
  bool valid = false;  // fit succeeded and inside the ROI
  double x = 0, y = 0, chi2 = 0, score = 0;
  int covering = 0;
  std::vector<Observation> obs;
  std::vector<Observation> deps;
};

// Cameras whose image should show a person at (x, y).
int CountCovering(const Context& ctx, double x, double y) {
  int covering = 0;
  for (const ModelCamera& cam : ctx.cams) covering += Covers(cam, Predict(cam, x, y, *ctx.o)) ? 1 : 0;
  return covering;
}

// A hypothesis' score: match per supporting box - chi2 / 2 + miss per covering camera without a box.
double Score(const MultiViewDetectionOptions& o, int boxes, double chi2, int covering) {
  return o.match_score * boxes - 0.5 * chi2 + o.miss_score * std::max(0, covering - boxes);
}

// Chi2 of a measured box against a predicted one over the measured coordinates.
double BoxChi2(const Prediction& p, unsigned mask, const Measurement& sig, const Measurement& d) {
  double c2 = 0;
  for (int k = 0; k < kMeasurements; ++k) {
    if (!(mask & (1U << k))) continue;
    const double r = (d[k] - p.m[k]) / sig[k];
    c2 += r * r;
  }
  return c2;
}

// The unused box of camera `c` nearest in chi2 to the box predicted for a person at (x, y), when under the gate;
// -1 when there is none or the camera does not cover the point.
int NearestBox(const Context& ctx, int c, double x, double y, const std::vector<std::vector<char>>& used) {
  if (ctx.meas[c].empty()) return -1;
  const ModelCamera& cam = ctx.cams[c];
  const Prediction p = Predict(cam, x, y, *ctx.o);
  if (!Covers(cam, p)) return -1;
  const unsigned mask = MeasuredMask(cam, p);
  const Measurement sig = ctx.Sigma(p.h);
  double best = kUnmatched;
  int best_j = -1;
  for (size_t j = 0; j < ctx.meas[c].size(); ++j) {
    if (used[c][j] || !ctx.usable[c][j]) continue;
    const double c2 = BoxChi2(p, mask, sig, ctx.meas[c][j]);
    if (c2 < best) {
      best = c2;
      best_j = static_cast<int>(j);
    }
  }
  return best_j >= 0 && best < ctx.o->gate_chi2 ? best_j : -1;
}

void Refine(Context* ctx, const Seed& seed, const std::vector<std::vector<char>>& used, Candidate* c) {
  const MultiViewDetectionOptions& o = *ctx->o;
  const int ncam = static_cast<int>(ctx->cams.size());
  c->computed = true;
  c->valid = false;
  c->deps.clear();
  double x = seed.x, y = seed.y;
  FitResult f;
  for (int it = 0; it < o.refine_iterations; ++it) {
    c->obs.clear();
    c->obs.push_back({seed.camera, seed.box});
    for (int cj = 0; cj < ncam; ++cj) {
      if (cj == seed.camera) continue;
      const int j = NearestBox(*ctx, cj, x, y, used);
      if (j >= 0) {
        c->obs.push_back({cj, j});
        c->deps.push_back({cj, j});
      }
    }
    f = Fit(ctx, c->obs, x, y);
    x = f.x;
    y = f.y;
  }
  if (!f.ok || !InRoi(o, x, y, 0)) return;
  c->valid = true;
  c->x = x;
  c->y = y;
  c->chi2 = f.chi2;
  c->covering = CountCovering(*ctx, x, y);
  c->score = Score(o, static_cast<int>(c->obs.size()), f.chi2, c->covering);
}

bool StillValid(const Candidate& c, const std::vector<std::vector<char>>& used) {
  if (!c.computed) return false;
  return std::none_of(c.deps.begin(), c.deps.end(), [&](const Observation& d) { return used[d.camera][d.box]; });
}

// (J^T J)^-1 at the fitted point; directions the boxes do not constrain get a variance of 1e6 m^2.
Eigen::Matrix2d Covariance(Context* ctx, const std::vector<Observation>& obs, double x, double y) {
  Eigen::Matrix2d jtj;
  Eigen::Vector2d jtr;
  if (!Residuals(ctx, obs, x, y, 0) || !NormalEquations(ctx, obs, x, y, &jtj, &jtr)) {
    return Eigen::Matrix2d::Identity() * 1e6;
  }
  Eigen::SelfAdjointEigenSolver<Eigen::Matrix2d> eig(jtj);
  const Eigen::Vector2d ev = eig.eigenvalues().cwiseMax(1e-6);
  return eig.eigenvectors() * ev.cwiseInverse().asDiagonal() * eig.eigenvectors().transpose();
}

absl::StatusOr<ModelCamera> MakeModelCamera(const geo::CameraCalibration& cal, int index,
                                            const MultiViewDetectionOptions& o) {
  if (!cal.pinhole) return absl::InvalidArgumentError(absl::StrCat("camera ", index, ": no pinhole calibration"));
  const geo::PinholeCamera& pin = *cal.pinhole;
  ModelCamera m;
  m.pinhole = &pin;
  m.linear = std::all_of(pin.distortion.begin(), pin.distortion.end(), [](double d) { return d == 0; }) &&
             pin.k(2, 0) == 0 && pin.k(2, 1) == 0 && pin.k(2, 2) == 1;
  cv::Matx34d rt;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) rt(i, j) = pin.r(i, j);
    rt(i, 3) = pin.t[i];
  }
  m.p = pin.k * rt;
  const cv::Vec3d c = pin.Center();
  m.center_x = c[0];
  m.center_y = c[1];
  m.ground_z = cal.ground_z;
  m.width = o.image_width > 0 ? o.image_width : pin.width;
  m.height = o.image_height > 0 ? o.image_height : pin.height;
  if (!(m.width > 0 && m.height > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("camera ", index, ": unknown image size (set the pinhole's or options' image_width/height)"));
  }
  return m;
}

// The hypothesis of a chosen candidate.
PersonHypothesis Take(Context* ctx, const Candidate& c) {
  PersonHypothesis h;
  h.position = {c.x, c.y};
  h.covariance = Covariance(ctx, c.obs, c.x, c.y);
  for (const Observation& ob : c.obs) h.support.push_back({ob.camera, ob.box});
  std::sort(h.support.begin(), h.support.end(), [](const BoxRef& a, const BoxRef& b) { return a.camera < b.camera; });
  h.covering = c.covering;
  h.score = c.score;
  h.chi2 = c.chi2;
  return h;
}

// Greedy MAP over the seeds `pool` (indices into `seeds`): the best-scoring refined seed takes its boxes (marked in
// `used`), until none scores `min_score`; `first` (a position in `pool`, when given) is taken first whatever its rank.
// A seed's refinement only changes when one of the boxes it accepted is taken, so `cands` (parallel to `pool`)
// caches it until then. Seeds whose refinement lands closer than min_separation_m to a person of `fixed` or one
// already chosen are duplicates and skipped. Returns the chosen positions in `pool`, in order; `total` (if given)
// gets the sum of their scores.
std::vector<int> GreedySelect(Context* ctx, const std::vector<Seed>& seeds, const std::vector<int>& pool,
                              std::optional<int> first, std::vector<std::vector<char>>* used,
                              std::vector<Candidate>* cands, const std::vector<PersonHypothesis>& fixed,
                              double* total) {
  const MultiViewDetectionOptions& o = *ctx->o;
  const double min_sep2 = o.min_separation_m * o.min_separation_m;
  std::vector<int> chosen;
  const auto near = [&](const Candidate& c) {
    if (min_sep2 <= 0) return false;
    const auto close = [&](double x, double y) { return (x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) < min_sep2; };
    return std::any_of(fixed.begin(), fixed.end(),
                       [&](const PersonHypothesis& h) { return close(h.position.x, h.position.y); }) ||
           std::any_of(chosen.begin(), chosen.end(), [&](int i) { return close((*cands)[i].x, (*cands)[i].y); });
  };
  double sum = 0;
  const int n = static_cast<int>(pool.size());
  while (true) {
    int best = -1;
    for (int i = 0; i < n; ++i) {
      const Seed& seed = seeds[pool[i]];
      if ((*used)[seed.camera][seed.box]) continue;
      if (first && chosen.empty() && i != *first) continue;
      Candidate& c = (*cands)[i];
      if (!StillValid(c, *used)) Refine(ctx, seed, *used, &c);
      if (!c.valid || near(c)) continue;
      if (best < 0 || c.score > (*cands)[best].score) best = i;
    }
    if (best < 0 || (*cands)[best].score < o.min_score) break;
    for (const Observation& ob : (*cands)[best].obs) (*used)[ob.camera][ob.box] = 1;
    chosen.push_back(best);
    sum += (*cands)[best].score;
  }
  if (total != nullptr) *total = sum;
  return chosen;
}

// Local re-detection (MultiViewDetectionOptions::redetect_pair_m): for every two chosen people closer than that,
// their boxes are freed and the greedy search is rerun on the seeds lying within redetect_pair_m of either, once
// with each of those seeds taken first; the best outcome replaces the pair when its summed score is higher. Undoes
// a greedy choice whose first person took a box of its neighbour (a jittered pair of boxes fits a point between two
// people better than either). Accepted changes raise the total score, so it terminates; at most one change per
// person, and a pair tried without change (the same two positions) is not tried again.
void RedetectPairs(Context* ctx, const std::vector<Seed>& seeds, std::vector<std::vector<char>>* used,
                   std::vector<PersonHypothesis>* people) {
  const MultiViewDetectionOptions& o = *ctx->o;
  if (o.redetect_pair_m <= 0) return;
  const double r2 = o.redetect_pair_m * o.redetect_pair_m;
  const auto d2 = [](double ax, double ay, double bx, double by) {
    return (ax - bx) * (ax - bx) + (ay - by) * (ay - by);
  };
  // Tries to re-detect people a and b; true when they were replaced.
  const auto try_pair = [&](size_t a, size_t b) {
    const PersonHypothesis& pa = (*people)[a];
    const PersonHypothesis& pb = (*people)[b];
    if (d2(pa.position.x, pa.position.y, pb.position.x, pb.position.y) >= r2) return false;
    std::vector<std::vector<char>> freed = *used;
    for (const BoxRef& r : pa.support) freed[r.camera][r.box] = 0;
    for (const BoxRef& r : pb.support) freed[r.camera][r.box] = 0;
    std::vector<int> pool;
    for (size_t s = 0; s < seeds.size(); ++s) {
      const Seed& sd = seeds[s];
      if (freed[sd.camera][sd.box]) continue;
      if (d2(sd.x, sd.y, pa.position.x, pa.position.y) < r2 || d2(sd.x, sd.y, pb.position.x, pb.position.y) < r2) {
        pool.push_back(static_cast<int>(s));
      }
    }
    std::vector<PersonHypothesis> others;
    for (size_t k = 0; k < people->size(); ++k) {
      if (k != a && k != b) others.push_back((*people)[k]);
    }
    std::vector<Candidate> base(pool.size());
    for (size_t i = 0; i < pool.size(); ++i) Refine(ctx, seeds[pool[i]], freed, &base[i]);
    double best_total = pa.score + pb.score + 1e-6;
    std::vector<Candidate> best_cands;
    std::vector<int> best_chosen;
    std::vector<std::vector<char>> best_used;
    std::vector<std::vector<Observation>> tried;  // the boxes of every first choice tried (seeds often coincide)
    for (int f = 0; f < static_cast<int>(pool.size()); ++f) {
      if (!base[f].valid) continue;
      std::vector<Observation> key = base[f].obs;
      std::sort(key.begin(), key.end(), [](const Observation& x, const Observation& y) {
        return x.camera != y.camera ? x.camera < y.camera : x.box < y.box;
      });
      const auto same = [&](const std::vector<Observation>& t) {
        return std::equal(t.begin(), t.end(), key.begin(), key.end(), [](const Observation& x, const Observation& y) {
          return x.camera == y.camera && x.box == y.box;
        });
      };
      if (std::any_of(tried.begin(), tried.end(), same)) continue;
      tried.push_back(std::move(key));
      std::vector<std::vector<char>> trial_used = freed;
      std::vector<Candidate> trial = base;
      double total = 0;
      std::vector<int> chosen = GreedySelect(ctx, seeds, pool, f, &trial_used, &trial, others, &total);
      if (total > best_total) {
        best_total = total;
        best_chosen = std::move(chosen);
        best_cands = std::move(trial);
        best_used = std::move(trial_used);
      }
    }
    if (best_chosen.empty()) return false;
    for (int s : best_chosen) others.push_back(Take(ctx, best_cands[s]));
    *people = std::move(others);
    *used = std::move(best_used);
    return true;
  };
  // After a change the list is new: the pairs are looked at again, except those already tried unchanged (the same two
  // positions).
  std::set<std::array<double, 4>> tried;
  for (int changes = static_cast<int>(people->size()); changes > 0; --changes) {
    bool changed = false;
    for (size_t a = 0; a < people->size() && !changed; ++a) {
      for (size_t b = a + 1; b < people->size() && !changed; ++b) {
        const std::array<double, 4> key{(*people)[a].position.x, (*people)[a].position.y, (*people)[b].position.x,
                                        (*people)[b].position.y};
        if (tried.count(key) > 0) continue;
        changed = try_pair(a, b);
        if (!changed) tried.insert(key);
      }
    }
    if (!changed) return;
  }
}

// Joint re-assignment (MultiViewDetectionOptions::polish_iterations): per camera, the people it should show and its
// boxes are re-paired by a Hungarian assignment maximising the summed gain match - chi2 / 2 - miss of each pair
// under the gate (a person may stay without a box of that camera), then every person is refitted from where it is
// to its boxes. A person left without boxes (taken by a better-fitting neighbour, or fitted where none of the cameras
// of its boxes would show it) is dropped. Stops early when no assignment changes.
void Polish(Context* ctx, std::vector<PersonHypothesis>* people) {
  const MultiViewDetectionOptions& o = *ctx->o;
  const int ncam = static_cast<int>(ctx->cams.size());
  HungarianSolver solver;
  std::vector<double> cost;
  std::vector<int> rows, row_to_col;
  std::vector<Prediction> preds;
  for (int round = 0; round < o.polish_iterations && !people->empty(); ++round) {
    const int n = static_cast<int>(people->size());
    std::vector<std::vector<Observation>> obs(n);
    for (int c = 0; c < ncam; ++c) {
      const ModelCamera& cam = ctx->cams[c];
      const int nbox = static_cast<int>(ctx->meas[c].size());
      rows.clear();
      preds.clear();
      for (int i = 0; i < n; ++i) {
        const Prediction p = Predict(cam, (*people)[i].position.x, (*people)[i].position.y, o);
        if (!Covers(cam, p)) continue;
        rows.push_back(i);
        preds.push_back(p);
      }
      if (rows.empty() || nbox == 0) continue;
      // Columns: the boxes, then one "no box" column per person (gain 0).
      const int nrow = static_cast<int>(rows.size());
      const int ncol = nbox + nrow;
      cost.assign(static_cast<size_t>(nrow) * ncol, kUnmatched);
      for (int r = 0; r < nrow; ++r) {
        const Prediction& p = preds[r];
        const unsigned mask = MeasuredMask(cam, p);
        const Measurement sig = ctx->Sigma(p.h);
        for (int j = 0; j < nbox; ++j) {
          if (!ctx->usable[c][j]) continue;
          const double c2 = BoxChi2(p, mask, sig, ctx->meas[c][j]);
          if (c2 < o.gate_chi2) cost[static_cast<size_t>(r) * ncol + j] = -(o.match_score - 0.5 * c2 - o.miss_score);
        }
        cost[static_cast<size_t>(r) * ncol + nbox + r] = 0;
      }
      solver.Solve(cost.data(), nrow, ncol, &row_to_col);
      for (int r = 0; r < nrow; ++r) {
        const int j = row_to_col[r];
        if (j >= 0 && j < nbox && cost[static_cast<size_t>(r) * ncol + j] < 0) obs[rows[r]].push_back({c, j});
      }
    }
    bool changed = false;
    std::vector<PersonHypothesis> next;
    for (int i = 0; i < n; ++i) {
      PersonHypothesis& h = (*people)[i];
      const std::vector<Observation>& ob = obs[i];
      bool same = ob.size() == h.support.size();
      for (size_t k = 0; same && k < ob.size(); ++k) {
        same = ob[k].camera == h.support[k].camera && ob[k].box == h.support[k].box;
      }
      if (same) {
        next.push_back(std::move(h));
        continue;
      }
      changed = true;
      if (ob.empty()) continue;
      const FitResult f = Fit(ctx, ob, h.position.x, h.position.y);
      if (!f.ok) continue;
      h.position = {f.x, f.y};
      h.covariance = Covariance(ctx, ob, f.x, f.y);
      h.support.clear();
      for (const Observation& x : ob) h.support.push_back({x.camera, x.box});
      h.covering = CountCovering(*ctx, f.x, f.y);
      h.chi2 = f.chi2;
      h.score = Score(o, static_cast<int>(ob.size()), f.chi2, h.covering);
      next.push_back(std::move(h));
    }
    *people = std::move(next);
    if (!changed) break;
  }
}

}  // namespace

std::optional<Box> PredictPersonBox(const geo::CameraCalibration& camera, const Point2& ground,
                                    const MultiViewDetectionOptions& options) {
  if (!camera.pinhole) return std::nullopt;
  MultiViewDetectionOptions o = options;
  if (o.image_width <= 0) o.image_width = 1;  // the image size does not matter for the prediction
  if (o.image_height <= 0) o.image_height = 1;
  absl::StatusOr<ModelCamera> cam = MakeModelCamera(camera, 0, o);
  if (!cam.ok()) return std::nullopt;
  const Prediction p = Predict(*cam, ground.x, ground.y, options);
  if (!p.valid) return std::nullopt;
  return Box{static_cast<float>(p.m[0] - 0.5 * p.m[3]), static_cast<float>(p.m[1]), static_cast<float>(p.m[3]),
             static_cast<float>(p.h)};
}

namespace {

// Checks the inputs and fills the context's cameras and measurements; `used` gets one cleared flag per box.
absl::Status Prepare(const std::vector<const geo::CameraCalibration*>& cameras,
                     const std::vector<std::vector<Box>>& boxes, const MultiViewDetectionOptions& options,
                     Context* ctx_ptr, std::vector<std::vector<char>>* used_ptr) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  Context& ctx = *ctx_ptr;
  std::vector<std::vector<char>>& used = *used_ptr;
  if (boxes.size() != cameras.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("boxes for ", boxes.size(), " cameras, expected ", cameras.size(), " (one list per camera)"));
  }
  ctx.o = &options;
  const int ncam = static_cast<int>(cameras.size());
  for (int c = 0; c < ncam; ++c) {
    if (cameras[c] == nullptr) return absl::InvalidArgumentError(absl::StrCat("camera ", c, ": null"));
    DIDBAN_ASSIGN_OR_RETURN(ModelCamera m, MakeModelCamera(*cameras[c], c, options));
    ctx.cams.push_back(m);
  }
  ctx.meas.resize(ncam);
  ctx.usable.resize(ncam);
  used.assign(ncam, {});
  for (int c = 0; c < ncam; ++c) {
    for (const Box& b : boxes[c]) {
      Measurement m = ToMeasurement(b);
      ctx.meas[c].push_back(m);
      ctx.usable[c].push_back(std::all_of(m.begin(), m.end(), [](double v) { return std::isfinite(v); }) ? 1 : 0);
    }
    used[c].assign(boxes[c].size(), 0);
  }
  for (auto& r : ctx.res) r.reserve(static_cast<size_t>(kMeasurements) * ncam);
  for (auto& m : ctx.masks) m.reserve(ncam);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<PersonHypothesis>> DetectPeopleMultiView(
    const std::vector<const geo::CameraCalibration*>& cameras, const std::vector<std::vector<Box>>& boxes,
    const MultiViewDetectionOptions& options) {
  Context ctx;
  std::vector<std::vector<char>> used;
  DIDBAN_RETURN_IF_ERROR(Prepare(cameras, boxes, options, &ctx, &used));
  const int ncam = static_cast<int>(cameras.size());

  // Single-view seeds: each box alone, fitted from its bottom centre on the ground.
  std::vector<Seed> seeds;
  std::vector<Observation> one(1);
  for (int c = 0; c < ncam; ++c) {
    for (int j = 0; j < static_cast<int>(boxes[c].size()); ++j) {
      if (!ctx.usable[c][j]) continue;
      const Measurement& m = ctx.meas[c][j];
      std::optional<cv::Vec3d> g0 = cameras[c]->pinhole->PixelToGround({m[0], m[2]}, cameras[c]->ground_z);
      if (!g0) continue;
      one[0] = {c, j};
      FitResult f = Fit(&ctx, one, (*g0)[0], (*g0)[1]);
      if (f.ok && f.chi2 < options.single_chi2 && InRoi(options, f.x, f.y, options.seed_roi_margin_m)) {
        seeds.push_back({c, j, f.x, f.y});
      }
    }
  }

  // Greedy MAP over all seeds, then the local re-detection of close pairs and the joint re-assignment.
  std::vector<int> all(seeds.size());
  for (size_t s = 0; s < seeds.size(); ++s) all[s] = static_cast<int>(s);
  std::vector<Candidate> cands(seeds.size());
  std::vector<PersonHypothesis> out;
  for (int i : GreedySelect(&ctx, seeds, all, {}, &used, &cands, out, nullptr)) out.push_back(Take(&ctx, cands[i]));
  RedetectPairs(&ctx, seeds, &used, &out);
  Polish(&ctx, &out);
  return out;
}

absl::StatusOr<std::vector<std::optional<PersonHypothesis>>> RecoverPeople(
    const std::vector<const geo::CameraCalibration*>& cameras, const std::vector<std::vector<Box>>& boxes,
    const std::vector<BoxRef>& taken, const std::vector<PersonPrior>& priors,
    const MultiViewDetectionOptions& options) {
  Context ctx;
  std::vector<std::vector<char>> used;
  DIDBAN_RETURN_IF_ERROR(Prepare(cameras, boxes, options, &ctx, &used));
  const int ncam = static_cast<int>(cameras.size());
  for (const BoxRef& r : taken) {
    if (r.camera < 0 || r.camera >= ncam || r.box < 0 || r.box >= static_cast<int>(boxes[r.camera].size())) {
      return absl::InvalidArgumentError(absl::StrCat("taken box ", r.box, " of camera ", r.camera, " does not exist"));
    }
    used[r.camera][r.box] = 1;
  }
  struct Found {
    double quality = 0;  // chi2 per box (plus one for the prior): lower is better
    size_t prior = 0;
    FitResult fit;
    Eigen::Matrix2d information;
    std::vector<Observation> obs;
    int covering = 0;
  };
  std::vector<Found> found;
  for (size_t i = 0; i < priors.size(); ++i) {
    const PersonPrior& prior = priors[i];
    if (!prior.covariance.allFinite() || !(prior.covariance.determinant() > 0) || !(prior.covariance(0, 0) > 0)) {
      return absl::InvalidArgumentError(absl::StrCat("prior ", i, ": covariance must be positive definite"));
    }
    Found fd;
    fd.prior = i;
    for (int c = 0; c < ncam; ++c) {
      if (Covers(ctx.cams[c], Predict(ctx.cams[c], prior.mean.x, prior.mean.y, options))) ++fd.covering;
      const int j = NearestBox(ctx, c, prior.mean.x, prior.mean.y, used);
      if (j >= 0) fd.obs.push_back({c, j});
    }
    const auto n = static_cast<double>(fd.obs.size());
    if (static_cast<int>(fd.obs.size()) < options.recover_min_boxes) continue;
    fd.fit = Fit(&ctx, fd.obs, prior.mean.x, prior.mean.y, &prior, &fd.information);
    if (!fd.fit.ok || fd.fit.chi2 > options.recover_chi2 + options.recover_chi2_per_box * n) continue;
    fd.quality = fd.fit.chi2 / (n + 1);
    found.push_back(std::move(fd));
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.quality < b.quality; });
  std::vector<std::optional<PersonHypothesis>> out(priors.size());
  for (const Found& fd : found) {
    if (std::any_of(fd.obs.begin(), fd.obs.end(), [&](const Observation& o) { return used[o.camera][o.box]; })) {
      continue;
    }
    PersonHypothesis h;
    h.position = {fd.fit.x, fd.fit.y};
    h.covariance = fd.information.inverse();
    for (const Observation& o : fd.obs) {
      h.support.push_back({o.camera, o.box});
      used[o.camera][o.box] = 1;
    }
    const int n = static_cast<int>(fd.obs.size());
    h.covering = fd.covering;
    h.chi2 = fd.fit.chi2;
    h.score = Score(options, n, fd.fit.chi2, fd.covering);
    out[fd.prior] = std::move(h);
  }
  return out;
}

}  // namespace didban::fuse
