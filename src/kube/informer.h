// Informer: a local cache of one resource kept current by list + watch, as
// client-go's reflector does it: list (paged), watch from the list's
// resourceVersion with bookmarks, re-watch from the last version seen when a
// watch ends or breaks, relist when the server says 410 Gone, and on a relist
// report the objects that vanished meanwhile as deleted. No event is lost:
// every change reaches the handler as ADDED, MODIFIED or DELETED.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"

namespace ecrhelm::kube {

class Informer {
 public:
  // type: "ADDED", "MODIFIED" or "DELETED"; called on the informer's thread.
  using Handler = std::function<void(const std::string& type, const json& object)>;

  Informer(KubeClient& client, ResourceType rt, std::string ns, std::string label_selector = "");

  // Runs until stop(); blocks the calling thread. After a stop, run() may be
  // called again: it resumes from the cache and resourceVersion it has.
  void run(const Handler& handler);
  void stop();
  // True once the first list has been delivered.
  bool wait_synced(std::chrono::milliseconds timeout);

  std::optional<json> get(const std::string& ns, const std::string& name) const;
  std::vector<json> list() const;
  uint64_t relists() const { return relists_; }
  uint64_t watches() const { return watches_; }
  // Seconds a watch may stay open before the server ends it (tests shorten it).
  void set_watch_timeout(int seconds) { watch_timeout_ = seconds; }

 private:
  void relist(const Handler& handler);
  void apply(const std::string& type, json obj, const Handler& handler);

  KubeClient& client_;
  ResourceType rt_;
  std::string ns_;
  std::string label_selector_;
  int watch_timeout_ = 300;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> relists_{0};
  std::atomic<uint64_t> watches_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool synced_ = false;
  std::string resource_version_;
  std::map<std::string, json> cache_;  // "ns/name" -> object
};

std::string object_key(const json& obj);  // "ns/name" (or "name" when cluster-scoped)

}  // namespace ecrhelm::kube
