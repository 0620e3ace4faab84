// ReadCache: the objects many ExternalSecrets share (their generator, its
// credentials Secret, a ServiceAccount), read through a cache that keeps
// each for a few seconds and fetches it once at a time, so a burst of N due
// ExternalSecrets over G generators costs G reads, not N (ESO reads them
// from its informer cache). Keyed by resource, namespace and name: what an
// ExternalSecret reads is what its own namespace (or its ClusterGenerator)
// names, never another's entry. Failures are not kept: the next read asks
// again. A change (a rotated key) is seen at most one TTL later.
#pragma once

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>

#include "kube/client.h"
#include "util/time.h"

namespace ecrhelm::controller {

inline constexpr std::chrono::milliseconds kReadCacheTtl{5000};

class ReadCache {
 public:
  explicit ReadCache(kube::KubeClient& kube, std::chrono::milliseconds ttl = kReadCacheTtl,
                     const Clock& clock = SystemClock::instance());
  // As KubeClient::get (throws the same errors).
  nlohmann::json get(const kube::ResourceType& rt, const std::string& ns, const std::string& name);
  uint64_t reads() const { return reads_; }  // requests sent, for tests and metrics
  void set_ttl(std::chrono::milliseconds ttl) { ttl_ = ttl; }  // before first use

 private:
  struct Entry {
    TimePoint expires;
    std::shared_future<nlohmann::json> value;
    uint64_t id;
  };
  kube::KubeClient& kube_;
  std::chrono::milliseconds ttl_;
  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Entry> entries_;
  uint64_t next_id_ = 0;
  std::atomic<uint64_t> reads_{0};
};

}  // namespace ecrhelm::controller
