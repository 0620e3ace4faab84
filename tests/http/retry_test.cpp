// Full-jitter backoff bounds and Retry-After parsing.
#include "http/retry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <limits>

namespace ecrhelm::http {
namespace {

using namespace std::chrono;
using namespace std::chrono_literals;

const TimePoint kNow = TimePoint(sys_days{2015y / October / 21}) + 7h + 27min;  // a Wednesday

TEST(FullJitter, StaysWithinTheExponentialBoundAndReachesIt) {
  BackoffPolicy p;
  p.base = 100ms;
  p.max_delay = 5000ms;
  std::mt19937_64 rng(42);
  for (int retry = 1; retry <= 10; ++retry) {
    int64_t bound = std::min<int64_t>(5000, int64_t{100} << (retry - 1));
    int64_t max_seen = 0, min_seen = INT64_MAX;
    for (int i = 0; i < 4000; ++i) {
      int64_t d = full_jitter_delay(p, retry, rng).count();
      ASSERT_GE(d, 0) << "retry " << retry;
      ASSERT_LE(d, bound) << "retry " << retry;
      max_seen = std::max(max_seen, d);
      min_seen = std::min(min_seen, d);
    }
    EXPECT_GE(max_seen, bound * 95 / 100) << "retry " << retry << " never came near its bound";
    EXPECT_LE(min_seen, bound * 5 / 100) << "retry " << retry << " never came near 0";
  }
}

TEST(FullJitter, DefaultPolicyIsCappedAtMaxDelay) {
  BackoffPolicy p;  // 1 s base, 20 s cap
  std::mt19937_64 rng(1);
  int64_t max_seen = 0;
  for (int i = 0; i < 5000; ++i) {
    int64_t d = full_jitter_delay(p, 30, rng).count();
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 20000);
    max_seen = std::max(max_seen, d);
  }
  EXPECT_GE(max_seen, 19000);
}

TEST(FullJitter, RetryBelowOneIsTheFirstRetry) {
  BackoffPolicy p;
  p.base = 10ms;
  std::mt19937_64 rng(3);
  for (int retry : {0, -1, INT_MIN}) {
    for (int i = 0; i < 200; ++i) {
      auto d = full_jitter_delay(p, retry, rng);
      ASSERT_GE(d.count(), 0);
      ASSERT_LE(d.count(), 10);
    }
  }
}

TEST(FullJitter, HugeRetryCountsAndCapsDoNotOverflow) {
  std::mt19937_64 rng(5);
  BackoffPolicy p;
  auto d = full_jitter_delay(p, INT_MAX, rng);
  EXPECT_GE(d.count(), 0);
  EXPECT_LE(d.count(), 20000);

  BackoffPolicy uncapped;
  uncapped.base = 1000ms;
  uncapped.max_delay = milliseconds::max();
  for (int i = 0; i < 100; ++i) {
    auto u = full_jitter_delay(uncapped, 200, rng);
    EXPECT_GE(u.count(), 0);
  }
}

TEST(FullJitter, ZeroBaseIsAlwaysZeroAndReturnsQuickly) {
  BackoffPolicy p;
  p.base = 0ms;
  std::mt19937_64 rng(9);
  EXPECT_EQ(full_jitter_delay(p, 1, rng), 0ms);
  EXPECT_EQ(full_jitter_delay(p, INT_MAX, rng), 0ms);
}

TEST(FullJitter, BaseAboveTheCapIsCapped) {
  BackoffPolicy p;
  p.base = 10000ms;
  p.max_delay = 500ms;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 500; ++i) ASSERT_LE(full_jitter_delay(p, 1, rng).count(), 500);
}

TEST(ParseRetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", kNow), 120000ms);
  EXPECT_EQ(parse_retry_after("0", kNow), 0ms);
  EXPECT_EQ(parse_retry_after("  5 \r\n", kNow), 5000ms);
  EXPECT_EQ(parse_retry_after("007", kNow), 7000ms);
}

TEST(ParseRetryAfter, HugeDeltaDoesNotOverflow) {
  auto r = parse_retry_after("9223372036854775807", kNow);
  ASSERT_TRUE(r);
  EXPECT_GT(*r, hours(24 * 365));
  EXPECT_FALSE(parse_retry_after("99999999999999999999999", kNow));  // not an int64
}

TEST(ParseRetryAfter, HttpDate) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", kNow), 60000ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 08:27:00 GMT", kNow), 3600000ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", kNow), 0ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:27:30 GMT", kNow + 500ms), 29500ms);
}

TEST(ParseRetryAfter, PastDateIsZero) {
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", kNow), 0ms);
  EXPECT_EQ(parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", kNow), 0ms);
}

TEST(ParseRetryAfter, FarFutureDateDoesNotOverflow) {
  auto r = parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", kNow);
  ASSERT_TRUE(r);
  EXPECT_GT(*r, hours(24 * 365 * 100));
}

TEST(ParseRetryAfter, Garbage) {
  for (const char* bad :
       {"", "   ", "soon", "-1", "1.5", "5s", "+5", "0x10", "5 5",
        "Wed, 21 Oct 2015 07:28:00 GMT trailing", "21 Oct 2015 07:28:00 GMT",
        "Wed, 21 Oct 2015 07:28:00", "Wed, 32 Oct 2015 07:28:00 GMT", "2015-10-21T07:28:00Z"}) {
    EXPECT_FALSE(parse_retry_after(bad, kNow)) << bad;
  }
}

TEST(RetryDelay, CapsRetryAfter) {
  BackoffPolicy p;
  p.max_retry_after = 60s;
  std::mt19937_64 rng(1);
  EXPECT_EQ(retry_delay(p, 1, rng, 120000ms), 60000ms);
  EXPECT_EQ(retry_delay(p, 1, rng, 60000ms), 60000ms);
  EXPECT_EQ(retry_delay(p, 1, rng, 5000ms), 5000ms);
  EXPECT_EQ(retry_delay(p, 1, rng, 0ms), 0ms);
  EXPECT_EQ(retry_delay(p, 3, rng, parse_retry_after("9223372036854775807", kNow)), 60000ms);
}

TEST(RetryDelay, WithoutRetryAfterUsesJitter) {
  BackoffPolicy p;
  p.base = 100ms;
  p.max_delay = 1000ms;
  std::mt19937_64 rng(1);
  for (int i = 0; i < 1000; ++i) {
    auto d = retry_delay(p, 2, rng, std::nullopt);
    ASSERT_GE(d.count(), 0);
    ASSERT_LE(d.count(), 200);
  }
}

TEST(RetryDelay, SameSeedSameSequence) {
  BackoffPolicy p;
  std::mt19937_64 a(77), b(77);
  for (int i = 1; i <= 20; ++i) EXPECT_EQ(full_jitter_delay(p, i, a), full_jitter_delay(p, i, b));
}

}  // namespace
}  // namespace ecrhelm::http
