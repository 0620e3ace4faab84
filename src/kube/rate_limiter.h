// RateLimiter: client-go's token bucket (qps tokens per second, up to burst
// saved), so a busy controller cannot flood the API server.
#pragma once

#include <chrono>
#include <mutex>

namespace ecrhelm::kube {

class RateLimiter {
 public:
  RateLimiter(double qps, int burst);
  // Blocks until a token is available. qps <= 0 means no limit.
  void acquire();
  // The wait acquire() would do now, without taking a token (tests).
  std::chrono::microseconds peek_wait();

 private:
  void refill(std::chrono::steady_clock::time_point now);

  double qps_;
  double burst_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
  std::mutex mu_;
};

}  // namespace ecrhelm::kube
