#include "controller/read_cache.h"

namespace ecrhelm::controller {

ReadCache::ReadCache(kube::KubeClient& kube, std::chrono::milliseconds ttl, const Clock& clock)
    : kube_(kube), ttl_(ttl), clock_(clock) {}

nlohmann::json ReadCache::get(const kube::ResourceType& rt, const std::string& ns,
                              const std::string& name) {
  std::string key = rt.display() + "\n" + ns + "\n" + name;
  std::promise<nlohmann::json> mine;
  std::shared_future<nlohmann::json> value;
  uint64_t own = 0;  // the id of the entry this caller fills, when it reads
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
      own = ++next_id_;
      entries_[key] = Entry{now + ttl_, mine.get_future().share(), own};
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
      // Forget the failure (only this caller's entry: a later one may be there).
      std::lock_guard lock(mu_);
      auto it = entries_.find(key);
      if (it != entries_.end() && it->second.id == own) entries_.erase(it);
    }
    mine.set_exception(std::current_exception());
    throw;
  }
}

}  // namespace ecrhelm::controller
