// EcrGenerator: what ESO's ECRAuthorizationToken generator does, for an
// ExternalSecret in a namespace: credentials from the generator's auth
// (a Secret's keys, a service account's token through TokenRequest and
// AssumeRoleWithWebIdentity, or the controller's own chain), AssumeRole on
// top when `role` is set, then ECR (or ECR Public) GetAuthorizationToken —
// through the shared TokenCache, so an identity costs one ECR call.
//
// An identity is all of its credential material (key id, secret key, session
// token; or namespace, service account, its role and the audiences; or the
// controller's own chain), plus role, region, scope and registry, named by an
// HMAC under a per-process key: two callers share a token only when they hold
// the same credentials. Who may use the controller's own credentials is a
// policy (CredentialsPolicy), checked before any cache lookup.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/provider_context.h"
#include "controller/eso_types.h"
#include "controller/read_cache.h"
#include "controller/token_cache.h"
#include "kube/client.h"
#include "util/error.h"
#include "util/identity_key.h"

namespace ecrhelm::controller {

struct SecretKeyRef {
  std::string name;
  std::string key;
  std::string namespace_;  // only a ClusterGenerator may name another namespace
};

struct EcrGeneratorSpec {
  std::string region;
  std::string role;
  std::string scope;  // "public" = ECR Public
  std::optional<SecretKeyRef> access_key;
  std::optional<SecretKeyRef> secret_key;
  std::optional<SecretKeyRef> session_token;
  std::string service_account;  // auth.jwt.serviceAccountRef.name
  std::vector<std::string> audiences;
};

// `spec` of an ECRAuthorizationToken (or a ClusterGenerator's
// spec.generator.ecrAuthorizationTokenSpec). Throws naming the field.
EcrGeneratorSpec parse_ecr_generator_spec(const nlohmann::json& spec, const std::string& where);

// ESO's output keys: username, password, proxy_endpoint, expires_at (Unix seconds).
struct GeneratedData {
  std::map<std::string, Secret> data;
  TimePoint expires;
  std::string identity;  // the token cache key: an HMAC, no material in it
};

// Which namespaces may use the controller's own AWS credentials (a generator
// without `auth`, and annotation mode). ESO lets every namespace do so; that
// is the default here too, and the risk is documented.
struct CredentialsPolicy {
  std::optional<std::set<std::string>> default_credentials_namespaces;  // nullopt = every one
  bool allowed(const std::string& ns) const {
    return !default_credentials_namespaces || default_credentials_namespaces->count(ns) > 0;
  }
};

// A request the controller's policy refuses (namespace or role not allowed).
// Terminal: retrying does not help until the object or the flags change.
class PolicyRefused : public Error {
 public:
  explicit PolicyRefused(std::string message) : Error(ErrorKind::kForbidden, std::move(message)) {}
};

// What a generator is, for metrics labels: never credential material.
struct GeneratorName {
  std::string ns;
  std::string kind;  // ECRAuthorizationToken, ClusterGenerator, Secret (annotation mode)
  std::string name;
  auto operator<=>(const GeneratorName&) const = default;
};

class EcrGenerator {
 public:
  EcrGenerator(kube::KubeClient& kube, aws::ProviderContext providers,
               aws::CredentialsProvider& default_chain, TokenCache& cache,
               CredentialsPolicy policy = {});

  // The generator `ref` names, for an ExternalSecret in namespace `ns`.
  GeneratedData generate(const GeneratorRef& ref, const std::string& ns);
  // A resolved spec (annotation mode builds one from a repository URL);
  // `who` names it in metrics.
  GeneratedData generate(const EcrGeneratorSpec& spec, const std::string& ns,
                         const std::string& registry_id, const GeneratorName& who);

  uint64_t sts_calls() const { return sts_calls_; }
  // API reads of generators, credentials Secrets and ServiceAccounts sent.
  uint64_t kube_reads() const { return reads_.reads(); }
  // How long those reads are reused (kReadCacheTtl); set before first use.
  void set_read_ttl(std::chrono::milliseconds ttl) { reads_.set_ttl(ttl); }
  // The expiry of the token each generator was last served (metrics).
  std::map<GeneratorName, TimePoint> expiries() const;

 private:
  struct Resolved;  // the identity's material and what fetching its credentials needs
  Resolved resolve(const EcrGeneratorSpec& spec, const std::string& ns);
  aws::Credentials credentials(const EcrGeneratorSpec& spec, const std::string& ns,
                               const Resolved& r);

  kube::KubeClient& kube_;
  ReadCache reads_{kube_};  // generators, credentials Secrets, ServiceAccounts
  aws::ProviderContext providers_;
  aws::CredentialsProvider& default_chain_;
  TokenCache& cache_;
  CredentialsPolicy policy_;
  IdentityKeyer keyer_ = IdentityKeyer::random();
  std::atomic<uint64_t> sts_calls_{0};
  mutable std::mutex expiries_mu_;
  std::map<GeneratorName, TimePoint> expiries_;
};

}  // namespace ecrhelm::controller
