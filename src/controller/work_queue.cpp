#include "controller/work_queue.h"

#include <algorithm>

namespace ecrhelm::controller {

void WorkQueue::push_ready(const std::string& key) {
  scheduled_.erase(key);
  if (processing_.count(key)) {
    dirty_.insert(key);
    return;
  }
  if (queued_.insert(key).second) {
    ready_.push_back(key);
    cv_.notify_one();
  }
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard lock(mu_);
  if (!shutdown_) push_ready(key);
}

void WorkQueue::add_after(const std::string& key, std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return add(key);
  std::lock_guard lock(mu_);
  if (shutdown_ || queued_.count(key)) return;
  auto when = Clock::now() + delay;
  auto it = scheduled_.find(key);
  if (it == scheduled_.end() || when < it->second) scheduled_[key] = when;
  cv_.notify_all();
}

std::chrono::milliseconds WorkQueue::add_rate_limited(const std::string& key) {
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mu_);
    int n = failures_[key]++;
    delay = std::min(kBackoffMax, kBackoffBase * (int64_t{1} << std::min(n, 20)));
  }
  add_after(key, delay);
  return delay;
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard lock(mu_);
  failures_.erase(key);
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  for (;;) {
    if (shutdown_) return std::nullopt;
    auto now = Clock::now();
    auto next_due = Clock::time_point::max();
    for (auto it = scheduled_.begin(); it != scheduled_.end();) {
      if (it->second <= now) {
        std::string k = it->first;
        ++it;
        push_ready(k);
      } else {
        next_due = std::min(next_due, it->second);
        ++it;
      }
    }
    if (!ready_.empty()) {
      std::string key = ready_.front();
      ready_.pop_front();
      queued_.erase(key);
      processing_.insert(key);
      return key;
    }
    if (next_due == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next_due);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mu_);
  processing_.erase(key);
  if (dirty_.erase(key)) push_ready(key);
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

}  // namespace ecrhelm::controller
