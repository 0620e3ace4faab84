#include "aws/token_cache.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <optional>

#include "aws/profile_file.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::aws {
namespace {

constexpr size_t kMaxCacheBytes = 1 << 20;
constexpr size_t kMaxMaterialFileBytes = 1 << 20;

nlohmann::json read_cache(const std::string& path) {
  if (!file_exists(path)) return nlohmann::json::object();
  try {
    auto j = nlohmann::json::parse(read_file(path, "token cache", kMaxCacheBytes), nullptr, false);
    if (j.is_object()) return j;
  } catch (const Error& e) {
    spdlog::debug("token cache {} unreadable: {}", path, e.what());
  }
  spdlog::debug("token cache {} is corrupt; starting empty", path);
  return nlohmann::json::object();
}

std::string key_path_for(const std::string& path) {
  const std::string json = ".json";
  if (path.size() > json.size() && path.compare(path.size() - json.size(), json.size(), json) == 0)
    return path.substr(0, path.size() - json.size()) + ".key";
  return path + ".key";
}

// A file's contents as material ("" when absent or unreadable: then the
// chain cannot use it either).
void add_file(IdentityMaterial& m, std::string_view field, const std::string& path) {
  std::string content;
  if (!path.empty() && file_exists(path)) {
    try {
      content = read_file(path, std::string(field), kMaxMaterialFileBytes);
    } catch (const Error&) {
      content = "<unreadable>";
    }
  }
  m.add(field, Secret(std::move(content)));
}

}  // namespace

TokenFileCache::TokenFileCache(std::string path)
    : path_(std::move(path)), key_path_(key_path_for(path_)) {}

std::string TokenFileCache::default_path(const Env& env) {
  if (auto d = env.get_nonempty("ECRHELM_CACHE_DIR")) return *d + "/ecr-tokens.json";
  if (auto x = env.get_nonempty("XDG_CACHE_HOME")) return *x + "/ecrhelm/ecr-tokens.json";
  return env.home() + "/.cache/ecrhelm/ecr-tokens.json";
}

std::optional<std::string> TokenFileCache::entry_name(const IdentityMaterial& who) const {
  auto keyer = IdentityKeyer::from_key_file(key_path_);
  if (!keyer) return std::nullopt;
  return keyer->name(who);
}

std::optional<AuthorizationToken> TokenFileCache::get(const IdentityMaterial& who,
                                                      TimePoint now) const {
  if (!file_exists(path_)) return std::nullopt;
  auto name = entry_name(who);
  if (!name) return std::nullopt;
  auto j = read_cache(path_);
  auto it = j.find(*name);
  if (it == j.end() || !it->is_object()) return std::nullopt;
  try {
    const auto& e = *it;
    auto requested = from_unix_seconds(e.at("requested_at").get<double>());
    auto expires = from_unix_seconds(e.at("expires_at").get<double>());
    if (now >= requested + (expires - requested) / 2) return std::nullopt;
    AuthorizationToken t;
    t.username = e.at("username").get<std::string>();
    t.password = Secret(e.at("password").get<std::string>());
    t.proxy_endpoint = e.at("proxy_endpoint").get<std::string>();
    t.expires_at = expires;
    return t;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

void TokenFileCache::put(const IdentityMaterial& who, const AuthorizationToken& token,
                         TimePoint now) const {
  if (token.expires_at <= now) return;  // nothing worth keeping (moto's tokens)
  auto name = entry_name(who);
  if (!name) {
    spdlog::warn("cannot use the token cache: its key {} cannot be read or created", key_path_);
    return;
  }
  // Concurrent helpers (Docker asks once per registry request) must not lose
  // each other's entries: read-modify-rename under a lock beside the file.
  std::optional<FileLock> lock;
  try {
    make_dirs(dirname_of(path_), 0700);
    lock.emplace(path_ + ".lock");
  } catch (const Error& e) {
    spdlog::warn("cannot write token cache: {}", e.what());
    return;
  }
  auto j = read_cache(path_);
  for (auto it = j.begin(); it != j.end();) {
    bool expired = !it->is_object() || !it->contains("expires_at") ||
                   !(*it)["expires_at"].is_number() ||
                   from_unix_seconds((*it)["expires_at"].get<double>()) <= now;
    it = expired ? j.erase(it) : std::next(it);
  }
  j[*name] = {{"username", token.username},
              {"password", token.password.reveal()},
              {"proxy_endpoint", token.proxy_endpoint},
              {"requested_at", to_unix_seconds(now)},
              {"expires_at", to_unix_seconds(token.expires_at)}};
  try {
    write_file_atomic(path_, j.dump(), 0600, 0700);
  } catch (const Error& e) {
    spdlog::warn("cannot write token cache: {}", e.what());
  }
}

IdentityMaterial chain_identity_material(const Env& env, const std::string& registry,
                                         const std::string& region, const std::string& profile) {
  IdentityMaterial m;
  m.add("v", "2").add("registry", registry).add("region", region).add("profile", profile);
  for (const char* var : {"AWS_ACCESS_KEY_ID",
                          "AWS_SECRET_ACCESS_KEY",
                          "AWS_SESSION_TOKEN",
                          "AWS_PROFILE",
                          "AWS_DEFAULT_PROFILE",
                          "AWS_ROLE_ARN",
                          "AWS_ROLE_SESSION_NAME",
                          "AWS_WEB_IDENTITY_TOKEN_FILE",
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                          "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                          "AWS_CONFIG_FILE",
                          "AWS_SHARED_CREDENTIALS_FILE",
                          "AWS_ENDPOINT_URL",
                          "AWS_ENDPOINT_URL_STS",
                          "AWS_ENDPOINT_URL_ECR",
                          "AWS_ENDPOINT_URL_ECR_PUBLIC",
                          "AWS_USE_FIPS_ENDPOINT",
                          "AWS_EC2_METADATA_DISABLED",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT"}) {
    m.add(var, Secret(env.get(var).value_or("")));
  }
  add_file(m, "config-file", expand_home(config_file_path(env), env));
  add_file(m, "credentials-file", expand_home(credentials_file_path(env), env));
  add_file(m, "web-identity-token", env.get("AWS_WEB_IDENTITY_TOKEN_FILE").value_or(""));
  add_file(m, "container-token", env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or(""));
  // A profile's own token file (web_identity_token_file in the config file).
  try {
    ProfileSet profiles = ProfileSet::load(env);
    std::string pname = profile.empty() ? selected_profile_name(env) : profile;
    if (const Profile* p = profiles.find(pname)) {
      if (const ProfileValue* f = p->get("web_identity_token_file"))
        add_file(m, "profile-web-identity-token", expand_home(f->value, env));
    }
  } catch (const Error&) {
    // A malformed file is reported by the chain itself; its text is material already.
  }
  return m;
}

}  // namespace ecrhelm::aws
