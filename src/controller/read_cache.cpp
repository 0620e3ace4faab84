#include "controller/read_cache.h"

namespace ecrhelm::controller {

ReadCache::ReadCache(kube::KubeClient& kube, std::chrono::milliseconds ttl, const Clock& clock)
    : kube_(kube), ttl_(ttl), clock_(clock) {}

nlohmann::json ReadCache::get(const kube::ResourceType& rt, const std::string& ns,
                              const std::string& name) {
  std::string key = rt.display() + "\n" + ns + "\n" + name;
  std::promise<nlohmann::json> mine;
  std::shared_future<nlohmann::json> value;
  {
    std::lock_guard lock(mu_);
    TimePoint now = clock_.now();
    for (auto it = entries_.begin(); it != entries_.end();) {
      it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
    }
    auto it = entries_.find(key);
    if (it != entries_.end()) {
      value = it->second.value;
    } else {
      // This caller reads; others asking meanwhile wait for its answer. The
      // TTL runs from the start of the read.
      entries_[key] = Entry{now + ttl_, mine.get_future().share()};
    }
  }
  if (value.valid()) return value.get();
  try {
    ++reads_;
    nlohmann::json obj = kube_.get(rt, ns, name);
    mine.set_value(obj);
    return obj;
  } catch (...) {
    {
      std::lock_guard lock(mu_);
      entries_.erase(key);
    }
    mine.set_exception(std::current_exception());
    throw;
  }
}

}  // namespace ecrhelm::controller
