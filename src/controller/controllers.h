// Controllers: the two controllers of `ecrhelm controller` on one
// runtime::Manager. ExternalSecrets: an informer of ExternalSecrets (typed
// once, as they leave the API server) and one of the Secrets they own, both
// feeding the ExternalSecret controller; and the annotation mode: an
// informer of Secrets labelled ecrhelm.io/managed=true feeding its own
// controller. Each controller has its own queue; a periodic resync re-queues
// everything so a lost event costs at most one resync period.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controller/external_secret_reconciler.h"
#include "controller/repo_secret_reconciler.h"
#include "kube/informer.h"
#include "kube/objects.h"
#include "runtime/manager.h"

namespace ecrhelm::controller {

struct ControllerOptions {
  std::vector<std::string> namespaces;  // empty = all
  int workers = 4;                      // per controller
  bool annotation_mode = true;
  bool external_secrets = true;
  std::chrono::seconds resync{600};
  // Called after each reconcile with its wall time (metrics); may be empty.
  std::function<void(std::chrono::duration<double>)> on_reconcile;
  // Called with a Secret's namespace and name after a reconcile wrote new
  // credentials into it (the Argo CD refresher); may be empty.
  std::function<void(const std::string& ns, const std::string& name)> on_secret_written;
  // Probes, metrics and leader election (all off by default); resync above
  // overrides its sync_period.
  runtime::ManagerOptions manager;
};

// What the controller keeps of a Secret an ExternalSecret owns: who owns
// it, and no data (ESO watches these as metadata only, too).
struct OwnedSecret {
  std::string ns;
  std::vector<std::string> owners;  // names of the ExternalSecrets in its ownerReferences
};
OwnedSecret decode_owned_secret(const nlohmann::json& secret);

// The predicate on ExternalSecret events: a change is worth a reconcile
// unless it touched only the status (our own status writes come back as
// such events). A change of generation, labels or annotations (ESO's
// force-sync) or of deletion is worth one.
bool worth_reconciling(const ExternalSecret& now, const ExternalSecret* old);

// Summed over both controllers.
struct ControllersStats {
  uint64_t reconciles = 0;
  uint64_t errors = 0;
};

class Controllers {
 public:
  Controllers(kube::KubeClient& kube, ExternalSecretReconciler& es, RepoSecretReconciler& repos,
              ControllerOptions opts);
  ~Controllers();
  // Starts informers and workers now, without leader election; returns at once.
  void start() { manager_.start(); }
  // Stops everything and joins the threads.
  void stop() { manager_.stop(); }
  // True once every informer has listed.
  bool synced() const { return manager_.synced(); }
  ControllersStats stats() const;
  // The process around them: metrics registry, run() with probes, leader
  // election and signals.
  runtime::Manager& manager() { return manager_; }

 private:
  class EsLookup;
  class RepoLookup;
  kube::Informer<ExternalSecret>* es_informer_for(const std::string& ns) const;
  kube::Informer<kube::SecretObject>* repo_informer_for(const std::string& ns) const;

  ControllerOptions opts_;
  runtime::Manager manager_;
  std::unique_ptr<EsLookup> es_lookup_;
  std::unique_ptr<RepoLookup> repo_lookup_;
  runtime::Controller* es_controller_ = nullptr;
  runtime::Controller* repo_controller_ = nullptr;
  struct Watch {
    std::string ns;
    kube::Informer<ExternalSecret>* es = nullptr;
    kube::Informer<kube::SecretObject>* repos = nullptr;
  };
  std::vector<Watch> watches_;
};

}  // namespace ecrhelm::controller
