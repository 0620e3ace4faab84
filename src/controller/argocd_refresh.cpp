#include "controller/argocd_refresh.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "argocd/applications.h"
#include "kube/objects.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;

constexpr const char* kRefreshManager = "ecrhelm";

std::string app_key(const json& app) {
  return kube::meta_string(app, "namespace") + "/" + kube::meta_string(app, "name") + "/" +
         kube::meta_string(app, "uid");
}

}  // namespace

std::optional<RefreshMode> parse_refresh_mode(std::string_view s) {
  if (s == "none") return RefreshMode::kNone;
  if (s == "errored") return RefreshMode::kErrored;
  if (s == "all") return RefreshMode::kAll;
  return std::nullopt;
}

const char* to_string(RefreshMode m) {
  switch (m) {
    case RefreshMode::kNone:
      return "none";
    case RefreshMode::kErrored:
      return "errored";
    case RefreshMode::kAll:
      return "all";
  }
  return "errored";
}

ArgoRefresher::ArgoRefresher(kube::KubeClient& kube, ArgoRefreshOptions opts, const Clock& clock)
    : kube_(kube), opts_(std::move(opts)), clock_(clock) {}

ArgoRefresher::~ArgoRefresher() { stop(); }

void ArgoRefresher::rotated(const std::string& ns, const std::string& name) {
  if (opts_.mode == RefreshMode::kNone) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_[ns].insert(name);
  }
  cv_.notify_all();
}

void ArgoRefresher::start() {
  if (opts_.mode == RefreshMode::kNone || thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void ArgoRefresher::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ArgoRefreshStats ArgoRefresher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void ArgoRefresher::loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (stopping_) break;
    // Let a burst of rotations (every ExternalSecret of one identity, say)
    // arrive, then look once.
    cv_.wait_for(lock, opts_.settle, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    run_pending();
    lock.lock();
  }
}

size_t ArgoRefresher::run_pending() {
  std::map<std::string, std::set<std::string>> batch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    batch.swap(pending_);
    if (batch.empty()) return 0;
    ++stats_.passes;
    // Forget Applications refreshed long enough ago (deleted ones included).
    TimePoint now = clock_.now();
    for (auto it = last_refresh_.begin(); it != last_refresh_.end();) {
      it = now - it->second >= opts_.min_interval ? last_refresh_.erase(it) : std::next(it);
    }
  }
  size_t annotated = 0;
  for (const auto& [ns, names] : batch) refresh_for(ns, names, annotated);
  return annotated;
}

void ArgoRefresher::refresh_for(const std::string& ns, const std::set<std::string>& names,
                                size_t& annotated) {
  auto note_failure = [this](const std::string& where, const std::exception& e) {
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.failed;
    // A cluster without Argo CD's CRD, or RBAC without applications: say so
    // once per namespace, not once per rotation.
    if (kube::is_not_found(e) || kube::is_forbidden(e)) {
      if (warned_.insert(where).second)
        spdlog::warn(
            "controller: argocd refresh: cannot read or patch Applications in {}: {} (grant "
            "get/list/patch on applications.argoproj.io, or pass --argocd-refresh=none)",
            where, e.what());
      return;
    }
    spdlog::warn("controller: argocd refresh in {}: {}", where, e.what());
  };

  // Applications first, keeping only those a refresh could be for: when none
  // is (the common case: every Application healthy, or none in the
  // namespace), the repository Secrets are not read at all. Both lists are
  // streamed: a Secret is kept only as what argocd::read_repo_secret takes from it.
  std::vector<std::string> app_namespaces = opts_.app_namespaces;
  if (app_namespaces.empty()) app_namespaces.push_back(ns);
  std::vector<std::pair<std::string, std::vector<json>>> candidates;  // app namespace, apps
  for (const auto& app_ns : app_namespaces) {
    std::vector<json> apps;
    try {
      kube_.list_each(argocd::kArgoApplications, app_ns, {}, kube::kListPageSize, [&](json&& app) {
        if (opts_.mode == RefreshMode::kErrored && !argocd::application_errored(app)) return;
        if (kube::meta_map(app, "annotations").count(argocd::kArgoRefreshAnnotation))
          return;  // a refresh is already pending
        apps.push_back(std::move(app));
      });
    } catch (const std::exception& e) {
      note_failure(app_ns, e);
      continue;
    }
    if (!apps.empty()) candidates.emplace_back(app_ns, std::move(apps));
  }
  if (candidates.empty()) return;

  std::vector<argocd::ArgoRepoSecret> resolved;
  try {
    kube::ListOptions lo;
    lo.label_selector = argocd::kArgoRepoSecretSelector;
    std::vector<argocd::ArgoRepoSecret> read;
    kube_.list_each(kube::resources::kSecrets, ns, lo, kube::kListPageSize,
                    [&](json&& secret) { read.push_back(argocd::read_repo_secret(secret)); });
    resolved = argocd::resolve_repo_secrets(std::move(read));
  } catch (const std::exception& e) {
    note_failure(ns, e);
    return;
  }
  std::vector<size_t> rotated;
  for (size_t i = 0; i < resolved.size(); ++i) {
    if (names.count(resolved[i].name)) rotated.push_back(i);
  }
  if (rotated.empty()) return;  // not an Argo CD repository secret

  for (const auto& [app_ns, apps] : candidates) {
    for (const auto& app : apps) {
      std::optional<size_t> uses;
      for (const auto& u : argocd::application_repo_urls(app)) {
        for (size_t r : rotated) {
          if (!uses && argocd::url_uses_secret(resolved, r, u)) uses = r;
        }
      }
      if (!uses) continue;
      std::string name = kube::meta_string(app, "name");
      std::string key = app_key(app);
      TimePoint now = clock_.now();
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto last = last_refresh_.find(key);
        if (last != last_refresh_.end() && now - last->second < opts_.min_interval) {
          ++stats_.rate_limited;
          continue;
        }
      }
      try {
        json body = {{"metadata", {{"annotations", {{argocd::kArgoRefreshAnnotation, "hard"}}}}}};
        kube_.patch(argocd::kArgoApplications, app_ns, name, kube::PatchType::kMerge, body,
                    {kRefreshManager, false});
      } catch (const std::exception& e) {
        note_failure(app_ns + "/" + name, e);
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        last_refresh_[key] = now;
        ++stats_.refreshed;
      }
      ++annotated;
      spdlog::info(
          "controller: application {}/{}: hard refresh requested after its repository "
          "credentials were rotated",
          app_ns, name);
      kube::record_event(
          kube_, app,
          {"Normal", "HardRefresh",
           fmt::format("ECR credentials in {}/{}, which this Application's sources use, were "
                       "rotated: requested a hard refresh (a cached manifest generation error "
                       "does not clear by itself)",
                       ns, resolved[*uses].name)},
          clock_);
    }
  }
}

}  // namespace ecrhelm::controller
