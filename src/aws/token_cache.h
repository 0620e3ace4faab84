// A file cache of ECR tokens so repeated credential-helper calls do not call
// AWS: a token is reused until half of its lifetime has passed (as
// amazon-ecr-credential-helper does). The file is 0600 and written
// atomically. Entries are named by IdentityKeyer under a key kept 0600 beside
// the file (ecr-tokens.key), over every piece of credential material the
// chain would use, so the file holds no key id and a token cannot be read
// back with other credentials.
#pragma once

#include <optional>
#include <string>

#include "aws/ecr.h"
#include "util/identity_key.h"
#include "util/time.h"

namespace ecrhelm::aws {

class TokenFileCache {
 public:
  explicit TokenFileCache(std::string path);
  // $ECRHELM_CACHE_DIR, else $XDG_CACHE_HOME/ecrhelm, else ~/.cache/ecrhelm; + "/ecr-tokens.json".
  static std::string default_path(const Env& env);

  // nullopt also when the identity key cannot be read or made (no cache then).
  std::optional<AuthorizationToken> get(const IdentityMaterial& who, TimePoint now) const;
  // Stores the token (requested at `now`) and drops expired entries. A cache
  // that cannot be written only logs a warning: the token is still good.
  void put(const IdentityMaterial& who, const AuthorizationToken& token, TimePoint now) const;
  const std::string& path() const { return path_; }
  const std::string& key_path() const { return key_path_; }

 private:
  std::optional<std::string> entry_name(const IdentityMaterial& who) const;
  std::string path_;
  std::string key_path_;
};

// Everything that decides which principal the default chain resolves to, read
// without any network call: the credential variables' values (secret ones
// too), the contents of the shared config and credentials files and of the
// token files they or the environment name, the profile, the endpoints, and
// the registry and region asked for.
IdentityMaterial chain_identity_material(const Env& env, const std::string& registry,
                                         const std::string& region, const std::string& profile);

}  // namespace ecrhelm::aws
