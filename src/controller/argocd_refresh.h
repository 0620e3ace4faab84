// ArgoRefresher: after the controller writes a new ECR password into an Argo
// CD repository (or repo-creds) Secret, Applications whose sources use that
// repository and that are stuck on an error get the annotation
// `argocd.argoproj.io/refresh: hard`. Argo CD's repo server caches a failed
// manifest generation ("Manifest generation error (cached)") for
// ARGOCD_PAUSE_GEN_MINUTES (60) after ARGOCD_PAUSE_GEN_AFTER_FAILED_ATTEMPTS
// (3) failures, and its cache key holds no credentials, so a fixed password
// alone does not clear it; a hard refresh does, and Argo CD's application
// controller removes the annotation once it has refreshed.
//
// Rotations are coalesced (a settle delay, one pass per batch: one list of
// repository secrets per secret namespace and one list of Applications per
// Application namespace) and each Application is refreshed at most once per
// min_interval, so a flood of rotations is never a flood of refreshes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "kube/client.h"
#include "kube/resource.h"
#include "util/time.h"

namespace ecrhelm::controller {

enum class RefreshMode {
  kNone,     // never annotate
  kErrored,  // Applications with a ComparisonError or a cached generation error
  kAll,      // every Application that uses the rotated repository
};
// "none", "errored", "all"; nullopt for anything else.
std::optional<RefreshMode> parse_refresh_mode(std::string_view s);
const char* to_string(RefreshMode m);

struct ArgoRefreshOptions {
  RefreshMode mode = RefreshMode::kErrored;
  // Where Applications live. Empty: the rotated secret's own namespace (Argo
  // CD's, where repository secrets must be).
  std::vector<std::string> app_namespaces;
  std::chrono::seconds min_interval{300};  // per Application
  std::chrono::milliseconds settle{2000};  // gather rotations before a pass
};

struct ArgoRefreshStats {
  uint64_t passes = 0;
  uint64_t refreshed = 0;     // annotations written
  uint64_t rate_limited = 0;  // skipped: refreshed less than min_interval ago
  uint64_t failed = 0;        // list or patch errors
};

class ArgoRefresher {
 public:
  ArgoRefresher(kube::KubeClient& kube, ArgoRefreshOptions opts,
                const Clock& clock = SystemClock::instance());
  ~ArgoRefresher();
  ArgoRefresher(const ArgoRefresher&) = delete;
  ArgoRefresher& operator=(const ArgoRefresher&) = delete;

  // The Secret ns/name just received a new password. Thread-safe, cheap:
  // only records it for the next pass.
  void rotated(const std::string& ns, const std::string& name);
  // A background thread runs a pass `settle` after the first pending rotation.
  void start();
  void stop();
  // One pass over what is pending, on the caller's thread (tests, and the
  // background thread). Returns how many Applications it annotated.
  size_t run_pending();
  ArgoRefreshStats stats() const;
  const ArgoRefreshOptions& options() const { return opts_; }

 private:
  void loop();
  void refresh_for(const std::string& ns, const std::set<std::string>& names, size_t& annotated);

  kube::KubeClient& kube_;
  ArgoRefreshOptions opts_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::set<std::string>> pending_;  // secret namespace -> names
  std::map<std::string, TimePoint> last_refresh_;         // "ns/name/uid" -> when
  std::set<std::string> warned_;                          // namespaces warned about once
  ArgoRefreshStats stats_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace ecrhelm::controller
