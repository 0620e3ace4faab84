// LeaderElector against the real kube-apiserver: one leader among
// candidates, takeover after a killed leader's lease expires, a quick
// takeover after a clean release, loss of leadership when the lease is taken
// away, and client-go's rules on timings and on the record's fields.
#include "runtime/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "kube/resource.h"
#include "support/kube.h"
#include "util/error.h"

namespace ecrhelm::runtime {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kLeaseName = "ecrhelm-controller-leader";
// Short timings so a takeover after expiry happens within seconds.
const LeaseTimings kShort{2000ms, 1500ms, 300ms};
// A lease far longer than any wait below: a takeover within kQuickWait can
// only come from a release, never from expiry.
const LeaseTimings kLong{60000ms, 40000ms, 300ms};
// Generous polling bounds (not timing assertions).
constexpr auto kWait = 30s;
constexpr auto kQuickWait = 20s;
constexpr auto kPoll = 50ms;

template <typename F>
bool eventually(F pred, std::chrono::milliseconds timeout = kWait) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(kPoll);
  }
  return pred();
}

// One candidate running LeaderElector::run on its own thread with its own client.
class Candidate {
 public:
  Candidate(const std::string& ns, const std::string& identity, LeaseTimings t)
      : client_(test::admin_client()), elector_(*client_, ns, kLeaseName, identity, t) {}
  ~Candidate() {
    elector_.stop();
    join();
  }
  Candidate(const Candidate&) = delete;
  Candidate& operator=(const Candidate&) = delete;

  void start() {
    thread_ = std::thread([this] {
      elector_.run([this] { ++started_; }, [this] { ++stopped_; });
      returned_ = true;
    });
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  LeaderElector& elector() { return elector_; }
  int started() const { return started_; }
  int stopped() const { return stopped_; }
  bool returned() const { return returned_; }

 private:
  std::unique_ptr<kube::KubeClient> client_;
  LeaderElector elector_;
  std::atomic<int> started_{0};
  std::atomic<int> stopped_{0};
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

class LeaderElectionTest : public ::testing::Test {
 protected:
  LeaderElectionTest() : ns_("lease"), client_(test::admin_client()) {}
  const std::string& ns() const { return ns_.name(); }
  json lease_spec() {
    auto lease = client_->get_if_exists(kube::resources::kLeases, ns(), kLeaseName);
    return lease ? lease->value("spec", json::object()) : json();
  }
  std::string holder() {
    json spec = lease_spec();
    return spec.is_object() ? spec.value("holderIdentity", "") : "<no lease>";
  }
  int64_t transitions() { return lease_spec().value("leaseTransitions", int64_t{-1}); }

  test::ScopedNamespace ns_;
  std::unique_ptr<kube::KubeClient> client_;
};

TEST_F(LeaderElectionTest, OnlyOneOfTwoCandidatesLeadsAndTheLeaseNamesIt) {
  Candidate a(ns(), "candidate-a", kShort);
  Candidate b(ns(), "candidate-b", kShort);
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.elector().is_leader() || b.elector().is_leader(); }));
  Candidate& leader = a.elector().is_leader() ? a : b;
  Candidate& follower = &leader == &a ? b : a;

  // Over several lease durations (renewals, the follower retrying), never two leaders.
  const auto end = std::chrono::steady_clock::now() + 3 * kShort.lease;
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_FALSE(a.elector().is_leader() && b.elector().is_leader());
    std::this_thread::sleep_for(kPoll);
  }
  EXPECT_TRUE(leader.elector().is_leader());
  EXPECT_FALSE(follower.elector().is_leader());
  EXPECT_EQ(leader.started(), 1);
  EXPECT_EQ(follower.started(), 0);

  json spec = lease_spec();
  EXPECT_EQ(spec.value("holderIdentity", ""), leader.elector().identity());
  EXPECT_EQ(spec.value("leaseDurationSeconds", 0), 2);
  EXPECT_EQ(spec.value("leaseTransitions", -1), 0);  // created by the leader: no transition yet
  EXPECT_TRUE(spec.contains("acquireTime"));
  EXPECT_TRUE(spec.contains("renewTime"));
  // Renewals move renewTime and keep acquireTime.
  const std::string acquired = spec.value("acquireTime", "");
  const std::string renewed = spec.value("renewTime", "");
  ASSERT_TRUE(eventually([&] { return lease_spec().value("renewTime", "") != renewed; }));
  EXPECT_EQ(lease_spec().value("acquireTime", ""), acquired);
}

TEST_F(LeaderElectionTest, AKilledLeadersLeaseIsTakenOverAfterItExpires) {
  auto a = std::make_unique<Candidate>(ns(), "candidate-a", kShort);
  a->start();
  ASSERT_TRUE(eventually([&] { return a->elector().is_leader(); }));
  const int64_t before = transitions();
  ASSERT_EQ(before, 0);

  Candidate b(ns(), "candidate-b", kShort);
  b.start();
  a->elector().abandon();  // killed: no release, no more renewals
  a->join();
  EXPECT_EQ(a->stopped(), 1);
  EXPECT_FALSE(a->elector().is_leader());

  ASSERT_TRUE(eventually([&] { return b.elector().is_leader(); }));
  EXPECT_EQ(holder(), "candidate-b");
  EXPECT_EQ(transitions(), before + 1);
  EXPECT_EQ(b.started(), 1);
}

TEST_F(LeaderElectionTest, AnAbandonedLeaseStillNamesTheOldHolder) {
  Candidate a(ns(), "candidate-a", kLong);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector().is_leader(); }));
  a.elector().abandon();
  a.join();
  EXPECT_EQ(holder(), "candidate-a");
  EXPECT_EQ(lease_spec().value("leaseDurationSeconds", 0), 60);

  // A second candidate cannot take a long lease that was not released.
  Candidate b(ns(), "candidate-b", kLong);
  b.start();
  const auto end = std::chrono::steady_clock::now() + 10 * kLong.retry;
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_FALSE(b.elector().is_leader());
    std::this_thread::sleep_for(kPoll);
  }
  EXPECT_EQ(holder(), "candidate-a");
  EXPECT_EQ(b.started(), 0);
}

TEST_F(LeaderElectionTest, ACleanStopReleasesSoTheOtherTakesOverWithoutWaitingForExpiry) {
  auto a = std::make_unique<Candidate>(ns(), "candidate-a", kLong);
  a->start();
  ASSERT_TRUE(eventually([&] { return a->elector().is_leader(); }));
  Candidate b(ns(), "candidate-b", kLong);
  b.start();
  ASSERT_TRUE(eventually([&] { return !lease_spec().is_null(); }));
  EXPECT_FALSE(b.elector().is_leader());

  a->elector().stop();
  a->join();
  EXPECT_EQ(a->started(), 1);
  EXPECT_EQ(a->stopped(), 1);
  // Released (holder "", duration 1) or already taken by b; never still a's.
  json spec = lease_spec();
  EXPECT_NE(spec.value("holderIdentity", ""), "candidate-a");
  if (spec.value("holderIdentity", "") == "") {
    EXPECT_EQ(spec.value("leaseDurationSeconds", 0), 1);
  }

  // The lease lasts 60 s: b leading well within that proves the release.
  ASSERT_TRUE(eventually([&] { return b.elector().is_leader(); }, kQuickWait));
  EXPECT_EQ(holder(), "candidate-b");
  EXPECT_EQ(transitions(), 1);
}

TEST_F(LeaderElectionTest, TheSameIdentityRenewsItsOwnLeaseWithoutATransition) {
  Candidate a(ns(), "candidate-a", kLong);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector().is_leader(); }));
  const std::string acquired = lease_spec().value("acquireTime", "");
  a.elector().abandon();
  a.join();

  // A restarted process with the same identity: the lease is still its own.
  Candidate again(ns(), "candidate-a", kLong);
  again.start();
  ASSERT_TRUE(eventually([&] { return again.elector().is_leader(); }, kQuickWait));
  EXPECT_EQ(transitions(), 0);
  EXPECT_EQ(lease_spec().value("acquireTime", ""), acquired);
}

TEST_F(LeaderElectionTest, ALeaderWhoseLeaseIsTakenAwayStopsLeadingAndRunReturns) {
  Candidate a(ns(), "candidate-a", kShort);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector().is_leader(); }));

  // Someone else writes the lease (as a partitioned leader's successor would).
  // Retried on 409: a's renewals race with this write.
  ASSERT_TRUE(eventually([&] {
    json lease = client_->get(kube::resources::kLeases, ns(), kLeaseName);
    lease["spec"]["holderIdentity"] = "intruder";
    lease["spec"]["leaseDurationSeconds"] = 3600;
    try {
      client_->update(kube::resources::kLeases, ns(), lease);
      return true;
    } catch (const kube::ApiError& e) {
      if (!kube::is_conflict(e)) throw;
      return false;
    }
  }));

  ASSERT_TRUE(eventually([&] { return a.returned(); }));
  EXPECT_FALSE(a.elector().is_leader());
  EXPECT_EQ(a.started(), 1);
  EXPECT_EQ(a.stopped(), 1);
  EXPECT_EQ(holder(), "intruder");  // a lost: it neither overwrote nor released the lease
}

TEST_F(LeaderElectionTest, StopWhileWaitingReturnsWithoutCallingBack) {
  Candidate a(ns(), "candidate-a", kLong);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.elector().is_leader(); }));
  Candidate b(ns(), "candidate-b", kLong);
  b.start();
  ASSERT_TRUE(eventually([&] { return !lease_spec().is_null(); }));
  b.elector().stop();
  ASSERT_TRUE(eventually([&] { return b.returned(); }, kQuickWait));
  EXPECT_EQ(b.started(), 0);
  EXPECT_EQ(b.stopped(), 0);
  EXPECT_EQ(holder(), "candidate-a");
  EXPECT_TRUE(a.elector().is_leader());
}

TEST(LeaderElectorTimings, ClientGosRulesAreEnforced) {
  auto client = test::admin_client();
  EXPECT_THROW(LeaderElector(*client, "ns", "l", "id", {1000ms, 1000ms, 100ms}), Error);
  EXPECT_THROW(LeaderElector(*client, "ns", "l", "id", {2000ms, 1000ms, 900ms}), Error);
  EXPECT_THROW(LeaderElector(*client, "ns", "l", "id", {2000ms, 1000ms, 0ms}), Error);
  EXPECT_THROW(LeaderElector(*client, "", "l", "id"), Error);
  EXPECT_THROW(LeaderElector(*client, "ns", "l", ""), Error);
  EXPECT_NO_THROW(LeaderElector(*client, "ns", "l", "id"));
}

TEST(LeaderElectorIdentity, IsHostNameAndARandomSuffixUniquePerCall) {
  const std::string a = default_leader_identity();
  const std::string b = default_leader_identity();
  EXPECT_NE(a, b);
  EXPECT_NE(a.find('_'), std::string::npos);
  EXPECT_EQ(a.substr(0, a.rfind('_')), b.substr(0, b.rfind('_')));
}

}  // namespace
}  // namespace ecrhelm::runtime
