// TokenCache: one ECR token per identity (credentials + region + role +
// scope), shared by every ExternalSecret and repository secret that resolves
// to it, with one in-flight fetch per identity (ESO calls ECR once per
// ExternalSecret). A token is reused until half its life is gone; a token
// that is already expired when fetched (moto's) is reused for a short floor
// so a thousand secrets do not turn into a thousand calls. When ECR or STS
// throttle, the whole cache slows down (fetches wait) instead of failing.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/ecr.h"
#include "util/time.h"

namespace ecrhelm::controller {

inline constexpr std::chrono::seconds kExpiredTokenReuse{60};
inline constexpr std::chrono::seconds kThrottleBase{2};
inline constexpr std::chrono::seconds kThrottleMax{60};

struct CachedToken {
  aws::AuthorizationToken token;
  TimePoint fetched;
  TimePoint reuse_until;  // after this a new token is fetched
};

struct TokenCacheStats {
  uint64_t fetches = 0;  // ECR calls made
  uint64_t hits = 0;     // served from the cache
  uint64_t shared = 0;   // waited for another caller's in-flight fetch
  uint64_t throttled = 0;
};

class TokenCache {
 public:
  using Fetch = std::function<aws::AuthorizationToken()>;
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  explicit TokenCache(const Clock& clock = SystemClock::instance(), Sleep sleep = nullptr);

  // The cached token for `identity`, or the result of fetch() (called by one
  // caller at a time per identity; the others wait for it). fetch's errors
  // reach every waiter and are not cached.
  std::shared_ptr<const CachedToken> get(const std::string& identity, const Fetch& fetch);
  void invalidate(const std::string& identity);
  TokenCacheStats stats() const;

 private:
  struct Slot {
    std::shared_ptr<const CachedToken> token;
    bool in_flight = false;
    uint64_t generation = 0;  // bumped on each finished fetch
    std::exception_ptr last_error;
  };
  const Clock& clock_;
  Sleep sleep_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Slot> slots_;
  TokenCacheStats stats_;
  std::chrono::steady_clock::time_point throttled_until_{};
  int throttle_level_ = 0;
};

}  // namespace ecrhelm::controller
