// EcrGenerator: what ESO's ECRAuthorizationToken generator does, for an
// ExternalSecret in a namespace: credentials from the generator's auth
// (a Secret's keys, a service account's token through TokenRequest and
// AssumeRoleWithWebIdentity, or the controller's own chain), AssumeRole on
// top when `role` is set, then ECR (or ECR Public) GetAuthorizationToken —
// through the shared TokenCache, so an identity costs one ECR call.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials.h"
#include "aws/provider_context.h"
#include "controller/eso_types.h"
#include "controller/token_cache.h"
#include "kube/client.h"

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
  std::string identity;  // the token cache key (no secret in it)
};

class EcrGenerator {
 public:
  EcrGenerator(kube::KubeClient& kube, aws::ProviderContext providers,
               aws::CredentialsProvider& default_chain, TokenCache& cache);

  // The generator `ref` names, for an ExternalSecret in namespace `ns`.
  GeneratedData generate(const GeneratorRef& ref, const std::string& ns);
  // A resolved spec (annotation mode builds one from a repository URL).
  GeneratedData generate(const EcrGeneratorSpec& spec, const std::string& ns,
                         const std::string& registry_id = "");

  uint64_t sts_calls() const { return sts_calls_; }

 private:
  // Credentials for the spec and a stable name of who they are.
  aws::Credentials credentials(const EcrGeneratorSpec& spec, const std::string& ns,
                               std::string* identity);
  std::string identity_of(const EcrGeneratorSpec& spec, const std::string& ns);
  Secret secret_value(const SecretKeyRef& ref, const std::string& ns, const char* field);

  kube::KubeClient& kube_;
  aws::ProviderContext providers_;
  aws::CredentialsProvider& default_chain_;
  TokenCache& cache_;
  std::atomic<uint64_t> sts_calls_{0};
};

}  // namespace ecrhelm::controller
