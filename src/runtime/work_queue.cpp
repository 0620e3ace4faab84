#include "runtime/work_queue.h"

#include <algorithm>

namespace ecrhelm::runtime {
namespace {

class SteadyQueueClock final : public QueueClock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const QueueClock& QueueClock::steady() {
  static const SteadyQueueClock clock;
  return clock;
}

void WorkQueue::push_ready(const Request& req) {
  scheduled_.erase(req);
  if (processing_.count(req)) {
    dirty_.insert(req);
    return;
  }
  if (queued_.insert(req).second) {
    ready_.push_back(req);
    cv_.notify_one();
  }
}

void WorkQueue::add(const Request& req) {
  std::lock_guard lock(mu_);
  if (!shutdown_) push_ready(req);
}

void WorkQueue::add_after(const Request& req, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return add(req);
  std::lock_guard lock(mu_);
  if (shutdown_ || queued_.count(req)) return;
  auto when = clock_.now() + delay;
  auto it = scheduled_.find(req);
  if (it == scheduled_.end() || when < it->second) scheduled_[req] = when;
  cv_.notify_all();
}

std::chrono::milliseconds WorkQueue::add_rate_limited(const Request& req) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    int n = failures_[req]++;
    delay = std::min(kBackoffMax, kBackoffBase * (int64_t{1} << std::min(n, 20)));
  }
  add_after(req, delay);
  return delay;
}

void WorkQueue::forget(const Request& req) {
  std::lock_guard lock(mu_);
  failures_.erase(req);
}

WorkQueue::time_point WorkQueue::promote_due() {
  auto now = clock_.now();
  auto next_due = time_point::max();
  for (auto it = scheduled_.begin(); it != scheduled_.end();) {
    if (it->second <= now) {
      Request r = it->first;
      ++it;
      push_ready(r);
    } else {
      next_due = std::min(next_due, it->second);
      ++it;
    }
  }
  return next_due;
}

std::optional<Request> WorkQueue::pop_ready() {
  if (ready_.empty()) return std::nullopt;
  Request req = ready_.front();
  ready_.pop_front();
  queued_.erase(req);
  processing_.insert(req);
  return req;
}

std::optional<Request> WorkQueue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutdown_) return std::nullopt;
    auto next_due = promote_due();
    if (auto req = pop_ready()) return req;
    if (next_due == time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_for(lock, next_due - clock_.now());
    }
  }
}

std::optional<Request> WorkQueue::try_get() {
  std::lock_guard lock(mu_);
  if (shutdown_) return std::nullopt;
  promote_due();
  return pop_ready();
}

void WorkQueue::done(const Request& req) {
  std::lock_guard lock(mu_);
  processing_.erase(req);
  if (dirty_.erase(req)) push_ready(req);
}

void WorkQueue::shutdown() {
  std::lock_guard lock(mu_);
  shutdown_ = true;
  cv_.notify_all();
}

size_t WorkQueue::pending() const {
  std::lock_guard lock(mu_);
  return ready_.size() + scheduled_.size();
}

std::optional<WorkQueue::time_point> WorkQueue::scheduled_at(const Request& req) const {
  std::lock_guard lock(mu_);
  auto it = scheduled_.find(req);
  if (it == scheduled_.end()) return std::nullopt;
  return it->second;
}

bool WorkQueue::queued(const Request& req) const {
  std::lock_guard lock(mu_);
  return queued_.count(req) > 0;
}

}  // namespace ecrhelm::runtime
