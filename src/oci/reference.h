// OCI references as Helm, Argo CD and the distribution grammar spell them:
// oci://HOST[:PORT]/REPO[:TAG][@DIGEST], parsed and validated once, here.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm::oci {

// Limits from distribution/reference and the OCI distribution spec.
inline constexpr size_t kMaxNameLength = 255;        // registry + "/" + repository
inline constexpr size_t kMaxTagLength = 128;         // [\w][\w.-]{0,127}
inline constexpr size_t kMaxReferenceLength = 1024;  // whole input, before any parsing
inline constexpr std::string_view kOciScheme = "oci://";

struct Reference {
  std::string registry;    // host[:port], host lower-cased; IPv6 stays bracketed
  std::string repository;  // path below the registry, e.g. "charts/podinfo"
  std::string tag;         // as stored in the registry ('+' already mapped to '_'); may be empty
  std::string digest;      // "sha256:<64 hex>" or "sha512:<128 hex>"; may be empty

  // "host[:port]/repo[:tag][@digest]" (no oci:// prefix, as Helm prints it).
  std::string to_string() const;
  bool operator==(const Reference&) const = default;
};

// Accepts oci://HOST[:PORT]/REPO/PATH[:TAG][@ALG:HEX] and the same without
// oci://. A '+' in the tag becomes '_' first (Helm does the same, since '+' is
// not a valid tag character). Throws Error(kInvalidInput) naming the bad part.
Reference parse_reference(std::string_view text);

// Argo CD's Helm OCI form: repoURL without a scheme (an "oci://" or "https://"
// prefix is tolerated) plus the Application's chart name; the version is not
// part of it (it is targetRevision). Throws Error(kInvalidInput).
Reference from_argocd(std::string_view repo_url, std::string_view chart);

// Helm's tag mapping: a SemVer version "1.2.3+build.1" is stored as tag
// "1.2.3_build.1"; from_tag maps tags from the tag list back.
std::string to_tag(std::string_view version);
std::string from_tag(std::string_view tag);

// Why a digest is not acceptable, or nullopt when it is: "sha256:" + 64 or
// "sha512:" + 128 lower-case hex digits (other algorithms are rejected).
std::optional<std::string> digest_problem(std::string_view digest);

}  // namespace ecrhelm::oci
