// The External Secrets Operator kinds ecrhelm serves, and an
// ExternalSecret's spec parsed into plain values (defaults as ESO applies
// them). Parsing rejects what we do not implement with a message naming the
// field, so the ExternalSecret's status says why it is not synced.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/client.h"
#include "kube/objects.h"
#include "util/error.h"
#include "util/time.h"

namespace ecrhelm::controller {

namespace eso {
inline const kube::ResourceType kExternalSecrets{"external-secrets.io", "v1", "externalsecrets",
                                                 "ExternalSecret", true};
inline const kube::ResourceType kExternalSecretsV1beta1{"external-secrets.io", "v1beta1",
                                                        "externalsecrets", "ExternalSecret", true};
inline const kube::ResourceType kEcrAuthorizationTokens{"generators.external-secrets.io",
                                                        "v1alpha1", "ecrauthorizationtokens",
                                                        "ECRAuthorizationToken", true};
inline const kube::ResourceType kClusterGenerators{"generators.external-secrets.io", "v1alpha1",
                                                   "clustergenerators", "ClusterGenerator", false};
// Labels/annotations ESO and Argo CD define.
inline constexpr const char* kForceSyncAnnotation =
    "force-sync";  // any change of annotations re-syncs
inline constexpr const char* kManagedLabel = "reconcile.external-secrets.io/managed";
}  // namespace eso

// Go's time.ParseDuration: "12h", "1h30m", "90s", "1.5h", "0". nullopt when invalid.
std::optional<std::chrono::milliseconds> parse_go_duration(std::string_view text);

struct GeneratorRef {
  std::string api_version;
  std::string kind;  // ECRAuthorizationToken or ClusterGenerator
  std::string name;
};

struct ExternalSecretSpec {
  std::chrono::milliseconds refresh_interval{std::chrono::hours(1)};  // 0 = sync once
  std::string refresh_policy = "Periodic";  // Periodic, CreatedOnce, OnChange
  std::string target_name;
  std::string creation_policy = "Owner";  // Owner, Orphan, Merge, None, CreateOrMerge
  std::string deletion_policy = "Retain";
  bool has_template = false;
  std::string template_type;  // Secret type, e.g. kubernetes.io/dockerconfigjson
  std::map<std::string, std::string> template_labels;
  std::map<std::string, std::string> template_annotations;
  std::map<std::string, std::string> template_data;  // key -> Go template
  std::string merge_policy = "Replace";              // Replace, Merge
  std::vector<GeneratorRef> generators;
};

// Throws Error(kInvalidInput / kUnsupported) naming the field.
ExternalSecretSpec parse_external_secret(const nlohmann::json& es);

// ESO's status.syncedResourceVersion: "<generation>-<hash of labels and
// annotations>": a change of either re-syncs (the force-sync trick).
std::string synced_resource_version(const nlohmann::json& es);

// ESO's Ready condition as an ExternalSecret's status holds it.
struct ReadyCondition {
  std::string status;  // True, False
  std::string reason;
  std::string message;
  std::string last_transition_time;
};

// An ExternalSecret as the controller's cache keeps it and its reconciler
// receives it: decoded once, when it leaves the API server, into what the
// reconciler reads (about 1 KB, against about 6 KB for the same object as a
// JSON tree): its identity, generation, labels and annotations as ESO's
// syncedResourceVersion of them, the parsed spec, the status fields it
// compares. The reconciler never goes back to the JSON.
struct ExternalSecret {
  kube::ObjectRef ref;         // apiVersion, kind, namespace, name, uid, resourceVersion
  bool deleting = false;       // metadata.deletionTimestamp is set
  std::string synced_version;  // synced_resource_version() of the object as it is
  // The parsed spec, or why it cannot be served (the message names the field).
  std::optional<ExternalSecretSpec> spec;
  ErrorKind spec_error_kind = ErrorKind::kInvalidInput;
  std::string spec_error;
  struct Status {
    std::optional<TimePoint> refresh_time;
    std::string synced_resource_version;
    std::string binding;
    std::optional<ReadyCondition> ready;
  } status;
};

// Never throws: a spec that does not parse is kept with its error.
ExternalSecret decode_external_secret(const nlohmann::json& es);

// status.conditions[type=Ready] of an ExternalSecret, when it has one.
std::optional<ReadyCondition> ready_condition(const nlohmann::json& es);

}  // namespace ecrhelm::controller
