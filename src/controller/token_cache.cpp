#include "controller/token_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "util/error.h"

namespace ecrhelm::controller {

TokenCache::TokenCache(const Clock& clock, Sleep sleep) : clock_(clock), sleep_(std::move(sleep)) {
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::shared_ptr<const CachedToken> TokenCache::get(const std::string& identity,
                                                   const Fetch& fetch) {
  std::unique_lock lock(mu_);
  Slot& slot = slots_[identity];
  for (;;) {
    if (slot.token && clock_.now() < slot.token->reuse_until) {
      ++stats_.hits;
      return slot.token;
    }
    if (!slot.in_flight) break;
    // Someone fetches this identity's token now: share their result.
    uint64_t gen = slot.generation;
    ++stats_.shared;
    cv_.wait(lock, [&] { return slot.generation != gen; });
    if (slot.last_error) std::rethrow_exception(slot.last_error);
    if (slot.token) return slot.token;
  }
  slot.in_flight = true;
  auto wait = throttled_until_ - std::chrono::steady_clock::now();
  lock.unlock();
  if (wait > std::chrono::steady_clock::duration::zero()) {
    sleep_(std::chrono::duration_cast<std::chrono::milliseconds>(wait));
  }
  std::shared_ptr<const CachedToken> fresh;
  std::exception_ptr error;
  bool throttled = false;
  try {
    aws::AuthorizationToken t = fetch();
    TimePoint now = clock_.now();
    TimePoint reuse =
        t.expires_at > now ? now + (t.expires_at - now) / 2 : now + kExpiredTokenReuse;
    fresh = std::make_shared<const CachedToken>(CachedToken{std::move(t), now, reuse});
  } catch (const Error& e) {
    throttled = e.kind() == ErrorKind::kThrottled;
    error = std::current_exception();
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  Slot& s = slots_[identity];
  s.in_flight = false;
  ++s.generation;
  s.last_error = error;
  if (fresh) {
    s.token = fresh;
    ++stats_.fetches;
    throttle_level_ = std::max(0, throttle_level_ - 1);
  } else if (throttled) {
    ++stats_.throttled;
    throttle_level_ = std::min(throttle_level_ + 1, 6);
    auto pause =
        std::min<std::chrono::seconds>(kThrottleMax, kThrottleBase * (1 << (throttle_level_ - 1)));
    throttled_until_ = std::chrono::steady_clock::now() + pause;
    spdlog::warn("token cache: AWS throttles; every token fetch waits {} s", pause.count());
  }
  cv_.notify_all();
  if (error) std::rethrow_exception(error);
  return fresh;
}

void TokenCache::invalidate(const std::string& identity) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(identity);
  if (it != slots_.end()) it->second.token.reset();
}

TokenCacheStats TokenCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace ecrhelm::controller
