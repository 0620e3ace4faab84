// Kubernetes object bodies the tests build (a Secret, an Argo CD
// Application) as plain JSON: no API server, so unit tests use them too.
#pragma once

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace ecrhelm::test {

// An Opaque secret body with string data.
nlohmann::json make_secret(const std::string& ns, const std::string& name,
                           const std::map<std::string, std::string>& data,
                           const std::map<std::string, std::string>& labels = {});

// An Argo CD Application (argoproj.io/v1alpha1) of Helm chart "demo" 1.2.3
// from these repository URLs: spec.source for one, spec.sources when
// `multi`; with a status condition of type `condition` (whose message is the
// repo server's cached generation error) unless it is empty.
nlohmann::json make_application(const std::string& ns, const std::string& name,
                                const std::vector<std::string>& repo_urls, bool multi = false,
                                const std::string& condition = "");

// An Argo CD secret (label argocd.argoproj.io/secret-type: `kind`, that is
// repository or repo-creds) in `ns` for the Helm OCI repository `url`: type
// helm, enableOCI "true", and username AWS / password "pw" when `creds`.
nlohmann::json make_argocd_repo_secret(const std::string& ns, const std::string& name,
                                       const std::string& url,
                                       const std::string& kind = "repository", bool creds = true);

}  // namespace ecrhelm::test
