// Docker's and Helm's registry credential files (config.json): where they
// live and how an entry is written without losing any other key.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "util/env.h"
#include "util/secret.h"

namespace ecrhelm::oci {

// $HELM_REGISTRY_CONFIG, else $XDG_CONFIG_HOME/helm/registry/config.json,
// else ~/.config/helm/registry/config.json (Helm's helmpath rules on Linux).
std::string helm_registry_config_path(const Env& env);
// $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
std::string docker_config_path(const Env& env);

// Deeper nesting is refused at parse time (the serializer recurses).
inline constexpr int kMaxRegistryConfigDepth = 64;

// The file as a JSON object; an empty object when it does not exist. A file
// that is not a JSON object, or nests deeper than kMaxRegistryConfigDepth,
// throws Error(kInvalidInput) naming it.
nlohmann::json read_registry_config(const std::string& path);

// Sets auths[host] = {"auth": base64(user:password)} in the file, keeping
// every other key (numbers as written); creates the file if missing. Atomic,
// mode 0600, under an flock on PATH.lock (concurrent writers all land); a
// symlink is followed and its target written. A file that is not a JSON
// object is left untouched and reported.
void store_basic_auth(const std::string& path, const std::string& host, const std::string& user,
                      const Secret& password);
// Sets credHelpers[host] = helper (e.g. "ecrhelm" for docker-credential-ecrhelm).
void store_cred_helper(const std::string& path, const std::string& host, const std::string& helper);
// The same for several hosts in one atomic write.
void store_cred_helpers(const std::string& path, const std::vector<std::string>& hosts,
                        const std::string& helper);
// The file's credsStore, if any (a credsStore hides auths entries from Docker).
std::optional<std::string> creds_store(const std::string& path);

}  // namespace ecrhelm::oci
