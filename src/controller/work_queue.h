// WorkQueue: client-go's rate-limited delaying queue in small: a key is
// queued at most once, is never handed to two workers at once (a key added
// while it is being processed runs again after done()), can be scheduled
// for later, and failing keys back off exponentially per key, capped, so
// one broken object never slows the others.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace ecrhelm::controller {

inline constexpr std::chrono::milliseconds kBackoffBase{1000};
inline constexpr std::chrono::milliseconds kBackoffMax{300000};  // 5 min

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void add(const std::string& key);
  // Runs the key at now + delay, or sooner if it is already due sooner.
  void add_after(const std::string& key, std::chrono::milliseconds delay);
  // After a failure: add_after with this key's next backoff (1 s, 2 s, ... 5 min).
  std::chrono::milliseconds add_rate_limited(const std::string& key);
  // After a success: the key's backoff starts over.
  void forget(const std::string& key);
  // Blocks until a key is due or shutdown(); nullopt after shutdown.
  std::optional<std::string> get();
  void done(const std::string& key);
  void shutdown();
  size_t pending() const;  // queued now plus scheduled

 private:
  void push_ready(const std::string& key);  // with mu_ held

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;
  std::set<std::string> queued_;  // in ready_
  std::set<std::string> processing_;
  std::set<std::string> dirty_;                         // added while processing
  std::map<std::string, Clock::time_point> scheduled_;  // key -> when
  std::map<std::string, int> failures_;
  bool shutdown_ = false;
};

}  // namespace ecrhelm::controller
