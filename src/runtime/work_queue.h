// WorkQueue: client-go's rate-limited delaying queue in small, keyed by
// Request: a request is queued at most once, is never handed to two workers
// at once (one added while it is being processed runs again after done()),
// can be scheduled for later, and failing requests back off exponentially
// per request, capped, so one broken object never slows the others. Time
// comes from a QueueClock, so tests move it by hand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include "runtime/reconciler.h"

namespace ecrhelm::runtime {

inline constexpr std::chrono::milliseconds kBackoffBase{1000};
inline constexpr std::chrono::milliseconds kBackoffMax{300000};  // 5 min

// Monotonic time for scheduling (never the wall clock: a clock step must not
// delay or rush a requeue).
class QueueClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~QueueClock() = default;
  virtual time_point now() const = 0;
  static const QueueClock& steady();  // std::chrono::steady_clock
};

// A QueueClock that only moves when told to (tests).
class ManualQueueClock final : public QueueClock {
 public:
  time_point now() const override { return now_; }
  void advance(std::chrono::milliseconds d) { now_ += d; }

 private:
  time_point now_{std::chrono::hours(1)};
};

class WorkQueue {
 public:
  using time_point = QueueClock::time_point;
  explicit WorkQueue(const QueueClock& clock = QueueClock::steady()) : clock_(clock) {}

  void add(const Request& req);
  // Runs the request at now + delay, or sooner if it is already due sooner.
  void add_after(const Request& req, std::chrono::milliseconds delay);
  // After a failure: add_after with this request's next backoff (1 s, 2 s, ... 5 min).
  std::chrono::milliseconds add_rate_limited(const Request& req);
  // After a success: the request's backoff starts over.
  void forget(const Request& req);
  // Blocks until a request is due or shutdown(); nullopt after shutdown.
  // (It waits by the real steady clock; with a hand-moved clock use try_get.)
  std::optional<Request> get();
  // A request that is due now, without waiting; nullopt when none is.
  std::optional<Request> try_get();
  void done(const Request& req);
  void shutdown();
  size_t pending() const;  // queued now plus scheduled
  // When a scheduled request is due (nullopt: not scheduled; queued now or not at all).
  std::optional<time_point> scheduled_at(const Request& req) const;
  bool queued(const Request& req) const;  // ready to be handed out now

 private:
  void push_ready(const Request& req);  // with mu_ held
  // Moves due requests to ready_; returns the next due time (max when none). With mu_ held.
  time_point promote_due();
  std::optional<Request> pop_ready();  // with mu_ held

  const QueueClock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> ready_;
  std::set<Request> queued_;  // in ready_
  std::set<Request> processing_;
  std::set<Request> dirty_;                  // added while processing
  std::map<Request, time_point> scheduled_;  // request -> when
  std::map<Request, int> failures_;
  bool shutdown_ = false;
};

}  // namespace ecrhelm::runtime
