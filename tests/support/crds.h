// Installs ecrhelm's CRDs (deploy/crds/) into the test bed's API server,
// once per process, and waits until they are Established; and reads YAML
// manifests the way `kubectl apply -f` does, so tests apply the files users
// apply (deploy/, the seed's generator.yaml and external-secret.yaml).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ecrhelm::test {

// Idempotent and safe from parallel test processes: creates each CRD, or
// updates it to the file's content when an older one is installed, then
// waits (bounded) for Established. Throws Error when the API server refuses.
void install_crds();
// The same for Argo CD's own Application and AppProject CRDs (v3.5.1, from
// tests/data/argocd-crds/).
void install_argocd_crds();
// The CRDs in these files, created or updated, then waited for, on every
// call (no once-per-process): also for tests that install other CRDs under
// the same names (ESO's own).
void install_crd_files(const std::vector<std::string>& files);

// Every non-empty document of a multi-document YAML text, as JSON. Plain
// scalars follow YAML 1.2's core schema (true/false, null/~, integers,
// floats), as the API server's YAML decoder reads them; quoted scalars stay
// strings. Throws Error(kInvalidInput) on malformed YAML.
std::vector<nlohmann::json> parse_manifests(const std::string& yaml_text);
// The same for a file.
std::vector<nlohmann::json> load_manifests(const std::string& path);

// The seed's generator.yaml (ECRAuthorizationToken "ecr-gen", static keys
// from the Secret "awssm-secret", <REGION> = us-east-1) in namespace `ns`.
nlohmann::json seed_generator(const std::string& ns);
// The seed's external-secret.yaml with REPO_SECRET_NAME = `repo_secret` and
// the template filled in, in namespace `ns`.
nlohmann::json seed_external_secret(const std::string& ns, const std::string& repo_secret);

}  // namespace ecrhelm::test
