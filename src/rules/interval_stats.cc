#include "rules/interval_stats.h"

#include <algorithm>
#include <cmath>

namespace didban::rules {

absl::Status IntervalStatsOptions::Validate() const {
  if (interval_us <= 0) return absl::InvalidArgumentError("stats interval must be > 0");
  if (!(percentile > 0 && percentile <= 100)) return absl::InvalidArgumentError("percentile must be in (0, 100]");
  if (max_bins == 0 || !(hotspot_cell_m > 0)) return absl::InvalidArgumentError("max_bins and hotspot_cell_m > 0");
  return absl::OkStatus();
}

StatsBin& IntervalStats::BinAt(TimeUs t) {
  TimeUs start = t / o_.interval_us * o_.interval_us;
  if (t < 0 && start != t) start -= o_.interval_us;
  auto by_start = [](const StatsBin& b, TimeUs s) { return b.start_us < s; };
  auto it = std::lower_bound(bins_.begin(), bins_.end(), start, by_start);
  if (it != bins_.end() && it->start_us == start) return *it;
  if (bins_.size() >= o_.max_bins) {
    if (it == bins_.begin()) {  // older than every kept bin: counted nowhere
      scratch_ = StatsBin{};
      return scratch_;
    }
    bins_.pop_front();
    it = std::lower_bound(bins_.begin(), bins_.end(), start, by_start);
  }
  it = bins_.insert(it, StatsBin{});
  it->start_us = start;
  return *it;
}

void IntervalStats::AddEvent(const Event& e) {
  StatsBin& bin = BinAt(e.time_us);
  if (e.type == "line_cross") {
    std::string dir = e.detail.starts_with("direction=") ? e.detail.substr(10) : e.detail;
    ++bin.counts[e.rule][{std::string(ObjectClassName(e.object_class)), dir}];
    return;
  }
  ++bin.events[e.type];
  if ((e.type == "stopped" || e.type == "wrong_way" || e.type == "near_miss") && e.ground) {
    spots_.push_back({*e.ground, e.type});
    if (spots_.size() > o_.max_hotspot_events) spots_.pop_front();
  }
}

void IntervalStats::AddMeasurement(const Measurement& m) {
  StatsBin& bin = BinAt(m.time_us);
  auto add = [&](StatsBin::Running* r) {
    r->sum += m.value;
    r->max = r->n == 0 ? m.value : std::max(r->max, m.value);
    ++r->n;
  };
  switch (m.kind) {
    case MeasureKind::kSpeed:
      bin.speeds_kmh[m.rule].push_back(m.value);
      break;
    case MeasureKind::kOccupancy:
      add(&bin.occupancy[m.rule]);
      break;
    case MeasureKind::kDensity:
      add(&bin.density[m.rule]);
      break;
  }
}

double IntervalStats::Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

std::string IntervalStats::CsvNumber(double v) {
  if (std::abs(v - std::round(v)) < 1e-9) return std::to_string(static_cast<int64_t>(std::llround(v)));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

double IntervalStats::MeanOf(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

namespace {
const auto& Num = IntervalStats::CsvNumber;
const auto& Mean = IntervalStats::MeanOf;
}  // namespace

std::string IntervalStats::ToCsv(const std::string& camera) const {
  std::string out = "interval_start_s,interval_end_s,camera,rule,metric,class,direction,value\n";
  for (const StatsBin& b : bins_) {
    std::string prefix = absl::StrCat(Num(UsToSeconds(b.start_us)), ",", Num(UsToSeconds(b.start_us + o_.interval_us)),
                                      ",", camera, ",");
    auto row = [&](const std::string& rule, const std::string& metric, const std::string& cls, const std::string& dir,
                   double v) {
      absl::StrAppend(&out, prefix, rule, ",", metric, ",", cls, ",", dir, ",", Num(v), "\n");
    };
    for (const auto& [rule, m] : b.counts) {
      for (const auto& [key, n] : m) row(rule, "count", key.first, key.second, static_cast<double>(n));
    }
    for (const auto& [rule, v] : b.speeds_kmh) {
      row(rule, "speed_mean_kmh", "", "", Mean(v));
      row(rule, absl::StrCat("speed_p", Num(o_.percentile), "_kmh"), "", "", Percentile(v, o_.percentile));
      row(rule, "speed_n", "", "", static_cast<double>(v.size()));
    }
    for (const auto& [rule, r] : b.occupancy) {
      row(rule, "occupancy_mean", "", "", r.Mean());
      row(rule, "occupancy_max", "", "", r.max);
    }
    for (const auto& [rule, r] : b.density) row(rule, "density_mean", "", "", r.Mean());
    for (const auto& [type, n] : b.events) row("", type, "", "", static_cast<double>(n));
  }
  return out;
}

nlohmann::json IntervalStats::ToJson() const {
  nlohmann::json j;
  j["interval_s"] = UsToSeconds(o_.interval_us);
  j["bins"] = nlohmann::json::array();
  for (const StatsBin& b : bins_) {
    nlohmann::json jb;
    jb["start_s"] = UsToSeconds(b.start_us);
    jb["counts"] = nlohmann::json::object();
    for (const auto& [rule, m] : b.counts) {
      for (const auto& [key, n] : m) jb["counts"][rule][key.first][key.second] = n;
    }
    jb["speed"] = nlohmann::json::object();
    for (const auto& [rule, v] : b.speeds_kmh) {
      jb["speed"][rule] = {{"mean_kmh", Mean(v)}, {"p85_kmh", Percentile(v, o_.percentile)}, {"n", v.size()}};
    }
    jb["occupancy"] = nlohmann::json::object();
    for (const auto& [rule, r] : b.occupancy) jb["occupancy"][rule] = {{"mean", r.Mean()}, {"max", r.max}};
    jb["density"] = nlohmann::json::object();
    for (const auto& [rule, r] : b.density) jb["density"][rule] = {{"mean", r.Mean()}, {"max", r.max}};
    jb["events"] = b.events;
    j["bins"].push_back(std::move(jb));
  }
  return j;
}

nlohmann::json IntervalStats::HotspotsGeoJson(const geo::LocalFrame* frame) const {
  struct Cell {
    double sx = 0, sy = 0;
    std::map<std::string, int64_t> types;
    int64_t n = 0;
  };
  std::map<std::pair<int64_t, int64_t>, Cell> cells;
  for (const Spot& s : spots_) {
    std::pair<int64_t, int64_t> key{static_cast<int64_t>(std::floor(s.ground.x / o_.hotspot_cell_m)),
                                    static_cast<int64_t>(std::floor(s.ground.y / o_.hotspot_cell_m))};
    Cell& c = cells[key];
    c.sx += s.ground.x;
    c.sy += s.ground.y;
    ++c.types[s.type];
    ++c.n;
  }
  nlohmann::json fc = {{"type", "FeatureCollection"}, {"features", nlohmann::json::array()}};
  for (const auto& [key, c] : cells) {
    double x = c.sx / static_cast<double>(c.n), y = c.sy / static_cast<double>(c.n);
    nlohmann::json coords;
    nlohmann::json props = {{"count", c.n}};
    for (const char* t : {"near_miss", "stopped", "wrong_way"}) {
      auto it = c.types.find(t);
      props[t] = it == c.types.end() ? 0 : it->second;
    }
    if (frame != nullptr) {
      geo::LatLon ll = frame->ToLatLon(x, y);
      coords = {ll.lon, ll.lat};
    } else {
      coords = {x, y};
      props["crs"] = "local-metres";
    }
    fc["features"].push_back(
        {{"type", "Feature"}, {"geometry", {{"type", "Point"}, {"coordinates", coords}}}, {"properties", props}});
  }
  return fc;
}

}  // namespace didban::rules
