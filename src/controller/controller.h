// Controller: the running loop of `ecrhelm controller`. Informers keep a
// local cache of ExternalSecrets, of the Secrets they own and of the
// annotation-mode repository Secrets; every change or due time puts a key on
// the WorkQueue; workers reconcile keys one at a time each (never the same
// key twice at once); a periodic resync re-queues everything so a lost event
// costs at most one resync period.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/external_secret_reconciler.h"
#include "controller/repo_secret_reconciler.h"
#include "controller/work_queue.h"
#include "kube/informer.h"

namespace ecrhelm::controller {

struct ControllerOptions {
  std::vector<std::string> namespaces;  // empty = all
  int workers = 4;
  bool annotation_mode = true;
  bool external_secrets = true;
  std::chrono::seconds resync{600};
  // Called after each reconcile with its wall time (metrics); may be empty.
  std::function<void(std::chrono::duration<double>)> on_reconcile;
  // Called with a Secret's namespace and name after a reconcile wrote new
  // credentials into it (the Argo CD refresher); may be empty.
  std::function<void(const std::string& ns, const std::string& name)> on_secret_written;
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
bool worth_reconciling(const ExternalSecretObject& now, const ExternalSecretObject* old);

// Counters a metrics endpoint reads.
struct ControllerStats {
  std::atomic<uint64_t> reconciles{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> secrets_written{0};
};

class Controller {
 public:
  Controller(kube::KubeClient& kube, ExternalSecretReconciler& es, RepoSecretReconciler& repos,
             ControllerOptions opts);
  ~Controller();
  // Starts informers and workers; returns at once.
  void start();
  // Stops everything and joins the threads.
  void stop();
  // True once every informer has listed.
  bool synced() const;
  const ControllerStats& stats() const { return stats_; }
  WorkQueue& queue() { return queue_; }

 private:
  void worker();
  void process(const std::string& key);
  void on_external_secret(const std::string& type, const ExternalSecretObject& obj,
                          const ExternalSecretObject* old);
  void on_owned_secret(const OwnedSecret& obj);
  void on_repo_secret(const std::string& type, const nlohmann::json& obj);
  kube::Informer<ExternalSecretObject>* es_informer_for(const std::string& ns);
  kube::JsonInformer* repo_informer_for(const std::string& ns);

  kube::KubeClient& kube_;
  ExternalSecretReconciler& es_;
  RepoSecretReconciler& repos_;
  ControllerOptions opts_;
  WorkQueue queue_;
  ControllerStats stats_;
  struct Watch {
    std::string ns;
    std::unique_ptr<kube::Informer<ExternalSecretObject>> es;
    std::unique_ptr<kube::Informer<OwnedSecret>> owned;
    std::unique_ptr<kube::JsonInformer> repos;
  };
  std::vector<Watch> watches_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex resync_mu_;
  std::condition_variable resync_cv_;
};

}  // namespace ecrhelm::controller
