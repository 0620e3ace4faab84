// LeaderElector: only one `ecrhelm controller --leader-elect` replica writes
// at a time. It is client-go's leaderelection on a coordination.k8s.io/v1
// Lease: the same record fields, the same timings, expiry measured by the
// observer's own clock from when it last saw the record change (never by
// comparing clocks across machines), optimistic concurrency through
// resourceVersion (a 409 means another candidate won), and the lease given
// back on a clean shutdown (ReleaseOnCancel) so a successor starts at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "kube/client.h"

namespace ecrhelm::runtime {

// client-go's defaults (and controller-runtime's): LeaseDuration 15s,
// RenewDeadline 10s, RetryPeriod 2s.
struct LeaseTimings {
  // How long a non-leader waits, after it last saw the record change, before taking over.
  std::chrono::milliseconds lease{15000};
  // How long the leader keeps retrying a failed renewal before it gives up leadership.
  std::chrono::milliseconds renew_deadline{10000};
  // The time between two attempts to acquire or renew.
  std::chrono::milliseconds retry{2000};
};

// client-go's JitterFactor: a candidate waits retry * [1, 1 + factor) between
// attempts to acquire, so candidates do not move in lock step.
inline constexpr double kLeaseAcquireJitterFactor = 1.2;

// The holder identity client-go programs use: "<hostname>_<random hex>",
// unique per process even when two run in one pod.
std::string default_leader_identity();

class LeaderElector {
 public:
  // Throws Error(kInvalidInput) unless lease > renew_deadline > retry * kLeaseAcquireJitterFactor
  // > 0 (client-go's rule) and ns, name and identity are non-empty.
  LeaderElector(kube::KubeClient& client, std::string ns, std::string name, std::string identity,
                LeaseTimings t = {});
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Blocks the calling thread. Tries to acquire the lease every retry period
  // (jittered) until it succeeds or stop()/abandon() is called. Once leader
  // it calls on_started ON A NEW THREAD (it may block, as client-go's
  // OnStartedLeading does, or return at once) and keeps renewing on this
  // thread. Leadership ends when a renewal has not succeeded within
  // renew_deadline, or on stop() (the lease is released: holderIdentity ""
  // and leaseDurationSeconds 1), or on abandon() (nothing is written, as if
  // the process were killed). Then on_stopped is called on this thread
  // exactly once (only if on_started was), which must make a blocking
  // on_started return; run() joins the on_started thread and returns.
  // Errors talking to the API server are logged and retried, never thrown.
  // run() may be called once.
  void run(std::function<void()> on_started, std::function<void()> on_stopped);

  // Ends run(): releases the lease if held. Safe from any thread, also before run().
  void stop();
  // Ends run() WITHOUT releasing or renewing the lease: a killed process,
  // for tests. The lease stays held until it expires.
  void abandon();

  // True while this process holds the lease and its last successful renewal
  // is younger than renew_deadline (so a hung API call cannot leave a stale
  // leader believing it still leads).
  bool is_leader() const;
  const std::string& identity() const { return identity_; }

 private:
  using Clock = std::chrono::steady_clock;
  bool try_acquire_or_renew();
  bool release();
  // Sleeps up to d; returns true when stop() or abandon() was called.
  bool wait_for_stop(std::chrono::milliseconds d);
  bool stopping() const;
  nlohmann::json record_for_update(const nlohmann::json& old_spec, bool leader) const;

  kube::KubeClient& client_;
  const std::string ns_;
  const std::string name_;
  const std::string identity_;
  const LeaseTimings timings_;

  // Observed state, as client-go keeps it: the record last seen, when it
  // changed by our clock, and the Lease object (for its resourceVersion).
  nlohmann::json observed_spec_;
  nlohmann::json observed_lease_;
  Clock::time_point observed_time_{};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_requested_ = false;
  bool abandon_requested_ = false;
  bool leading_ = false;
  Clock::time_point last_renew_{};
  std::atomic<bool> ran_{false};
};

}  // namespace ecrhelm::runtime
