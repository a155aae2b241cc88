// The line and zone rules.
#include <cmath>

#include "core/params.h"
#include "rules/builtin_rules.h"

namespace didban::rules {

Event Rule::MakeEvent(TimeUs time_us, std::string type, const TrackView* tv) const {
  Event e;
  e.time_us = time_us;
  e.camera = context_.camera;
  e.type = std::move(type);
  e.rule = context_.name;
  if (tv != nullptr) {
    e.track_id = tv->id;
    e.object_class = tv->object_class;
    e.ground = tv->ground;
  }
  return e;
}

// ---- line ----

absl::Status LineOptions::Validate() const {
  if (line.points.size() < 2) return absl::InvalidArgumentError("a line needs at least 2 points");
  if (in_name.empty() || out_name.empty() || in_name == out_name) {
    return absl::InvalidArgumentError("in and out must be two different non-empty names");
  }
  if (!(hysteresis >= 0)) return absl::InvalidArgumentError(absl::StrCat("hysteresis: must be >= 0, got ", hysteresis));
  return absl::OkStatus();
}

absl::StatusOr<LineOptions> LineOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(
      CheckKnownParams(p, {"type", "name", "points", "ground", "in", "out", "hysteresis", "classes"}, ""));
  LineOptions o;
  DIDBAN_ASSIGN_OR_RETURN(o.line, Shape::Read(p, 2));
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "in", &o.in_name));
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "out", &o.out_name));
  o.hysteresis = o.line.ground ? 0.5 : 3.0;
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "hysteresis", &o.hysteresis));
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, false));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status LineRule::OnBind() { return o_.line.Resolve(Context().calibration); }

void LineRule::Process(const FrameInput& input, RuleOutput* out) {
  const std::vector<Point2>& line = o_.line.ground ? o_.line.metres : o_.line.pixels;
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class)) continue;
    std::optional<Point2> pos = o_.line.PositionOf(tv);
    if (!pos) continue;
    double d = SignedDistance(line, *pos, !o_.line.ground);
    int side = d >= o_.hysteresis && d > 0 ? 1 : (d <= -o_.hysteresis && d < 0 ? -1 : 0);
    if (side == 0) continue;
    State& st = state_[tv.id];
    if (st.side != 0 && side != st.side && !st.counted) {
      bool crossed = false;
      for (size_t i = 0; i + 1 < line.size() && !crossed; ++i) {
        crossed = SegmentsIntersect(st.last, *pos, line[i], line[i + 1]);
      }
      if (crossed) {
        st.counted = true;
        const std::string& dir = side > 0 ? o_.in_name : o_.out_name;
        ++counts_[{tv.object_class, dir}];
        Event e = MakeEvent(input.time_us, "line_cross", &tv);
        if (tv.velocity) {
          e.value = Norm(*tv.velocity) * 3.6;
          e.unit = "km/h";
        }
        e.detail = "direction=" + dir;
        out->events->push_back(std::move(e));
      }
    }
    st.side = side;
    st.last = *pos;
  }
}

void LineRule::Evict(int64_t track_id, TimeUs /*time_us*/, RuleOutput* /*out*/) { state_.erase(track_id); }

int64_t LineRule::Total(const std::string& direction) const {
  int64_t n = 0;
  for (const auto& [key, count] : counts_) {
    if (key.second == direction) n += count;
  }
  return n;
}

RuleDrawing LineRule::Drawing() const {
  RuleDrawing d;
  if (!o_.line.pixels.empty()) d.shapes.push_back({o_.line.pixels, false});
  d.label = absl::StrCat(Name(), " ", o_.in_name, " ", Total(o_.in_name), " / ", o_.out_name, " ", Total(o_.out_name));
  return d;
}

// ---- zone ----

absl::Status ZoneOptions::Validate() const {
  if (zone.points.size() < 3) return absl::InvalidArgumentError("a zone needs at least 3 points");
  if (!(dwell_s >= 0)) return absl::InvalidArgumentError(absl::StrCat("dwell_s: must be >= 0, got ", dwell_s));
  return absl::OkStatus();
}

absl::StatusOr<ZoneOptions> ZoneOptions::FromJson(const nlohmann::json& p) {
  DIDBAN_RETURN_IF_ERROR(
      CheckKnownParams(p, {"type", "name", "points", "ground", "dwell_s", "enter_exit", "classes"}, ""));
  ZoneOptions o;
  DIDBAN_ASSIGN_OR_RETURN(o.zone, Shape::Read(p, 3));
  DIDBAN_RETURN_IF_ERROR(ReadPositive(p, "dwell_s", &o.dwell_s, true));
  DIDBAN_RETURN_IF_ERROR(ReadParam(p, "enter_exit", &o.enter_exit));
  DIDBAN_ASSIGN_OR_RETURN(o.classes, ClassFilter::Read(p, false));
  DIDBAN_RETURN_IF_ERROR(o.Validate());
  return o;
}

absl::Status ZoneRule::OnBind() { return o_.zone.Resolve(Context().calibration); }

void ZoneRule::Process(const FrameInput& input, RuleOutput* out) {
  const std::vector<Point2>& poly = o_.zone.ground ? o_.zone.metres : o_.zone.pixels;
  occupancy_ = 0;
  for (const TrackView& tv : input.tracks) {
    if (!o_.classes.Accepts(tv.object_class)) continue;
    std::optional<Point2> pos = o_.zone.PositionOf(tv);
    if (!pos) continue;
    bool inside = PointInPolygon(poly, *pos);
    State& st = state_[tv.id];
    if (inside && !st.inside) {
      st.inside = true;
      st.entered_us = input.time_us;
      st.dwell_raised = false;
      if (o_.enter_exit) out->events->push_back(MakeEvent(input.time_us, "zone_enter", &tv));
    } else if (!inside && st.inside) {
      st.inside = false;
      if (o_.enter_exit) {
        Event e = MakeEvent(input.time_us, "zone_exit", &tv);
        e.value = UsToSeconds(input.time_us - st.entered_us);
        e.unit = "s";
        out->events->push_back(std::move(e));
      }
    }
    if (!st.inside) continue;
    ++occupancy_;
    double dwell = UsToSeconds(input.time_us - st.entered_us);
    if (o_.dwell_s > 0 && !st.dwell_raised && dwell >= o_.dwell_s) {
      st.dwell_raised = true;
      Event e = MakeEvent(input.time_us, "dwell", &tv);
      e.value = dwell;
      e.unit = "s";
      e.detail = absl::StrCat("limit_s=", o_.dwell_s);
      out->events->push_back(std::move(e));
    }
  }
  // Tracks not seen this frame keep their state (they may be lost briefly); eviction clears them.
  for (const auto& [id, st] : state_) {
    bool seen = false;
    for (const TrackView& tv : input.tracks) seen = seen || tv.id == id;
    if (!seen && st.inside) ++occupancy_;
  }
  out->measurements->push_back(
      {input.time_us, Name(), MeasureKind::kOccupancy, 0, ObjectClass::kUnknown, static_cast<double>(occupancy_)});
}

void ZoneRule::Evict(int64_t track_id, TimeUs /*time_us*/, RuleOutput* /*out*/) { state_.erase(track_id); }

RuleDrawing ZoneRule::Drawing() const {
  RuleDrawing d;
  if (!o_.zone.pixels.empty()) d.shapes.push_back({o_.zone.pixels, true});
  d.label = absl::StrCat(Name(), " ", occupancy_);
  return d;
}

}  // namespace didban::rules
