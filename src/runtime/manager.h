// Manager: what runs a process's controllers (controller-runtime's
// manager): it owns the informers (started, waited on for their first list,
// stopped), the controllers, other work that runs only on the leader, leader
// election (nothing is started until this process holds the Lease, and
// losing it stops every writer before the process exits), the /metrics,
// /healthz and /readyz server, the periodic resync, and shutdown on SIGTERM
// or SIGINT. A product registers its pieces, then calls run().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "kube/client.h"
#include "kube/informer.h"
#include "metrics/registry.h"
#include "runtime/controller.h"
#include "runtime/leader_election.h"
#include "runtime/probe_server.h"

namespace ecrhelm::runtime {

struct ManagerOptions {
  // controller-runtime's flags; "0" disables (the defaults here: a library
  // user or a test opts in; `ecrhelm controller` passes ":8080" and ":8081").
  std::string metrics_bind_address = "0";
  std::string health_probe_bind_address = "0";
  bool leader_elect = false;
  std::string leader_election_id = "ecrhelm-controller";
  std::string leader_election_namespace = "default";
  std::string leader_identity;  // empty: default_leader_identity()
  LeaseTimings lease_timings;
  // Every cached object is handed to its informer's resync handler this
  // often (controller-runtime's cache SyncPeriod), so a lost event costs at
  // most one period.
  std::chrono::seconds sync_period{600};
};

class Manager {
 public:
  Manager(kube::KubeClient& kube, ManagerOptions opts);
  ~Manager();  // stop()
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // What /metrics renders; products register their families (and collectors) here.
  metrics::MetricsRegistry& metrics() { return registry_; }

  // An informer run by the manager: `on_event` gets its events (on the
  // informer's thread), `on_resync` every cached object's Request each
  // sync_period (may be empty). Returns the informer, to read its cache.
  template <class T>
  kube::Informer<T>& add_informer(std::unique_ptr<kube::Informer<T>> informer,
                                  typename kube::Informer<T>::Handler on_event,
                                  std::function<void(const Request&)> on_resync = {}) {
    kube::Informer<T>& inf = *informer;
    auto owned = std::shared_ptr<kube::Informer<T>>(std::move(informer));
    Source s;
    s.run = [owned, on_event = std::move(on_event)] { owned->run(on_event); };
    s.stop = [owned] { owned->stop(); };
    s.synced = [owned] { return owned->wait_synced(std::chrono::milliseconds(0)); };
    if (on_resync) {
      s.resync = [owned, on_resync = std::move(on_resync)] {
        for (const auto& key : owned->keys()) on_resync(request_of(key));
      };
    }
    add_source(std::move(s));
    return inf;
  }
  // A controller for `reconciler`, started (as leader) after the informers.
  Controller& add_controller(std::string name, Reconciler& reconciler, ControllerOptions opts = {});
  // Other work that runs only while leading: started before the informers,
  // stopped after the controllers (a background refresher, say).
  void add_runnable(std::function<void()> start, std::function<void()> stop);

  // Starts every informer, controller and runnable now, without an election
  // (run() calls it on becoming leader). Returns at once. Once only.
  void start();
  // Stops controllers, informers and runnables; joins their threads. Idempotent.
  void stop();
  // True once every informer has delivered its first list.
  bool synced() const;
  // Summed over the controllers.
  uint64_t reconciles() const;
  const std::vector<std::unique_ptr<Controller>>& controllers() const { return controllers_; }

  // The whole process: serves probes and metrics, then (after winning the
  // Lease, with leader_elect) start(); blocks until SIGTERM/SIGINT,
  // request_stop(), or the Lease is lost; stops everything (before the Lease
  // is released) and returns 0. Throws Error for a bad bind address or
  // unusable leader election settings, before anything has started. The
  // signals go to the run() started last (one Manager per process runs).
  int run();
  // Makes run() return (any thread; also from a signal handler).
  void request_stop();
  // After run() started the probe server: its ports (0 when disabled).
  int metrics_port() const { return probes_ ? probes_->metrics_port() : 0; }
  int health_port() const { return probes_ ? probes_->health_port() : 0; }

 private:
  struct Source {
    std::function<void()> run, stop, resync;
    std::function<bool()> synced;
  };
  static Request request_of(const std::string& key);  // "ns/name" or "name"
  void add_source(Source s);
  void resync_loop();

  kube::KubeClient& kube_;
  ManagerOptions opts_;
  metrics::MetricsRegistry registry_;
  std::vector<Source> sources_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  std::vector<std::pair<std::function<void()>, std::function<void()>>> runnables_;
  std::unique_ptr<ProbeServer> probes_;

  std::mutex lifecycle_mu_;  // start() and stop() one at a time
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::thread> threads_;  // informers, resync
  std::mutex resync_mu_;
  std::condition_variable resync_cv_;
  bool resync_stop_ = false;
  std::atomic<bool> leading_{false};
  std::atomic<bool> shutting_down_{false};
  int wake_fd_[2] = {-1, -1};  // run() waits on [0]; request_stop() writes [1]
};

}  // namespace ecrhelm::runtime
