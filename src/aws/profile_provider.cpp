// Resolves a named profile of the shared files into credentials in botocore's order: role_arn
// (source_profile chains or credential_source), web identity, SSO (refused), static keys from the
// credentials file, credential_process, static keys from the config file.
#include "aws/profile_provider.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "aws/container_provider.h"
#include "aws/endpoints.h"
#include "aws/env_provider.h"
#include "aws/imds_provider.h"
#include "aws/process_provider.h"
#include "aws/profile_file.h"
#include "aws/web_identity_provider.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

// STS AssumeRole's DurationSeconds limits.
inline constexpr int kMinRoleDurationSeconds = 900;
inline constexpr int kMaxRoleDurationSeconds = 43200;

constexpr const char* kCredentialSources = "Environment, Ec2InstanceMetadata, EcsContainer";

// "~/.aws/config line 7", for messages.
std::string where(const ProfileValue& v) { return v.file + " line " + std::to_string(v.line); }

std::optional<std::string> value_of(const Profile& p, std::string_view key) {
  const ProfileValue* v = p.get(key);
  if (!v) return std::nullopt;
  std::string s(trim(v->value));
  if (s.empty()) return std::nullopt;
  return s;
}

bool has(const Profile& p, std::string_view key) { return value_of(p, key).has_value(); }

bool has_static_keys(const Profile& p) {
  return has(p, "aws_access_key_id") || has(p, "aws_secret_access_key");
}

// botocore's _has_assume_role_config_vars: role_arn without web_identity_token_file.
bool has_assume_role(const Profile& p) {
  return has(p, "role_arn") && !has(p, "web_identity_token_file");
}

bool is_sso(const Profile& p) {
  return has(p, "sso_start_url") || has(p, "sso_session") || has(p, "sso_account_id") ||
         has(p, "sso_role_name");
}

// Static keys from `in_credentials_file` (true: the credentials file, false: the config file),
// or nullopt when that file sets neither key.
std::optional<Credentials> static_keys(const Profile& p, bool in_credentials_file) {
  const ProfileValue* id = p.get("aws_access_key_id");
  const ProfileValue* secret = p.get("aws_secret_access_key");
  bool id_set = id && !trim(id->value).empty();
  bool secret_set = secret && !trim(secret->value).empty();
  if (!id_set && !secret_set) return std::nullopt;
  const ProfileValue* first = id_set ? id : secret;
  if (first->from_credentials_file != in_credentials_file) return std::nullopt;
  if (!id_set || !secret_set) {
    fail(ErrorKind::kInvalidInput,
         "profile {} sets {} ({}) but not {}; set both aws_access_key_id and "
         "aws_secret_access_key, or neither",
         p.name, id_set ? "aws_access_key_id" : "aws_secret_access_key", where(*first),
         id_set ? "aws_secret_access_key" : "aws_access_key_id");
  }
  Credentials c;
  c.access_key_id = std::string(trim(id->value));
  c.secret_access_key = Secret(std::string(trim(secret->value)));
  if (auto tok = value_of(p, "aws_session_token")) {
    c.session_token = Secret(*tok);
  } else if (auto legacy = value_of(p, "aws_security_token")) {
    c.session_token = Secret(*legacy);
  }
  c.account_id = value_of(p, "aws_account_id").value_or("");
  c.source = "profile " + p.name + " (static keys in " + id->file + ")";
  return c;
}

// One load(): the files read once, and the profiles visited while following source_profile.
class Resolver {
 public:
  Resolver(ProviderContext& ctx, ProfileSet set, const Profile& top)
      : ctx_(ctx), set_(std::move(set)), top_(top) {}

  std::optional<Credentials> resolve_top() {
    visited_.push_back(top_.name);
    if (has_assume_role(top_)) return assume_role(top_);
    return without_role(top_);
  }

 private:
  // Everything after role_arn, in botocore's order; nullopt when the profile holds no
  // credential settings.
  std::optional<Credentials> without_role(const Profile& p) {
    if (has(p, "web_identity_token_file")) return web_identity(p);
    if (is_sso(p)) {
      fail(ErrorKind::kUnsupported,
           "profile {}: SSO profiles are not supported yet; run `aws sso login --profile {}` and "
           "add a second profile with credential_process = aws configure export-credentials "
           "--profile {} --format process (AWS CLI v2), then use that one; or use IRSA",
           p.name, p.name, p.name);
    }
    if (auto c = static_keys(p, true)) return c;
    if (auto cmd = value_of(p, "credential_process")) return ProcessProvider(*cmd, p.name).load();
    if (auto c = static_keys(p, false)) return c;
    return std::nullopt;
  }

  Credentials web_identity(const Profile& p) {
    auto role = value_of(p, "role_arn");
    if (!role) {
      fail(ErrorKind::kInvalidInput,
           "profile {} sets web_identity_token_file but no role_arn; add role_arn = "
           "arn:aws:iam::ACCOUNT:role/NAME",
           p.name);
    }
    WebIdentityConfig cfg;
    cfg.role_arn = *role;
    cfg.token_file = *value_of(p, "web_identity_token_file");
    cfg.session_name = value_of(p, "role_session_name").value_or("");
    cfg.region = value_of(p, "region").value_or("");
    cfg.origin = "profile " + p.name;
    auto c = WebIdentityProvider(ctx_, cfg).load();
    if (!c) fail(ErrorKind::kInternal, "web identity for profile {} returned nothing", p.name);
    return *c;
  }

  AssumeRoleParams role_params(const Profile& p) {
    if (const ProfileValue* mfa = p.get("mfa_serial")) {
      fail(ErrorKind::kUnsupported,
           "profile {} sets mfa_serial ({}): MFA prompts are not supported; use a role without "
           "an MFA condition, or credential_process with a tool that handles MFA",
           p.name, where(*mfa));
    }
    AssumeRoleParams params;
    params.role_arn = *value_of(p, "role_arn");
    params.session_name =
        value_of(p, "role_session_name")
            .value_or("ecrhelm-" + std::to_string(to_unix_seconds(ctx_.service.clock->now())));
    params.external_id = value_of(p, "external_id").value_or("");
    if (const ProfileValue* d = p.get("duration_seconds")) {
      std::string_view text = trim(d->value);
      int seconds = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (ec != std::errc() || end != text.data() + text.size() ||
          seconds < kMinRoleDurationSeconds || seconds > kMaxRoleDurationSeconds) {
        fail(ErrorKind::kInvalidInput,
             "profile {}: duration_seconds = {} ({}) must be a whole number of seconds from {} to "
             "{}",
             p.name, text, where(*d), kMinRoleDurationSeconds, kMaxRoleDurationSeconds);
      }
      params.duration_seconds = seconds;
    }
    return params;
  }

  // The STS region: the role profile's, else the selected profile's, else the environment's,
  // else "" (global endpoint).
  std::string sts_region(const Profile& p) const {
    if (auto r = value_of(p, "region")) return *r;
    if (auto r = value_of(top_, "region")) return *r;
    return region_from_env(*ctx_.service.env).value_or("");
  }

  Credentials assume_role(const Profile& p) {
    auto source_profile = value_of(p, "source_profile");
    auto credential_source = value_of(p, "credential_source");
    if (source_profile && credential_source) {
      fail(ErrorKind::kInvalidInput,
           "profile {} sets both source_profile and credential_source; keep exactly one", p.name);
    }
    if (!source_profile && !credential_source) {
      fail(ErrorKind::kInvalidInput,
           "profile {} sets role_arn but neither source_profile nor credential_source; add "
           "source_profile = PROFILE (a profile with credentials) or credential_source = one of {}",
           p.name, kCredentialSources);
    }
    AssumeRoleParams params = role_params(p);

    Credentials source;
    std::string via;
    if (credential_source) {
      source = from_credential_source(p, *credential_source);
      via = "credential_source " + *credential_source;
    } else {
      source = from_source_profile(p, *source_profile);
      via = "profile " + *source_profile;
    }

    std::string region = sts_region(p);
    spdlog::debug("profile {}: AssumeRole {} with credentials from {} (STS region '{}')", p.name,
                  params.role_arn, via, region);
    auto sts = ctx_.sts(region);
    Credentials c = sts->assume_role(source, params);
    c.source = "profile " + p.name + " (assume role " + params.role_arn + " via " + via + ")";
    return c;
  }

  Credentials from_credential_source(const Profile& p, const std::string& name) {
    std::optional<Credentials> c;
    if (name == "Environment") {
      c = EnvProvider(*ctx_.service.env).load();
    } else if (name == "Ec2InstanceMetadata") {
      c = ImdsProvider(ctx_).load();
    } else if (name == "EcsContainer") {
      c = ContainerProvider(ctx_).load();
    } else {
      fail(ErrorKind::kInvalidInput,
           "profile {}: credential_source = {} is not supported; use one of {}", p.name, name,
           kCredentialSources);
    }
    if (!c) {
      fail(ErrorKind::kNotFound, "profile {}: credential_source = {} found no credentials; {}",
           p.name, name,
           name == "Environment"
               ? "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
               : (name == "EcsContainer"
                      ? "set AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI (ECS, EKS Pod "
                        "Identity)"
                      : "run on EC2 with an instance profile and IMDS enabled"));
    }
    return *c;
  }

  std::string cycle_text(const std::string& back_to) const {
    std::string out;
    for (const auto& v : visited_) out += v + " -> ";
    return out + back_to;
  }

  Credentials from_source_profile(const Profile& parent, const std::string& name) {
    const Profile* src = set_.find(name);
    if (!src) {
      fail(ErrorKind::kNotFound,
           "profile {}: source_profile {} does not exist in {}; check the name", parent.name, name,
           set_.files_description());
    }
    if (std::find(visited_.begin(), visited_.end(), name) != visited_.end()) {
      // A profile may name itself to use its own static keys for its role (botocore allows it).
      if (name == parent.name && has_static_keys(*src)) {
        auto c = static_keys(*src, true);
        if (!c) c = static_keys(*src, false);
        return *c;
      }
      fail(ErrorKind::kInvalidInput,
           "source_profile settings form a cycle: {}; end the chain with a profile that has "
           "static keys, credential_process or credential_source",
           cycle_text(name));
    }
    visited_.push_back(name);
    // botocore: a source profile with static keys (or without a role) gives its own credentials;
    // only a role-only profile is assumed in turn.
    if (has_static_keys(*src) || !has_assume_role(*src)) {
      auto c = without_role(*src);
      if (!c) {
        fail(ErrorKind::kInvalidInput,
             "profile {}: source_profile {} has no credentials; give it aws_access_key_id and "
             "aws_secret_access_key, credential_process, or its own role_arn",
             parent.name, name);
      }
      return *c;
    }
    return assume_role(*src);
  }

  ProviderContext& ctx_;
  ProfileSet set_;
  const Profile& top_;
  std::vector<std::string> visited_;
};

}  // namespace

ProfileProvider::ProfileProvider(ProviderContext ctx, std::string profile)
    : ctx_(std::move(ctx)), profile_(std::move(profile)) {}

std::string ProfileProvider::name() const {
  return profile_.empty() ? std::string("profile") : "profile " + profile_;
}

std::optional<Credentials> ProfileProvider::load() {
  const Env& env = *ctx_.service.env;
  std::string name = profile_.empty() ? selected_profile_name(env) : profile_;
  ProfileSet set = ProfileSet::load(env);
  const Profile* top = set.find(name);
  if (!top) {
    const char* origin = nullptr;
    if (!profile_.empty()) {
      origin = "as requested";
    } else if (env.get_nonempty("AWS_PROFILE")) {
      origin = "from AWS_PROFILE";
    } else if (env.get_nonempty("AWS_DEFAULT_PROFILE")) {
      origin = "from AWS_DEFAULT_PROFILE";
    }
    if (!origin) return std::nullopt;  // no [default] profile: the chain moves on
    fail(ErrorKind::kNotFound,
         "profile {} ({}) not found in {}; check the name, or AWS_CONFIG_FILE / "
         "AWS_SHARED_CREDENTIALS_FILE",
         name, origin, set.files_description());
  }
  // `top` points into the set the resolver owns: look it up again there.
  Profile top_copy = *top;
  Resolver r(ctx_, std::move(set), top_copy);
  return r.resolve_top();
}

}  // namespace ecrhelm::aws
