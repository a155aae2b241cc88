#include "server/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "fmt/format.h"
#include "spdlog/spdlog.h"

namespace didban::server {
namespace {

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  return fmt::format("{}", v);  // shortest text that reads back as the same double
}

std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"", EscapeLabelValue(values[i]), "\"");
  }
  if (!extra_name.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra_name, "=\"", extra_value, "\"");
  return out.empty() ? out : "{" + out + "}";
}

std::string EscapeHelp(const std::string& help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void CheckName(const std::string& name) {
  if (!IsValidMetricName(name)) {
    spdlog::critical("invalid metric name '{}'", name);
    std::abort();
  }
}

template <typename T>
std::unique_ptr<T> MakeSeries(const std::vector<double>& /*bounds*/) {
  return std::make_unique<T>();
}
template <>
std::unique_ptr<Histogram> MakeSeries<Histogram>(const std::vector<double>& bounds) {
  return std::make_unique<Histogram>(bounds);
}

}  // namespace

void AtomicDouble::Add(double x) {
  double cur = v_.load(std::memory_order_relaxed);
  while (!v_.compare_exchange_weak(cur, cur + x, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  buckets_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size());
  for (size_t i = 0; i < bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double x) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), x);  // first bound >= x: `le` is inclusive
  if (it != bounds_.end()) buckets_[it - bounds_.begin()].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_.Add(x);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(bounds_.size());
  uint64_t acc = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    out[i] = acc;
  }
  return out;
}

std::vector<double> DefaultSecondsBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  absl::MutexLock lock(&mu_);
  auto& slot = series_[values];
  if (!slot) {
    if (values.size() != labels_.size()) {
      spdlog::critical("metric {}: {} label values for {} labels", name_, values.size(), labels_.size());
      std::abort();
    }
    slot = MakeSeries<T>(bounds_);
  }
  return *slot;
}

template <typename T>
void Family<T>::Remove(const std::vector<std::string>& values) {
  absl::MutexLock lock(&mu_);
  series_.erase(values);
}

template <typename T>
void Family<T>::ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const {
  absl::MutexLock lock(&mu_);
  for (const auto& [values, series] : series_) fn(values, *series);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& MetricsRegistry::AddCounter(const std::string& name, const std::string& help,
                                             const std::vector<std::string>& label_names) {
  CheckName(name);
  absl::MutexLock lock(&mu_);
  auto& slot = counters_[name];
  if (!slot) slot = std::make_unique<Family<Counter>>(name, help, label_names, MetricType::kCounter);
  return *slot;
}

Family<Gauge>& MetricsRegistry::AddGauge(const std::string& name, const std::string& help,
                                         const std::vector<std::string>& label_names) {
  CheckName(name);
  absl::MutexLock lock(&mu_);
  auto& slot = gauges_[name];
  if (!slot) slot = std::make_unique<Family<Gauge>>(name, help, label_names, MetricType::kGauge);
  return *slot;
}

Family<Histogram>& MetricsRegistry::AddHistogram(const std::string& name, const std::string& help,
                                                 const std::vector<std::string>& label_names,
                                                 std::vector<double> upper_bounds) {
  CheckName(name);
  absl::MutexLock lock(&mu_);
  auto& slot = histograms_[name];
  if (!slot) {
    slot =
        std::make_unique<Family<Histogram>>(name, help, label_names, MetricType::kHistogram, std::move(upper_bounds));
  }
  return *slot;
}

void MetricsRegistry::AddCollector(std::function<void(MetricsRegistry&)> collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() {
  absl::MutexLock render_lock(&render_mu_);
  std::vector<std::function<void(MetricsRegistry&)>> collectors;
  {
    absl::MutexLock lock(&mu_);
    collectors = collectors_;
  }
  for (auto& c : collectors) c(*this);

  // Families in name order across the three kinds.
  std::map<std::string, std::string> blocks;
  absl::MutexLock lock(&mu_);
  for (const auto& entry : counters_) {
    const std::string& name = entry.first;
    const auto* fam = entry.second.get();
    std::string& out = blocks[name];
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(fam->help()), "\n# TYPE ", name, " counter\n");
    fam->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
      absl::StrAppend(&out, name, LabelText(fam->label_names(), values), " ", FormatValue(c.Value()), "\n");
    });
  }
  for (const auto& entry : gauges_) {
    const std::string& name = entry.first;
    const auto* fam = entry.second.get();
    std::string& out = blocks[name];
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(fam->help()), "\n# TYPE ", name, " gauge\n");
    fam->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
      absl::StrAppend(&out, name, LabelText(fam->label_names(), values), " ", FormatValue(g.Value()), "\n");
    });
  }
  for (const auto& entry : histograms_) {
    const std::string& name = entry.first;
    const auto* fam = entry.second.get();
    std::string& out = blocks[name];
    absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(fam->help()), "\n# TYPE ", name, " histogram\n");
    fam->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
      const auto counts = h.CumulativeCounts();
      for (size_t i = 0; i < counts.size(); ++i) {
        absl::StrAppend(&out, name, "_bucket",
                        LabelText(fam->label_names(), values, "le", FormatValue(h.upper_bounds()[i])), " ", counts[i],
                        "\n");
      }
      absl::StrAppend(&out, name, "_bucket", LabelText(fam->label_names(), values, "le", "+Inf"), " ", h.count(), "\n");
      absl::StrAppend(&out, name, "_sum", LabelText(fam->label_names(), values), " ", FormatValue(h.sum()), "\n");
      absl::StrAppend(&out, name, "_count", LabelText(fam->label_names(), values), " ", h.count(), "\n");
    });
  }
  std::string text;
  for (const auto& [name, block] : blocks) text += block;
  return text;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool IsValidMetricName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

}  // namespace didban::server
