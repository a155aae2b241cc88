// The built-in traffic rules and their typed options (parsed from a rule spec's JSON params). Each rule is
// thread-compatible; options are values. See docs/traffic.md for the YAML keys.
#ifndef DIDBAN_RULES_BUILTIN_RULES_H_
#define DIDBAN_RULES_BUILTIN_RULES_H_

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rules/rule.h"
#include "rules/shape.h"

namespace didban::rules {

// ---- line: directed line crossing counts ------------------------------------------------------------------------
struct LineOptions {
  Shape line;                    // `points` (pixels) or `ground` (metres), >= 2 points
  std::string in_name = "in";    // crossing to the right-hand side walking from the first to the last point
  std::string out_name = "out";  // crossing to the left-hand side
  double hysteresis = -1;        // dead band each side of the line: pixels or metres; default 3 px / 0.5 m
  ClassFilter classes;           // default: road vehicles

  absl::Status Validate() const;
  static absl::StatusOr<LineOptions> FromJson(const nlohmann::json& params);
};

// Counts each track once when its reference point crosses the line (beyond the dead band on both sides).
class LineRule final : public Rule {
 public:
  explicit LineRule(LineOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) override;
  std::string_view Type() const override { return "line"; }
  RuleDrawing Drawing() const override;

  // Crossings so far by (class, direction name).
  const std::map<std::pair<ObjectClass, std::string>, int64_t>& Counts() const { return counts_; }
  int64_t Total(const std::string& direction) const;
  const LineOptions& Options() const { return o_; }

 protected:
  absl::Status OnBind() override;

 private:
  struct State {
    int side = 0;  // last side beyond the dead band: +1 right, -1 left, 0 not yet
    Point2 last;   // position when last beyond the dead band
    bool counted = false;
  };
  LineOptions o_;
  std::unordered_map<int64_t, State> state_;
  std::map<std::pair<ObjectClass, std::string>, int64_t> counts_;
};

// ---- zone: occupancy, enter/exit, dwell ------------------------------------------------------------------------
struct ZoneOptions {
  Shape zone;              // polygon, >= 3 points
  double dwell_s = 0;      // raise "dwell" once per visit after this long inside, seconds; 0 = never
  bool enter_exit = true;  // raise zone_enter / zone_exit events
  ClassFilter classes;     // default: road vehicles

  absl::Status Validate() const;
  static absl::StatusOr<ZoneOptions> FromJson(const nlohmann::json& params);
};

// Tracks which tracks are inside a polygon.
class ZoneRule final : public Rule {
 public:
  explicit ZoneRule(ZoneOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) override;
  std::string_view Type() const override { return "zone"; }
  RuleDrawing Drawing() const override;
  int Occupancy() const { return occupancy_; }

 protected:
  absl::Status OnBind() override;

 private:
  struct State {
    bool inside = false;
    TimeUs entered_us = 0;
    bool dwell_raised = false;
  };
  ZoneOptions o_;
  std::unordered_map<int64_t, State> state_;
  int occupancy_ = 0;
};

// ---- speed: smoothed ground speed, over-speed ------------------------------------------------------------------
struct SpeedOptions {
  std::optional<Shape> zone;    // measure only inside this polygon (`points`/`ground`); everywhere when absent
  double limit_kmh = 0;         // raise "overspeed" above this, km/h; 0 = measure only
  double min_duration_s = 0.5;  // over the limit at least this long before raising, seconds
  double window_s = 1.0;        // least-squares window for the velocity, seconds
  double min_span_s = 0.5;      // the samples must span at least this, seconds
  ClassFilter classes;

  absl::Status Validate() const;
  static absl::StatusOr<SpeedOptions> FromJson(const nlohmann::json& params);
};

// Measures each vehicle's speed (a kSpeed measurement per vehicle at its end) and raises over-speed once per track.
class SpeedRule final : public Rule {
 public:
  explicit SpeedRule(SpeedOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) override;
  std::string_view Type() const override { return "speed"; }
  RuleDrawing Drawing() const override;
  // The latest speed of a track, km/h.
  std::optional<double> CurrentKmh(int64_t track_id) const;

 protected:
  absl::Status OnBind() override;

 private:
  struct State {
    double sum_kmh = 0;
    int n = 0;
    double last_kmh = 0;
    ObjectClass object_class = ObjectClass::kUnknown;
    std::optional<TimeUs> over_since;
    bool raised = false;
  };
  SpeedOptions o_;
  std::unordered_map<int64_t, State> state_;
};

// ---- wrong_way -------------------------------------------------------------------------------------------------
struct WrongWayOptions {
  Shape zone;                         // polygon where the direction applies
  std::optional<double> heading_deg;  // allowed compass heading on the ground: 0 north (+y), 90 east (+x)
  std::optional<Point2> direction;    // or the allowed direction as a pixel vector [dx, dy] (converted at the zone)
  double tolerance_deg = 90;          // moving more than this away from the allowed heading is against it
  double min_distance_m = 5;          // travelled against the heading before raising, metres
  double min_duration_s = 1;          // against the heading at least this long, seconds
  double min_speed_kmh = 5;           // slower motion is ignored (jitter), km/h
  ClassFilter classes;

  absl::Status Validate() const;
  static absl::StatusOr<WrongWayOptions> FromJson(const nlohmann::json& params);
};

// Raises "wrong_way" once per track travelling against a zone's allowed direction.
class WrongWayRule final : public Rule {
 public:
  explicit WrongWayRule(WrongWayOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) override;
  std::string_view Type() const override { return "wrong_way"; }
  RuleDrawing Drawing() const override;
  const Point2& AllowedForTest() const { return allowed_; }

 protected:
  absl::Status OnBind() override;

 private:
  struct State {
    std::optional<TimeUs> since;
    Point2 start;
    bool raised = false;
  };
  WrongWayOptions o_;
  Point2 allowed_{0, 1};  // unit ground vector
  std::unordered_map<int64_t, State> state_;
};

// ---- stopped ---------------------------------------------------------------------------------------------------
struct StoppedOptions {
  Shape zone;             // traffic zone (polygon)
  double after_s = 10;    // stationary this long before raising, seconds
  double radius_m = 2.0;  // "stationary": the smoothed ground position stays within this of where it stopped, m
  ClassFilter classes;

  absl::Status Validate() const;
  static absl::StatusOr<StoppedOptions> FromJson(const nlohmann::json& params);
};

// Raises "stopped" once per stop of a vehicle stationary in the zone longer than after_s.
class StoppedRule final : public Rule {
 public:
  explicit StoppedRule(StoppedOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) override;
  std::string_view Type() const override { return "stopped"; }
  RuleDrawing Drawing() const override;

 protected:
  absl::Status OnBind() override;

 private:
  struct State {
    Point2 anchor;
    TimeUs since = 0;
    bool raised = false;
  };
  StoppedOptions o_;
  std::unordered_map<int64_t, State> state_;
};

// ---- congestion: level of service ------------------------------------------------------------------------------
struct CongestionOptions {
  Shape zone;                                                   // polygon covering the road section
  double length_m = 0;                                          // length of road the zone covers, metres (required)
  int lanes = 1;                                                // lanes in the zone
  double window_s = 30;                                         // density and speed are averaged over this, seconds
  std::array<double, 5> density_thresholds{7, 11, 16, 22, 28};  // upper bounds of A..E, vehicles/km/lane (HCM)
  double jam_speed_kmh = 10;  // mean speed below this with vehicles present is level F, km/h
  ClassFilter classes;

  absl::Status Validate() const;
  static absl::StatusOr<CongestionOptions> FromJson(const nlohmann::json& params);
};

// Level of service A-F per zone from density and mean speed; raises "congestion" on each change.
class CongestionRule final : public Rule {
 public:
  explicit CongestionRule(CongestionOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t /*track_id*/, TimeUs /*time_us*/, RuleOutput* /*out*/) override {}
  std::string_view Type() const override { return "congestion"; }
  RuleDrawing Drawing() const override;
  char Level() const { return level_; }
  // Level for a density (vehicles/km/lane) and mean speed (km/h; nullopt unknown).
  char LevelFor(double density, std::optional<double> mean_kmh) const;

 protected:
  absl::Status OnBind() override;

 private:
  struct Sample {
    TimeUs time_us;
    int count;
    double speed_sum;
    int speed_n;
  };
  CongestionOptions o_;
  std::deque<Sample> samples_;
  char level_ = 'A';
  double density_ = 0;
};

// ---- near_miss: time-to-collision and post-encroachment time ----------------------------------------------------
struct NearMissOptions {
  std::optional<Shape> zone;          // consider pairs with at least one user inside; everywhere when absent
  double ttc_s = 1.5;                 // raise when the time to collision falls under this, seconds
  double min_closing_mps = 1.0;       // relative speed at which the users approach, below this ignored, m/s
  double rearm_s = 3.0;               // an encounter ends after this long above the threshold, seconds
  std::vector<Shape> conflict_areas;  // PET areas: `conflict_areas` (pixel polygons) or `conflict_areas_ground`
  double pet_s = 1.5;                 // raise when the post-encroachment time in an area is under this, seconds
  std::map<ObjectClass, std::pair<double, double>> extents;  // class -> (length, width), metres
  ClassFilter classes;                                       // default: all road users

  absl::Status Validate() const;
  static absl::StatusOr<NearMissOptions> FromJson(const nlohmann::json& params);
};

// Raises "near_miss" once per pair per encounter (detail "ttc" or "pet area=N").
class NearMissRule final : public Rule {
 public:
  explicit NearMissRule(NearMissOptions options) : o_(std::move(options)) {}
  void Process(const FrameInput& input, RuleOutput* out) override;
  void Evict(int64_t track_id, TimeUs time_us, RuleOutput* out) override;
  std::string_view Type() const override { return "near_miss"; }
  RuleDrawing Drawing() const override;

  struct Body {
    Point2 centre, velocity, heading;  // metres, m/s, unit heading
    double length = 4.5, width = 1.8;
  };
  // Earliest time in [0, horizon_s] at which the two oriented boxes overlap under constant velocity; nullopt if
  // none (or if they overlap now).
  static std::optional<double> TimeToCollision(const Body& a, const Body& b, double horizon_s);

 protected:
  absl::Status OnBind() override;

 private:
  struct Pair {
    TimeUs last_below_us = 0;
    bool raised = false;
  };
  struct Exit {
    int64_t track_id;
    TimeUs time_us;
  };
  void ProcessTtc(const FrameInput& input, RuleOutput* out);
  void ProcessPet(const FrameInput& input, RuleOutput* out);
  Body BodyOf(const TrackView& tv);

  NearMissOptions o_;
  std::map<std::pair<int64_t, int64_t>, Pair> pairs_;
  std::map<std::tuple<int, int64_t, int64_t>, bool> pet_raised_;  // (area, a, b)
  std::vector<std::unordered_map<int64_t, bool>> inside_;         // per area: track -> inside
  std::vector<std::deque<Exit>> exits_;                           // per area: recent exits (bounded)
  std::unordered_map<int64_t, Point2> heading_;                   // last good heading per track
};

// Registers the built-in rules into `registry` (RuleRegistry() does this on first use).
void RegisterBuiltinRules(Registry<Rule>* registry);

}  // namespace didban::rules

#endif  // DIDBAN_RULES_BUILTIN_RULES_H_
