#include "controller/controller.h"

#include <spdlog/spdlog.h>

#include "kube/objects.h"

namespace ecrhelm::controller {
namespace {

inline constexpr const char* kEsPrefix = "es/";
inline constexpr const char* kRepoPrefix = "repo/";
inline constexpr const char* kOwnerLabel = "reconcile.external-secrets.io/owner";

}  // namespace

OwnedSecret decode_owned_secret(const nlohmann::json& secret) {
  OwnedSecret o;
  o.ns = kube::meta_string(secret, "namespace");
  auto meta = secret.find("metadata");
  if (meta == secret.end() || !meta->is_object()) return o;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return o;
  for (const auto& ref : *refs) {
    if (!ref.is_object() || ref.value("kind", "") != "ExternalSecret") continue;
    if (auto n = ref.find("name"); n != ref.end() && n->is_string()) o.owners.push_back(*n);
  }
  return o;
}

bool worth_reconciling(const ExternalSecretObject& now, const ExternalSecretObject* old) {
  if (!old) return true;
  return now.synced_version != old->synced_version || now.deleting != old->deleting;
}

Controller::Controller(kube::KubeClient& kube, ExternalSecretReconciler& es,
                       RepoSecretReconciler& repos, ControllerOptions opts)
    : kube_(kube), es_(es), repos_(repos), opts_(std::move(opts)) {
  std::vector<std::string> nss =
      opts_.namespaces.empty() ? std::vector<std::string>{""} : opts_.namespaces;
  for (const auto& ns : nss) {
    Watch w;
    w.ns = ns;
    if (opts_.external_secrets) {
      w.es = std::make_unique<kube::Informer<ExternalSecretObject>>(kube_, eso::kExternalSecrets,
                                                                    ns, decode_external_secret);
      w.owned = std::make_unique<kube::Informer<OwnedSecret>>(kube_, kube::resources::kSecrets, ns,
                                                              decode_owned_secret, kOwnerLabel);
    }
    if (opts_.annotation_mode) {
      w.repos = std::make_unique<kube::JsonInformer>(kube_, kube::resources::kSecrets, ns,
                                                     std::string(kManagedLabel) + "=true");
    }
    watches_.push_back(std::move(w));
  }
}

Controller::~Controller() { stop(); }

void Controller::start() {
  for (auto& w : watches_) {
    if (w.es) {
      threads_.emplace_back([this, inf = w.es.get()] {
        inf->run([this](const std::string& t, const ExternalSecretObject& o,
                        const ExternalSecretObject* old) { on_external_secret(t, o, old); });
      });
      threads_.emplace_back([this, inf = w.owned.get()] {
        inf->run([this](const std::string&, const OwnedSecret& o, const OwnedSecret*) {
          on_owned_secret(o);
        });
      });
    }
    if (w.repos) {
      threads_.emplace_back([this, inf = w.repos.get()] {
        inf->run([this](const std::string& t, const nlohmann::json& o, const nlohmann::json*) {
          on_repo_secret(t, o);
        });
      });
    }
  }
  for (int i = 0; i < std::max(1, opts_.workers); ++i) threads_.emplace_back([this] { worker(); });
  // Periodic resync: every cached object goes through the queue again.
  threads_.emplace_back([this] {
    std::unique_lock lock(resync_mu_);
    while (!resync_cv_.wait_for(lock, opts_.resync, [this] { return stopping_.load(); })) {
      for (auto& w : watches_) {
        if (w.es) {
          for (const auto& k : w.es->keys()) queue_.add(kEsPrefix + k);
        }
        if (w.repos) {
          for (const auto& k : w.repos->keys()) queue_.add(kRepoPrefix + k);
        }
      }
    }
  });
}

void Controller::stop() {
  if (stopping_.exchange(true)) return;
  // Each informer's stop waits for its watch to notice the cancel (curl checks
  // about once a second while idle): stop them side by side, not in turn.
  std::vector<std::thread> stoppers;
  for (auto& w : watches_) {
    if (w.es) stoppers.emplace_back([inf = w.es.get()] { inf->stop(); });
    if (w.owned) stoppers.emplace_back([inf = w.owned.get()] { inf->stop(); });
    if (w.repos) stoppers.emplace_back([inf = w.repos.get()] { inf->stop(); });
  }
  for (auto& t : stoppers) t.join();
  queue_.shutdown();
  resync_cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool Controller::synced() const {
  for (const auto& w : watches_) {
    auto synced = [](auto& inf) { return !inf || inf->wait_synced(std::chrono::milliseconds(0)); };
    if (!synced(w.es) || !synced(w.owned) || !synced(w.repos)) return false;
  }
  return true;
}

void Controller::on_external_secret(const std::string& type, const ExternalSecretObject& obj,
                                    const ExternalSecretObject* old) {
  if (type == "DELETED") return;  // owned secrets go with it (garbage collection)
  if (!worth_reconciling(obj, old)) return;
  queue_.add(kEsPrefix + kube::object_key(obj.ref.ns, obj.ref.name));
}

void Controller::on_owned_secret(const OwnedSecret& obj) {
  // A change to a Secret we own (deleted, edited): its ExternalSecret looks again.
  for (const auto& owner : obj.owners) queue_.add(kEsPrefix + obj.ns + "/" + owner);
}

void Controller::on_repo_secret(const std::string& type, const nlohmann::json& obj) {
  if (type == "DELETED") return;
  queue_.add(kRepoPrefix + kube::object_key(obj));
}

kube::Informer<ExternalSecretObject>* Controller::es_informer_for(const std::string& ns) {
  for (auto& w : watches_) {
    if (w.es && (w.ns.empty() || w.ns == ns)) return w.es.get();
  }
  return nullptr;
}

kube::JsonInformer* Controller::repo_informer_for(const std::string& ns) {
  for (auto& w : watches_) {
    if (w.repos && (w.ns.empty() || w.ns == ns)) return w.repos.get();
  }
  return nullptr;
}

void Controller::process(const std::string& key) {
  bool is_es = key.rfind(kEsPrefix, 0) == 0;
  std::string nsname =
      key.substr(is_es ? std::string(kEsPrefix).size() : std::string(kRepoPrefix).size());
  auto slash = nsname.find('/');
  std::string ns = nsname.substr(0, slash);
  std::string name = slash == std::string::npos ? "" : nsname.substr(slash + 1);
  std::shared_ptr<const ExternalSecretObject> es;
  std::shared_ptr<const nlohmann::json> repo;
  if (is_es) {
    if (auto* inf = es_informer_for(ns)) es = inf->get(ns, name);
  } else if (auto* inf = repo_informer_for(ns)) {
    repo = inf->get(ns, name);
  }
  if (!es && !repo) {
    queue_.forget(key);
    return;  // deleted meanwhile (or not watched)
  }
  ++stats_.reconciles;
  auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::milliseconds> requeue;
  bool error = false, wrote = false;
  std::string written = name;
  if (es) {
    ReconcileResult r = es_.reconcile(*es);
    requeue = r.requeue_after;
    error = r.error;
    wrote = r.wrote_secret;
    written = r.target_secret;
  } else {
    RepoReconcileResult r = repos_.reconcile(*repo);
    requeue = r.requeue_after;
    error = r.error;
    wrote = r.wrote_secret;
  }
  if (opts_.on_reconcile) opts_.on_reconcile(std::chrono::steady_clock::now() - started);
  if (wrote) {
    ++stats_.secrets_written;
    if (opts_.on_secret_written && !written.empty()) opts_.on_secret_written(ns, written);
  }
  if (error) {
    ++stats_.errors;
    auto d = queue_.add_rate_limited(key);
    spdlog::debug("controller: {} failed; retry in {} ms", key, d.count());
    return;
  }
  queue_.forget(key);
  if (requeue) queue_.add_after(key, *requeue);
}

void Controller::worker() {
  while (auto key = queue_.get()) {
    try {
      process(*key);
    } catch (const std::exception& e) {
      ++stats_.errors;
      spdlog::warn("controller: {}: {}", *key, e.what());
      queue_.add_rate_limited(*key);
    }
    queue_.done(*key);
  }
}

}  // namespace ecrhelm::controller
