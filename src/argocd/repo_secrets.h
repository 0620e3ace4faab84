// src/argocd/: Argo CD's own rules, as Argo CD applies them, for `repos`,
// `doctor` and the controller alike; no kube client and no printing here.
//
// Argo CD's repository credentials as Argo CD itself reads them: secrets
// labelled argocd.argoproj.io/secret-type=repository or repo-creds, and the
// rule that a repository secret with no credentials of its own takes them
// from the repo-creds whose `url` is the longest prefix of its URL (Argo CD's
// util/db getRepositoryCredentialIndex, on normalized URLs). Pure functions
// over the secrets' JSON, so `repos`, `doctor` and the controller share them.
// Nothing here keeps or returns a credential value: only whether it is set.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/ecr_host.h"

namespace ecrhelm::argocd {

inline constexpr const char* kArgoSecretTypeLabel = "argocd.argoproj.io/secret-type";
// When the ECR token in a secret's password expires (RFC 3339), written by the
// controller next to every password it rotates; `doctor` reads it.
inline constexpr const char* kTokenExpiresAnnotation = "ecrhelm.io/token-expires-at";
inline constexpr const char* kArgoSecretTypeRepository = "repository";
inline constexpr const char* kArgoSecretTypeRepoCreds = "repo-creds";
// One list call fetches both kinds.
inline constexpr const char* kArgoRepoSecretSelector =
    "argocd.argoproj.io/secret-type in (repository,repo-creds)";

// Who last wrote the password key: the managedFields entry whose fieldsV1
// holds f:data -> f:password (or f:stringData -> f:password), the latest one.
struct PasswordWriter {
  std::string manager;    // "argocd-server", "external-secrets", "kubectl-edit"...
  std::string operation;  // Update or Apply
  std::string time;       // as the API server wrote it (RFC 3339)
};

// Where a repository's credentials come from, by Argo CD's rules.
enum class CredentialSource {
  kOwn,        // the repository secret has credentials of its own
  kRepoCreds,  // none of its own: taken from a repo-creds secret
  kNone,       // neither
};
const char* to_string(CredentialSource s);  // "own", "repo-creds", "none"

struct ArgoRepoSecret {
  std::string name;
  std::string namespace_;
  std::string secret_type;  // "repository" or "repo-creds"
  std::string url;
  std::string type;  // "helm", "git", "oci"; Argo CD assumes git when empty
  std::string project;
  bool enable_oci = false;           // `enableOCI` parses as true (Go's strconv.ParseBool)
  std::string enable_oci_raw;        // the text as stored, "" when absent
  std::optional<aws::EcrHost> ecr;   // the URL's host is an ECR registry
  bool username_set = false;         // non-empty `username`
  bool password_set = false;         // non-empty `password`
  bool has_own_credentials = false;  // any key Argo CD counts (Repository.HasCredentials)
  std::optional<PasswordWriter> password_writer;
  std::vector<std::string> problems;  // keys that are not base64, a bad enableOCI...

  // Repositories only: the outcome of Argo CD's credential rules.
  CredentialSource credential_source = CredentialSource::kNone;
  std::string credentials_secret;  // the repo-creds secret used (kRepoCreds)
  bool effective_username_set = false;
  bool effective_password_set = false;
};

// Argo CD's URL normalization for matching (util/git NormalizeGitURL): trimmed,
// lower case, scp-style SSH (user@host:path) made ssh-like, a trailing ".git"
// dropped, the "ssh://" scheme dropped.
std::string normalize_repo_url(std::string_view url);

// One secret's view. Never throws on bad content: problems are recorded.
ArgoRepoSecret read_repo_secret(const nlohmann::json& secret);

// The managedFields entry that last wrote data.password (or stringData.password).
std::optional<PasswordWriter> password_writer(const nlohmann::json& secret);

// Index into `secrets` of the repo-creds whose normalized url is the longest
// prefix of the normalized `repo_url` (the first of equal length wins, as in
// Argo CD); nullopt when none matches. Entries that are not repo-creds are skipped.
std::optional<size_t> matching_repo_creds(const std::vector<ArgoRepoSecret>& secrets,
                                          std::string_view repo_url);

// Reads every secret (those without the label values above are dropped) and
// resolves each repository's credentials. Keeps the input order.
std::vector<ArgoRepoSecret> resolve_repo_secrets(const std::vector<nlohmann::json>& secrets);
// The same over secrets already read with read_repo_secret (a caller that
// streams a list keeps only these, never the Secrets themselves).
std::vector<ArgoRepoSecret> resolve_repo_secrets(std::vector<ArgoRepoSecret> read);

// What Argo CD would use for a chart URL: the repository secret with the same
// normalized URL (project-less ones; nullopt when none), and where the
// credentials come from.
struct UrlResolution {
  std::optional<size_t> repository;  // index into the resolved list
  CredentialSource source = CredentialSource::kNone;
  std::optional<size_t> repo_creds;  // index of the repo-creds used
};
UrlResolution resolve_url(const std::vector<ArgoRepoSecret>& resolved, std::string_view url);

}  // namespace ecrhelm::argocd
