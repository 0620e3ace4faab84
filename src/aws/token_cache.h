// A file cache of ECR tokens so repeated credential-helper calls do not call
// AWS: a token is reused until half of its lifetime has passed (as
// amazon-ecr-credential-helper does). The file is 0600 and written atomically;
// entries are keyed by a hash of registry, region and credential settings, so
// the file holds no key ids.
#pragma once

#include <optional>
#include <string>

#include "aws/ecr.h"
#include "util/time.h"

namespace ecrhelm::aws {

class TokenFileCache {
 public:
  explicit TokenFileCache(std::string path) : path_(std::move(path)) {}
  // $ECRHELM_CACHE_DIR, else $XDG_CACHE_HOME/ecrhelm, else ~/.cache/ecrhelm; + "/ecr-tokens.json".
  static std::string default_path(const Env& env);

  std::optional<AuthorizationToken> get(const std::string& key, TimePoint now) const;
  // Stores the token (requested at `now`) and drops expired entries. A cache
  // that cannot be written only logs a warning: the token is still good.
  void put(const std::string& key, const AuthorizationToken& token, TimePoint now) const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The cache key for a registry/region under the current credential settings.
std::string token_cache_key(const Env& env, const std::string& registry, const std::string& region,
                            const std::string& profile);

}  // namespace ecrhelm::aws
