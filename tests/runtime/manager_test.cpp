// Manager without an API server: informers over a scripted ListerWatcher
// feed a controller; synced() waits for every first list; the periodic
// resync hands every cached object over again; run() serves /readyz and
// /metrics (collectors read at scrape time) and returns on request_stop()
// or SIGTERM after stopping everything.
#include "runtime/manager.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <csignal>
#include <mutex>
#include <set>
#include <thread>

namespace ecrhelm::runtime {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json object(const std::string& ns, const std::string& name, const std::string& rv) {
  return {{"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}}}};
}

// Lists `items` once, then holds the watch open (sending `events` first) until cancelled.
class FakeListerWatcher : public kube::ListerWatcher {
 public:
  FakeListerWatcher(std::vector<json> items, std::vector<kube::WatchEvent> events = {})
      : items_(std::move(items)), events_(std::move(events)) {}
  std::string list(const kube::ListOptions&, const std::function<void(json&&)>& on_item) override {
    if (hold_list_) std::this_thread::sleep_for(2s);
    for (auto item : items_) on_item(std::move(item));
    return "10";
  }
  void watch(const kube::WatchOptions& opts,
             const std::function<bool(const kube::WatchEvent&)>& on_event) override {
    for (const auto& e : events_) {
      if (!on_event(e)) return;
    }
    events_.clear();
    while (!opts.cancelled()) std::this_thread::sleep_for(5ms);
  }
  std::string display() const override { return "fakes"; }
  bool hold_list_ = false;

 private:
  std::vector<json> items_;
  std::vector<kube::WatchEvent> events_;
};

class RecordingReconciler : public Reconciler {
 public:
  Result reconcile(const Request& req) override {
    std::lock_guard lock(mu_);
    seen_.push_back(req);
    return {};
  }
  std::vector<Request> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<Request> seen_;
};

template <typename F>
bool eventually(F pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

kube::KubeClient& unused_client() {
  static kube::KubeClient client(kube::RestConfig{});  // never called: no leader election here
  return client;
}

std::unique_ptr<kube::Informer<json>> informer(std::unique_ptr<FakeListerWatcher> lw) {
  return std::make_unique<kube::Informer<json>>(std::move(lw), kube::strip_managed_fields);
}

TEST(Manager, InformerEventsReachTheControllerAndStartWaitsForNoElection) {
  Manager m(unused_client(), {});
  RecordingReconciler r;
  Controller& c = m.add_controller("test", r);
  m.add_informer(informer(std::make_unique<FakeListerWatcher>(
                     std::vector<json>{object("a", "one", "1"), object("b", "two", "2")},
                     std::vector<kube::WatchEvent>{{"ADDED", object("a", "three", "11")}})),
                 [&c](const std::string&, const json& o, const json*) {
                   c.enqueue({o["metadata"]["namespace"], o["metadata"]["name"]});
                 });
  std::vector<std::string> order;
  m.add_runnable([&] { order.push_back("runnable started"); },
                 [&] { order.push_back("runnable stopped"); });
  EXPECT_FALSE(m.synced());
  m.start();
  EXPECT_TRUE(eventually([&] { return m.synced(); }));
  ASSERT_TRUE(eventually([&] { return r.seen().size() == 3; }));
  auto seen = r.seen();
  std::set<Request> got(seen.begin(), seen.end());
  EXPECT_EQ(got, (std::set<Request>{{"a", "one"}, {"b", "two"}, {"a", "three"}}));
  m.stop();
  EXPECT_EQ(order, (std::vector<std::string>{"runnable started", "runnable stopped"}));
  EXPECT_EQ(m.reconciles(), 3u);
}

TEST(Manager, TheResyncHandsEveryCachedObjectOverAgain) {
  ManagerOptions o;
  o.sync_period = 1s;
  Manager m(unused_client(), o);
  RecordingReconciler r;
  Controller& c = m.add_controller("test", r);
  m.add_informer(
      informer(std::make_unique<FakeListerWatcher>(std::vector<json>{object("a", "one", "1")})),
      [](const std::string&, const json&, const json*) {},  // events alone enqueue nothing
      [&c](const Request& req) { c.enqueue(req); });
  m.start();
  ASSERT_TRUE(eventually([&] { return r.seen().size() >= 1; }));
  EXPECT_EQ(r.seen().front(), (Request{"a", "one"}));
  m.stop();
}

TEST(Manager, RunServesReadinessAndMetricsReadAtScrapeTimeAndStopsOnSigterm) {
  ManagerOptions o;
  o.metrics_bind_address = "127.0.0.1:0";
  o.health_probe_bind_address = "127.0.0.1:0";
  Manager m(unused_client(), o);
  RecordingReconciler r;
  m.add_controller("test", r);
  auto lw = std::make_unique<FakeListerWatcher>(std::vector<json>{object("a", "one", "1")});
  lw->hold_list_ = true;  // not synced for the first 2 s
  m.add_informer(informer(std::move(lw)), [](const std::string&, const json&, const json*) {});
  auto counter = m.metrics().counter("test_collected_total", "set by a collector");
  int collected = 0;
  m.metrics().add_collector([&] { counter.inc({}, ++collected); });

  std::thread runner([&] { EXPECT_EQ(m.run(), 0); });
  ASSERT_TRUE(eventually([&] { return m.health_port() != 0; }));
  int health = m.health_port(), metrics_port = m.metrics_port();
  // Ready only once the informer listed.
  std::vector<int> statuses;
  ASSERT_TRUE(eventually([&] {
    auto res = httplib::Client("127.0.0.1", health).Get("/readyz");
    if (res) statuses.push_back(res->status);
    return res && res->status == 200;
  }));
  EXPECT_EQ(statuses.front(), 503);
  // Each scrape runs the collector once: 1, then 1 + 2.
  auto first = httplib::Client("127.0.0.1", metrics_port).Get("/metrics");
  auto second = httplib::Client("127.0.0.1", metrics_port).Get("/metrics");
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->body.find("\ntest_collected_total 1\n"), std::string::npos) << first->body;
  EXPECT_NE(second->body.find("\ntest_collected_total 3\n"), std::string::npos) << second->body;

  ::kill(::getpid(), SIGTERM);  // run() has SIGTERM: it stops, it does not kill the test
  runner.join();
  EXPECT_TRUE(m.synced());
  EXPECT_FALSE(httplib::Client("127.0.0.1", health).Get("/readyz"));  // the server is gone
}

TEST(Manager, RequestStopBeforeRunMakesRunReturnAtOnce) {
  Manager m(unused_client(), {});
  m.request_stop();
  EXPECT_EQ(m.run(), 0);
}

}  // namespace
}  // namespace ecrhelm::runtime
