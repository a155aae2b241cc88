// The near-miss rule: time to collision of pairs of road users (constant-velocity extrapolation of oriented boxes
// on the ground) and post-encroachment time in conflict areas.
#include <algorithm>
#include <cmath>

#include "core/params.h"
#include "rules/builtin_rules.h"

namespace didban::rules {
namespace {

constexpr size_t kMaxExitsPerArea = 32;

std::map<ObjectClass, std::pair<double, double>> DefaultExtents() {
  return {
      {ObjectClass::kPerson, {0.6, 0.6}},  {ObjectClass::kBicycle, {1.8, 0.6}}, {ObjectClass::kMotorcycle, {2.2, 0.8}},
      {ObjectClass::kCar, {4.5, 1.8}},     {ObjectClass::kBus, {12.0, 2.55}},   {ObjectClass::kTruck, {10.0, 2.55}},
      {ObjectClass::kUnknown, {4.5, 1.8}}, {ObjectClass::kAnimal, {1.0, 0.5}},  {ObjectClass::kOther, {2.0, 1.0}}};
}

// Corners of an oriented box.
std::array<Point2, 4> Corners(const Point2& c, const Point2& h, double length, double width) {
  Point2 n{-h.y, h.x};
  double l = length / 2, w = width / 2;
  return {Point2{c.x + h.x * l + n.x * w, c.y + h.y * l + n.y * w},
          Point2{c.x + h.x * l - n.x * w, c.y + h.y * l - n.y * w},
          Point2{c.x - h.x * l - n.x * w, c.y - h.y * l - n.y * w},
          Point2{c.x - h.x * l + n.x * w, c.y - h.y * l + n.y * w}};
}

// Separating-axis test of two oriented boxes.
bool Overlap(const std::array<Point2, 4>& a, const std::array<Point2, 4>& b) {
  for (const auto* poly : {&a, &b}) {
    for (int i = 0; i < 2; ++i) {
      Point2 e{(*poly)[i + 1].x - (*poly)[i].x, (*poly)[i + 1].y - (*poly)[i].y};
      Point2 axis{-e.y, e.x};
      double amin = 1e300, amax = -1e300, bmin = 1e300, bmax = -1e300;
      for (const Point2& p : a) {
        double d = p.x * axis.x + p.y * axis.y;
        amin = std::min(amin, d);
        amax = std::max(amax, d);
      }
      for (const Point2& p : b) {
        double d = p.x * axis.x + p.y * axis.y;
        bmin = std::min(bmin, d);
        bmax = std::max(bmax, d);
      }
      if (amax < bmin || bmax < amin) return false;
    }
  }
  return true;
}

bool InArea(const Shape& s, const TrackView& tv) {
  std::optional<Point2> p = s.PositionOf(tv);
  return p && PointInPolygon(s.ground ? s.metres : s.pixels, *p);
}

}  // namespace

std::optional<double> NearMissRule::TimeToCollision(const Body& a, const Body& b, double horizon_s) {
  auto at = [](const Body& x, double t) {
    return Corners({x.centre.x + x.velocity.x * t, x.centre.y + x.velocity.y * t}, x.heading, x.length, x.width);
  };
  // Bounding circles bracket the times the boxes can touch.
  Point2 p{b.centre.x - a.centre.x, b.centre.y - a.centre.y};
  Point2 v{b.velocity.x - a.velocity.x, b.velocity.y - a.velocity.y};
  double r = 0.5 * (std::hypot(a.length, a.width) + std::hypot(b.length, b.width));
  double qa = v.x * v.x + v.y * v.y, qb = 2 * (p.x * v.x + p.y * v.y), qc = p.x * p.x + p.y * p.y - r * r;
  if (qa < 1e-9) return std::nullopt;
  double disc = qb * qb - 4 * qa * qc;
  if (disc < 0) return std::nullopt;
  double t1 = (-qb - std::sqrt(disc)) / (2 * qa), t2 = (-qb + std::sqrt(disc)) / (2 * qa);
  double lo = std::max(0.0, t1), hi = std::min(horizon_s, t2);
  if (lo > hi) return std::nullopt;
  if (t1 <= 0 && Overlap(at(a, 0), at(b, 0))) return std::nullopt;  // overlapping now: not a prediction
  constexpr double kStep = 0.02;                                    // seconds
  for (double t = lo; t <= hi; t += kStep) {
    if (Overlap(at(a, t), at(b, t))) return t;
  }
  return std::nullopt;
}

absl::Status NearMissOptions::Validate() const {
  if (!(ttc_s > 0) || !(pet_s > 0) || !(rearm_s >= 0) || !(min_closing_mps >= 0)) {
    return absl::InvalidArgumentError("ttc_s and pet_s must be > 0, rearm_s and min_closing_mps >= 0");
  }
  for (const auto& [c, e] : extents) {
    if (!(e.first > 0) || !(e.second > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("extents.", std::string(ObjectClassName(c)), ": must be [length, width] > 0"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NearMissOptions> NearMissOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(CheckKnownParams(p,
                                          {"type", "name", "points", "ground", "ttc_s", "min_closing_mps", "rearm_s",
                                           "conflict_areas", "conflict_areas_ground", "pet_s", "extents", "classes"},
                                          ""));
  NearMissOptions o;
  if (p.is_object() && (p.contains("points") || p.contains("ground"))) {
    DIDBAN_ASSIGN_OR_RETURN(Shape z, Shape::Read(p, 3));
    o.zone = std::move(z);
  }
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "ttc_s", &o.ttc_s));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "min_closing_mps", &o.min_closing_mps, true));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "rearm_s", &o.rearm_s, true));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "pet_s", &o.pet_s));
  for (const char* key : {"conflict_areas", "conflict_areas_ground"}) {
    if (!p.is_object() || !p.contains(key)) continue;
    if (!p[key].is_array()) return absl::InvalidArgumentError(absl::StrCat(key, ": expected a list of polygons"));
    for (size_t i = 0; i < p[key].size(); ++i) {
      Shape s;
      s.ground = std::string(key) == "conflict_areas_ground";
      DIDBAN_ASSIGN_OR_RETURN(s.points, Shape::ReadPoints(p[key][i], absl::StrCat(key, "[", i, "]")));
      if (s.points.size() < 3) return absl::InvalidArgumentError(absl::StrCat(key, "[", i, "]: needs >= 3 points"));
      o.conflict_areas.push_back(std::move(s));
    }
  }
  o.extents = DefaultExtents();
  if (p.is_object() && p.contains("extents")) {
    const nlohmann::json& e = p["extents"];
    if (!e.is_object()) return absl::InvalidArgumentError("extents: expected a mapping class: [length, width]");
    for (auto it = e.begin(); it != e.end(); ++it) {
      ObjectClass c = ObjectClassFromName(it.key());
      if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number() || !(*it)[1].is_number()) {
        return absl::InvalidArgumentError(absl::StrCat("extents.", it.key(), ": expected [length, width] metres"));
      }
      o.extents[c] = {(*it)[0].get<double>(), (*it)[1].get<double>()};
    }
  }
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, true));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status NearMissRule::OnBind() {
  if (!Context().calibration.Calibrated()) {
    return absl::FailedPreconditionError("needs a calibrated camera (calibration: homography or pinhole)");
  }
  if (o_.zone) DIDBAN_RETURN_IF_ERROR(o_.zone->Resolve(Context().calibration));
  for (Shape& s : o_.conflict_areas) DIDBAN_RETURN_IF_ERROR(s.Resolve(Context().calibration));
  inside_.assign(o_.conflict_areas.size(), {});
  exits_.assign(o_.conflict_areas.size(), {});
  return absl::OkStatus();
}

NearMissRule::Body NearMissRule::BodyOf(const TrackView& tv) {
  Body b;
  b.centre = *tv.ground;
  b.velocity = *tv.velocity;
  double speed = Norm(b.velocity);
  Point2& h = heading_[tv.id];
  if (speed > 0.5) h = {b.velocity.x / speed, b.velocity.y / speed};
  if (Norm(h) == 0) h = {0, 1};
  b.heading = h;
  auto it = o_.extents.find(tv.object_class);
  if (it != o_.extents.end()) {
    b.length = it->second.first;
    b.width = it->second.second;
  }
  return b;
}

void NearMissRule::Process(const FrameInput& input, RuleOutput* out) {
  ProcessTtc(input, out);
  ProcessPet(input, out);
}

void NearMissRule::ProcessTtc(const FrameInput& input, RuleOutput* out) {
  std::vector<const TrackView*> users;
  std::vector<Body> bodies;
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class) || !tv.ground || !tv.velocity) continue;
    users.push_back(&tv);
    bodies.push_back(BodyOf(tv));
  }
  for (size_t i = 0; i < users.size(); ++i) {
    for (size_t j = i + 1; j < users.size(); ++j) {
      const Body& a = bodies[i];
      const Body& b = bodies[j];
      Point2 p{b.centre.x - a.centre.x, b.centre.y - a.centre.y};
      Point2 v{b.velocity.x - a.velocity.x, b.velocity.y - a.velocity.y};
      double dist = Norm(p);
      double closing = dist > 0 ? -(p.x * v.x + p.y * v.y) / dist : 0;  // approach speed, m/s
      if (closing < o_.min_closing_mps) continue;
      if (o_.zone) {
        bool in = false;
        for (const TrackView* u : {users[i], users[j]}) {
          std::optional<Point2> pos = o_.zone->PositionOf(*u);
          in = in || (pos && PointInPolygon(o_.zone->ground ? o_.zone->metres : o_.zone->pixels, *pos));
        }
        if (!in) continue;
      }
      std::optional<double> ttc = TimeToCollision(a, b, o_.ttc_s);
      if (!ttc) continue;
      std::pair<int64_t, int64_t> key = std::minmax(users[i]->id, users[j]->id);
      auto [it, fresh] = pairs_.try_emplace(key);
      Pair& pair = it->second;
      if (!fresh && input.time_us - pair.last_below_us > SecondsToUs(o_.rearm_s)) pair.raised = false;
      pair.last_below_us = input.time_us;
      if (pair.raised) continue;
      pair.raised = true;
      Event e = MakeEvent(input.time_us, "near_miss", users[i]);
      e.other_track_id = users[j]->id;
      e.ground = Point2{(a.centre.x + b.centre.x) / 2, (a.centre.y + b.centre.y) / 2};
      e.value = *ttc;
      e.unit = "s";
      e.detail = absl::StrCat("ttc closing_mps=", std::lround(closing * 10) / 10.0);
      out->events->push_back(std::move(e));
    }
  }
}

void NearMissRule::ProcessPet(const FrameInput& input, RuleOutput* out) {
  for (size_t a = 0; a < o_.conflict_areas.size(); ++a) {
    const Shape& area = o_.conflict_areas[a];
    for (const TrackView& tv : input.tracks) {
      if (!o_.classes.Accepts(tv.object_class)) continue;
      bool in = InArea(area, tv);
      bool& was = inside_[a][tv.id];
      if (in && !was) {  // entry: compare with the users that left recently
        for (const Exit& x : exits_[a]) {
          if (x.track_id == tv.id) continue;
          double pet = UsToSeconds(input.time_us - x.time_us);
          if (pet >= o_.pet_s) continue;
          bool& raised = pet_raised_[{static_cast<int>(a), std::min(x.track_id, tv.id), std::max(x.track_id, tv.id)}];
          if (raised) continue;
          raised = true;
          Event e = MakeEvent(input.time_us, "near_miss", &tv);
          e.other_track_id = x.track_id;
          e.value = pet;
          e.unit = "s";
          e.detail = absl::StrCat("pet area=", a);
          out->events->push_back(std::move(e));
        }
      } else if (!in && was) {
        exits_[a].push_back({tv.id, input.time_us});
        if (exits_[a].size() > kMaxExitsPerArea) exits_[a].pop_front();
      }
      was = in;
    }
    while (!exits_[a].empty() && input.time_us - exits_[a].front().time_us > SecondsToUs(o_.pet_s)) {
      exits_[a].pop_front();
    }
  }
}

void NearMissRule::Evict(int64_t track_id, TimeUs /*time_us*/, RuleOutput* /*out*/) {
  heading_.erase(track_id);
  for (auto it = pairs_.begin(); it != pairs_.end();) {
    it = (it->first.first == track_id || it->first.second == track_id) ? pairs_.erase(it) : std::next(it);
  }
  for (auto it = pet_raised_.begin(); it != pet_raised_.end();) {
    it = (std::get<1>(it->first) == track_id || std::get<2>(it->first) == track_id) ? pet_raised_.erase(it)
                                                                                    : std::next(it);
  }
  for (auto& m : inside_) m.erase(track_id);
}

RuleDrawing NearMissRule::Drawing() const {
  RuleDrawing d;
  if (o_.zone) d.shapes.push_back({o_.zone->pixels, true});
  for (const Shape& s : o_.conflict_areas) d.shapes.push_back({s.pixels, true});
  d.label = Name();
  return d;
}

}  // namespace didban::rules
