// ExternalSecretReconciler: one ExternalSecret brought to its desired state,
// controller-runtime style: read the object and its target Secret, decide
// whether a refresh is due, generate the token data (shared TokenCache),
// render the template, write only the keys that differ (server-side apply
// with ESO's field owner, so switching from ESO leaves no stale owner), set
// status and events as ESO does, and name the time to be called again: the
// earlier of refreshInterval and half the token's remaining life.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <random>
#include <string>

#include "controller/ecr_generator.h"
#include "controller/eso_types.h"
#include "kube/client.h"
#include "kube/objects.h"
#include "util/time.h"

namespace ecrhelm::controller {

// How soon to look again when a token is already past its expiry (moto's)
// or about to: never sooner than this.
inline constexpr std::chrono::seconds kMinRequeue{60};
inline constexpr double kRequeueJitter = 0.1;  // up to 10% earlier

// A sync that did its work (a failed one throws: see reconcile()).
struct ReconcileResult {
  std::optional<std::chrono::milliseconds> requeue_after;  // nullopt: only on change
  bool wrote_secret = false;
  std::string target_secret;  // the Secret written, when wrote_secret
};

// What a sync observes, for metrics.
struct SyncObserver {
  std::function<void(const std::string& ns, const std::string& name, bool error)> on_sync;
  std::function<void(const std::string& ns, const std::string& name, const std::string& status)>
      on_condition;
};

class ExternalSecretReconciler {
 public:
  ExternalSecretReconciler(kube::KubeClient& kube, EcrGenerator& generator,
                           const Clock& clock = SystemClock::instance(),
                           SyncObserver observer = {});
  // `es` is the current object, as the cache decoded it. A failed sync has
  // set the status and an Event already, then throws: runtime::TerminalError
  // when only a change can help (a spec we cannot serve, a policy refusal),
  // else an error to retry with backoff.
  ReconcileResult reconcile(const ExternalSecret& es);

 private:
  struct Desired {
    std::map<std::string, Secret> data;
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> annotations;
    std::string type;
    TimePoint token_expires;
    std::map<std::string, Secret> generated;  // what the generators gave, for redaction
  };
  Desired desired_state(const ExternalSecret& es, const ExternalSecretSpec& spec);
  // Returns true when the Secret was created or changed.
  bool write_secret(const ExternalSecret& es, const ExternalSecretSpec& spec, const Desired& d,
                    const std::optional<kube::SecretObject>& existing);
  void set_status(const ExternalSecret& es, const std::string& status, const std::string& reason,
                  const std::string& message, bool refreshed, const std::string& binding);
  std::chrono::milliseconds next_refresh(const ExternalSecretSpec& spec,
                                         std::optional<TimePoint> token_expires,
                                         std::chrono::milliseconds since_refresh);

  kube::KubeClient& kube_;
  EcrGenerator& generator_;
  const Clock& clock_;
  SyncObserver observer_;
  std::mt19937_64 rng_;
  std::mutex rng_mu_;
};

// ESO's field owner for an ExternalSecret's writes.
std::string eso_field_owner(const std::string& es_name);

}  // namespace ecrhelm::controller
