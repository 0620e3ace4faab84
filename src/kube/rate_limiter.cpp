#include "kube/rate_limiter.h"

#include <algorithm>
#include <thread>

namespace ecrhelm::kube {

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps),
      burst_(std::max(1, burst)),
      tokens_(burst_),
      last_(std::chrono::steady_clock::now()) {}

void RateLimiter::refill(std::chrono::steady_clock::time_point now) {
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

std::chrono::microseconds RateLimiter::peek_wait() {
  std::lock_guard lock(mu_);
  if (qps_ <= 0) return std::chrono::microseconds(0);
  refill(std::chrono::steady_clock::now());
  if (tokens_ >= 1) return std::chrono::microseconds(0);
  return std::chrono::microseconds(static_cast<int64_t>((1 - tokens_) / qps_ * 1e6));
}

void RateLimiter::acquire() {
  std::chrono::microseconds wait{0};
  {
    std::lock_guard lock(mu_);
    if (qps_ <= 0) return;
    refill(std::chrono::steady_clock::now());
    tokens_ -= 1;  // reserve now; a negative balance is the queue ahead of us
    if (tokens_ < 0) wait = std::chrono::microseconds(static_cast<int64_t>(-tokens_ / qps_ * 1e6));
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

}  // namespace ecrhelm::kube
