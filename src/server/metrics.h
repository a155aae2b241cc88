// A Prometheus metrics registry: counter, gauge and histogram families with labels, rendered in the text exposition
// format (version 0.0.4). Names follow the convention: units in the name, counters end in _total, per-camera series
// carry a `camera` label. Thread-safe: families and series may be created and updated from any thread; a series
// handle stays valid for the registry's lifetime.
#ifndef DIDBAN_SERVER_METRICS_H_
#define DIDBAN_SERVER_METRICS_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace didban::server {

// A value that can be added to from many threads (a double kept in an atomic).
class AtomicDouble {
 public:
  void Add(double x);
  void Set(double x) { v_.store(x, std::memory_order_relaxed); }
  double Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0.0};
};

class Counter {
 public:
  void Inc(double by = 1) { v_.Add(by > 0 ? by : 0); }
  // For totals kept elsewhere (the site runtime's frame counters), copied in when scraped.
  void SetTotal(double total) { v_.Set(total); }
  double Value() const { return v_.Get(); }

 private:
  AtomicDouble v_;
};

class Gauge {
 public:
  void Set(double x) { v_.Set(x); }
  void Add(double x) { v_.Add(x); }
  double Value() const { return v_.Get(); }

 private:
  AtomicDouble v_;
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void Observe(double x);
  const std::vector<double>& upper_bounds() const { return bounds_; }
  // Cumulative counts per bound (the +Inf bucket is count()).
  std::vector<uint64_t> CumulativeCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.Get(); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // per bound, not cumulative
  std::atomic<uint64_t> count_{0};
  AtomicDouble sum_;
};

// Seconds buckets for request and stage times: 0.5 ms to 10 s.
std::vector<double> DefaultSecondsBuckets();

enum class MetricType { kCounter, kGauge, kHistogram };

// One named metric with a fixed list of label names; each distinct list of label values is one series.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, MetricType type,
         std::vector<double> bounds = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        labels_(std::move(label_names)),
        type_(type),
        bounds_(std::move(bounds)) {}
  // The series for `values` (one per label name, in order), created at zero on first use.
  T& WithLabels(const std::vector<std::string>& values);
  // Drops a series (a removed camera).
  void Remove(const std::vector<std::string>& values);
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return labels_; }
  MetricType type() const { return type_; }
  // Calls `fn(label values, series)` for each series in label order, under the family's lock.
  void ForEach(const std::function<void(const std::vector<std::string>&, const T&)>& fn) const;

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  MetricType type_;
  std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<T>> series_ ABSL_GUARDED_BY(mu_);
};

class MetricsRegistry {
 public:
  // Each Add* returns the family named `name`, creating it once; the name must match [a-zA-Z_:][a-zA-Z0-9_:]*
  // (checked: a bad name is a programming error and aborts).
  Family<Counter>& AddCounter(const std::string& name, const std::string& help,
                              const std::vector<std::string>& label_names = {});
  Family<Gauge>& AddGauge(const std::string& name, const std::string& help,
                          const std::vector<std::string>& label_names = {});
  Family<Histogram>& AddHistogram(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& label_names,
                                  std::vector<double> upper_bounds = DefaultSecondsBuckets());
  // Called at the start of every Render(), to copy values kept elsewhere into series (scrape-time collection).
  void AddCollector(std::function<void(MetricsRegistry&)> collector);
  // The text exposition format; families in name order.
  std::string Render();

 private:
  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Family<Counter>>> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Family<Gauge>>> gauges_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<Family<Histogram>>> histograms_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(MetricsRegistry&)>> collectors_ ABSL_GUARDED_BY(mu_);
  absl::Mutex render_mu_;  // one scrape at a time (collectors are not re-entrant)
};

// Prometheus label-value escaping (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& value);
bool IsValidMetricName(const std::string& name);

}  // namespace didban::server

#endif  // DIDBAN_SERVER_METRICS_H_
