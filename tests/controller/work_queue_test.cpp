#include "controller/work_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace ecrhelm::controller {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, AKeyIsQueuedOnceAndNeverProcessedTwiceAtOnce) {
  WorkQueue q;
  q.add("a");
  q.add("a");
  q.add("b");
  EXPECT_EQ(q.pending(), 2u);
  EXPECT_EQ(*q.get(), "a");
  q.add("a");  // while "a" is processed: runs again after done()
  EXPECT_EQ(*q.get(), "b");
  EXPECT_EQ(q.pending(), 0u);
  q.done("a");
  EXPECT_EQ(*q.get(), "a");
  q.done("a");
  q.done("b");
  EXPECT_EQ(q.pending(), 0u);
}

TEST(WorkQueue, DelayedKeysComeWhenDueAndTheEarlierScheduleWins) {
  WorkQueue q;
  q.add_after("late", 10min);
  q.add_after("soon", 20ms);
  q.add_after("late", 30ms);  // earlier than 10 min: replaces it
  EXPECT_EQ(*q.get(), "soon");
  EXPECT_EQ(*q.get(), "late");
}

TEST(WorkQueue, BackoffDoublesPerKeyAndForgetResetsIt) {
  WorkQueue q;
  EXPECT_EQ(q.add_rate_limited("x"), 1000ms);
  EXPECT_EQ(q.add_rate_limited("x"), 2000ms);
  EXPECT_EQ(q.add_rate_limited("x"), 4000ms);
  EXPECT_EQ(q.add_rate_limited("y"), 1000ms);  // other keys unaffected
  q.forget("x");
  EXPECT_EQ(q.add_rate_limited("x"), 1000ms);
  for (int i = 0; i < 30; ++i) q.add_rate_limited("z");
  EXPECT_EQ(q.add_rate_limited("z"), kBackoffMax);
}

TEST(WorkQueue, ShutdownWakesWaitingWorkers) {
  WorkQueue q;
  std::optional<std::string> got = "unset";
  std::thread t([&] { got = q.get(); });
  std::this_thread::sleep_for(20ms);
  q.shutdown();
  t.join();
  EXPECT_FALSE(got.has_value());
}

}  // namespace
}  // namespace ecrhelm::controller
