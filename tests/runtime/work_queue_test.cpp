// WorkQueue: a request queued once and never processed twice at once,
// delayed requests, per-request backoff, and shutdown; with a hand-moved
// clock, scheduling is exact.
#include "runtime/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace ecrhelm::runtime {
namespace {

using namespace std::chrono_literals;

Request req(const char* name) { return {"", name}; }

TEST(WorkQueue, AKeyIsQueuedOnceAndNeverProcessedTwiceAtOnce) {
  WorkQueue q;
  q.add(req("a"));
  q.add(req("a"));
  q.add(req("b"));
  EXPECT_EQ(q.pending(), 2u);
  EXPECT_EQ(q.get()->name, "a");
  q.add(req("a"));  // while "a" is processed: runs again after done()
  EXPECT_EQ(q.get()->name, "b");
  EXPECT_EQ(q.pending(), 0u);
  q.done(req("a"));
  EXPECT_EQ(q.get()->name, "a");
  q.done(req("a"));
  q.done(req("b"));
  EXPECT_EQ(q.pending(), 0u);
}

TEST(WorkQueue, RequestsDifferingOnlyInNamespaceAreTwoRequests) {
  WorkQueue q;
  q.add({"team-a", "repo"});
  q.add({"team-b", "repo"});
  q.add({"team-a", "repo"});
  EXPECT_EQ(q.pending(), 2u);
}

TEST(WorkQueue, DelayedKeysComeWhenDueAndTheEarlierScheduleWins) {
  WorkQueue q;
  q.add_after(req("late"), 10min);
  q.add_after(req("soon"), 20ms);
  q.add_after(req("late"), 30ms);  // earlier than 10 min: replaces it
  EXPECT_EQ(q.get()->name, "soon");
  EXPECT_EQ(q.get()->name, "late");
}

TEST(WorkQueue, ADelayedRequestIsDueExactlyAtItsTimeByTheInjectedClock) {
  ManualQueueClock clock;
  WorkQueue q(clock);
  q.add_after(req("x"), 1500ms);
  EXPECT_EQ(q.scheduled_at(req("x")), clock.now() + 1500ms);
  EXPECT_FALSE(q.try_get());
  clock.advance(1499ms);
  EXPECT_FALSE(q.try_get());
  clock.advance(1ms);
  auto got = q.try_get();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "x");
  EXPECT_FALSE(q.scheduled_at(req("x")));
}

TEST(WorkQueue, BackoffDoublesPerKeyAndForgetResetsIt) {
  WorkQueue q;
  EXPECT_EQ(q.add_rate_limited(req("x")), 1000ms);
  EXPECT_EQ(q.add_rate_limited(req("x")), 2000ms);
  EXPECT_EQ(q.add_rate_limited(req("x")), 4000ms);
  EXPECT_EQ(q.add_rate_limited(req("y")), 1000ms);  // other keys unaffected
  q.forget(req("x"));
  EXPECT_EQ(q.add_rate_limited(req("x")), 1000ms);
  for (int i = 0; i < 30; ++i) q.add_rate_limited(req("z"));
  EXPECT_EQ(q.add_rate_limited(req("z")), kBackoffMax);
}

TEST(WorkQueue, ShutdownWakesWaitingWorkers) {
  WorkQueue q;
  std::optional<Request> got = req("unset");
  std::thread t([&] { got = q.get(); });
  std::this_thread::sleep_for(20ms);
  q.shutdown();
  t.join();
  EXPECT_FALSE(got.has_value());
}

}  // namespace
}  // namespace ecrhelm::runtime
