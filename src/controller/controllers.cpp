#include "controller/controllers.h"

#include "kube/objects.h"

namespace ecrhelm::controller {
namespace {

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

bool worth_reconciling(const ExternalSecret& now, const ExternalSecret* old) {
  if (!old) return true;
  return now.synced_version != old->synced_version || now.deleting != old->deleting;
}

// The ExternalSecret controller's reconciler: the typed object from the
// cache, handed to ExternalSecretReconciler; gone from the cache = deleted.
class Controllers::EsLookup : public runtime::Reconciler {
 public:
  EsLookup(Controllers& owner, ExternalSecretReconciler& es) : owner_(owner), es_(es) {}
  runtime::Result reconcile(const runtime::Request& req) override {
    auto* inf = owner_.es_informer_for(req.ns);
    auto obj = inf ? inf->get(req.ns, req.name) : nullptr;
    if (!obj) return {};  // deleted meanwhile (its Secrets go by garbage collection)
    ReconcileResult r = es_.reconcile(*obj);
    if (r.wrote_secret && owner_.opts_.on_secret_written && !r.target_secret.empty())
      owner_.opts_.on_secret_written(req.ns, r.target_secret);
    return {r.requeue_after};
  }

 private:
  Controllers& owner_;
  ExternalSecretReconciler& es_;
};

// The annotation mode's reconciler: the labelled Secret from the cache.
class Controllers::RepoLookup : public runtime::Reconciler {
 public:
  RepoLookup(Controllers& owner, RepoSecretReconciler& repos) : owner_(owner), repos_(repos) {}
  runtime::Result reconcile(const runtime::Request& req) override {
    auto* inf = owner_.repo_informer_for(req.ns);
    auto obj = inf ? inf->get(req.ns, req.name) : nullptr;
    if (!obj) return {};  // deleted or unlabelled meanwhile
    RepoReconcileResult r = repos_.reconcile(*obj);
    if (r.wrote_secret && owner_.opts_.on_secret_written)
      owner_.opts_.on_secret_written(req.ns, req.name);
    return {r.requeue_after};
  }

 private:
  Controllers& owner_;
  RepoSecretReconciler& repos_;
};

Controllers::Controllers(kube::KubeClient& kube, ExternalSecretReconciler& es,
                         RepoSecretReconciler& repos, ControllerOptions opts)
    : opts_(std::move(opts)),
      manager_(kube,
               [&] {
                 runtime::ManagerOptions mo = opts_.manager;
                 mo.sync_period = opts_.resync;
                 return mo;
               }()),
      es_lookup_(std::make_unique<EsLookup>(*this, es)),
      repo_lookup_(std::make_unique<RepoLookup>(*this, repos)) {
  runtime::ControllerOptions co;
  co.workers = opts_.workers;
  co.on_reconcile = opts_.on_reconcile;
  if (opts_.external_secrets)
    es_controller_ = &manager_.add_controller("externalsecret", *es_lookup_, co);
  if (opts_.annotation_mode)
    repo_controller_ = &manager_.add_controller("repository secret", *repo_lookup_, co);

  std::vector<std::string> nss =
      opts_.namespaces.empty() ? std::vector<std::string>{""} : opts_.namespaces;
  for (const auto& ns : nss) {
    Watch w;
    w.ns = ns;
    if (es_controller_) {
      runtime::Controller* ctl = es_controller_;
      w.es = &manager_.add_informer(
          std::make_unique<kube::Informer<ExternalSecret>>(kube, eso::kExternalSecrets, ns,
                                                           decode_external_secret),
          [ctl](const std::string& type, const ExternalSecret& obj, const ExternalSecret* old) {
            if (type == "DELETED") return;  // owned secrets go with it (garbage collection)
            if (!worth_reconciling(obj, old)) return;
            ctl->enqueue({obj.ref.ns, obj.ref.name});
          },
          [ctl](const runtime::Request& req) { ctl->enqueue(req); });
      // A change to a Secret we own (deleted, edited): its ExternalSecret looks again.
      manager_.add_informer(
          std::make_unique<kube::Informer<OwnedSecret>>(kube, kube::resources::kSecrets, ns,
                                                        decode_owned_secret, kOwnerLabel),
          [ctl](const std::string&, const OwnedSecret& o, const OwnedSecret*) {
            for (const auto& owner : o.owners) ctl->enqueue({o.ns, owner});
          });
    }
    if (repo_controller_) {
      runtime::Controller* ctl = repo_controller_;
      w.repos = &manager_.add_informer(
          std::make_unique<kube::Informer<kube::SecretObject>>(
              kube, kube::resources::kSecrets, ns, kube::decode_secret,
              std::string(kManagedLabel) + "=true"),
          [ctl](const std::string& type, const kube::SecretObject& obj, const kube::SecretObject*) {
            if (type == "DELETED") return;
            ctl->enqueue({obj.ref.ns, obj.ref.name});
          },
          [ctl](const runtime::Request& req) { ctl->enqueue(req); });
    }
    watches_.push_back(w);
  }
}

Controllers::~Controllers() { manager_.stop(); }

ControllersStats Controllers::stats() const {
  ControllersStats s;
  for (const auto& c : manager_.controllers()) {
    s.reconciles += c->stats().reconciles.load();
    s.errors += c->stats().errors.load() + c->stats().terminal.load();
  }
  return s;
}

kube::Informer<ExternalSecret>* Controllers::es_informer_for(const std::string& ns) const {
  for (const auto& w : watches_) {
    if (w.es && (w.ns.empty() || w.ns == ns)) return w.es;
  }
  return nullptr;
}

kube::Informer<kube::SecretObject>* Controllers::repo_informer_for(const std::string& ns) const {
  for (const auto& w : watches_) {
    if (w.repos && (w.ns.empty() || w.ns == ns)) return w.repos;
  }
  return nullptr;
}

}  // namespace ecrhelm::controller
