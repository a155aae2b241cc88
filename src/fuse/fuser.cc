#include "fuse/fuser.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include <Eigen/Dense>

#include "core/hungarian.h"
#include "core/params.h"
#include "fuse/batch_fuser.h"

namespace didban::fuse {

absl::Status FuserOptions::Validate() const {
  if (!(step_s >= 0)) return absl::InvalidArgumentError("step_s must be >= 0");
  if (!(accel_sigma > 0)) return absl::InvalidArgumentError("accel_sigma must be > 0");
  if (!(init_speed_sigma > 0)) return absl::InvalidArgumentError("init_speed_sigma must be > 0");
  if (!(gate_chi2 > 0) || !(linked_gate_chi2 >= gate_chi2)) {
    return absl::InvalidArgumentError("gate_chi2 must be > 0 and linked_gate_chi2 >= gate_chi2");
  }
  if (!(link_bonus >= 0)) return absl::InvalidArgumentError("link_bonus must be >= 0");
  if (!(merge_gate_chi2 > 0)) return absl::InvalidArgumentError("merge_gate_chi2 must be > 0");
  if (min_cameras_to_confirm < 1) return absl::InvalidArgumentError("min_cameras_to_confirm must be >= 1");
  if (confirm_hits < 1) return absl::InvalidArgumentError("confirm_hits must be >= 1");
  if (!(min_birth_separation_m >= 0)) return absl::InvalidArgumentError("min_birth_separation_m must be >= 0");
  if (!(retire_after_s > 0)) return absl::InvalidArgumentError("retire_after_s must be > 0");
  if (!(report_coast_s >= 0)) return absl::InvalidArgumentError("report_coast_s must be >= 0");
  if (!(max_lag_s >= 0)) return absl::InvalidArgumentError("max_lag_s must be >= 0");
  if (!(camera_timeout_s > 0)) return absl::InvalidArgumentError("camera_timeout_s must be > 0");
  if (!(link_timeout_s > 0)) return absl::InvalidArgumentError("link_timeout_s must be > 0");
  if (max_tracks < 1) return absl::InvalidArgumentError("max_tracks must be >= 1");
  if (max_pending_steps < 1) return absl::InvalidArgumentError("max_pending_steps must be >= 1");
  if (mode != "fixed_lag" && mode != "streaming") {
    return absl::InvalidArgumentError(absl::StrCat("mode must be fixed_lag or streaming, not '", mode, "'"));
  }
  if (!(lag_s >= 0) || !std::isfinite(lag_s)) return absl::InvalidArgumentError("lag_s must be >= 0");
  if (!(window_s >= lag_s) || !std::isfinite(window_s) || !(window_s > 0)) {
    return absl::InvalidArgumentError("window_s must be > 0 and >= lag_s");
  }
  if (!(fixed_lag_step_s >= 0)) return absl::InvalidArgumentError("fixed_lag_step_s must be >= 0");
  if (fixed_lag_birth_hits < 1) return absl::InvalidArgumentError("fixed_lag_birth_hits must be >= 1");
  if (!(fixed_lag_recency_s >= 0)) return absl::InvalidArgumentError("fixed_lag_recency_s must be >= 0");
  if (!fixed_lag.is_object()) return absl::InvalidArgumentError("fixed_lag must be a mapping");
  absl::StatusOr<BatchFuserOptions> b = BatchFuserOptions::FromJson(fixed_lag, "fixed_lag");
  if (!b.ok()) return b.status();
  return absl::OkStatus();
}

absl::StatusOr<FuserOptions> FuserOptions::FromJson(const nlohmann::json& params, const std::string& where) {
  FuserOptions o;
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(params,
                                          {"step_s",
                                           "accel_sigma",
                                           "init_speed_sigma",
                                           "gate_chi2",
                                           "linked_gate_chi2",
                                           "link_bonus",
                                           "merge_gate_chi2",
                                           "min_cameras_to_confirm",
                                           "confirm_hits",
                                           "min_birth_separation_m",
                                           "retire_after_s",
                                           "report_coast_s",
                                           "max_lag_s",
                                           "camera_timeout_s",
                                           "link_timeout_s",
                                           "use_links",
                                           "max_tracks",
                                           "max_pending_steps",
                                           "roi",
                                           "mode",
                                           "lag_s",
                                           "window_s",
                                           "fixed_lag_step_s",
                                           "fixed_lag_birth_hits",
                                           "fixed_lag_recency_s",
                                           "fixed_lag"},
                                          where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "step_s", &o.step_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "accel_sigma", &o.accel_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "init_speed_sigma", &o.init_speed_sigma, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "gate_chi2", &o.gate_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "linked_gate_chi2", &o.linked_gate_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "link_bonus", &o.link_bonus, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "merge_gate_chi2", &o.merge_gate_chi2, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_cameras_to_confirm", &o.min_cameras_to_confirm, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "confirm_hits", &o.confirm_hits, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "min_birth_separation_m", &o.min_birth_separation_m, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "retire_after_s", &o.retire_after_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "report_coast_s", &o.report_coast_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_lag_s", &o.max_lag_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "camera_timeout_s", &o.camera_timeout_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "link_timeout_s", &o.link_timeout_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "use_links", &o.use_links, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_tracks", &o.max_tracks, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "max_pending_steps", &o.max_pending_steps, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "mode", &o.mode, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "lag_s", &o.lag_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "window_s", &o.window_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "fixed_lag_step_s", &o.fixed_lag_step_s, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "fixed_lag_birth_hits", &o.fixed_lag_birth_hits, where));
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "fixed_lag_recency_s", &o.fixed_lag_recency_s, where));
  if (params.contains("fixed_lag")) {
    if (!params["fixed_lag"].is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".fixed_lag: expected a mapping"));
    }
    absl::StatusOr<BatchFuserOptions> b =
        BatchFuserOptions::FromJson(params["fixed_lag"], absl::StrCat(where, ".fixed_lag"));
    if (!b.ok()) return b.status();
    o.fixed_lag = params["fixed_lag"];
  }
  std::vector<double> roi;
  DIDBAN_RETURN_IF_ERROR(ReadParam(params, "roi", &roi, where));
  if (!roi.empty()) {
    if (roi.size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".roi: expected [min_x, min_y, max_x, max_y]"));
    }
    o.roi_min_x = roi[0];
    o.roi_min_y = roi[1];
    o.roi_max_x = roi[2];
    o.roi_max_y = roi[3];
  }
  return Validated(o, where);
}

std::string FormatContributions(const std::vector<Contribution>& cameras) {
  std::string out;
  for (const Contribution& c : cameras) {
    if (!out.empty()) out += ';';
    out += c.camera;
    if (c.local_id >= 0) absl::StrAppend(&out, ":", c.local_id);
  }
  return out;
}

namespace {

constexpr double kInfeasible = 1e6;
constexpr TimeUs kNever = std::numeric_limits<TimeUs>::min();

using Vec4 = Eigen::Vector4d;
using Mat4 = Eigen::Matrix4d;
using Vec2 = Eigen::Vector2d;
using Mat2 = Eigen::Matrix2d;

struct Track {
  int64_t uid = 0;  // internal, stable for links
  int64_t id = 0;   // public id; 0 while tentative
  Vec4 x = Vec4::Zero();
  Mat4 p = Mat4::Identity();
  TimeUs time = 0;
  TimeUs last_update = 0;
  int hits = 0;
  std::vector<Contribution> contributions;  // at the last update
  Vec2 birth_pos = Vec2::Zero();            // position and covariance at birth (two-point velocity start)
  Mat2 birth_cov = Mat2::Identity();
};

struct CameraState {
  std::string name;
  TimeUs reported = kNever;  // newest frame time
  bool live = false;
};

struct PendingObs {
  int camera = 0;
  CameraObservation obs;
};

struct Link {
  int64_t uid = 0;
  TimeUs last = 0;
};

Vec2 Pos(const Track& t) { return t.x.head<2>(); }

}  // namespace

struct Fuser::Impl {
  explicit Impl(const FuserOptions& o)
      : opt(o),
        step_us(SecondsToUs(o.step_s)),
        retire_us(SecondsToUs(o.retire_after_s)),
        coast_us(SecondsToUs(o.report_coast_s)),
        lag_us(SecondsToUs(o.max_lag_s)),
        camera_timeout_us(SecondsToUs(o.camera_timeout_s)),
        link_timeout_us(SecondsToUs(o.link_timeout_s)) {}

  FuserOptions opt;
  TimeUs step_us, retire_us, coast_us, lag_us, camera_timeout_us, link_timeout_us;
  std::vector<CameraState> cameras;
  std::map<std::string, int> camera_index;
  std::map<TimeUs, std::vector<PendingObs>> pending;
  TimeUs last_processed = kNever;
  TimeUs newest = kNever;
  std::vector<Track> tracks;
  std::map<std::pair<int, int64_t>, Link> links;
  int64_t next_uid = 1;
  int64_t next_id = 1;

  TimeUs Bucket(TimeUs t) const {
    if (step_us <= 0) return t;
    double k = std::floor(static_cast<double>(t) / static_cast<double>(step_us) + 0.5);
    return static_cast<TimeUs>(k) * step_us;
  }

  bool InRoi(const Point2& p) const {
    if (!(opt.roi_min_x < opt.roi_max_x) || !(opt.roi_min_y < opt.roi_max_y)) return true;
    return p.x >= opt.roi_min_x && p.x <= opt.roi_max_x && p.y >= opt.roi_min_y && p.y <= opt.roi_max_y;
  }

  int CameraId(const std::string& name) {
    auto it = camera_index.find(name);
    if (it != camera_index.end()) return it->second;
    int id = static_cast<int>(cameras.size());
    cameras.push_back({name, kNever, false});
    camera_index.emplace(name, id);
    return id;
  }

  void UpdateLiveness(FuserStats* stats) {
    for (int c = 0; c < static_cast<int>(cameras.size()); ++c) {
      CameraState& cam = cameras[c];
      bool live = cam.reported != kNever && newest - cam.reported <= camera_timeout_us;
      if (cam.live && !live) {
        ++stats->cameras_lost;
        for (auto it = links.begin(); it != links.end();) {
          it = it->first.first == c ? links.erase(it) : std::next(it);
        }
      }
      cam.live = live;
    }
  }

  bool Ready(TimeUs t) const {
    if (newest - t >= lag_us) return true;
    TimeUs need = step_us > 0 ? t + step_us / 2 : t;
    for (const CameraState& cam : cameras) {
      if (cam.live && cam.reported < need) return false;
    }
    return true;
  }

  void Predict(Track* tr, TimeUs t) const {
    double dt = UsToSeconds(t - tr->time);
    if (dt <= 0) return;
    Mat4 f = Mat4::Identity();
    f(0, 2) = dt;
    f(1, 3) = dt;
    const double q = opt.accel_sigma * opt.accel_sigma;
    const double dt2 = dt * dt, dt3 = dt2 * dt / 2, dt4 = dt2 * dt2 / 4;
    Mat4 qm = Mat4::Zero();
    qm(0, 0) = qm(1, 1) = dt4 * q;
    qm(0, 2) = qm(2, 0) = qm(1, 3) = qm(3, 1) = dt3 * q;
    qm(2, 2) = qm(3, 3) = dt2 * q;
    tr->x = f * tr->x;
    tr->p = f * tr->p * f.transpose() + qm;
    tr->time = t;
  }

  static void Update(Track* tr, const geo::GroundPoint& z) {
    Vec2 nu = Vec2(z.position.x, z.position.y) - Pos(*tr);
    Mat2 s = tr->p.topLeftCorner<2, 2>() + z.covariance;
    Eigen::Matrix<double, 4, 2> k = tr->p.leftCols<2>() * s.inverse();
    tr->x += k * nu;
    Mat4 ikh = Mat4::Identity();
    ikh.leftCols<2>() -= k;
    tr->p = ikh * tr->p;
    tr->p = 0.5 * (tr->p + tr->p.transpose());
  }

  // Squared Mahalanobis distance and ln det S of an observation against a track.
  static std::pair<double, double> Distance(const Track& tr, const geo::GroundPoint& z) {
    Vec2 nu = Vec2(z.position.x, z.position.y) - Pos(tr);
    Mat2 s = tr.p.topLeftCorner<2, 2>() + z.covariance;
    return {nu.dot(s.inverse() * nu), std::log(s.determinant())};
  }

  FusedStep Process(TimeUs t, std::vector<PendingObs> obs, FuserStats* stats) {
    ++stats->steps;
    for (Track& tr : tracks) Predict(&tr, t);
    // Per camera: gate and assign (one observation per camera per track).
    std::map<int, std::vector<int>> by_camera;
    for (int i = 0; i < static_cast<int>(obs.size()); ++i) by_camera[obs[i].camera].push_back(i);
    std::vector<std::vector<int>> assigned(tracks.size());
    std::vector<char> used(obs.size(), 0);
    for (const auto& [cam, idx] : by_camera) {
      if (tracks.empty()) break;
      std::vector<std::vector<double>> cost(idx.size(), std::vector<double>(tracks.size(), kInfeasible));
      for (size_t r = 0; r < idx.size(); ++r) {
        const CameraObservation& o = obs[idx[r]].obs;
        int64_t linked_uid = 0;
        if (opt.use_links && o.local_id >= 0) {
          auto it = links.find({cam, o.local_id});
          if (it != links.end()) linked_uid = it->second.uid;
        }
        for (size_t c = 0; c < tracks.size(); ++c) {
          auto [d2, logdet] = Distance(tracks[c], o.ground);
          bool linked = linked_uid != 0 && tracks[c].uid == linked_uid;
          if (d2 > (linked ? opt.linked_gate_chi2 : opt.gate_chi2)) continue;
          cost[r][c] = d2 + logdet - (linked ? opt.link_bonus : 0.0);
        }
      }
      std::vector<int> match = SolveAssignment(cost);
      for (size_t r = 0; r < idx.size(); ++r) {
        if (match[r] < 0 || cost[r][match[r]] >= kInfeasible) continue;
        assigned[match[r]].push_back(idx[r]);
        used[idx[r]] = 1;
      }
    }
    // Update each track with all its observations.
    for (size_t k = 0; k < tracks.size(); ++k) {
      if (assigned[k].empty()) continue;
      Track& tr = tracks[k];
      const bool two_point = tr.hits == 1 && tr.time > tr.last_update;
      if (two_point) TwoPointStart(&tr, obs, assigned[k]);
      tr.contributions.clear();
      for (int i : assigned[k]) {
        if (!two_point) Update(&tr, obs[i].obs.ground);
        tr.contributions.push_back({cameras[obs[i].camera].name, obs[i].obs.local_id});
        Relink(obs[i], tr.uid, t);
      }
      tr.last_update = t;
      ++tr.hits;
      if (tr.id == 0 && tr.hits >= opt.confirm_hits) Confirm(&tr, stats);
    }
    MergeDuplicates(t);
    Birth(t, obs, used, stats);
    Retire(t);
    return Report(t);
  }

  // Two tracks updated now from disjoint cameras whose estimates agree are one object seen twice: the younger (or
  // tentative) one is folded into the older.
  void MergeDuplicates(TimeUs t) {
    for (size_t a = 0; a < tracks.size(); ++a) {
      for (size_t b = 0; b < tracks.size(); ++b) {
        Track& x = tracks[a];
        Track& y = tracks[b];
        if (a == b || x.last_update != t || y.last_update != t || y.hits == 0 || x.hits == 0) continue;
        bool x_older = (x.id != 0 && (y.id == 0 || x.id < y.id)) || (x.id == 0 && y.id == 0 && x.uid < y.uid);
        if (!x_older) continue;
        bool shared = false;
        for (const Contribution& cx : x.contributions) {
          for (const Contribution& cy : y.contributions) shared = shared || cx.camera == cy.camera;
        }
        if (shared) continue;
        Vec2 d = Pos(x) - Pos(y);
        Mat2 s = x.p.topLeftCorner<2, 2>() + y.p.topLeftCorner<2, 2>();
        if (d.dot(s.inverse() * d) > opt.merge_gate_chi2) continue;
        geo::GroundPoint z;
        z.position = {y.x(0), y.x(1)};
        z.covariance = y.p.topLeftCorner<2, 2>();
        Update(&x, z);
        x.contributions.insert(x.contributions.end(), y.contributions.begin(), y.contributions.end());
        for (auto& [key, link] : links) {
          if (link.uid == y.uid) link.uid = x.uid;
        }
        y.hits = 0;  // marked: removed below
      }
    }
    tracks.erase(std::remove_if(tracks.begin(), tracks.end(), [](const Track& tr) { return tr.hits == 0; }),
                 tracks.end());
  }

  // On a track's second step, starts its velocity from the two positions (birth and the new observations) instead of
  // zero, so fast objects seen by one distant camera do not lag.
  void TwoPointStart(Track* tr, const std::vector<PendingObs>& obs, const std::vector<int>& idx) const {
    Mat2 info = Mat2::Zero();
    Vec2 info_x = Vec2::Zero();
    for (int i : idx) {
      Mat2 inv = obs[i].obs.ground.covariance.inverse();
      info += inv;
      info_x += inv * Vec2(obs[i].obs.ground.position.x, obs[i].obs.ground.position.y);
    }
    Mat2 cov = info.inverse();
    Vec2 z = cov * info_x;
    double dt = UsToSeconds(tr->time - tr->last_update);
    if (dt <= 0) return;
    Vec2 v = (z - tr->birth_pos) / dt;
    tr->x << z, v;
    tr->p.topLeftCorner<2, 2>() = cov;
    tr->p.topRightCorner<2, 2>() = cov / dt;
    tr->p.bottomLeftCorner<2, 2>() = cov / dt;
    tr->p.bottomRightCorner<2, 2>() = (cov + tr->birth_cov) / (dt * dt);
  }

  void Relink(const PendingObs& o, int64_t uid, TimeUs t) {
    if (o.obs.local_id >= 0) links[{o.camera, o.obs.local_id}] = {uid, t};
  }

  void Confirm(Track* tr, FuserStats* stats) {
    tr->id = next_id++;
    ++stats->tracks_created;
  }

  // Clusters unassociated observations across cameras into new tracks.
  void Birth(TimeUs t, const std::vector<PendingObs>& obs, const std::vector<char>& used, FuserStats* stats) {
    std::vector<int> free;
    for (int i = 0; i < static_cast<int>(obs.size()); ++i) {
      if (!used[i]) free.push_back(i);
    }
    if (free.empty()) return;
    struct Pair {
      double d2;
      int a, b;
    };
    std::vector<Pair> pairs;
    for (size_t a = 0; a < free.size(); ++a) {
      for (size_t b = a + 1; b < free.size(); ++b) {
        const PendingObs& oa = obs[free[a]];
        const PendingObs& ob = obs[free[b]];
        if (oa.camera == ob.camera) continue;
        Vec2 d(oa.obs.ground.position.x - ob.obs.ground.position.x,
               oa.obs.ground.position.y - ob.obs.ground.position.y);
        double d2 = d.dot((oa.obs.ground.covariance + ob.obs.ground.covariance).inverse() * d);
        if (d2 <= opt.merge_gate_chi2) pairs.push_back({d2, static_cast<int>(a), static_cast<int>(b)});
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) { return x.d2 < y.d2; });
    // Clusters: members (indices into free), information-form estimate.
    struct Cluster {
      std::vector<int> members;
      std::set<int> cams;
      Mat2 info = Mat2::Zero();
      Vec2 info_x = Vec2::Zero();
      Mat2 Cov() const { return info.inverse(); }
      Vec2 Mean() const { return info.inverse() * info_x; }
    };
    std::vector<int> cluster_of(free.size());
    std::vector<Cluster> clusters(free.size());
    for (size_t a = 0; a < free.size(); ++a) {
      const CameraObservation& o = obs[free[a]].obs;
      Mat2 inv = o.ground.covariance.inverse();
      clusters[a].members = {static_cast<int>(a)};
      clusters[a].cams = {obs[free[a]].camera};
      clusters[a].info = inv;
      clusters[a].info_x = inv * Vec2(o.ground.position.x, o.ground.position.y);
      cluster_of[a] = static_cast<int>(a);
    }
    for (const Pair& p : pairs) {
      int ca = cluster_of[p.a], cb = cluster_of[p.b];
      if (ca == cb) continue;
      Cluster& x = clusters[ca];
      Cluster& y = clusters[cb];
      bool overlap = false;
      for (int c : y.cams) overlap = overlap || x.cams.count(c) > 0;
      if (overlap) continue;
      Vec2 d = x.Mean() - y.Mean();
      if (d.dot((x.Cov() + y.Cov()).inverse() * d) > opt.merge_gate_chi2) continue;
      for (int m : y.members) cluster_of[m] = ca;
      x.members.insert(x.members.end(), y.members.begin(), y.members.end());
      x.cams.insert(y.cams.begin(), y.cams.end());
      x.info += y.info;
      x.info_x += y.info_x;
      y.members.clear();
    }
    for (Cluster& cl : clusters) {
      if (cl.members.empty()) continue;
      if (static_cast<int>(tracks.size()) >= opt.max_tracks) return;
      Vec2 mean = cl.Mean();
      if (cl.cams.size() == 1 && TooCloseToUpdatedTrack(mean, t)) continue;
      Track tr;
      tr.uid = next_uid++;
      tr.x << mean, 0, 0;
      tr.p = Mat4::Zero();
      tr.p.topLeftCorner<2, 2>() = cl.Cov();
      tr.p(2, 2) = tr.p(3, 3) = opt.init_speed_sigma * opt.init_speed_sigma;
      tr.time = t;
      tr.last_update = t;
      tr.hits = 1;
      tr.birth_pos = mean;
      tr.birth_cov = cl.Cov();
      std::sort(cl.members.begin(), cl.members.end(),
                [&](int a, int b) { return obs[free[a]].camera < obs[free[b]].camera; });
      for (int m : cl.members) {
        const PendingObs& o = obs[free[m]];
        tr.contributions.push_back({cameras[o.camera].name, o.obs.local_id});
        Relink(o, tr.uid, t);
      }
      if (static_cast<int>(cl.cams.size()) >= opt.min_cameras_to_confirm || opt.confirm_hits <= 1) {
        Confirm(&tr, stats);
      }
      tracks.push_back(std::move(tr));
    }
  }

  bool TooCloseToUpdatedTrack(const Vec2& p, TimeUs t) const {
    for (const Track& tr : tracks) {
      if (tr.last_update == t && (Pos(tr) - p).norm() < opt.min_birth_separation_m) return true;
    }
    return false;
  }

  void Retire(TimeUs t) {
    std::set<int64_t> gone;
    auto dead = [&](const Track& tr) {
      bool retire = tr.id == 0 ? tr.last_update < t : t - tr.last_update > retire_us;
      if (retire) gone.insert(tr.uid);
      return retire;
    };
    tracks.erase(std::remove_if(tracks.begin(), tracks.end(), dead), tracks.end());
    for (auto it = links.begin(); it != links.end();) {
      bool expire = gone.count(it->second.uid) > 0 || t - it->second.last > link_timeout_us;
      it = expire ? links.erase(it) : std::next(it);
    }
  }

  FusedStep Report(TimeUs t) const {
    FusedStep step;
    step.time = t;
    for (const Track& tr : tracks) {
      if (tr.id == 0 || t - tr.last_update > coast_us) continue;
      FusedTrack f;
      f.id = tr.id;
      f.position = {tr.x(0), tr.x(1)};
      f.velocity = {tr.x(2), tr.x(3)};
      f.covariance = tr.p.topLeftCorner<2, 2>();
      if (tr.last_update == t) f.cameras = tr.contributions;
      std::sort(f.cameras.begin(), f.cameras.end(),
                [](const Contribution& a, const Contribution& b) { return a.camera < b.camera; });
      step.tracks.push_back(std::move(f));
    }
    std::sort(step.tracks.begin(), step.tracks.end(),
              [](const FusedTrack& a, const FusedTrack& b) { return a.id < b.id; });
    return step;
  }
};

Fuser::Fuser(FuserOptions options) : options_(options), impl_(std::make_unique<Impl>(options_)) {}
Fuser::~Fuser() = default;

absl::Status Fuser::PushFrame(const CameraFrame& frame) {
  Impl& m = *impl_;
  int cam = m.CameraId(frame.camera);
  CameraState& cs = m.cameras[cam];
  if (cs.reported != kNever && frame.time < cs.reported) {
    return absl::InvalidArgumentError(absl::StrCat("camera ", frame.camera, ": frame at ", frame.time,
                                                   " us is older than its previous frame at ", cs.reported, " us"));
  }
  cs.reported = frame.time;
  m.newest = std::max(m.newest, frame.time);
  TimeUs bucket = m.Bucket(frame.time);
  stats_.observations += static_cast<int64_t>(frame.observations.size());
  if (m.last_processed != kNever && bucket <= m.last_processed) {
    stats_.late_dropped += static_cast<int64_t>(frame.observations.size());
    return absl::OkStatus();
  }
  std::vector<PendingObs>& slot = m.pending[bucket];
  for (const CameraObservation& o : frame.observations) {
    if (!m.InRoi(o.ground.position)) {
      ++stats_.outside_roi;
      continue;
    }
    slot.push_back({cam, o});
  }
  return absl::OkStatus();
}

std::vector<FusedStep> Fuser::Poll() { return Drain(/*all=*/false); }

std::vector<FusedStep> Fuser::Flush() { return Drain(/*all=*/true); }

std::vector<FusedStep> Fuser::Drain(bool all) {
  Impl& m = *impl_;
  std::vector<FusedStep> out;
  if (!all) m.UpdateLiveness(&stats_);
  while (!m.pending.empty()) {
    auto it = m.pending.begin();
    const bool force = all || static_cast<int>(m.pending.size()) > options_.max_pending_steps;
    if (!force && !m.Ready(it->first)) break;
    TimeUs t = it->first;
    std::vector<PendingObs> obs = std::move(it->second);
    m.pending.erase(it);
    m.last_processed = t;
    out.push_back(m.Process(t, std::move(obs), &stats_));
  }
  if (!out.empty()) {
    std::lock_guard<std::mutex> lock(snapshot_mu_);
    latest_ = std::make_shared<const FusedStep>(out.back());
  }
  return out;
}

std::shared_ptr<const FusedStep> Fuser::LatestStep() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return latest_;
}

std::vector<std::string> Fuser::LiveCameras() const {
  std::vector<std::string> out;
  for (const CameraState& c : impl_->cameras) {
    if (c.live) out.push_back(c.name);
  }
  return out;
}

absl::StatusOr<std::vector<FusedStep>> FuseAll(const FuserOptions& options, std::vector<CameraFrame> frames) {
  DIDBAN_RETURN_IF_ERROR(options.Validate());
  std::stable_sort(frames.begin(), frames.end(),
                   [](const CameraFrame& a, const CameraFrame& b) { return a.time < b.time; });
  Fuser fuser(options);
  std::vector<FusedStep> out;
  for (const CameraFrame& f : frames) {
    DIDBAN_RETURN_IF_ERROR(fuser.PushFrame(f));
    for (FusedStep& s : fuser.Poll()) out.push_back(std::move(s));
  }
  for (FusedStep& s : fuser.Flush()) out.push_back(std::move(s));
  return out;
}

}  // namespace didban::fuse
