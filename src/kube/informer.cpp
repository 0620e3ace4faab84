#include "kube/informer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace ecrhelm::kube {
namespace {

inline constexpr std::chrono::milliseconds kRetryBase{500};
inline constexpr std::chrono::milliseconds kRetryMax{30000};

std::string rv_of(const json& obj) {
  auto m = obj.find("metadata");
  return m != obj.end() && m->is_object() ? m->value("resourceVersion", "") : "";
}

// The cache keeps objects without metadata.managedFields (as controller-runtime's
// TransformStripManagedFields): no cache reader needs them and they are about
// 40% of a typical object, so 5,000 cached ExternalSecrets cost ~30 MB less.
void strip_managed_fields(json& obj) {
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) m->erase("managedFields");
}

}  // namespace

std::string object_key(const json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  std::string ns = m->value("namespace", "");
  std::string name = m->value("name", "");
  return ns.empty() ? name : ns + "/" + name;
}

Informer::Informer(KubeClient& client, ResourceType rt, std::string ns, std::string label_selector)
    : client_(client),
      rt_(std::move(rt)),
      ns_(std::move(ns)),
      label_selector_(std::move(label_selector)) {}

void Informer::stop() {
  stop_ = true;
  cv_.notify_all();
}

bool Informer::wait_synced(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return synced_ || stop_; }) && synced_;
}

std::optional<json> Informer::get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = cache_.find(ns.empty() ? name : ns + "/" + name);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> Informer::list() const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  out.reserve(cache_.size());
  for (const auto& [k, v] : cache_) out.push_back(v);
  return out;
}

void Informer::apply(const std::string& type, json obj, const Handler& handler) {
  strip_managed_fields(obj);
  std::string key = object_key(obj);
  {
    std::lock_guard lock(mu_);
    resource_version_ = rv_of(obj);
    if (type == "DELETED") {
      cache_.erase(key);
    } else {
      cache_[key] = obj;
    }
  }
  handler(type, obj);
}

void Informer::relist(const Handler& handler) {
  ListOptions opts;
  opts.label_selector = label_selector_;
  ListResult fresh = client_.list(rt_, ns_, opts);
  ++relists_;
  std::map<std::string, json> next;
  for (auto& item : fresh.items) {
    // A list's items carry no kind/apiVersion; give them what a watch would.
    item["kind"] = rt_.kind;
    item["apiVersion"] = rt_.api_version();
    strip_managed_fields(item);
    next.emplace(object_key(item), std::move(item));
  }
  std::vector<std::pair<std::string, json>> events;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, old] : cache_) {
      if (!next.count(k)) events.emplace_back("DELETED", old);
    }
    for (const auto& [k, obj] : next) {
      auto it = cache_.find(k);
      if (it == cache_.end()) {
        events.emplace_back("ADDED", obj);
      } else if (rv_of(it->second) != rv_of(obj)) {
        events.emplace_back("MODIFIED", obj);
      }
    }
    cache_ = std::move(next);
    resource_version_ = fresh.resource_version;
    synced_ = true;
  }
  cv_.notify_all();
  for (const auto& [type, obj] : events) handler(type, obj);
}

void Informer::run(const Handler& handler) {
  int failures = 0;
  bool need_list;
  {
    std::lock_guard lock(mu_);
    need_list = !synced_;
  }
  while (!stop_) {
    try {
      if (need_list) {
        relist(handler);
        need_list = false;
      }
      WatchOptions wo;
      {
        std::lock_guard lock(mu_);
        wo.resource_version = resource_version_;
      }
      wo.label_selector = label_selector_;
      wo.timeout_seconds = watch_timeout_;
      wo.cancelled = [this] { return stop_.load(); };
      ++watches_;
      client_.watch(rt_, ns_, wo, [&](const WatchEvent& ev) {
        if (ev.type == "BOOKMARK") {
          std::lock_guard lock(mu_);
          resource_version_ = rv_of(ev.object);
        } else if (ev.type == "ADDED" || ev.type == "MODIFIED" || ev.type == "DELETED") {
          apply(ev.type, ev.object, handler);
        }
        return !stop_;
      });
      failures = 0;
    } catch (const std::exception& e) {
      if (stop_) break;
      if (is_gone(e)) {
        spdlog::info("kube: watch of {} expired ({}); relisting", rt_.display(), e.what());
        need_list = true;
        continue;
      }
      ++failures;
      auto delay = std::min(kRetryMax, kRetryBase * (1 << std::min(failures, 6)));
      spdlog::warn("kube: list/watch of {} failed: {}; retrying in {} ms", rt_.display(), e.what(),
                   delay.count());
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, delay, [&] { return stop_.load(); });
    }
  }
  stop_ = false;  // this stop is consumed; a later run() starts afresh
}

}  // namespace ecrhelm::kube
