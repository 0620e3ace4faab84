// Argo CD's Applications as its rules read them: the repository URLs an
// Application's sources name, whether a URL takes its credentials from a
// given repository (or repo-creds) secret, and whether the Application shows
// a failed manifest generation. Pure functions over the Application's JSON.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "argocd/repo_secrets.h"
#include "kube/resource.h"

namespace ecrhelm::argocd {

inline const kube::ResourceType kArgoApplications{"argoproj.io", "v1alpha1", "applications",
                                                  "Application", true};
inline constexpr const char* kArgoRefreshAnnotation = "argocd.argoproj.io/refresh";

// Every repoURL an Application's sources name: spec.source, spec.sources[]
// (multi-source), in order, without duplicates.
std::vector<std::string> application_repo_urls(const nlohmann::json& app);

// Whether a source URL takes its credentials from resolved[rotated], by Argo
// CD's rules: a repository secret with the same normalized URL, or the
// repo-creds that is the longest prefix when the repository secret (if any)
// has no credentials of its own.
bool url_uses_secret(const std::vector<ArgoRepoSecret>& resolved, size_t rotated,
                     std::string_view url);

// The Application shows a failed manifest generation: a status condition of
// type ComparisonError, or any condition whose message says the error was
// cached by the repo server.
bool application_errored(const nlohmann::json& app);

}  // namespace ecrhelm::argocd
