// metrics: a Prometheus registry of counters, gauges and histograms rendered
// in the text exposition format 0.0.4, without a Prometheus client library
// (Debian has none for C++); a library of its own (it needs util only). The
// families `ecrhelm controller` registers are in controller/metrics.h.
//
// Output is rendered as client_golang renders it: families sorted by name,
// label pairs sorted by name (`le` last), series sorted by label values,
// numbers as Go's strconv 'g' with the shortest precision ("1e+06", "+Inf").
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ecrhelm::metrics {

// Label values in the order the family's label names were registered.
using LabelValues = std::vector<std::string>;

// client_golang's DefBuckets (seconds): 5 ms to 10 s.
inline const std::vector<double> kDefaultHistogramBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                             0.5,   1,    2.5,   5,    10};
// Limits that keep a label mistake (an unbounded value) from eating memory.
inline constexpr size_t kMaxSeriesPerFamily = 100000;
inline constexpr size_t kMaxLabelValueBytes = 1024;

// Prometheus' text format for a sample value or an `le` bound, as Go prints it.
std::string format_metric_value(double v);
// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(const std::string& v);

namespace detail {
struct MetricFamily;
}

// Handles to one family. They are cheap to copy and share the family; every
// operation is thread-safe. A default-constructed handle is unbound and does
// nothing (for code paths with metrics off). Wrong label counts, negative
// counter increments, and more than kMaxSeriesPerFamily series throw
// Error(kInvalidInput); label values longer than kMaxLabelValueBytes are cut.
class Counter {
 public:
  Counter() = default;
  void inc(const LabelValues& labels = {}, double by = 1);
  double value(const LabelValues& labels = {}) const;  // 0 when the series does not exist
  void remove(const LabelValues& labels);              // drop one series (a deleted object)

 private:
  friend class MetricsRegistry;
  explicit Counter(std::shared_ptr<detail::MetricFamily> f) : family_(std::move(f)) {}
  std::shared_ptr<detail::MetricFamily> family_;
};

class Gauge {
 public:
  Gauge() = default;
  void set(const LabelValues& labels, double v);
  void set(double v) { set({}, v); }
  void add(const LabelValues& labels, double by);  // negative to decrease
  double value(const LabelValues& labels = {}) const;
  void remove(const LabelValues& labels);

 private:
  friend class MetricsRegistry;
  explicit Gauge(std::shared_ptr<detail::MetricFamily> f) : family_(std::move(f)) {}
  std::shared_ptr<detail::MetricFamily> family_;
};

class Histogram {
 public:
  Histogram() = default;
  void observe(const LabelValues& labels, double v);
  void observe(double v) { observe({}, v); }
  uint64_t count(const LabelValues& labels = {}) const;
  double sum(const LabelValues& labels = {}) const;
  void remove(const LabelValues& labels);

 private:
  friend class MetricsRegistry;
  explicit Histogram(std::shared_ptr<detail::MetricFamily> f) : family_(std::move(f)) {}
  std::shared_ptr<detail::MetricFamily> family_;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registers a family, or returns the one already registered under that
  // name with the same type, labels (and buckets). Throws Error(kInvalidInput)
  // for an invalid metric or label name, a reserved label (`le` on a
  // histogram, names starting "__"), duplicate label names, buckets not
  // strictly increasing, or a name already registered differently. A family
  // without labels has its one series from the start (rendered as 0).
  Counter counter(const std::string& name, const std::string& help,
                  const std::vector<std::string>& label_names = {});
  Gauge gauge(const std::string& name, const std::string& help,
              const std::vector<std::string>& label_names = {});
  Histogram histogram(const std::string& name, const std::string& help,
                      const std::vector<std::string>& label_names = {},
                      const std::vector<double>& buckets = kDefaultHistogramBuckets);

  // A collector brings families up to date from their sources (a cache's
  // totals, say) when they are read, instead of a loop publishing them:
  // render() calls every collector first, one render at a time, in the
  // order added (client_golang's Collector, in small).
  void add_collector(std::function<void()> collect);

  // Every family with at least one series, in text format 0.0.4, after the collectors ran.
  std::string render() const;

 private:
  std::shared_ptr<detail::MetricFamily> add(std::shared_ptr<detail::MetricFamily> f);

  mutable std::mutex collect_mu_;  // one collection at a time; held by render()
  std::vector<std::function<void()>> collectors_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<detail::MetricFamily>> families_;
};

// The Content-Type of render()'s output.
inline constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace ecrhelm::metrics
