// The OCI peer of the test bed: Debian's docker-registry (CNCF distribution)
// on a free loopback port, optionally behind htpasswd Basic auth (ECR's
// scheme), plus helpers that build Helm chart archives and push them through
// the distribution API as Helm does.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/testbed.h"

namespace ecrhelm::test {

class RegistryServer {
 public:
  // user/password empty: no auth.
  RegistryServer(const std::string& user = "", const std::string& password = "");
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }
  int port() const { return port_; }
  // Tags a manifest already pushed to `repo` (by `digest`) as each of `tags`
  // by writing distribution's storage layout directly (what a manifest PUT
  // leaves on disk: _manifests/tags/TAG/{current,index/ALG/HEX}/link). For
  // thousands of tags: docker-registry takes tens of ms per manifest PUT.
  // Where the registry keeps a blob's bytes (to corrupt it in a test: the
  // registry serves what is on disk without checking it).
  std::string blob_path(const std::string& digest) const;
  void add_tags_in_storage(const std::string& repo, const std::string& digest,
                           const std::vector<std::string>& tags) const;

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<ChildProcess> proc_;
};

// One raw tar entry: a regular file, a symlink (type AE_IFLNK, link = target),
// a hard link (hard = true, link = target path) or any other type.
struct TarEntry {
  TarEntry(std::string p, std::string c, int t = 0100000 /* AE_IFREG */, std::string l = "",
           bool h = false)
      : path(std::move(p)), content(std::move(c)), type(t), link(std::move(l)), hard(h) {}
  std::string path;
  std::string content;
  int type;
  std::string link;
  bool hard;
};

// A gzip-compressed tar of exactly these entries, in order (hostile ones too).
std::string make_tgz(const std::vector<TarEntry>& entries);

// A .tgz of a chart: files are paths below "<name>/" (Chart.yaml and
// values.yaml are added when not given).
std::string make_chart_tgz(const std::string& name, const std::string& version,
                           std::map<std::string, std::string> files = {});

struct PushedArtifact {
  std::string manifest_digest;
  std::string chart_digest;
  std::string config_digest;
  std::string manifest;
};

// Uploads a blob (POST + PUT ?digest=) and returns its digest.
std::string push_blob(const std::string& registry_url, const std::string& repo,
                      const std::string& data, const std::string& user = "",
                      const std::string& password = "");
// Puts a manifest under a tag; returns its digest.
std::string push_manifest(const std::string& registry_url, const std::string& repo,
                          const std::string& tag, const std::string& manifest,
                          const std::string& media_type, const std::string& user = "",
                          const std::string& password = "");
// A Helm chart as Helm 3 pushes it: config + chart layer (+ provenance).
PushedArtifact push_chart(const std::string& registry_url, const std::string& repo,
                          const std::string& version, const std::string& tgz,
                          const std::string& user = "", const std::string& password = "",
                          const std::string& prov = "");

}  // namespace ecrhelm::test
