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

// Every non-empty document of a multi-document YAML text, as JSON. Plain
// scalars follow YAML 1.2's core schema (true/false, null/~, integers,
// floats), as the API server's YAML decoder reads them; quoted scalars stay
// strings. Throws Error(kInvalidInput) on malformed YAML.
std::vector<nlohmann::json> parse_manifests(const std::string& yaml_text);
// The same for a file.
std::vector<nlohmann::json> load_manifests(const std::string& path);

}  // namespace ecrhelm::test
