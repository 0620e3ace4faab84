#include "kube/informer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace ecrhelm::kube {
namespace {

inline constexpr std::chrono::milliseconds kRetryBase{500};
inline constexpr std::chrono::milliseconds kRetryMax{30000};

class ClientListerWatcher : public ListerWatcher {
 public:
  ClientListerWatcher(KubeClient& client, ResourceType rt, std::string ns)
      : client_(client), rt_(std::move(rt)), ns_(std::move(ns)) {}

  std::string list(const ListOptions& opts, const std::function<void(json&&)>& on_item) override {
    return client_.list_each(rt_, ns_, opts, kListPageSize, [&](json&& item) {
      // A list's items carry no kind/apiVersion; give them what a watch would.
      item["kind"] = rt_.kind;
      item["apiVersion"] = rt_.api_version();
      on_item(std::move(item));
    });
  }
  void watch(const WatchOptions& opts,
             const std::function<bool(const WatchEvent&)>& on_event) override {
    client_.watch(rt_, ns_, opts, on_event);
  }
  std::string display() const override { return rt_.display(); }

 private:
  KubeClient& client_;
  ResourceType rt_;
  std::string ns_;
};

}  // namespace

std::unique_ptr<ListerWatcher> make_lister_watcher(KubeClient& client, ResourceType rt,
                                                   std::string ns) {
  return std::make_unique<ClientListerWatcher>(client, std::move(rt), std::move(ns));
}

std::string resource_version_of(const json& obj) {
  auto m = obj.find("metadata");
  return m != obj.end() && m->is_object() ? m->value("resourceVersion", "") : "";
}

std::string object_key(const json& obj) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  return object_key(m->value("namespace", ""), m->value("name", ""));
}

json strip_managed_fields(json&& obj) {
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) m->erase("managedFields");
  return std::move(obj);
}

Reflector::Reflector(std::unique_ptr<ListerWatcher> lw, std::string label_selector)
    : lw_(std::move(lw)), label_selector_(std::move(label_selector)) {}

void Reflector::stop() {
  stop_ = true;
  cv_.notify_all();
}

void Reflector::run(Sink& sink) {
  int failures = 0;
  bool need_list;
  {
    std::lock_guard lock(mu_);
    need_list = !listed_;
  }
  while (!stop_) {
    try {
      if (need_list) {
        ListOptions opts;
        opts.label_selector = label_selector_;
        sink.list_begin();
        std::string rv = lw_->list(opts, [&](json&& item) { sink.list_item(std::move(item)); });
        ++relists_;
        {
          std::lock_guard lock(mu_);
          resource_version_ = rv;
          listed_ = true;
        }
        sink.list_end();
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
      lw_->watch(wo, [&](const WatchEvent& ev) {
        if (ev.type == "BOOKMARK" || ev.type == "ADDED" || ev.type == "MODIFIED" ||
            ev.type == "DELETED") {
          std::string rv = resource_version_of(ev.object);
          if (ev.type != "BOOKMARK") sink.event(ev.type, json(ev.object));
          std::lock_guard lock(mu_);
          resource_version_ = rv;
        }
        return !stop_;
      });
      failures = 0;
    } catch (const std::exception& e) {
      if (stop_) break;
      if (is_gone(e)) {
        spdlog::info("kube: watch of {} expired ({}); relisting", lw_->display(), e.what());
        need_list = true;
        continue;
      }
      ++failures;
      auto delay = std::min(kRetryMax, kRetryBase * (1 << std::min(failures, 6)));
      spdlog::warn("kube: list/watch of {} failed: {}; retrying in {} ms", lw_->display(), e.what(),
                   delay.count());
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, delay, [&] { return stop_.load(); });
    }
  }
  stop_ = false;  // this stop is consumed; a later run() starts afresh
}

}  // namespace ecrhelm::kube
