// runtime: a small controller runtime in controller-runtime's shape (its
// pkg/reconcile, pkg/controller, pkg/manager), on the kube layer's typed
// informers: a Reconciler brings one object to its desired state; a
// Controller feeds it requests from its own rate-limited WorkQueue; a
// Manager owns the informers, the controllers, leader election, the probe
// and metrics server and shutdown. It knows nothing of ESO or Argo CD
// (those are controller/); it needs kube, metrics, http and util only.
//
// This header: what a reconcile is asked (Request) and what it answers
// (Result, or an error: retried with backoff, or terminal).
#pragma once

#include <chrono>
#include <compare>
#include <optional>
#include <stdexcept>
#include <string>

namespace ecrhelm::runtime {

// Which object to look at: namespace ("" when cluster-scoped) and name.
// Level-based, as controller-runtime's reconcile.Request: no event type, the
// reconciler reads the current state itself.
struct Request {
  std::string ns;
  std::string name;
  auto operator<=>(const Request&) const = default;
  // "ns/name" (or "name" when cluster-scoped), for logs.
  std::string key() const { return ns.empty() ? name : ns + "/" + name; }
};

// A reconcile that returned: done, and when to be called again (nullopt:
// only when the object changes, or at the periodic resync). The backoff of
// earlier failures starts over.
struct Result {
  std::optional<std::chrono::milliseconds> requeue_after;
};

// Thrown by a reconcile that cannot succeed until the object (or the
// process's flags) change: logged, never retried with backoff
// (controller-runtime's reconcile.TerminalError). Any other exception is an
// error retried with the request's own exponential backoff.
class TerminalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // Called for one request at a time per request (never the same one twice at once).
  virtual Result reconcile(const Request& req) = 0;
};

}  // namespace ecrhelm::runtime
