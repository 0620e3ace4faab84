// What `ecrhelm repos` prints for the secrets argocd/ resolved: a JSON
// document (also the YAML one) and a kubectl-style table. Only whether a
// credential is set is shown, never its value.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "argocd/repo_secrets.h"

namespace ecrhelm::cli {

// {namespace, items: [{name, secretType, url, ..., credentials | usedBy, problems}]}.
nlohmann::json repos_json(const std::vector<argocd::ArgoRepoSecret>& secrets,
                          const std::string& ns);
// NAME, SECRET-TYPE, URL, TYPE, OCI, ECR, USERNAME, PASSWORD, CREDENTIALS
// (wide: ECR-ACCOUNT, PASSWORD-WRITER, PASSWORD-WRITTEN, PROBLEMS too).
std::string repos_table(const std::vector<argocd::ArgoRepoSecret>& secrets, bool wide);

}  // namespace ecrhelm::cli
