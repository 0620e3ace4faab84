// Reading registry credentials the way docker/cli and Helm do: auths entries
// of config.json (auth, username/password, identitytoken) and the
// docker-credential-<helper> protocol. Writing lives in oci/registry_config.h.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/secret.h"

namespace ecrhelm::oci {

inline constexpr std::chrono::milliseconds kCredentialHelperTimeout{30000};
inline constexpr size_t kMaxCredentialHelperOutput = 1 << 20;
inline constexpr std::string_view kCredentialHelperPrefix = "docker-credential-";
// What docker-credential-helpers print (exit code 1) when a host has no entry.
inline constexpr std::string_view kCredentialsNotFoundMessage =
    "credentials not found in native keychain";
// Docker's convention: an identity (refresh) token travels as this user name.
inline constexpr std::string_view kIdentityTokenUsername = "<token>";

struct BasicCredentials {
  std::string username;  // kIdentityTokenUsername when password is an identity token
  Secret password;
  bool is_identity_token() const { return username == kIdentityTokenUsername; }
};

// "https://host:5000/v1/" -> "host:5000", "http://host" -> "host",
// "host/path" -> "host" (docker/cli's ConvertToHostname), lower-cased.
std::string normalize_registry_host(std::string_view key_or_url);

// The credentials stored in config["auths"] for host. The exact key wins, then
// any key that normalises to the same host (keys may be "https://host/v1/",
// "http://host" or bare "host"; Docker Hub's "https://index.docker.io/v1/" is
// found for docker.io). An identitytoken wins over auth, which wins over the
// legacy username/password fields. nullopt when there is no usable entry;
// Error(kInvalidInput) when an entry's auth is not base64 of "user:password".
std::optional<BasicCredentials> lookup_config_auth(const nlohmann::json& config,
                                                   std::string_view host);

// config["credHelpers"][host], else config["credsStore"]; nullopt if neither.
std::optional<std::string> cred_helper_for(const nlohmann::json& config, std::string_view host);

struct CredentialHelperOptions {
  // Folder holding docker-credential-<helper>; empty means "look it up on the
  // PATH of this process" (what docker does). Tests point it at a temp folder.
  std::string program_dir;
  std::chrono::milliseconds timeout = kCredentialHelperTimeout;
};

// Runs `docker-credential-<helper> get` with host on stdin and parses
// {"ServerURL","Username","Secret"}. nullopt when the helper answers
// "credentials not found in native keychain". Any other failure is an Error
// naming the helper: kInvalidInput for a bad helper name, kNotFound when it
// cannot be started, kRemote when it fails, times out or prints something
// unreadable. The helper's output never appears in a message except the
// first line of a failure that does not look like JSON.
std::optional<BasicCredentials> run_credential_helper(const std::string& helper,
                                                      std::string_view host,
                                                      const CredentialHelperOptions& options = {});

}  // namespace ecrhelm::oci
