// What Argo CD's repo server does with an OCI Helm chart: resolve a version
// (exact tag, or a constraint against the tag list), fetch and verify the
// manifest (resolving an index), then the chart layer, and write it as
// `helm pull` does: CHART-VERSION.tgz, or an extracted folder with --untar.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "oci/chart_archive.h"
#include "oci/manifest.h"
#include "oci/reference.h"
#include "oci/registry_client.h"

namespace ecrhelm::oci {

inline constexpr size_t kMaxConfigBlobBytes = 1 << 20;
inline constexpr size_t kMaxProvenanceBytes = 1 << 20;
inline constexpr size_t kMaxIndexCandidates = 16;
// The chart layer (compressed) is never larger than the whole extracted chart
// may be (kMaxChartUncompressedBytes): a bigger one is refused unread.
inline constexpr size_t kMaxChartBlobBytes = kMaxChartUncompressedBytes;

struct ResolvedChart {
  Reference ref;       // with the tag (if any) that was resolved
  std::string tag;     // "" when pulled by digest only
  std::string digest;  // the chart manifest's digest (verified)
  Manifest manifest;
  HelmChartLayers layers;
};

struct PullOptions {
  std::string version;  // exact version or Masterminds constraint; "" = the ref's tag or latest
  std::string dest_dir = ".";
  bool untar = false;
  std::string untar_dir = ".";  // relative to dest_dir unless absolute (Helm's rule)
  bool prov = false;
  // Called as the chart layer streams in: (0, size) before its first byte,
  // then the bytes received so far after each chunk. Not called for the
  // config or provenance blobs. How to show it is the caller's business.
  std::function<void(uint64_t done, uint64_t total)> progress;
};

struct PullResult {
  std::string name;
  std::string version;
  std::string tag;     // the tag pulled ("" by digest only), as `helm pull` names it
  std::string digest;  // manifest digest
  std::string path;    // the .tgz written, or the folder extracted
};

class ChartPuller {
 public:
  explicit ChartPuller(RegistryClient& client) : client_(client) {}
  // Called for non-fatal notes (legacy media type, ...).
  std::function<void(const std::string&)> warn = [](const std::string&) {};

  ResolvedChart resolve(const Reference& ref, const std::string& version);
  PullResult pull(const Reference& ref, const PullOptions& opts);
  // The chart archive in memory, digest-checked (for `show`).
  std::string fetch_chart_bytes(const ResolvedChart& chart);
  // Tags of the repository, versions first (highest first, '_' shown as '+'), then others.
  std::vector<std::string> versions(const Reference& ref);

 private:
  std::string pick_tag(const Reference& ref, const std::string& version);
  // Records that this puller writes `path` (the .tgz)
  // with `chart`; a second chart for the same path in one run is refused
  // (the same chart again is fine).
  void claim(const std::string& path, const ResolvedChart& chart, const Reference& ref);
  RegistryClient& client_;
  std::mutex claimed_mu_;
  std::map<std::string, std::string> claimed_;  // path -> manifest digest
};

}  // namespace ecrhelm::oci
