// Traffic statistics in fixed time bins (15 minutes by default, by frame time): counts by line, class and
// direction, mean and 85th-percentile speeds, zone occupancy, densities, incidents and near-misses; CSV and JSON
// export and GeoJSON hotspots. Bounded (oldest bins and hotspot points dropped). Thread-compatible.
#ifndef DIDBAN_RULES_INTERVAL_STATS_H_
#define DIDBAN_RULES_INTERVAL_STATS_H_

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "didban/event.h"
#include "didban/status.h"
#include "geo/local_frame.h"
#include "rules/rule.h"

namespace didban::rules {

struct IntervalStatsOptions {
  TimeUs interval_us = 15 * 60 * kUsPerSecond;  // bin length, microseconds
  double percentile = 85;                       // speed percentile reported, in (0, 100]
  size_t max_bins = 4 * 24 * 31;                // older bins are dropped (a month of 15-minute bins)
  size_t max_hotspot_events = 100000;           // older incident positions are dropped
  double hotspot_cell_m = 10;                   // hotspot grid cell, metres

  absl::Status Validate() const;
};

// One bin of statistics.
struct StatsBin {
  struct Running {
    double sum = 0;
    double max = 0;
    int64_t n = 0;
    double Mean() const { return n > 0 ? sum / static_cast<double>(n) : 0; }
  };
  TimeUs start_us = 0;
  // rule -> (class, direction) -> crossings
  std::map<std::string, std::map<std::pair<std::string, std::string>, int64_t>> counts;
  std::map<std::string, std::vector<double>> speeds_kmh;  // rule -> per-vehicle speeds
  std::map<std::string, Running> occupancy;               // rule -> per-frame tracks inside
  std::map<std::string, Running> density;                 // rule -> per-frame vehicles/km/lane
  std::map<std::string, int64_t> events;                  // event type -> count (all events but line_cross)
};

class IntervalStats {
 public:
  explicit IntervalStats(IntervalStatsOptions options = {}) : o_(options) {}

  void AddEvent(const Event& e);
  void AddMeasurement(const Measurement& m);

  const std::deque<StatsBin>& Bins() const { return bins_; }
  // Speed percentile (0..100) of a list (linear interpolation between order statistics); 0 when empty.
  static double Percentile(std::vector<double> values, double p);
  // Mean of `values` (0 when empty).
  static double MeanOf(const std::vector<double>& values);
  // A number as the CSV writes it: integers without a decimal point, others with three decimals.
  static std::string CsvNumber(double v);

  // One row per (bin, rule, metric, class, direction): header
  // "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value". Metrics: count, speed_mean_kmh,
  // speed_p85_kmh (the configured percentile), speed_n, occupancy_mean, occupancy_max, density_mean, and event types.
  std::string ToCsv(const std::string& camera) const;
  // {"interval_s": 900, "bins": [{"start_s":..., "counts": {rule: {class: {direction: n}}}, "speed": {rule:
  // {"mean_kmh", "p85_kmh", "n"}}, "occupancy": {rule: {"mean", "max"}}, "density": ..., "events": {type: n}}]}
  nlohmann::json ToJson() const;
  // Incidents (stopped, wrong_way) and near-misses gathered in grid cells: a GeoJSON FeatureCollection of Points
  // with properties {count, near_miss, stopped, wrong_way}. With `frame`, coordinates are [lon, lat]; without,
  // local metres [east, north] (properties.crs = "local-metres").
  nlohmann::json HotspotsGeoJson(const geo::LocalFrame* frame) const;

 private:
  StatsBin& BinAt(TimeUs t);

  IntervalStatsOptions o_;
  std::deque<StatsBin> bins_;
  struct Spot {
    Point2 ground;
    std::string type;
  };
  std::deque<Spot> spots_;
  StatsBin scratch_;
};

}  // namespace didban::rules

#endif  // DIDBAN_RULES_INTERVAL_STATS_H_
