#include "controller/token_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "util/error.h"

namespace ecrhelm::controller {
namespace {

using namespace std::chrono_literals;

aws::AuthorizationToken token(const std::string& password, TimePoint expires) {
  return {"AWS", Secret(password), "https://x", expires};
}

TEST(TokenCache, ReusesATokenForHalfItsLifeThenFetchesAgain) {
  ManualClock clock(from_unix_seconds(1'800'000'000));
  TokenCache cache(clock);
  int calls = 0;
  auto fetch = [&] { return token("p" + std::to_string(++calls), clock.now() + 12h); };
  EXPECT_EQ(cache.get("id", fetch)->token.password.reveal(), "p1");
  clock.advance(5h);
  EXPECT_EQ(cache.get("id", fetch)->token.password.reveal(), "p1");
  clock.advance(1h + 1s);  // past half of 12 h
  EXPECT_EQ(cache.get("id", fetch)->token.password.reveal(), "p2");
  EXPECT_EQ(cache.stats().fetches, 2u);
  EXPECT_EQ(cache.stats().hits, 1u);
}

TEST(TokenCache, AnAlreadyExpiredTokenIsReusedForTheFloorNotRefetchedInALoop) {
  ManualClock clock(from_unix_seconds(1'800'000'000));
  TokenCache cache(clock);
  int calls = 0;
  auto counting = [&] {
    ++calls;
    return token("moto", from_unix_seconds(1420070400));
  };
  for (int i = 0; i < 100; ++i) cache.get("id", counting);
  EXPECT_EQ(calls, 1);
  clock.advance(kExpiredTokenReuse + 1s);
  cache.get("id", counting);
  EXPECT_EQ(calls, 2);
}

TEST(TokenCache, IdentitiesAreSeparate) {
  ManualClock clock(from_unix_seconds(1'800'000'000));
  TokenCache cache(clock);
  EXPECT_EQ(cache.get("a", [&] { return token("A", clock.now() + 12h); })->token.password.reveal(),
            "A");
  EXPECT_EQ(cache.get("b", [&] { return token("B", clock.now() + 12h); })->token.password.reveal(),
            "B");
  EXPECT_EQ(cache.stats().fetches, 2u);
  EXPECT_EQ(cache.get("a", [&] { return token("X", clock.now() + 12h); })->token.password.reveal(),
            "A");
}

TEST(TokenCache, ConcurrentCallersShareOneInFlightFetch) {
  TokenCache cache;
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  auto fetch = [&] {
    ++calls;
    while (!release) std::this_thread::sleep_for(1ms);
    return token("shared", std::chrono::system_clock::now() + 12h);
  };
  std::vector<std::thread> threads;
  std::vector<std::string> got(16);
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&, i] { got[i] = cache.get("id", fetch)->token.password.reveal(); });
  }
  // Wait until all 15 others wait on the one fetch, then let it finish.
  for (int i = 0; i < 5000 && cache.stats().shared < 15; ++i) std::this_thread::sleep_for(1ms);
  release = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(calls.load(), 1);
  for (const auto& g : got) EXPECT_EQ(g, "shared");
}

TEST(TokenCache, ErrorsReachTheCallerAndAreNotCached) {
  TokenCache cache;
  int calls = 0;
  EXPECT_THROW(cache.get("id",
                         [&]() -> aws::AuthorizationToken {
                           ++calls;
                           fail(ErrorKind::kForbidden, "AccessDenied");
                         }),
               Error);
  EXPECT_EQ(cache
                .get("id",
                     [&] {
                       ++calls;
                       return token("ok", std::chrono::system_clock::now() + 12h);
                     })
                ->token.password.reveal(),
            "ok");
  EXPECT_EQ(calls, 2);
}

TEST(TokenCache, ThrottlingSlowsEveryLaterFetchDown) {
  std::vector<std::chrono::milliseconds> sleeps;
  TokenCache cache(SystemClock::instance(),
                   [&](std::chrono::milliseconds d) { sleeps.push_back(d); });
  EXPECT_THROW(cache.get("a",
                         []() -> aws::AuthorizationToken {
                           fail(ErrorKind::kThrottled, "ThrottlingException");
                         }),
               Error);
  EXPECT_TRUE(sleeps.empty());
  // Another identity's fetch now waits out the pause first (it is not failed).
  auto t = cache.get("b", [] { return token("b", std::chrono::system_clock::now() + 12h); });
  EXPECT_EQ(t->token.password.reveal(), "b");
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_GT(sleeps[0], 1000ms);
  EXPECT_LE(sleeps[0], std::chrono::milliseconds(kThrottleBase));
  EXPECT_EQ(cache.stats().throttled, 1u);
}

}  // namespace
}  // namespace ecrhelm::controller
