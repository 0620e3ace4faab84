#include "argocd/repo_secrets.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

#include "kube/objects.h"
#include "util/encoding.h"

namespace ecrhelm::argocd {
namespace {

using nlohmann::json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Go's strconv.ParseBool, which Argo CD uses for enableOCI and friends.
std::optional<bool> parse_go_bool(std::string_view s) {
  if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True") return true;
  if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
    return false;
  return std::nullopt;
}

// The secret's keys, decoded, for the few non-credential keys we show; for the
// credential keys only whether they are non-empty (their values are never kept).
struct SecretKeys {
  std::map<std::string, std::string> plain;  // url, type, project, enableOCI...
  std::map<std::string, bool> set;           // credential key -> non-empty
};

const char* const kPlainKeys[] = {"url", "type", "project", "enableOCI",
                                  "useAzureWorkloadIdentity"};
// Repository.HasCredentials in Argo CD: these keys (plus useAzureWorkloadIdentity=true).
const char* const kCredentialKeys[] = {"username", "password", "sshPrivateKey", "tlsClientCertData",
                                       "githubAppPrivateKey"};

bool is_plain_key(const std::string& k) {
  return std::any_of(std::begin(kPlainKeys), std::end(kPlainKeys),
                     [&](const char* p) { return k == p; });
}

SecretKeys read_keys(const json& secret, std::vector<std::string>& problems) {
  SecretKeys out;
  // `data` is what the API server returns; `stringData` appears only in
  // manifests (handy for tests and files), and wins, as the API server merges it.
  for (const char* field : {"data", "stringData"}) {
    auto d = secret.find(field);
    if (d == secret.end() || !d->is_object()) continue;
    const bool b64 = std::string_view(field) == "data";
    for (const auto& [k, v] : d->items()) {
      if (!v.is_string()) {
        problems.push_back(fmt::format("{}.{} is not a string", field, k));
        continue;
      }
      const std::string& text = v.get_ref<const std::string&>();
      if (is_plain_key(k)) {
        std::optional<std::string> value = b64 ? base64_decode(text) : std::optional(text);
        if (!value) {
          problems.push_back(fmt::format("{}.{} is not base64", field, k));
          continue;
        }
        out.plain[k] = *value;
      } else {
        // Non-empty base64 always decodes to a non-empty value; a value that
        // is not base64 at all is reported, never shown.
        if (b64 && !text.empty() && !base64_decode(text)) {
          problems.push_back(fmt::format("{}.{} is not base64", field, k));
          continue;
        }
        out.set[k] = !text.empty();
      }
    }
  }
  return out;
}

bool key_set(const SecretKeys& keys, const char* k) {
  auto it = keys.set.find(k);
  return it != keys.set.end() && it->second;
}

std::string plain(const SecretKeys& keys, const char* k) {
  auto it = keys.plain.find(k);
  return it == keys.plain.end() ? "" : it->second;
}

bool owns_password(const json& fields) {
  if (!fields.is_object()) return false;
  for (const char* parent : {"f:data", "f:stringData"}) {
    auto p = fields.find(parent);
    if (p != fields.end() && p->is_object() && p->contains("f:password")) return true;
  }
  return false;
}

}  // namespace

const char* to_string(CredentialSource s) {
  switch (s) {
    case CredentialSource::kOwn:
      return "own";
    case CredentialSource::kRepoCreds:
      return "repo-creds";
    case CredentialSource::kNone:
      return "none";
  }
  return "none";
}

std::string normalize_repo_url(std::string_view url) {
  std::string s = lower(trim(url));
  // scp-style SSH ("git@host:org/repo"): Argo CD's sshURLRegex ^(ssh://)?([^/:]*?)@[^@]+$
  static const std::regex kSsh("^(ssh://)?([^/:]*?)@[^@]+$");
  if (std::regex_match(s, kSsh) && s.rfind("ssh://", 0) != 0) {
    auto colon = s.find(':');
    if (colon != std::string::npos) s[colon] = '/';
    s = "ssh://" + s;
  }
  if (s.size() >= 4 && s.compare(s.size() - 4, 4, ".git") == 0) s.resize(s.size() - 4);
  if (s.rfind("ssh://", 0) == 0) s.erase(0, 6);
  return s;
}

std::optional<PasswordWriter> password_writer(const json& secret) {
  auto meta = secret.find("metadata");
  if (meta == secret.end() || !meta->is_object()) return std::nullopt;
  auto mf = meta->find("managedFields");
  if (mf == meta->end() || !mf->is_array()) return std::nullopt;
  std::optional<PasswordWriter> best;
  for (const auto& entry : *mf) {
    if (!entry.is_object() || !owns_password(entry.value("fieldsV1", json::object()))) continue;
    PasswordWriter w;
    w.manager = entry.value("manager", "");
    w.operation = entry.value("operation", "");
    w.time = entry.value("time", "");
    // RFC 3339 times from one API server compare as text; the later entry wins a tie.
    if (!best || w.time >= best->time) best = std::move(w);
  }
  return best;
}

ArgoRepoSecret read_repo_secret(const json& secret) {
  ArgoRepoSecret r;
  r.name = kube::meta_string(secret, "name");
  r.namespace_ = kube::meta_string(secret, "namespace");
  auto labels = kube::meta_map(secret, "labels");
  if (auto it = labels.find(kArgoSecretTypeLabel); it != labels.end()) r.secret_type = it->second;
  SecretKeys keys = read_keys(secret, r.problems);
  r.url = plain(keys, "url");
  r.type = plain(keys, "type");
  r.project = plain(keys, "project");
  if (auto it = keys.plain.find("enableOCI"); it != keys.plain.end()) {
    r.enable_oci_raw = it->second;
    auto b = parse_go_bool(it->second);
    if (!b) {
      r.problems.push_back(fmt::format(
          "enableOCI is \"{}\", not a boolean (Argo CD rejects the secret)", it->second));
    }
    r.enable_oci = b.value_or(false);
  }
  bool azure = parse_go_bool(plain(keys, "useAzureWorkloadIdentity")).value_or(false);
  r.username_set = key_set(keys, "username");
  r.password_set = key_set(keys, "password");
  r.has_own_credentials =
      azure || std::any_of(std::begin(kCredentialKeys), std::end(kCredentialKeys),
                           [&](const char* k) { return key_set(keys, k); });
  if (r.url.empty()) r.problems.push_back("no url");
  if (!r.url.empty()) r.ecr = aws::parse_ecr_host(r.url);
  r.password_writer = password_writer(secret);
  r.credential_source = r.has_own_credentials ? CredentialSource::kOwn : CredentialSource::kNone;
  r.effective_username_set = r.username_set;
  r.effective_password_set = r.password_set;
  return r;
}

std::optional<size_t> matching_repo_creds(const std::vector<ArgoRepoSecret>& secrets,
                                          std::string_view repo_url) {
  const std::string repo = normalize_repo_url(repo_url);
  size_t longest = 0;
  std::optional<size_t> found;
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].secret_type != kArgoSecretTypeRepoCreds) continue;
    const std::string cred = normalize_repo_url(secrets[i].url);
    // An empty url matches nothing: its length never beats 0, as in Argo CD.
    if (cred.size() > longest && repo.compare(0, cred.size(), cred) == 0) {
      longest = cred.size();
      found = i;
    }
  }
  return found;
}

std::vector<ArgoRepoSecret> resolve_repo_secrets(const std::vector<json>& secrets) {
  std::vector<ArgoRepoSecret> read;
  read.reserve(secrets.size());
  for (const auto& s : secrets) read.push_back(read_repo_secret(s));
  return resolve_repo_secrets(std::move(read));
}

std::vector<ArgoRepoSecret> resolve_repo_secrets(std::vector<ArgoRepoSecret> read) {
  std::vector<ArgoRepoSecret> out;
  for (auto& r : read) {
    if (r.secret_type == kArgoSecretTypeRepository || r.secret_type == kArgoSecretTypeRepoCreds)
      out.push_back(std::move(r));
  }
  for (auto& r : out) {
    if (r.secret_type != kArgoSecretTypeRepository || r.has_own_credentials) continue;
    auto idx = matching_repo_creds(out, r.url);
    if (!idx) continue;
    const ArgoRepoSecret& creds = out[*idx];
    r.credential_source = CredentialSource::kRepoCreds;
    r.credentials_secret = creds.name;
    // CopyCredentialsFrom fills each empty field from the template.
    r.effective_username_set = r.username_set || creds.username_set;
    r.effective_password_set = r.password_set || creds.password_set;
  }
  return out;
}

UrlResolution resolve_url(const std::vector<ArgoRepoSecret>& resolved, std::string_view url) {
  UrlResolution res;
  const std::string want = normalize_repo_url(url);
  for (size_t i = 0; i < resolved.size(); ++i) {
    const auto& r = resolved[i];
    if (r.secret_type == kArgoSecretTypeRepository && r.project.empty() &&
        normalize_repo_url(r.url) == want) {
      res.repository = i;
      break;
    }
  }
  if (res.repository && resolved[*res.repository].has_own_credentials) {
    res.source = CredentialSource::kOwn;
    return res;
  }
  // No repository secret, or one without credentials: Argo CD still looks for repo-creds.
  res.repo_creds = matching_repo_creds(resolved, url);
  res.source = res.repo_creds ? CredentialSource::kRepoCreds : CredentialSource::kNone;
  return res;
}

}  // namespace ecrhelm::argocd
