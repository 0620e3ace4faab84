// Controller without an API server: a scripted Reconciler and a hand-moved
// clock. A request queued many times is reconciled once; requeue_after
// schedules the next look exactly; an error backs off 1 s, 2 s, 4 s and a
// success resets it; a terminal error is never retried until enqueued again.
#include "runtime/controller.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace ecrhelm::runtime {
namespace {

using namespace std::chrono_literals;

// Answers each reconcile with the next scripted step (the last one repeats).
class ScriptedReconciler : public Reconciler {
 public:
  using Step = std::function<Result()>;
  explicit ScriptedReconciler(std::deque<Step> steps) : steps_(std::move(steps)) {}
  Result reconcile(const Request& req) override {
    std::lock_guard lock(mu_);
    seen.push_back(req);
    Step s = steps_.size() > 1 ? steps_.front() : steps_.back();
    if (steps_.size() > 1) steps_.pop_front();
    return s();
  }
  size_t calls() {
    std::lock_guard lock(mu_);
    return seen.size();
  }
  std::vector<Request> seen;

 private:
  std::mutex mu_;
  std::deque<Step> steps_;
};

Result done() { return {}; }
Result failing() { throw std::runtime_error("ECR said no"); }
Result terminal() { throw TerminalError("role not allowed"); }

const Request kReq{"argocd", "repo"};

TEST(Controller, ARequestQueuedManyTimesIsReconciledOnce) {
  ManualQueueClock clock;
  ScriptedReconciler r({done});
  Controller c("test", r, {1, {}, &clock});
  for (int i = 0; i < 5; ++i) c.enqueue(kReq);
  c.enqueue({"other", "repo"});
  EXPECT_TRUE(c.process_next());
  EXPECT_TRUE(c.process_next());
  EXPECT_FALSE(c.process_next());
  ASSERT_EQ(r.seen.size(), 2u);
  EXPECT_EQ(r.seen[0], kReq);
  EXPECT_EQ(r.seen[1], (Request{"other", "repo"}));
  EXPECT_EQ(c.stats().reconciles.load(), 2u);
}

TEST(Controller, RequeueAfterSchedulesTheNextLookAtThatTime) {
  ManualQueueClock clock;
  ScriptedReconciler r({[] { return Result{90s}; }, done});
  Controller c("test", r, {1, {}, &clock});
  c.enqueue(kReq);
  ASSERT_TRUE(c.process_next());
  EXPECT_EQ(c.queue().scheduled_at(kReq), clock.now() + 90s);
  clock.advance(89999ms);
  EXPECT_FALSE(c.process_next());
  clock.advance(1ms);
  EXPECT_TRUE(c.process_next());
  EXPECT_EQ(r.calls(), 2u);
  // The second answer named no time: nothing is scheduled.
  EXPECT_FALSE(c.queue().scheduled_at(kReq));
  clock.advance(24h);
  EXPECT_FALSE(c.process_next());
}

TEST(Controller, AnErrorBacksOffExponentiallyAndASuccessResetsIt) {
  ManualQueueClock clock;
  ScriptedReconciler r({failing, failing, failing, done, failing});
  Controller c("test", r, {1, {}, &clock});
  c.enqueue(kReq);
  for (auto expected : {1000ms, 2000ms, 4000ms}) {
    ASSERT_TRUE(c.process_next());
    ASSERT_EQ(c.queue().scheduled_at(kReq), clock.now() + expected) << expected.count();
    clock.advance(expected - 1ms);
    EXPECT_FALSE(c.process_next()) << "due before its backoff of " << expected.count() << " ms";
    clock.advance(1ms);
  }
  ASSERT_TRUE(c.process_next());  // the success
  EXPECT_FALSE(c.queue().scheduled_at(kReq));
  c.enqueue(kReq);
  ASSERT_TRUE(c.process_next());  // fails again: from 1 s, not 8 s
  EXPECT_EQ(c.queue().scheduled_at(kReq), clock.now() + 1000ms);
  EXPECT_EQ(c.stats().errors.load(), 4u);
}

TEST(Controller, ATerminalErrorIsNotRetriedUntilTheRequestComesAgain) {
  ManualQueueClock clock;
  ScriptedReconciler r({terminal, done});
  Controller c("test", r, {1, {}, &clock});
  c.enqueue(kReq);
  ASSERT_TRUE(c.process_next());
  EXPECT_FALSE(c.queue().scheduled_at(kReq));
  EXPECT_FALSE(c.queue().queued(kReq));
  clock.advance(kBackoffMax * 2);
  EXPECT_FALSE(c.process_next());
  EXPECT_EQ(r.calls(), 1u);
  EXPECT_EQ(c.stats().terminal.load(), 1u);
  EXPECT_EQ(c.stats().errors.load(), 0u);
  // The object changed: its event enqueues it again.
  c.enqueue(kReq);
  EXPECT_TRUE(c.process_next());
  EXPECT_EQ(r.calls(), 2u);
}

TEST(Controller, WorkersReconcileOnTheirOwnThreadsAndStopJoinsThem) {
  ScriptedReconciler r({done});
  std::atomic<int> observed{0};
  ControllerOptions o;
  o.workers = 3;
  o.on_reconcile = [&](std::chrono::duration<double> d) {
    EXPECT_GE(d.count(), 0);
    ++observed;
  };
  Controller c("test", r, o);
  c.start();
  for (int i = 0; i < 20; ++i) c.enqueue({"ns", "obj-" + std::to_string(i)});
  for (int i = 0; i < 500 && r.calls() < 20; ++i) std::this_thread::sleep_for(10ms);
  c.stop();
  EXPECT_EQ(r.calls(), 20u);
  EXPECT_EQ(observed.load(), 20);
  c.enqueue(kReq);  // after stop: ignored, no worker left to run it
  EXPECT_EQ(r.calls(), 20u);
}

}  // namespace
}  // namespace ecrhelm::runtime
