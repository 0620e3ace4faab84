// Informer: a local cache of one resource kept current by list + watch, as
// client-go's reflector does it: list (paged), watch from the list's
// resourceVersion with bookmarks, re-watch from the last version seen when a
// watch ends or breaks, relist when the server says 410 Gone, and on a relist
// report the objects that vanished meanwhile as deleted. No event is lost:
// every change reaches the handler as ADDED, MODIFIED or DELETED.
//
// The cache is typed (controller-runtime's cache with a transform): each
// object is decoded once, as it arrives, into the compact value its readers
// need (`Informer<T>` with a decode function), and the JSON is dropped. A
// relist decodes page by page, so it never holds the list as JSON; readers
// and handlers share the cached value (shared_ptr<const T>), never a copy.
// The list/watch calls sit behind ListerWatcher, so the cache logic is
// tested without an API server.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/client.h"

namespace ecrhelm::kube {

// The two calls an informer makes (client-go's cache.ListerWatcher).
class ListerWatcher {
 public:
  virtual ~ListerWatcher() = default;
  // One consistent snapshot of every page; each item is handed over as its
  // page arrives. Returns the list's resourceVersion.
  virtual std::string list(const ListOptions& opts, const std::function<void(json&&)>& on_item) = 0;
  // As KubeClient::watch: returns when the server ends the watch or on_event
  // returns false; throws on errors (a 410 as an ApiError with is_gone()).
  virtual void watch(const WatchOptions& opts,
                     const std::function<bool(const WatchEvent&)>& on_event) = 0;
  // For log lines: "externalsecrets.external-secrets.io" and the like.
  virtual std::string display() const = 0;
};

// The API server's list and watch of one resource in one namespace ("" = all).
std::unique_ptr<ListerWatcher> make_lister_watcher(KubeClient& client, ResourceType rt,
                                                   std::string ns);

std::string object_key(const json& obj);           // "ns/name" (or "name" when cluster-scoped)
std::string resource_version_of(const json& obj);  // metadata.resourceVersion, "" when absent
// The key of a namespace and name, as object_key gives it.
inline std::string object_key(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

// The list/watch loop an Informer runs, apart from what it caches: it hands
// each listed item and each event to its sink, in order, on its own thread.
class Reflector {
 public:
  struct Sink {
    virtual ~Sink() = default;
    virtual void list_begin() = 0;
    virtual void list_item(json&& obj) = 0;
    virtual void list_end() = 0;  // the whole snapshot was delivered
    virtual void event(const std::string& type, json&& obj) = 0;
  };
  Reflector(std::unique_ptr<ListerWatcher> lw, std::string label_selector);

  // Runs until stop(); blocks the calling thread. After a stop, run() may be
  // called again: it resumes from the resourceVersion it has (relists only
  // when it never listed, or when the server says 410).
  void run(Sink& sink);
  void stop();
  uint64_t relists() const { return relists_; }
  uint64_t watches() const { return watches_; }
  // Seconds a watch may stay open before the server ends it (tests shorten it).
  void set_watch_timeout(int seconds) { watch_timeout_ = seconds; }

 private:
  std::unique_ptr<ListerWatcher> lw_;
  std::string label_selector_;
  int watch_timeout_ = 300;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> relists_{0};
  std::atomic<uint64_t> watches_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool listed_ = false;
  std::string resource_version_;
};

// The JSON cache's decode: the object without metadata.managedFields (as
// controller-runtime's TransformStripManagedFields).
json strip_managed_fields(json&& obj);

template <class T>
class Informer : private Reflector::Sink {
 public:
  using Ptr = std::shared_ptr<const T>;
  // type: "ADDED", "MODIFIED" or "DELETED"; `old` is the cached value before a
  // MODIFIED (nullptr otherwise). Called on the informer's thread.
  using Handler = std::function<void(const std::string& type, const T& obj, const T* old)>;
  using Decode = std::function<T(json&&)>;  // may take the object as const json&

  Informer(std::unique_ptr<ListerWatcher> lw, Decode decode, std::string label_selector = "")
      : reflector_(std::move(lw), std::move(label_selector)), decode_(std::move(decode)) {}
  Informer(KubeClient& client, ResourceType rt, std::string ns, Decode decode,
           std::string label_selector = "")
      : Informer(make_lister_watcher(client, std::move(rt), std::move(ns)), std::move(decode),
                 std::move(label_selector)) {}

  void run(Handler handler) {
    handler_ = std::move(handler);
    reflector_.run(*this);
  }
  void stop() {
    reflector_.stop();
    cv_.notify_all();
  }
  // True once the first list has been delivered.
  bool wait_synced(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return synced_; });
  }
  Ptr get(const std::string& ns, const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = cache_.find(object_key(ns, name));
    return it == cache_.end() ? nullptr : it->second.value;
  }
  std::vector<std::string> keys() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    out.reserve(cache_.size());
    for (const auto& [k, e] : cache_) out.push_back(k);
    return out;
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return cache_.size();
  }
  uint64_t relists() const { return reflector_.relists(); }
  uint64_t watches() const { return reflector_.watches(); }
  void set_watch_timeout(int seconds) { reflector_.set_watch_timeout(seconds); }

 private:
  struct Entry {
    std::string resource_version;
    Ptr value;
  };
  void list_begin() override { next_.clear(); }
  void list_item(json&& obj) override {
    std::string key = object_key(obj);
    std::string rv = resource_version_of(obj);
    // An object the cache holds at this version is shared, not decoded again:
    // a relist after a 410 does not hold two copies of what did not change.
    // (Only this thread writes cache_, so reading it here needs no lock.)
    if (auto it = cache_.find(key); it != cache_.end() && it->second.resource_version == rv) {
      next_[key] = it->second;
      return;
    }
    next_[key] = Entry{std::move(rv), std::make_shared<const T>(decode_(std::move(obj)))};
  }
  void list_end() override {
    struct Change {
      const char* type;
      Ptr value, old;
    };
    std::vector<Change> changes;
    {
      std::lock_guard lock(mu_);
      for (const auto& [k, old] : cache_) {
        if (!next_.count(k)) changes.push_back({"DELETED", old.value, nullptr});
      }
      for (const auto& [k, e] : next_) {
        auto it = cache_.find(k);
        if (it == cache_.end()) {
          changes.push_back({"ADDED", e.value, nullptr});
        } else if (it->second.resource_version != e.resource_version) {
          changes.push_back({"MODIFIED", e.value, it->second.value});
        }
      }
      cache_.swap(next_);
      next_.clear();
      synced_ = true;
    }
    cv_.notify_all();
    for (const auto& c : changes) handler_(c.type, *c.value, c.old.get());
  }
  void event(const std::string& type, json&& obj) override {
    std::string key = object_key(obj);
    std::string rv = resource_version_of(obj);
    Entry e{std::move(rv), std::make_shared<const T>(decode_(std::move(obj)))};
    Ptr old;
    {
      std::lock_guard lock(mu_);
      auto it = cache_.find(key);
      if (it != cache_.end()) old = it->second.value;
      if (type == "DELETED") {
        cache_.erase(key);
      } else {
        cache_[key] = e;
      }
    }
    handler_(type, *e.value, type == "MODIFIED" ? old.get() : nullptr);
  }

  Reflector reflector_;
  Decode decode_;
  Handler handler_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool synced_ = false;
  std::map<std::string, Entry> cache_;  // "ns/name" -> object
  std::map<std::string, Entry> next_;   // a relist being received (informer thread only)
};

// An informer that caches whole objects (less managedFields).
class JsonInformer : public Informer<json> {
 public:
  JsonInformer(KubeClient& client, ResourceType rt, std::string ns, std::string label_selector = "")
      : Informer<json>(client, std::move(rt), std::move(ns), strip_managed_fields,
                       std::move(label_selector)) {}
};

}  // namespace ecrhelm::kube
