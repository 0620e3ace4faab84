// MetricsRegistry renders exactly what client_golang would: text format
// 0.0.4, sorted, escaped, histograms cumulative with _sum and _count.
#include "metrics/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

#include "util/error.h"

namespace ecrhelm::metrics {
namespace {

TEST(MetricsRender, CountersAndGaugesSortedByNameThenLabelValues) {
  MetricsRegistry r;
  auto calls = r.counter("externalsecret_sync_calls_total",
                         "Total number of the External Secret sync calls", {"name", "namespace"});
  auto cond = r.gauge("externalsecret_status_condition",
                      "The status condition of a specific External Secret",
                      {"name", "namespace", "condition", "status"});
  calls.inc({"repo-b", "argocd"});
  calls.inc({"repo-a", "argocd"}, 2);
  calls.inc({"repo-a", "argocd"});
  cond.set({"repo-a", "argocd", "Ready", "True"}, 1);
  cond.set({"repo-a", "argocd", "Ready", "False"}, 0);

  EXPECT_EQ(r.render(),
            "# HELP externalsecret_status_condition The status condition of a specific External "
            "Secret\n"
            "# TYPE externalsecret_status_condition gauge\n"
            "externalsecret_status_condition{condition=\"Ready\",name=\"repo-a\",namespace="
            "\"argocd\",status=\"False\"} 0\n"
            "externalsecret_status_condition{condition=\"Ready\",name=\"repo-a\",namespace="
            "\"argocd\",status=\"True\"} 1\n"
            "# HELP externalsecret_sync_calls_total Total number of the External Secret sync "
            "calls\n"
            "# TYPE externalsecret_sync_calls_total counter\n"
            "externalsecret_sync_calls_total{name=\"repo-a\",namespace=\"argocd\"} 3\n"
            "externalsecret_sync_calls_total{name=\"repo-b\",namespace=\"argocd\"} 1\n");
}

TEST(MetricsRender, AFamilyWithoutLabelsStartsAtZeroAndOneWithLabelsIsHiddenUntilUsed) {
  MetricsRegistry r;
  auto hits = r.counter("ecrhelm_token_cache_hits_total", "Tokens served from the cache");
  r.counter("ecrhelm_aws_calls_total", "AWS calls", {"service", "operation"});
  EXPECT_EQ(r.render(),
            "# HELP ecrhelm_token_cache_hits_total Tokens served from the cache\n"
            "# TYPE ecrhelm_token_cache_hits_total counter\n"
            "ecrhelm_token_cache_hits_total 0\n");
  hits.inc();
  EXPECT_EQ(hits.value(), 1);
}

TEST(MetricsRender, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry r;
  auto g = r.gauge("odd", "help with \\ and\nnewline and \"quotes\"", {"v"});
  g.set({"back\\slash \"quoted\"\nnext"}, -1.5);
  EXPECT_EQ(r.render(),
            "# HELP odd help with \\\\ and\\nnewline and \"quotes\"\n"
            "# TYPE odd gauge\n"
            "odd{v=\"back\\\\slash \\\"quoted\\\"\\nnext\"} -1.5\n");
}

TEST(MetricsRender, HistogramBucketsAreCumulativeWithLeLastThenSumAndCount) {
  MetricsRegistry r;
  auto h =
      r.histogram("ecrhelm_reconcile_duration_seconds", "Reconcile time", {"kind"}, {0.25, 1, 10});
  h.observe({"es"}, 0.125);
  h.observe({"es"}, 0.25);  // le is inclusive
  h.observe({"es"}, 0.5);
  h.observe({"es"}, 100);
  h.observe({"repo"}, 2);
  EXPECT_EQ(r.render(),
            "# HELP ecrhelm_reconcile_duration_seconds Reconcile time\n"
            "# TYPE ecrhelm_reconcile_duration_seconds histogram\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"es\",le=\"0.25\"} 2\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"es\",le=\"1\"} 3\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"es\",le=\"10\"} 3\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"es\",le=\"+Inf\"} 4\n"
            "ecrhelm_reconcile_duration_seconds_sum{kind=\"es\"} 100.875\n"
            "ecrhelm_reconcile_duration_seconds_count{kind=\"es\"} 4\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"repo\",le=\"0.25\"} 0\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"repo\",le=\"1\"} 0\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"repo\",le=\"10\"} 1\n"
            "ecrhelm_reconcile_duration_seconds_bucket{kind=\"repo\",le=\"+Inf\"} 1\n"
            "ecrhelm_reconcile_duration_seconds_sum{kind=\"repo\"} 2\n"
            "ecrhelm_reconcile_duration_seconds_count{kind=\"repo\"} 1\n");
  EXPECT_EQ(h.count({"es"}), 4u);
  EXPECT_DOUBLE_EQ(h.sum({"es"}), 100.875);
}

TEST(MetricsRender, UnlabelledHistogramWithDefaultBuckets) {
  MetricsRegistry r;
  auto h = r.histogram("d", "h");
  h.observe(0.003);
  EXPECT_EQ(r.render(),
            "# HELP d h\n# TYPE d histogram\n"
            "d_bucket{le=\"0.005\"} 1\nd_bucket{le=\"0.01\"} 1\nd_bucket{le=\"0.025\"} 1\n"
            "d_bucket{le=\"0.05\"} 1\nd_bucket{le=\"0.1\"} 1\nd_bucket{le=\"0.25\"} 1\n"
            "d_bucket{le=\"0.5\"} 1\nd_bucket{le=\"1\"} 1\nd_bucket{le=\"2.5\"} 1\n"
            "d_bucket{le=\"5\"} 1\nd_bucket{le=\"10\"} 1\nd_bucket{le=\"+Inf\"} 1\n"
            "d_sum 0.003\nd_count 1\n");
}

TEST(MetricsRender, RemovedSeriesDisappear) {
  MetricsRegistry r;
  auto c = r.counter("c", "h", {"name"});
  c.inc({"a"});
  c.inc({"b"});
  c.remove({"a"});
  c.remove({"never-there"});
  EXPECT_EQ(r.render(), "# HELP c h\n# TYPE c counter\nc{name=\"b\"} 1\n");
  c.remove({"b"});
  EXPECT_EQ(r.render(), "");
}

TEST(MetricsValues, FormattedAsGoFormatsFloats) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(1), "1");
  EXPECT_EQ(format_metric_value(-1), "-1");
  EXPECT_EQ(format_metric_value(2.5), "2.5");
  EXPECT_EQ(format_metric_value(123456), "123456");
  EXPECT_EQ(format_metric_value(1e6), "1e+06");
  EXPECT_EQ(format_metric_value(1234567), "1.234567e+06");
  EXPECT_EQ(format_metric_value(1764332221), "1.764332221e+09");  // a Unix time, as Go prints it
  EXPECT_EQ(format_metric_value(0.0001), "0.0001");
  EXPECT_EQ(format_metric_value(0.00001), "1e-05");
  EXPECT_EQ(format_metric_value(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
}

TEST(MetricsRegistration, SameNameSameShapeSharesTheFamilyOtherwiseItIsAnError) {
  MetricsRegistry r;
  auto a = r.counter("c_total", "h", {"x"});
  auto b = r.counter("c_total", "h", {"x"});
  a.inc({"1"});
  b.inc({"1"});
  EXPECT_EQ(a.value({"1"}), 2);
  EXPECT_THROW(r.gauge("c_total", "h", {"x"}), Error);
  EXPECT_THROW(r.counter("c_total", "h", {"y"}), Error);
  EXPECT_THROW(r.histogram("h", "h", {}, {1, 1}), Error);
  EXPECT_THROW(r.histogram("h", "h", {"le"}), Error);
  EXPECT_THROW(r.counter("9bad", "h"), Error);
  EXPECT_THROW(r.counter("bad-name", "h"), Error);
  EXPECT_THROW(r.counter("ok", "h", {"__reserved"}), Error);
  EXPECT_THROW(r.counter("ok", "h", {"a", "a"}), Error);
  EXPECT_THROW(a.inc({"1", "2"}), Error);  // wrong label count
  EXPECT_THROW(a.inc({"1"}, -1), Error);   // counters only go up
}

TEST(MetricsRegistration, AnUnboundHandleDoesNothing) {
  Counter c;
  Gauge g;
  Histogram h;
  c.inc();
  g.set(3);
  h.observe(1);
  EXPECT_EQ(c.value(), 0);
  EXPECT_EQ(g.value(), 0);
  EXPECT_EQ(h.count(), 0u);
}

TEST(MetricsConcurrency, IncrementsFromManyThreadsAreAllCounted) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  MetricsRegistry r;
  auto c = r.counter("c", "h", {"t"});
  auto h = r.histogram("h", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        c.inc({std::to_string(t % 2)});
        h.observe(0.001);
        if (i % 1000 == 0) (void)r.render();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(c.value({"0"}) + c.value({"1"}), kThreads * kPerThread);
  EXPECT_EQ(h.count(), static_cast<uint64_t>(kThreads * kPerThread));
}

TEST(MetricsRegistry, CollectorsRunAtEveryRenderInTheOrderAdded) {
  MetricsRegistry r;
  Counter calls = r.counter("calls_total", "calls");
  Gauge last = r.gauge("last_seen", "what the second collector saw");
  int source = 0;  // a total kept elsewhere (a cache's counter, say)
  double published = 0;
  std::vector<std::string> order;
  r.add_collector([&] {
    order.push_back("first");
    calls.inc({}, source - published);
    published = source;
  });
  r.add_collector([&] {
    order.push_back("second");
    last.set(calls.value());
  });
  source = 3;
  EXPECT_NE(r.render().find("\ncalls_total 3\n"), std::string::npos);
  source = 5;
  const std::string text = r.render();
  EXPECT_NE(text.find("\ncalls_total 5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlast_seen 5\n"), std::string::npos) << text;
  EXPECT_EQ(order, (std::vector<std::string>{"first", "second", "first", "second"}));
}

}  // namespace
}  // namespace ecrhelm::metrics
