// RepoSecretReconciler: the annotation mode, no CRD needed. An Argo CD
// `repository` / `repo-creds` Secret labelled ecrhelm.io/managed=true gets
// `username`/`password` kept fresh: the ECR registry (account, region) comes
// from its `url`, overridable by annotations; a role is optional. Every other
// key is left alone (server-side apply owns only those two fields).
//
// It always uses the controller's own AWS credentials, so it obeys the
// generator's CredentialsPolicy; a role ARN from an annotation is assumed only
// when RolePolicy allows it (by default none is): otherwise anyone who may
// label a Secret could borrow any role the controller can assume.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "controller/ecr_generator.h"
#include "kube/client.h"
#include "kube/objects.h"
#include "util/env.h"

namespace ecrhelm::controller {

inline constexpr const char* kManagedLabel = "ecrhelm.io/managed";
inline constexpr const char* kRegionAnnotation = "ecrhelm.io/region";
inline constexpr const char* kRoleAnnotation = "ecrhelm.io/role-arn";
inline constexpr const char* kRegistryIdAnnotation = "ecrhelm.io/registry-id";
inline constexpr const char* kFieldManager = "ecrhelm";

// Which role ARNs from the ecrhelm.io/role-arn annotation may be assumed.
struct RolePolicy {
  bool allow_any = false;             // --allow-role-arn-annotations
  std::vector<std::string> patterns;  // --allowed-role-arns, shell globs ('*', '?', [...])
  bool allowed(const std::string& role_arn) const;
};

// A sync that did its work (a failed one throws: see reconcile()).
struct RepoReconcileResult {
  std::optional<std::chrono::milliseconds> requeue_after;
  bool wrote_secret = false;
};

class RepoSecretReconciler {
 public:
  RepoSecretReconciler(kube::KubeClient& kube, EcrGenerator& generator, const Env& env,
                       const Clock& clock = SystemClock::instance(), RolePolicy roles = {});
  // `secret` as the cache decoded it. A failed sync has recorded an Event,
  // then throws: runtime::TerminalError for a role the policy refuses, else
  // an error to retry with backoff.
  RepoReconcileResult reconcile(const kube::SecretObject& secret);

 private:
  kube::KubeClient& kube_;
  EcrGenerator& generator_;
  const Env& env_;
  const Clock& clock_;
  RolePolicy roles_;
};

}  // namespace ecrhelm::controller
