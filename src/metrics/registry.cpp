#include "metrics/registry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <numeric>
#include <set>

#include "util/error.h"

namespace ecrhelm::metrics {
namespace {

// Enough for any double in shortest form ("-1.2345678901234567e-308").
constexpr size_t kFloatBufferSize = 64;
// Go's strconv 'g' with shortest precision uses exponent form for decimal
// exponents >= 6 or < -4.
constexpr int kGoShortestExponentLimit = 6;
constexpr int kGoSmallExponentLimit = -4;

enum class MetricType { kCounter, kGauge, kHistogram };

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool valid_metric_name(const std::string& n) {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(const std::string& n) {
  if (n.empty() || n.rfind("__", 0) == 0) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::string escape_help(const std::string& h) {
  std::string out;
  out.reserve(h.size());
  for (char c : h) {
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

}  // namespace

namespace detail {

struct Series {
  double value = 0;
  std::vector<uint64_t> bucket_counts;  // per bound, not cumulative
  double sum = 0;
  uint64_t count = 0;
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::kCounter;
  std::vector<std::string> label_names;  // as registered
  std::vector<size_t> sorted_order;      // indices of label_names sorted by name
  std::vector<double> bounds;            // histograms: upper bounds, +Inf implied

  mutable std::mutex mu;
  // Keyed by label values in sorted-name order, so iteration is client_golang's order.
  std::map<std::vector<std::string>, Series> series;

  std::vector<std::string> key(const LabelValues& values) const {
    if (values.size() != label_names.size()) {
      fail(ErrorKind::kInvalidInput, "metric {} takes {} label values, got {}", name,
           label_names.size(), values.size());
    }
    std::vector<std::string> k;
    k.reserve(values.size());
    for (size_t i : sorted_order) k.push_back(values[i].substr(0, kMaxLabelValueBytes));
    return k;
  }

  // The series for values, created when absent. Requires mu held.
  Series& at(const LabelValues& values) {
    auto k = key(values);
    auto it = series.find(k);
    if (it != series.end()) return it->second;
    if (series.size() >= kMaxSeriesPerFamily) {
      fail(ErrorKind::kInvalidInput, "metric {} has more than {} series: a label is unbounded",
           name, kMaxSeriesPerFamily);
    }
    Series s;
    s.bucket_counts.assign(bounds.size(), 0);
    return series.emplace(std::move(k), std::move(s)).first->second;
  }

  const Series* find(const LabelValues& values) const {
    auto it = series.find(key(values));
    return it == series.end() ? nullptr : &it->second;
  }

  void erase(const LabelValues& values) {
    std::lock_guard<std::mutex> lock(mu);
    series.erase(key(values));
  }
};

}  // namespace detail

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";
  // Go's strconv.FormatFloat(v, 'g', -1, 64): the shortest digits that read
  // back exactly, in %e form when the exponent is < -4 or >= 6, else %f.
  std::array<char, kFloatBufferSize> buf{};
  auto sci = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  std::string s(buf.data(), sci.ptr);
  const size_t e = s.find('e');
  const int exponent = std::stoi(s.substr(e + 1));
  if (exponent < kGoSmallExponentLimit || exponent >= kGoShortestExponentLimit) return s;
  auto fixed = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  return std::string(buf.data(), fixed.ptr);
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
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

// --- handles -----------------------------------------------------------------

void Counter::inc(const LabelValues& labels, double by) {
  if (!family_) return;
  if (!(by >= 0)) {
    fail(ErrorKind::kInvalidInput, "counter {} cannot be increased by {}", family_->name,
         format_metric_value(by));
  }
  std::lock_guard<std::mutex> lock(family_->mu);
  family_->at(labels).value += by;
}

double Counter::value(const LabelValues& labels) const {
  if (!family_) return 0;
  std::lock_guard<std::mutex> lock(family_->mu);
  const auto* s = family_->find(labels);
  return s ? s->value : 0;
}

void Counter::remove(const LabelValues& labels) {
  if (family_) family_->erase(labels);
}

void Gauge::set(const LabelValues& labels, double v) {
  if (!family_) return;
  std::lock_guard<std::mutex> lock(family_->mu);
  family_->at(labels).value = v;
}

void Gauge::add(const LabelValues& labels, double by) {
  if (!family_) return;
  std::lock_guard<std::mutex> lock(family_->mu);
  family_->at(labels).value += by;
}

double Gauge::value(const LabelValues& labels) const {
  if (!family_) return 0;
  std::lock_guard<std::mutex> lock(family_->mu);
  const auto* s = family_->find(labels);
  return s ? s->value : 0;
}

void Gauge::remove(const LabelValues& labels) {
  if (family_) family_->erase(labels);
}

void Histogram::observe(const LabelValues& labels, double v) {
  if (!family_) return;
  std::lock_guard<std::mutex> lock(family_->mu);
  auto& s = family_->at(labels);
  const auto& b = family_->bounds;
  const auto it = std::lower_bound(b.begin(), b.end(), v);  // first bound >= v: le is inclusive
  if (it != b.end()) ++s.bucket_counts[static_cast<size_t>(it - b.begin())];
  s.sum += v;
  ++s.count;
}

uint64_t Histogram::count(const LabelValues& labels) const {
  if (!family_) return 0;
  std::lock_guard<std::mutex> lock(family_->mu);
  const auto* s = family_->find(labels);
  return s ? s->count : 0;
}

double Histogram::sum(const LabelValues& labels) const {
  if (!family_) return 0;
  std::lock_guard<std::mutex> lock(family_->mu);
  const auto* s = family_->find(labels);
  return s ? s->sum : 0;
}

void Histogram::remove(const LabelValues& labels) {
  if (family_) family_->erase(labels);
}

// --- registry ----------------------------------------------------------------

namespace {

std::shared_ptr<detail::MetricFamily> make_family(const std::string& name, const std::string& help,
                                                  MetricType type,
                                                  const std::vector<std::string>& labels,
                                                  const std::vector<double>& bounds) {
  if (!valid_metric_name(name)) {
    fail(ErrorKind::kInvalidInput, "invalid metric name \"{}\"", name);
  }
  std::set<std::string> seen;
  for (const auto& l : labels) {
    if (!valid_label_name(l)) {
      fail(ErrorKind::kInvalidInput, "metric {}: invalid label name \"{}\"", name, l);
    }
    if (type == MetricType::kHistogram && l == "le") {
      fail(ErrorKind::kInvalidInput, "metric {}: label \"le\" is reserved for histogram buckets",
           name);
    }
    if (!seen.insert(l).second) {
      fail(ErrorKind::kInvalidInput, "metric {}: label \"{}\" appears twice", name, l);
    }
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1]))) {
      fail(ErrorKind::kInvalidInput, "metric {}: histogram buckets must be strictly increasing",
           name);
    }
  }
  auto f = std::make_shared<detail::MetricFamily>();
  f->name = name;
  f->help = help;
  f->type = type;
  f->label_names = labels;
  f->bounds = bounds;
  // +Inf is always the last bucket; a bound of +Inf given explicitly is folded into it.
  if (!f->bounds.empty() && std::isinf(f->bounds.back()) && f->bounds.back() > 0) {
    f->bounds.pop_back();
  }
  f->sorted_order.resize(labels.size());
  std::iota(f->sorted_order.begin(), f->sorted_order.end(), size_t{0});
  std::sort(f->sorted_order.begin(), f->sorted_order.end(),
            [&](size_t a, size_t b) { return labels[a] < labels[b]; });
  if (labels.empty()) f->at({});
  return f;
}

// {a="x",b="y"} with an extra pair appended (histogram buckets' le); "" when no pairs.
std::string label_block(const detail::MetricFamily& f, const std::vector<std::string>& key,
                        const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += f.label_names[f.sorted_order[i]] + "=\"" + escape_label_value(key[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + escape_label_value(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

}  // namespace

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

std::shared_ptr<detail::MetricFamily> MetricsRegistry::add(
    std::shared_ptr<detail::MetricFamily> f) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = families_.find(f->name);
  if (it == families_.end()) {
    families_.emplace(f->name, f);
    return f;
  }
  const auto& old = *it->second;
  if (old.type != f->type || old.label_names != f->label_names || old.bounds != f->bounds) {
    fail(ErrorKind::kInvalidInput,
         "metric {} is already registered as a {} with other labels or buckets", f->name,
         type_name(old.type));
  }
  return it->second;
}

Counter MetricsRegistry::counter(const std::string& name, const std::string& help,
                                 const std::vector<std::string>& label_names) {
  return Counter(add(make_family(name, help, MetricType::kCounter, label_names, {})));
}

Gauge MetricsRegistry::gauge(const std::string& name, const std::string& help,
                             const std::vector<std::string>& label_names) {
  return Gauge(add(make_family(name, help, MetricType::kGauge, label_names, {})));
}

Histogram MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                     const std::vector<std::string>& label_names,
                                     const std::vector<double>& buckets) {
  return Histogram(add(make_family(name, help, MetricType::kHistogram, label_names, buckets)));
}

void MetricsRegistry::add_collector(std::function<void()> collect) {
  std::lock_guard<std::mutex> lock(collect_mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::render() const {
  std::lock_guard<std::mutex> collecting(collect_mu_);
  for (const auto& collect : collectors_) collect();
  std::vector<std::shared_ptr<detail::MetricFamily>> families;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, f] : families_) families.push_back(f);
  }
  std::string out;
  for (const auto& f : families) {
    std::lock_guard<std::mutex> lock(f->mu);
    if (f->series.empty()) continue;
    out += "# HELP " + f->name + " " + escape_help(f->help) + "\n";
    out += "# TYPE " + f->name + " " + type_name(f->type) + "\n";
    for (const auto& [key, s] : f->series) {
      if (f->type != MetricType::kHistogram) {
        out += f->name + label_block(*f, key) + " " + format_metric_value(s.value) + "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t i = 0; i < f->bounds.size(); ++i) {
        cumulative += s.bucket_counts[i];
        out += f->name + "_bucket" + label_block(*f, key, "le", format_metric_value(f->bounds[i])) +
               " " + std::to_string(cumulative) + "\n";
      }
      out += f->name + "_bucket" + label_block(*f, key, "le", "+Inf") + " " +
             std::to_string(s.count) + "\n";
      out += f->name + "_sum" + label_block(*f, key) + " " + format_metric_value(s.sum) + "\n";
      out += f->name + "_count" + label_block(*f, key) + " " + std::to_string(s.count) + "\n";
    }
  }
  return out;
}

}  // namespace ecrhelm::metrics
