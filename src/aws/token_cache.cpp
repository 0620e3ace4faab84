#include "aws/token_cache.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "util/crypto.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::aws {
namespace {

constexpr size_t kMaxCacheBytes = 1 << 20;

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

}  // namespace

std::string TokenFileCache::default_path(const Env& env) {
  if (auto d = env.get_nonempty("ECRHELM_CACHE_DIR")) return *d + "/ecr-tokens.json";
  if (auto x = env.get_nonempty("XDG_CACHE_HOME")) return *x + "/ecrhelm/ecr-tokens.json";
  return env.home() + "/.cache/ecrhelm/ecr-tokens.json";
}

std::optional<AuthorizationToken> TokenFileCache::get(const std::string& key, TimePoint now) const {
  auto j = read_cache(path_);
  auto it = j.find(key);
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

void TokenFileCache::put(const std::string& key, const AuthorizationToken& token,
                         TimePoint now) const {
  if (token.expires_at <= now) return;  // nothing worth keeping (moto's tokens)
  auto j = read_cache(path_);
  for (auto it = j.begin(); it != j.end();) {
    bool expired = !it->is_object() || !it->contains("expires_at") ||
                   !(*it)["expires_at"].is_number() ||
                   from_unix_seconds((*it)["expires_at"].get<double>()) <= now;
    it = expired ? j.erase(it) : std::next(it);
  }
  j[key] = {{"username", token.username},
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

std::string token_cache_key(const Env& env, const std::string& registry, const std::string& region,
                            const std::string& profile) {
  std::string material = "v1|" + registry + "|" + region + "|" + profile;
  for (const char* var : {"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN",
                          "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONFIG_FILE",
                          "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECR",
                          "AWS_ENDPOINT_URL_ECR_PUBLIC", "AWS_USE_FIPS_ENDPOINT"}) {
    material += "|";
    material += env.get(var).value_or("");
  }
  return sha256_hex(material).substr(0, 32);
}

}  // namespace ecrhelm::aws
