// RepoSecretReconciler: the annotation mode, no CRD needed. An Argo CD
// `repository` / `repo-creds` Secret labelled ecrhelm.io/managed=true gets
// `username`/`password` kept fresh: the ECR registry (account, region) comes
// from its `url`, overridable by annotations; a role is optional. Every other
// key is left alone (server-side apply owns only those two fields).
#pragma once

#include <chrono>
#include <optional>

#include "controller/ecr_generator.h"
#include "kube/client.h"
#include "util/env.h"

namespace ecrhelm::controller {

inline constexpr const char* kManagedLabel = "ecrhelm.io/managed";
inline constexpr const char* kRegionAnnotation = "ecrhelm.io/region";
inline constexpr const char* kRoleAnnotation = "ecrhelm.io/role-arn";
inline constexpr const char* kRegistryIdAnnotation = "ecrhelm.io/registry-id";
inline constexpr const char* kFieldManager = "ecrhelm";

struct RepoReconcileResult {
  std::optional<std::chrono::milliseconds> requeue_after;
  bool error = false;
  bool wrote_secret = false;
};

class RepoSecretReconciler {
 public:
  RepoSecretReconciler(kube::KubeClient& kube, EcrGenerator& generator, const Env& env,
                       const Clock& clock = SystemClock::instance());
  RepoReconcileResult reconcile(const nlohmann::json& secret);

 private:
  kube::KubeClient& kube_;
  EcrGenerator& generator_;
  const Env& env_;
  const Clock& clock_;
};

}  // namespace ecrhelm::controller
