#include "kube/rate_limiter.h"

#include <gtest/gtest.h>

namespace ecrhelm::kube {
namespace {

TEST(RateLimiter, BurstIsFreeThenTokensCostTime) {
  RateLimiter rl(/*qps=*/0.5, /*burst=*/3);  // one token per 2 s
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(rl.peek_wait().count(), 0) << i;
    rl.acquire();  // no wait: the burst
  }
  // The bucket is empty: the next token is ~2 s away.
  EXPECT_GT(rl.peek_wait(), std::chrono::milliseconds(1500));
  EXPECT_LE(rl.peek_wait(), std::chrono::milliseconds(2000));
}

TEST(RateLimiter, ZeroQpsMeansNoLimit) {
  RateLimiter rl(0, 1);
  for (int i = 0; i < 100; ++i) rl.acquire();
  EXPECT_EQ(rl.peek_wait().count(), 0);
}

}  // namespace
}  // namespace ecrhelm::kube
