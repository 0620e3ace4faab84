// ResourceType: which REST collection an object lives in (group, version,
// plural resource), and the few built-in kinds ecrhelm touches. Custom
// resources (ExternalSecret, generators) are described the same way and
// handled as unstructured JSON.
#pragma once

#include <string>

namespace ecrhelm::kube {

struct ResourceType {
  std::string group;     // "" = the core group (/api/v1)
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "secrets"
  std::string kind;      // "Secret"
  bool namespaced = true;

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  // "/api/v1" or "/apis/GROUP/VERSION"
  std::string base_path() const {
    return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  }
  // "secrets" or "leases.coordination.k8s.io", as kubectl names it in errors
  std::string display() const { return group.empty() ? resource : resource + "." + group; }
};

namespace resources {
inline const ResourceType kNamespaces{"", "v1", "namespaces", "Namespace", false};
inline const ResourceType kSecrets{"", "v1", "secrets", "Secret", true};
inline const ResourceType kServiceAccounts{"", "v1", "serviceaccounts", "ServiceAccount", true};
inline const ResourceType kEvents{"", "v1", "events", "Event", true};
inline const ResourceType kLeases{"coordination.k8s.io", "v1", "leases", "Lease", true};
inline const ResourceType kDeployments{"apps", "v1", "deployments", "Deployment", true};
inline const ResourceType kPods{"", "v1", "pods", "Pod", true};
inline const ResourceType kCustomResourceDefinitions{
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false};
}  // namespace resources

}  // namespace ecrhelm::kube
