// Manager with leader election against the real kube-apiserver: nothing
// runs before this process holds the Lease; losing it stops the controllers
// and leader-only work at once and run() returns by itself, leaving the
// Lease to its new holder; a clean stop releases it.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "kube/resource.h"
#include "runtime/manager.h"
#include "support/kube.h"

namespace ecrhelm::runtime {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kLease = "manager-leader-test";

template <typename F>
bool eventually(F pred, std::chrono::milliseconds timeout = 30s) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

class CountingReconciler : public Reconciler {
 public:
  Result reconcile(const Request&) override {
    ++calls;
    return {};
  }
  std::atomic<int> calls{0};
};

ManagerOptions leader_options(const std::string& ns, const std::string& identity) {
  ManagerOptions o;
  o.leader_elect = true;
  o.leader_election_namespace = ns;
  o.leader_election_id = kLease;
  o.leader_identity = identity;
  o.lease_timings = {2000ms, 1500ms, 300ms};
  return o;
}

std::string holder(kube::KubeClient& kube, const std::string& ns) {
  auto lease = kube.get_if_exists(kube::resources::kLeases, ns, kLease);
  return lease ? (*lease)["spec"].value("holderIdentity", "") : "<none>";
}

TEST(ManagerLeaderElection, LosingTheLeaseStopsEveryWriterAndRunReturns) {
  test::ScopedNamespace ns("mgr");
  auto kube = test::admin_client();
  Manager m(*kube, leader_options(ns.name(), "manager-a"));
  CountingReconciler r;
  Controller& c = m.add_controller("test", r);
  std::atomic<bool> runnable_running{false};
  m.add_runnable([&] { runnable_running = true; }, [&] { runnable_running = false; });

  std::atomic<bool> returned{false};
  std::thread runner([&] {
    EXPECT_EQ(m.run(), 0);
    returned = true;
  });
  ASSERT_TRUE(eventually([&] { return runnable_running.load(); }));
  EXPECT_EQ(holder(*kube, ns.name()), "manager-a");
  c.enqueue({"ns", "obj"});
  ASSERT_TRUE(eventually([&] { return r.calls.load() == 1; }));

  // Someone else takes the Lease (a successor after a partition); retried on 409.
  ASSERT_TRUE(eventually([&] {
    json lease = kube->get(kube::resources::kLeases, ns.name(), kLease);
    lease["spec"]["holderIdentity"] = "intruder";
    lease["spec"]["leaseDurationSeconds"] = 3600;
    try {
      kube->update(kube::resources::kLeases, ns.name(), lease);
      return true;
    } catch (const kube::ApiError& e) {
      if (!kube::is_conflict(e)) throw;
      return false;
    }
  }));
  ASSERT_TRUE(eventually([&] { return returned.load(); }));
  runner.join();
  EXPECT_FALSE(runnable_running.load());
  // The controller was stopped (its workers joined): a new request is not even queued.
  c.enqueue({"ns", "after-the-loss"});
  EXPECT_EQ(c.queue().pending(), 0u);
  EXPECT_EQ(r.calls.load(), 1);
  EXPECT_EQ(holder(*kube, ns.name()), "intruder");  // neither overwritten nor released
}

TEST(ManagerLeaderElection, AStandbyStartsNothingUntilTheLeaderStopsAndReleases) {
  test::ScopedNamespace ns("mgr");
  auto kube = test::admin_client();
  Manager a(*kube, leader_options(ns.name(), "manager-a"));
  std::atomic<bool> a_running{false};
  a.add_runnable([&] { a_running = true; }, [&] { a_running = false; });
  std::thread run_a([&] { a.run(); });
  ASSERT_TRUE(eventually([&] { return a_running.load(); }));

  auto kube_b = test::admin_client();
  ManagerOptions ob = leader_options(ns.name(), "manager-b");
  ob.lease_timings = {60000ms, 40000ms, 300ms};  // b could not take it by expiry in this test
  Manager b(*kube_b, ob);
  std::atomic<bool> b_running{false};
  b.add_runnable([&] { b_running = true; }, [&] { b_running = false; });
  std::thread run_b([&] { b.run(); });
  std::this_thread::sleep_for(1s);  // b tries about three times meanwhile
  EXPECT_FALSE(b_running.load());
  EXPECT_EQ(holder(*kube, ns.name()), "manager-a");

  a.request_stop();  // a clean stop: writers stopped, then the Lease released
  run_a.join();
  EXPECT_FALSE(a_running.load());
  ASSERT_TRUE(eventually([&] { return b_running.load(); }, 20s));
  EXPECT_EQ(holder(*kube, ns.name()), "manager-b");
  b.request_stop();
  run_b.join();
  EXPECT_FALSE(b_running.load());
}

}  // namespace
}  // namespace ecrhelm::runtime
