#include "controller/ecr_generator.h"

#include <spdlog/spdlog.h>

#include "aws/ecr.h"
#include "aws/sts.h"
#include "kube/objects.h"
#include "util/error.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;

inline constexpr int64_t kServiceAccountTokenSeconds = 600;
inline constexpr const char* kRoleArnAnnotation = "eks.amazonaws.com/role-arn";
inline constexpr const char* kAudienceAnnotation = "eks.amazonaws.com/audience";
inline constexpr const char* kDefaultAudience = "sts.amazonaws.com";

std::optional<SecretKeyRef> key_ref(const json& parent, const char* field,
                                    const std::string& where) {
  auto it = parent.find(field);
  if (it == parent.end() || it->is_null()) return std::nullopt;
  if (!it->is_object())
    fail(ErrorKind::kInvalidInput, "{}.{} must be an object with name and key", where, field);
  SecretKeyRef r{it->value("name", ""), it->value("key", ""), it->value("namespace", "")};
  if (r.name.empty() || r.key.empty()) {
    fail(ErrorKind::kInvalidInput, "{}.{} needs both name and key", where, field);
  }
  return r;
}

}  // namespace

EcrGeneratorSpec parse_ecr_generator_spec(const json& spec, const std::string& where) {
  if (!spec.is_object()) fail(ErrorKind::kInvalidInput, "{} has no spec", where);
  EcrGeneratorSpec out;
  out.region = spec.value("region", "");
  out.role = spec.value("role", "");
  out.scope = spec.value("scope", "");
  if (out.region.empty())
    fail(ErrorKind::kInvalidInput, "{}: spec.region is required (the ECR registry's region)",
         where);
  if (!out.scope.empty() && out.scope != "public") {
    fail(ErrorKind::kInvalidInput, "{}: spec.scope '{}' must be empty or public", where, out.scope);
  }
  auto auth = spec.find("auth");
  if (auth != spec.end() && auth->is_object()) {
    if (auto sr = auth->find("secretRef"); sr != auth->end() && sr->is_object()) {
      std::string w = where + ": spec.auth.secretRef";
      out.access_key = key_ref(*sr, "accessKeyIDSecretRef", w);
      out.secret_key = key_ref(*sr, "secretAccessKeySecretRef", w);
      out.session_token = key_ref(*sr, "sessionTokenSecretRef", w);
      if (!out.access_key || !out.secret_key) {
        fail(ErrorKind::kInvalidInput, "{} needs accessKeyIDSecretRef and secretAccessKeySecretRef",
             w);
      }
    }
    if (auto jwt = auth->find("jwt"); jwt != auth->end() && jwt->is_object()) {
      auto sa = jwt->find("serviceAccountRef");
      if (sa == jwt->end() || !sa->is_object() || sa->value("name", "").empty()) {
        fail(ErrorKind::kInvalidInput, "{}: spec.auth.jwt.serviceAccountRef.name is required",
             where);
      }
      out.service_account = (*sa)["name"].get<std::string>();
      if (auto aud = sa->find("audiences"); aud != sa->end() && aud->is_array()) {
        for (const auto& a : *aud) {
          if (a.is_string()) out.audiences.push_back(a.get<std::string>());
        }
      }
    }
  }
  return out;
}

EcrGenerator::EcrGenerator(kube::KubeClient& kube, aws::ProviderContext providers,
                           aws::CredentialsProvider& default_chain, TokenCache& cache)
    : kube_(kube), providers_(std::move(providers)), default_chain_(default_chain), cache_(cache) {}

Secret EcrGenerator::secret_value(const SecretKeyRef& ref, const std::string& ns,
                                  const char* field) {
  std::string where_ns = ref.namespace_.empty() ? ns : ref.namespace_;
  json secret;
  try {
    secret = kube_.get(kube::resources::kSecrets, where_ns, ref.name);
  } catch (const kube::ApiError& e) {
    fail(e.kind(), "spec.auth.secretRef.{}: cannot read secret {}/{}: {}", field, where_ns,
         ref.name, e.what());
  }
  auto data = kube::secret_data(secret);
  auto it = data.find(ref.key);
  if (it == data.end()) {
    fail(ErrorKind::kNotFound, "spec.auth.secretRef.{}: secret {}/{} has no key {}", field,
         where_ns, ref.name, ref.key);
  }
  return it->second;
}

std::string EcrGenerator::identity_of(const EcrGeneratorSpec& spec, const std::string& ns) {
  std::string id;
  if (spec.access_key) {
    // The access key id names the identity (it is not a secret).
    id = "keys:" + secret_value(*spec.access_key, ns, "accessKeyIDSecretRef").reveal();
  } else if (!spec.service_account.empty()) {
    id = "serviceaccount:" + ns + "/" + spec.service_account;
  } else {
    id = "controller";
  }
  if (!spec.role.empty()) id += "+role:" + spec.role;
  return id;
}

aws::Credentials EcrGenerator::credentials(const EcrGeneratorSpec& spec, const std::string& ns,
                                           std::string* identity) {
  aws::Credentials base;
  if (spec.access_key) {
    base.access_key_id = secret_value(*spec.access_key, ns, "accessKeyIDSecretRef").reveal();
    base.secret_access_key = secret_value(*spec.secret_key, ns, "secretAccessKeySecretRef");
    if (spec.session_token)
      base.session_token = secret_value(*spec.session_token, ns, "sessionTokenSecretRef");
    base.source = "secret";
  } else if (!spec.service_account.empty()) {
    json sa = kube_.get(kube::resources::kServiceAccounts, ns, spec.service_account);
    auto annotations = kube::meta_map(sa, "annotations");
    std::string role = annotations[kRoleArnAnnotation];
    if (role.empty()) {
      fail(ErrorKind::kInvalidInput,
           "serviceaccount {}/{} has no {} annotation; annotate it with the IAM role to assume "
           "(IRSA)",
           ns, spec.service_account, kRoleArnAnnotation);
    }
    std::vector<std::string> audiences = spec.audiences;
    if (audiences.empty()) {
      std::string a = annotations[kAudienceAnnotation];
      audiences.push_back(a.empty() ? kDefaultAudience : a);
    }
    kube::ServiceAccountToken t = kube::request_service_account_token(
        kube_, ns, spec.service_account, audiences, kServiceAccountTokenSeconds);
    aws::WebIdentityParams p{role, "ecrhelm-" + ns + "-" + spec.service_account, t.token,
                             std::nullopt};
    if (p.session_name.size() > 64) p.session_name.resize(64);
    ++sts_calls_;
    base = providers_.sts(spec.region)->assume_role_with_web_identity(p);
  } else {
    base = aws::require(default_chain_);
  }
  if (!spec.role.empty()) {
    aws::AssumeRoleParams p{spec.role, "ecrhelm-generator", "", std::nullopt};
    ++sts_calls_;
    base = providers_.sts(spec.region)->assume_role(base, p);
  }
  (void)identity;
  return base;
}

GeneratedData EcrGenerator::generate(const EcrGeneratorSpec& spec, const std::string& ns,
                                     const std::string& registry_id) {
  std::string identity = identity_of(spec, ns);
  std::string key = identity + "|" + spec.region + "|" +
                    (spec.scope.empty() ? "private" : spec.scope) + "|" + registry_id;
  auto cached = cache_.get(key, [&] {
    aws::Credentials creds = credentials(spec, ns, nullptr);
    if (spec.scope == "public") {
      aws::EcrPublicClient ecr(providers_.service);
      return ecr.get_authorization_token(creds, registry_id);
    }
    aws::EcrClient ecr(providers_.service, spec.region);
    return ecr.get_authorization_token(creds, registry_id);
  });
  GeneratedData out;
  out.identity = key;
  out.expires = cached->token.expires_at;
  out.data["username"] = Secret(cached->token.username);
  out.data["password"] = cached->token.password;
  out.data["proxy_endpoint"] = Secret(cached->token.proxy_endpoint);
  out.data["expires_at"] = Secret(std::to_string(to_unix_seconds(cached->token.expires_at)));
  return out;
}

GeneratedData EcrGenerator::generate(const GeneratorRef& ref, const std::string& ns) {
  if (ref.kind == "ECRAuthorizationToken") {
    json gen;
    try {
      gen = kube_.get(eso::kEcrAuthorizationTokens, ns, ref.name);
    } catch (const kube::ApiError& e) {
      if (e.status() == 404) {
        fail(ErrorKind::kNotFound,
             "ECRAuthorizationToken {}/{} does not exist; apply the generator first", ns, ref.name);
      }
      throw;
    }
    return generate(parse_ecr_generator_spec(gen.value("spec", json()),
                                             "ECRAuthorizationToken " + ns + "/" + ref.name),
                    ns);
  }
  json cg;
  try {
    cg = kube_.get(eso::kClusterGenerators, "", ref.name);
  } catch (const kube::ApiError& e) {
    if (e.status() == 404)
      fail(ErrorKind::kNotFound, "ClusterGenerator {} does not exist", ref.name);
    throw;
  }
  const json spec = cg.value("spec", json::object());
  std::string where = "ClusterGenerator " + ref.name;
  if (spec.value("kind", "") != "ECRAuthorizationToken") {
    fail(ErrorKind::kUnsupported,
         "{}: spec.kind '{}' is not served by ecrhelm; use ECRAuthorizationToken", where,
         spec.value("kind", ""));
  }
  const json gen =
      spec.value("generator", json::object()).value("ecrAuthorizationTokenSpec", json());
  return generate(parse_ecr_generator_spec(gen, where), ns);
}

}  // namespace ecrhelm::controller
