// The rules that use ground-plane motion: speed, wrong_way, stopped, congestion.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/params.h"
#include "rules/builtin_rules.h"

namespace didban::rules {
namespace {

constexpr double kMpsToKmh = 3.6;

absl::Status NeedsCalibration(const RuleContext& c) {
  if (!c.calibration.Calibrated()) {
    return absl::FailedPreconditionError("needs a calibrated camera (calibration: homography or pinhole)");
  }
  return absl::OkStatus();
}

bool InShape(const std::optional<Shape>& s, const TrackView& tv) {
  if (!s) return true;
  std::optional<Point2> p = s->PositionOf(tv);
  return p && PointInPolygon(s->ground ? s->metres : s->pixels, *p);
}

bool InShape(const Shape& s, const TrackView& tv) {
  std::optional<Point2> p = s.PositionOf(tv);
  return p && PointInPolygon(s.ground ? s.metres : s.pixels, *p);
}

absl::StatusOr<std::optional<Shape>> ReadOptionalZone(const nlohmann::json& p) {
  if (!p.is_object() || (!p.contains("points") && !p.contains("ground"))) return std::optional<Shape>();
  DIDBAN_ASSIGN_OR_RETURN(Shape s, Shape::Read(p, 3));
  return std::optional<Shape>(std::move(s));
}

}  // namespace

// ---- speed ----

absl::Status SpeedOptions::Validate() const {
  if (!(limit_kmh >= 0)) return absl::InvalidArgumentError("limit_kmh: must be >= 0");
  if (!(window_s > 0) || !(min_span_s > 0) || min_span_s > window_s) {
    return absl::InvalidArgumentError("window_s and min_span_s must be > 0 with min_span_s <= window_s");
  }
  return absl::OkStatus();
}

absl::StatusOr<SpeedOptions> SpeedOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(
      p, {"type", "name", "points", "ground", "limit_kmh", "min_duration_s", "window_s", "min_span_s", "classes"}, ""));
  SpeedOptions o;
  DIDBAN_ASSIGN_OR_RETURN(o.zone, ReadOptionalZone(p));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "limit_kmh", &o.limit_kmh, true));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "min_duration_s", &o.min_duration_s, true));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "window_s", &o.window_s));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "min_span_s", &o.min_span_s));
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, false));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status SpeedRule::OnBind() {
  DIDBAN_RETURN_IF_ERROR(NeedsCalibration(Context()));
  return o_.zone ? o_.zone->Resolve(Context().calibration) : absl::OkStatus();
}

void SpeedRule::Process(const FrameInput& input, RuleOutput* out) {
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class) || tv.trajectory == nullptr || !InShape(o_.zone, tv)) continue;
    std::optional<Point2> v = tv.trajectory->Velocity(SecondsToUs(o_.window_s), SecondsToUs(o_.min_span_s));
    if (!v) continue;
    double kmh = Norm(*v) * kMpsToKmh;
    State& st = state_[tv.id];
    st.sum_kmh += kmh;
    ++st.n;
    st.last_kmh = kmh;
    st.object_class = tv.object_class;
    if (o_.limit_kmh <= 0) continue;
    if (kmh <= o_.limit_kmh) {
      st.over_since.reset();
      continue;
    }
    if (!st.over_since) st.over_since = input.time_us;
    if (!st.raised && input.time_us - *st.over_since >= SecondsToUs(o_.min_duration_s)) {
      st.raised = true;
      Event e = MakeEvent(input.time_us, "overspeed", &tv);
      e.value = kmh;
      e.unit = "km/h";
      e.detail = absl::StrCat("limit_kmh=", o_.limit_kmh);
      out->events->push_back(std::move(e));
    }
  }
}

void SpeedRule::Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) {
  auto it = state_.find(track_id);
  if (it == state_.end()) return;
  if (it->second.n > 0) {
    out->measurements->push_back(
        {time_us, Name(), MeasureKind::kSpeed, track_id, it->second.object_class, it->second.sum_kmh / it->second.n});
  }
  state_.erase(it);
}

std::optional<double> SpeedRule::CurrentKmh(int64_t track_id) const {
  auto it = state_.find(track_id);
  if (it == state_.end() || it->second.n == 0) return std::nullopt;
  return it->second.last_kmh;
}

RuleDrawing SpeedRule::Drawing() const {
  RuleDrawing d;
  if (o_.zone && !o_.zone->pixels.empty()) d.shapes.push_back({o_.zone->pixels, true});
  for (const auto& [id, st] : state_) {
    if (st.n > 0) d.track_labels.emplace_back(id, absl::StrCat(static_cast<int>(std::lround(st.last_kmh)), " km/h"));
  }
  std::sort(d.track_labels.begin(), d.track_labels.end());
  return d;
}

// ---- wrong_way ----

absl::Status WrongWayOptions::Validate() const {
  if (zone.points.size() < 3) return absl::InvalidArgumentError("a zone needs at least 3 points");
  if (heading_deg.has_value() == direction.has_value()) {
    return absl::InvalidArgumentError("needs exactly one of heading_deg (ground compass) or direction (pixels)");
  }
  if (direction && Norm(*direction) == 0) return absl::InvalidArgumentError("direction: must not be zero");
  if (!(tolerance_deg > 0 && tolerance_deg < 180)) {
    return absl::InvalidArgumentError(absl::StrCat("tolerance_deg: must be in (0, 180), got ", tolerance_deg));
  }
  return absl::OkStatus();
}

absl::StatusOr<WrongWayOptions> WrongWayOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(
      CheckKnownParams(p,
                       {"type", "name", "points", "ground", "heading_deg", "direction", "tolerance_deg",
                        "min_distance_m", "min_duration_s", "min_speed_kmh", "classes"},
                       ""));
  WrongWayOptions o;
  DIDBAN_ASSIGN_OR_RETURN(o.zone, Shape::Read(p, 3));
  if (p.contains("heading_deg")) {
    double h = 0;
    DIDBAN_RETURN_IF_ERROR(ReadParam(p, "heading_deg", &h));
    o.heading_deg = h;
  }
  if (p.contains("direction")) {
    DIDBAN_ASSIGN_OR_RETURN(std::vector<Point2> d,
                            Shape::ReadPoints(nlohmann::json::array({p["direction"]}), "direction"));
    o.direction = d[0];
  }
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "tolerance_deg", &o.tolerance_deg));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "min_distance_m", &o.min_distance_m, true));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "min_duration_s", &o.min_duration_s, true));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "min_speed_kmh", &o.min_speed_kmh, true));
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, false));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status WrongWayRule::OnBind() {
  DIDBAN_RETURN_IF_ERROR(NeedsCalibration(Context()));
  DIDBAN_RETURN_IF_ERROR(o_.zone.Resolve(Context().calibration));
  if (o_.heading_deg) {
    double a = *o_.heading_deg * std::numbers::pi / 180.0;
    allowed_ = {std::sin(a), std::cos(a)};
    return absl::OkStatus();
  }
  // A pixel direction: map a short step from the zone's centroid to the ground.
  Point2 c = Centroid(o_.zone.pixels);
  double n = Norm(*o_.direction);
  Point2 c2{c.x + 5 * o_.direction->x / n, c.y + 5 * o_.direction->y / n};
  const geo::CameraCalibration& cal = Context().calibration;
  std::optional<Point2> g1 = cal.PixelToGround(c), g2 = cal.PixelToGround(c2);
  if (!g1 || !g2 || Distance(*g1, *g2) == 0) {
    return absl::InvalidArgumentError("direction: the zone's centre is not on the ground");
  }
  double len = Distance(*g1, *g2);
  allowed_ = {(g2->x - g1->x) / len, (g2->y - g1->y) / len};
  return absl::OkStatus();
}

void WrongWayRule::Process(const FrameInput& input, RuleOutput* out) {
  const double cos_tol = std::cos(o_.tolerance_deg * std::numbers::pi / 180.0);
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class) || !tv.velocity || !tv.ground) continue;
    double speed = Norm(*tv.velocity);
    if (speed * kMpsToKmh < o_.min_speed_kmh) continue;
    if (!InShape(o_.zone, tv)) {
      state_.erase(tv.id);
      continue;
    }
    State& st = state_[tv.id];
    double c = (tv.velocity->x * allowed_.x + tv.velocity->y * allowed_.y) / speed;
    if (c >= cos_tol) {
      st.since.reset();
      continue;
    }
    if (!st.since) {
      st.since = input.time_us;
      st.start = *tv.ground;
    }
    double travelled = Distance(*tv.ground, st.start);
    if (!st.raised && input.time_us - *st.since >= SecondsToUs(o_.min_duration_s) && travelled >= o_.min_distance_m) {
      st.raised = true;
      Event e = MakeEvent(input.time_us, "wrong_way", &tv);
      e.value = speed * kMpsToKmh;
      e.unit = "km/h";
      double heading = std::atan2(tv.velocity->x, tv.velocity->y) * 180.0 / std::numbers::pi;
      double allowed = std::atan2(allowed_.x, allowed_.y) * 180.0 / std::numbers::pi;
      e.detail = absl::StrCat("heading_deg=", std::lround(heading < 0 ? heading + 360 : heading),
                              " allowed_deg=", std::lround(allowed < 0 ? allowed + 360 : allowed));
      out->events->push_back(std::move(e));
    }
  }
}

void WrongWayRule::Evict(int64_t track_id, TimeUs /*time_us*/, RuleOutput* /*out*/) { state_.erase(track_id); }

RuleDrawing WrongWayRule::Drawing() const {
  RuleDrawing d;
  d.shapes.push_back({o_.zone.pixels, true});
  d.label = Name();
  return d;
}

// ---- stopped ----

absl::Status StoppedOptions::Validate() const {
  if (zone.points.size() < 3) return absl::InvalidArgumentError("a zone needs at least 3 points");
  if (!(after_s > 0) || !(radius_m > 0)) return absl::InvalidArgumentError("after_s and radius_m must be > 0");
  return absl::OkStatus();
}

absl::StatusOr<StoppedOptions> StoppedOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(
      CheckKnownParams(p, {"type", "name", "points", "ground", "after_s", "radius_m", "classes"}, ""));
  StoppedOptions o;
  DIDBAN_ASSIGN_OR_RETURN(o.zone, Shape::Read(p, 3));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "after_s", &o.after_s));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "radius_m", &o.radius_m));
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, false));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status StoppedRule::OnBind() {
  DIDBAN_RETURN_IF_ERROR(NeedsCalibration(Context()));
  return o_.zone.Resolve(Context().calibration);
}

void StoppedRule::Process(const FrameInput& input, RuleOutput* out) {
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class) || tv.trajectory == nullptr) continue;
    if (!InShape(o_.zone, tv)) {
      state_.erase(tv.id);
      continue;
    }
    std::optional<Point2> pos = tv.trajectory->SmoothedPosition(kUsPerSecond);
    if (!pos) continue;
    auto [it, fresh] = state_.try_emplace(tv.id);
    State& st = it->second;
    // A raised stop ends only once the vehicle clearly moves away (twice the radius), so one stop raises once.
    double reset_radius = st.raised ? 2 * o_.radius_m : o_.radius_m;
    if (fresh || Distance(*pos, st.anchor) > reset_radius) {
      st = State{*pos, input.time_us, false};
      continue;
    }
    double stopped_s = UsToSeconds(input.time_us - st.since);
    if (!st.raised && stopped_s >= o_.after_s) {
      st.raised = true;
      Event e = MakeEvent(input.time_us, "stopped", &tv);
      e.ground = st.anchor;
      e.value = stopped_s;
      e.unit = "s";
      e.detail = absl::StrCat("after_s=", o_.after_s);
      out->events->push_back(std::move(e));
    }
  }
}

void StoppedRule::Evict(int64_t track_id, TimeUs /*time_us*/, RuleOutput* /*out*/) { state_.erase(track_id); }

RuleDrawing StoppedRule::Drawing() const {
  RuleDrawing d;
  d.shapes.push_back({o_.zone.pixels, true});
  d.label = Name();
  return d;
}

// ---- congestion ----

absl::Status CongestionOptions::Validate() const {
  if (zone.points.size() < 3) return absl::InvalidArgumentError("a zone needs at least 3 points");
  if (!(length_m > 0)) return absl::InvalidArgumentError("length_m: required, the road length the zone covers (> 0)");
  if (lanes < 1) return absl::InvalidArgumentError(absl::StrCat("lanes: must be >= 1, got ", lanes));
  if (!(window_s > 0)) return absl::InvalidArgumentError("window_s: must be > 0");
  for (size_t i = 1; i < density_thresholds.size(); ++i) {
    if (!(density_thresholds[i] > density_thresholds[i - 1])) {
      return absl::InvalidArgumentError("density_thresholds: must increase (A..E upper bounds)");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<CongestionOptions> CongestionOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(p,
                                          {"type", "name", "points", "ground", "length_m", "lanes", "window_s",
                                           "density_thresholds", "jam_speed_kmh", "classes"},
                                          ""));
  CongestionOptions o;
  DIDBAN_ASSIGN_OR_RETURN(o.zone, Shape::Read(p, 3));
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "length_m", &o.length_m));
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "lanes", &o.lanes));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "window_s", &o.window_s));
  std::vector<double> th;
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "density_thresholds", &th));
  if (!th.empty()) {
    if (th.size() != 5) return absl::InvalidArgumentError("density_thresholds: expected 5 numbers (A..E)");
    std::copy(th.begin(), th.end(), o.density_thresholds.begin());
  }
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "jam_speed_kmh", &o.jam_speed_kmh, true));
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, false));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status CongestionRule::OnBind() { return o_.zone.Resolve(Context().calibration); }

char CongestionRule::LevelFor(double density, std::optional<double> mean_kmh) const {
  if (mean_kmh && density > 0 && *mean_kmh < o_.jam_speed_kmh) return 'F';
  for (size_t i = 0; i < o_.density_thresholds.size(); ++i) {
    if (density <= o_.density_thresholds[i]) return static_cast<char>('A' + i);
  }
  return 'F';
}

void CongestionRule::Process(const FrameInput& input, RuleOutput* out) {
  Sample s{input.time_us, 0, 0, 0};
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class) || !InShape(o_.zone, tv)) continue;
    ++s.count;
    if (tv.velocity) {
      s.speed_sum += Norm(*tv.velocity) * kMpsToKmh;
      ++s.speed_n;
    }
  }
  samples_.push_back(s);
  while (samples_.front().time_us < input.time_us - SecondsToUs(o_.window_s)) samples_.pop_front();
  double count = 0, speed_sum = 0;
  int speed_n = 0;
  for (const Sample& x : samples_) {
    count += x.count;
    speed_sum += x.speed_sum;
    speed_n += x.speed_n;
  }
  density_ = count / static_cast<double>(samples_.size()) / (o_.length_m / 1000.0) / o_.lanes;
  std::optional<double> mean_kmh;
  if (speed_n > 0) mean_kmh = speed_sum / speed_n;
  out->measurements->push_back({input.time_us, Name(), MeasureKind::kDensity, 0, ObjectClass::kUnknown, density_});
  char level = LevelFor(density_, mean_kmh);
  if (level == level_) return;
  Event e = MakeEvent(input.time_us, "congestion", nullptr);
  e.value = density_;
  e.unit = "veh/km/lane";
  e.detail = absl::StrCat("los=", std::string(1, level), " previous=", std::string(1, level_));
  if (mean_kmh) absl::StrAppend(&e.detail, " mean_kmh=", std::lround(*mean_kmh));
  if (!o_.zone.metres.empty()) e.ground = Centroid(o_.zone.metres);
  out->events->push_back(std::move(e));
  level_ = level;
}

RuleDrawing CongestionRule::Drawing() const {
  RuleDrawing d;
  d.shapes.push_back({o_.zone.pixels, true});
  d.label = absl::StrCat(Name(), " LOS ", std::string(1, level_));
  return d;
}

}  // namespace didban::rules
