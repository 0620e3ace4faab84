// OCI / Docker manifests and indexes as a Helm chart pull reads them: media
// types, strict parsing with errors that name the field, and the choice of
// the chart (and provenance) layer the way Helm makes it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm::oci {

// Manifest media types.
inline constexpr std::string_view kOciManifestMediaType =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndexMediaType = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kDockerManifestMediaType =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestListMediaType =
    "application/vnd.docker.distribution.manifest.list.v2+json";
// The short-lived OCI artifact manifest (image-spec 1.1 RCs); only sent in Accept.
inline constexpr std::string_view kOciArtifactManifestMediaType =
    "application/vnd.oci.artifact.manifest.v1+json";

// Helm's media types (helm.sh/helm/v3/pkg/registry/constants.go).
inline constexpr std::string_view kHelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json";
inline constexpr std::string_view kHelmChartLayerMediaType =
    "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
inline constexpr std::string_view kHelmProvenanceMediaType =
    "application/vnd.cncf.helm.chart.provenance.v1.prov";
inline constexpr std::string_view kHelmLegacyChartLayerMediaType = "application/tar+gzip";

// The Accept header Helm (through oras-go v2's default manifest media types)
// sends when it resolves a tag.
inline constexpr std::string_view kManifestAcceptHeader =
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.oci.artifact.manifest.v1+json";

// distribution refuses manifests above 4 MiB; so do we, before parsing.
inline constexpr size_t kMaxManifestBytes = 4 << 20;

struct Platform {
  std::string architecture;
  std::string os;
  std::string os_version;                // "os.version"
  std::vector<std::string> os_features;  // "os.features"
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  std::string digest;  // validated: sha256 / sha512, lower-case hex
  int64_t size = 0;    // validated: >= 0
  std::map<std::string, std::string> annotations;
  std::string artifact_type;
  std::vector<std::string> urls;
  std::optional<Platform> platform;
};

struct Manifest {
  int schema_version = 2;
  std::string media_type;  // may be empty: the field is optional in the OCI spec
  std::string artifact_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::optional<Descriptor> subject;
  std::map<std::string, std::string> annotations;
};

struct Index {
  int schema_version = 2;
  std::string media_type;
  std::string artifact_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

// Strict parsers: schemaVersion 2, required fields present with the right
// JSON types, digests well-formed (see digest_problem in oci/reference.h),
// sizes non-negative integers, a mediaType (when present) of the right kind.
// Throw Error(kInvalidInput) naming the field, e.g. "layers[1].digest".
Manifest parse_manifest(std::string_view json);
Index parse_index(std::string_view json);

bool is_valid_digest(std::string_view digest);
bool is_manifest_media_type(std::string_view media_type);  // OCI or Docker v2 manifest
bool is_index_media_type(std::string_view media_type);     // OCI index or Docker manifest list

struct HelmChartLayers {
  Descriptor chart;
  std::optional<Descriptor> provenance;
  bool legacy_media_type = false;  // chart layer is application/tar+gzip: the caller should warn
};

// The chart layer (exactly one, required) and the optional provenance layer
// (at most one) of a Helm chart manifest whose config has Helm's config
// media type. Throws Error(kInvalidInput) saying what is missing or doubled.
HelmChartLayers find_chart_layers(const Manifest& manifest);

}  // namespace ecrhelm::oci
