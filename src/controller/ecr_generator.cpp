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

struct EcrGenerator::Resolved {
  enum class Kind { kKeys, kServiceAccount, kController };
  Kind kind = Kind::kController;
  IdentityMaterial material;
  std::string described;  // "secret NS/NAME", "serviceaccount NS/NAME", "the controller's own"
  aws::Credentials keys;  // kKeys
  std::string sa_role;    // kServiceAccount
  std::vector<std::string> audiences;
};

EcrGenerator::EcrGenerator(kube::KubeClient& kube, aws::ProviderContext providers,
                           aws::CredentialsProvider& default_chain, TokenCache& cache,
                           CredentialsPolicy policy)
    : kube_(kube),
      providers_(std::move(providers)),
      default_chain_(default_chain),
      cache_(cache),
      policy_(std::move(policy)) {}

EcrGenerator::Resolved EcrGenerator::resolve(const EcrGeneratorSpec& spec, const std::string& ns) {
  Resolved r;
  if (spec.access_key) {
    r.kind = Resolved::Kind::kKeys;
    // Each named Secret is read once, however many of its keys are used.
    std::map<std::string, std::map<std::string, Secret>> secrets;
    auto value = [&](const SecretKeyRef& ref, const char* field) -> Secret {
      std::string where_ns = ref.namespace_.empty() ? ns : ref.namespace_;
      std::string id = where_ns + "/" + ref.name;
      auto it = secrets.find(id);
      if (it == secrets.end()) {
        json secret;
        try {
          secret = reads_.get(kube::resources::kSecrets, where_ns, ref.name);
        } catch (const kube::ApiError& e) {
          fail(e.kind(), "spec.auth.secretRef.{}: cannot read secret {}: {}", field, id, e.what());
        }
        it = secrets.emplace(id, kube::secret_data(secret)).first;
      }
      auto v = it->second.find(ref.key);
      if (v == it->second.end()) {
        fail(ErrorKind::kNotFound, "spec.auth.secretRef.{}: secret {} has no key {}", field, id,
             ref.key);
      }
      return v->second;
    };
    r.keys.access_key_id = value(*spec.access_key, "accessKeyIDSecretRef").reveal();
    r.keys.secret_access_key = value(*spec.secret_key, "secretAccessKeySecretRef");
    if (spec.session_token)
      r.keys.session_token = value(*spec.session_token, "sessionTokenSecretRef");
    r.keys.source = "secret";
    const SecretKeyRef& ref = *spec.access_key;
    r.described = "secret " + (ref.namespace_.empty() ? ns : ref.namespace_) + "/" + ref.name;
    r.material.add("auth", "keys")
        .add("access-key-id", r.keys.access_key_id)
        .add("secret-access-key", r.keys.secret_access_key)
        .add("session-token", r.keys.session_token);
  } else if (!spec.service_account.empty()) {
    r.kind = Resolved::Kind::kServiceAccount;
    json sa = reads_.get(kube::resources::kServiceAccounts, ns, spec.service_account);
    auto annotations = kube::meta_map(sa, "annotations");
    r.sa_role = annotations[kRoleArnAnnotation];
    if (r.sa_role.empty()) {
      fail(ErrorKind::kInvalidInput,
           "serviceaccount {}/{} has no {} annotation; annotate it with the IAM role to assume "
           "(IRSA)",
           ns, spec.service_account, kRoleArnAnnotation);
    }
    r.audiences = spec.audiences;
    if (r.audiences.empty()) {
      std::string a = annotations[kAudienceAnnotation];
      r.audiences.push_back(a.empty() ? kDefaultAudience : a);
    }
    r.described = "serviceaccount " + ns + "/" + spec.service_account;
    r.material.add("auth", "serviceaccount")
        .add("namespace", ns)
        .add("serviceaccount", spec.service_account)
        .add("serviceaccount-role", r.sa_role);
    for (const auto& a : r.audiences) r.material.add("audience", a);
  } else {
    if (!policy_.allowed(ns)) {
      throw PolicyRefused(fmt::format(
          "namespace {} may not use the controller's own AWS credentials; give the generator "
          "spec.auth (secretRef or jwt), or add the namespace to "
          "--default-credentials-namespaces",
          ns));
    }
    r.described = "the controller's own";
    r.material.add("auth", "controller");
  }
  r.material.add("role", spec.role)
      .add("region", spec.region)
      .add("scope", spec.scope.empty() ? "private" : spec.scope);
  return r;
}

aws::Credentials EcrGenerator::credentials(const EcrGeneratorSpec& spec, const std::string& ns,
                                           const Resolved& r) {
  aws::Credentials base;
  switch (r.kind) {
    case Resolved::Kind::kKeys:
      base = r.keys;
      break;
    case Resolved::Kind::kServiceAccount: {
      kube::ServiceAccountToken t = kube::request_service_account_token(
          kube_, ns, spec.service_account, r.audiences, kServiceAccountTokenSeconds);
      aws::WebIdentityParams p{r.sa_role, "ecrhelm-" + ns + "-" + spec.service_account, t.token,
                               std::nullopt};
      if (p.session_name.size() > 64) p.session_name.resize(64);
      ++sts_calls_;
      base = providers_.sts(spec.region)->assume_role_with_web_identity(p);
      break;
    }
    case Resolved::Kind::kController:
      base = aws::require(default_chain_);
      break;
  }
  if (!spec.role.empty()) {
    aws::AssumeRoleParams p{spec.role, "ecrhelm-generator", "", std::nullopt};
    ++sts_calls_;
    base = providers_.sts(spec.region)->assume_role(base, p);
  }
  return base;
}

GeneratedData EcrGenerator::generate(const EcrGeneratorSpec& spec, const std::string& ns,
                                     const std::string& registry_id, const GeneratorName& who) {
  Resolved r = resolve(spec, ns);
  r.material.add("registry-id", registry_id);
  std::string key = keyer_.name(r.material);
  auto cached = cache_.get(key, [&] {
    try {
      aws::Credentials creds = credentials(spec, ns, r);
      if (spec.scope == "public") {
        aws::EcrPublicClient ecr(providers_.service);
        return ecr.get_authorization_token(creds, registry_id);
      }
      aws::EcrClient ecr(providers_.service, spec.region);
      return ecr.get_authorization_token(creds, registry_id);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kUnauthorized && e.kind() != ErrorKind::kForbidden) throw;
      throw Error(e.kind(), fmt::format("{} credentials were rejected: {}", r.described, e.what()));
    }
  });
  GeneratedData out;
  out.identity = key;
  out.expires = cached->token.expires_at;
  out.data["username"] = Secret(cached->token.username);
  out.data["password"] = cached->token.password;
  out.data["proxy_endpoint"] = Secret(cached->token.proxy_endpoint);
  out.data["expires_at"] = Secret(std::to_string(to_unix_seconds(cached->token.expires_at)));
  {
    std::lock_guard lock(expiries_mu_);
    expiries_[who] = out.expires;
  }
  return out;
}

std::map<GeneratorName, TimePoint> EcrGenerator::expiries() const {
  std::lock_guard lock(expiries_mu_);
  return expiries_;
}

GeneratedData EcrGenerator::generate(const GeneratorRef& ref, const std::string& ns) {
  if (ref.kind == "ECRAuthorizationToken") {
    json gen;
    try {
      gen = reads_.get(eso::kEcrAuthorizationTokens, ns, ref.name);
    } catch (const kube::ApiError& e) {
      if (e.status() == 404) {
        fail(ErrorKind::kNotFound,
             "ECRAuthorizationToken {}/{} does not exist; apply the generator first", ns, ref.name);
      }
      throw;
    }
    return generate(parse_ecr_generator_spec(gen.value("spec", json()),
                                             "ECRAuthorizationToken " + ns + "/" + ref.name),
                    ns, "", {ns, ref.kind, ref.name});
  }
  json cg;
  try {
    cg = reads_.get(eso::kClusterGenerators, "", ref.name);
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
  return generate(parse_ecr_generator_spec(gen, where), ns, "", {ns, ref.kind, ref.name});
}

}  // namespace ecrhelm::controller
