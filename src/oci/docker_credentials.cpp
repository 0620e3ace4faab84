// Credential lookup in Docker config files and through credential helpers,
// matching docker/cli's rules so `docker login` / `helm registry login`
// results are found where those tools would find them.
#include "oci/docker_credentials.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "util/encoding.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace ecrhelm::oci {
namespace {

using nlohmann::json;

constexpr size_t kMaxHelperMessageChars = 200;  // of a failing helper's first line
constexpr size_t kMaxHelperNameLength = 64;
constexpr std::string_view kDockerHubHost = "docker.io";

// Docker Hub answers to several names; its config key is "https://index.docker.io/v1/".
std::string canonical_host(std::string host) {
  if (host == "index.docker.io" || host == "registry-1.docker.io")
    return std::string(kDockerHubHost);
  return host;
}

const json* member(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(std::string(key));
  return it == obj.end() ? nullptr : &*it;
}

std::string string_member(const json& obj, std::string_view key) {
  const json* v = member(obj, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// The value for host in an object keyed by registry (auths, credHelpers): the
// exact key first, then the first key (in sorted order) naming the same host.
const json* find_by_host(const json& obj, std::string_view host, std::string* key_out) {
  if (!obj.is_object()) return nullptr;
  if (auto it = obj.find(std::string(host)); it != obj.end()) {
    *key_out = std::string(host);
    return &*it;
  }
  std::string want = canonical_host(normalize_registry_host(host));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (canonical_host(normalize_registry_host(it.key())) == want) {
      *key_out = it.key();
      return &*it;
    }
  }
  return nullptr;
}

std::optional<BasicCredentials> decode_entry(const json& entry, const std::string& key) {
  if (!entry.is_object()) return std::nullopt;
  std::string token = string_member(entry, "identitytoken");
  if (!token.empty())
    return BasicCredentials{std::string(kIdentityTokenUsername), Secret(std::move(token))};

  std::string auth = string_member(entry, "auth");
  if (!auth.empty()) {
    auto decoded = base64_decode(auth);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (!decoded || colon == std::string::npos || colon == 0) {
      fail(ErrorKind::kInvalidInput,
           "Docker config entry auths[\"{}\"].auth is not base64 of \"user:password\"; log in "
           "again (docker login / helm registry login / ecrhelm login) or remove the entry",
           key);
    }
    std::string password = decoded->substr(colon + 1);
    // docker/cli trims NUL bytes around the password (old configs padded them).
    size_t first = password.find_first_not_of('\0');
    size_t last = password.find_last_not_of('\0');
    password =
        first == std::string::npos ? std::string() : password.substr(first, last - first + 1);
    return BasicCredentials{decoded->substr(0, colon), Secret(std::move(password))};
  }

  std::string username = string_member(entry, "username");
  if (!username.empty()) {
    return BasicCredentials{std::move(username), Secret(string_member(entry, "password"))};
  }
  return std::nullopt;  // e.g. {} left behind when a credsStore holds the secret
}

bool valid_helper_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxHelperNameLength || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// The first line of a failing helper's output, unless it may be a secret.
std::string failure_hint(const ProcessResult& r) {
  for (const std::string* text : {&r.out, &r.err}) {
    std::string_view t = trim(*text);
    if (t.empty()) continue;
    if (t.front() == '{' || t.front() == '[') return "";  // JSON may carry credentials
    // Redacted before it is cut, so no piece of a token is left at the cut.
    std::string line = redact_token_like(t.substr(0, t.find_first_of("\r\n")));
    std::string out(line.substr(0, kMaxHelperMessageChars));
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    if (line.size() > kMaxHelperMessageChars) out += "...";
    return ": " + out;
  }
  return "";
}

}  // namespace

std::string normalize_registry_host(std::string_view s) {
  if (size_t scheme = s.find("://"); scheme != std::string_view::npos) {
    s.remove_prefix(scheme + 3);
    s = s.substr(0, s.find('/'));
    if (size_t at = s.rfind('@'); at != std::string_view::npos) s.remove_prefix(at + 1);
  } else {
    s = s.substr(0, s.find('/'));
  }
  return to_lower(s);
}

std::optional<BasicCredentials> lookup_config_auth(const nlohmann::json& config,
                                                   std::string_view host) {
  const json* auths = member(config, "auths");
  if (!auths) return std::nullopt;
  std::string key;
  const json* entry = find_by_host(*auths, host, &key);
  if (!entry) return std::nullopt;
  return decode_entry(*entry, key);
}

std::optional<std::string> cred_helper_for(const nlohmann::json& config, std::string_view host) {
  if (const json* helpers = member(config, "credHelpers")) {
    std::string key;
    const json* h = find_by_host(*helpers, host, &key);
    if (h && h->is_string() && !h->get<std::string>().empty()) return h->get<std::string>();
  }
  std::string store = string_member(config, "credsStore");
  if (!store.empty()) return store;
  return std::nullopt;
}

std::optional<BasicCredentials> run_credential_helper(const std::string& helper,
                                                      std::string_view host,
                                                      const CredentialHelperOptions& options) {
  if (!valid_helper_name(helper)) {
    fail(ErrorKind::kInvalidInput,
         "credential helper name \"{}\" is not valid: expected the suffix of a "
         "docker-credential-<name> program (letters, digits, '-', '_', '.'); fix credHelpers or "
         "credsStore in the Docker config",
         helper.substr(0, kMaxHelperNameLength));
  }
  const std::string program = std::string(kCredentialHelperPrefix) + helper;
  if (host.empty()) {
    fail(ErrorKind::kInvalidInput, "no registry host given to credential helper {}", program);
  }
  const std::string path =
      options.program_dir.empty() ? program : options.program_dir + "/" + program;

  ProcessOptions po;
  po.stdin_data = std::string(host);
  po.timeout = options.timeout;
  po.max_stdout = kMaxCredentialHelperOutput;
  ProcessResult r;
  try {
    r = run_process({path, "get"}, po);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    fail(ErrorKind::kNotFound,
         "credential helper {} for {} could not be started; install it on PATH or remove it from "
         "credHelpers/credsStore in the Docker config",
         program, host);
  }
  if (r.timed_out) {
    fail(ErrorKind::kRemote, "credential helper {} did not answer for {} within {} ms", program,
         host, options.timeout.count());
  }
  if (r.output_truncated) {
    fail(ErrorKind::kRemote, "credential helper {} printed more than {} bytes for {}", program,
         kMaxCredentialHelperOutput, host);
  }
  if (r.exit_code != 0) {
    if (trim(r.out) == kCredentialsNotFoundMessage) return std::nullopt;
    fail(ErrorKind::kRemote, "credential helper {} failed for {} (exit code {}){}", program, host,
         r.exit_code, failure_hint(r));
  }
  json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  const json* user = member(j, "Username");
  const json* secret = member(j, "Secret");
  if (!user || !secret || !user->is_string() || !secret->is_string()) {
    fail(ErrorKind::kRemote,
         "credential helper {} answered for {} with something that is not a JSON object with "
         "string \"Username\" and \"Secret\"",
         program, host);
  }
  if (secret->get<std::string>().empty()) return std::nullopt;
  return BasicCredentials{user->get<std::string>(), Secret(secret->get<std::string>())};
}

}  // namespace ecrhelm::oci
