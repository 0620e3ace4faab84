#include "support/registry.h"

#include <archive.h>
#include <archive_entry.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "http/client.h"
#include "util/encoding.h"
#include "util/hasher.h"

namespace ecrhelm::test {

RegistryServer::RegistryServer(const std::string& user, const std::string& password) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    std::string cfg =
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: " +
        dir_.file("data") +
        "\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n";
    if (!user.empty()) {
      auto r = run_program({"htpasswd", "-Bbn", user, password}, {});
      if (r.exit_code != 0) throw std::runtime_error("htpasswd failed: " + r.err);
      dir_.write("htpasswd", r.out);
      cfg +=
          "auth:\n  htpasswd:\n    realm: basic-realm\n    path: " + dir_.file("htpasswd") + "\n";
    }
    dir_.write("config.yml", cfg);
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"docker-registry", "serve", dir_.file("config.yml")},
        std::map<std::string, std::string>{}, dir_.file("registry.log"));
    if (wait_for_port(port_, std::chrono::seconds(20)) && proc_->running()) return;
    proc_.reset();
  }
  throw std::runtime_error("docker-registry did not start; run scripts/install-deps.sh");
}

std::string RegistryServer::blob_path(const std::string& digest) const {
  auto colon = digest.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("not a digest: " + digest);
  std::string alg = digest.substr(0, colon), hex = digest.substr(colon + 1);
  return dir_.file("data/docker/registry/v2/blobs/" + alg + "/" + hex.substr(0, 2) + "/" + hex +
                   "/data");
}

void RegistryServer::add_tags_in_storage(const std::string& repo, const std::string& digest,
                                         const std::vector<std::string>& tags) const {
  auto colon = digest.find(':');
  if (colon == std::string::npos) throw std::invalid_argument("not a digest: " + digest);
  std::string base =
      dir_.file("data/docker/registry/v2/repositories/" + repo + "/_manifests/tags/");
  std::string index = "index/" + digest.substr(0, colon) + "/" + digest.substr(colon + 1);
  for (const auto& tag : tags) {
    for (const std::string& dir : {base + tag + "/current", base + tag + "/" + index}) {
      std::filesystem::create_directories(dir);
      std::ofstream(dir + "/link", std::ios::binary) << digest;  // no fsync: a test fixture
    }
  }
}

std::string make_tgz(const std::vector<TarEntry>& entries) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a, &out, nullptr,
      [](archive*, void* user, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(user)->append(static_cast<const char*>(buf), n);
        return la_ssize_t(n);
      },
      nullptr);
  for (const auto& r : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, r.path.c_str());
    archive_entry_set_filetype(e, unsigned(r.type));
    archive_entry_set_perm(e, 0644);
    bool has_data = r.type == AE_IFREG && !r.hard;
    if (r.hard) archive_entry_set_hardlink(e, r.link.c_str());
    if (r.type == AE_IFLNK) archive_entry_set_symlink(e, r.link.c_str());
    archive_entry_set_size(e, has_data ? la_int64_t(r.content.size()) : 0);
    archive_write_header(a, e);
    if (has_data) archive_write_data(a, r.content.data(), r.content.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string make_chart_tgz(const std::string& name, const std::string& version,
                           std::map<std::string, std::string> files) {
  if (!files.count("Chart.yaml")) {
    files["Chart.yaml"] = "apiVersion: v2\nname: " + name + "\nversion: " + version +
                          "\ndescription: test chart\ntype: application\n";
  }
  if (!files.count("values.yaml")) files["values.yaml"] = "replicaCount: 1\n";
  std::vector<TarEntry> entries;
  for (const auto& [path, content] : files) entries.emplace_back(name + "/" + path, content);
  return make_tgz(entries);
}

namespace {

http::Request with_auth(http::Request r, const std::string& user, const std::string& password) {
  if (!user.empty())
    r.headers.add("Authorization", "Basic " + base64_encode(user + ":" + password));
  return r;
}

}  // namespace

std::string push_blob(const std::string& registry_url, const std::string& repo,
                      const std::string& data, const std::string& user,
                      const std::string& password) {
  http::CurlHttpClient http;
  std::string digest = digest_of("sha256", data);
  http::Request start;
  start.method = "POST";
  start.url = registry_url + "/v2/" + repo + "/blobs/uploads/";
  auto r1 = http.send(with_auth(start, user, password));
  auto loc = r1.headers.get("Location");
  if (r1.status != 202 || !loc)
    throw std::runtime_error("blob upload start failed: " + std::to_string(r1.status));
  std::string url = loc->starts_with("http") ? *loc : registry_url + *loc;
  url += (url.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") +
         uri_encode(digest);
  http::Request put;
  put.method = "PUT";
  put.url = url;
  put.body = data;
  put.headers.add("Content-Type", "application/octet-stream");
  put.max_response_bytes = 1 << 20;
  auto r2 = http.send(with_auth(put, user, password));
  if (r2.status != 201)
    throw std::runtime_error("blob upload failed: " + std::to_string(r2.status) + " " + r2.body);
  return digest;
}

std::string push_manifest(const std::string& registry_url, const std::string& repo,
                          const std::string& tag, const std::string& manifest,
                          const std::string& media_type, const std::string& user,
                          const std::string& password) {
  http::CurlHttpClient http;
  http::Request put;
  put.method = "PUT";
  put.url = registry_url + "/v2/" + repo + "/manifests/" + tag;
  put.body = manifest;
  put.headers.add("Content-Type", media_type);
  auto r = http.send(with_auth(put, user, password));
  if (r.status != 201)
    throw std::runtime_error("manifest put failed: " + std::to_string(r.status) + " " + r.body);
  return digest_of("sha256", manifest);
}

PushedArtifact push_chart(const std::string& registry_url, const std::string& repo,
                          const std::string& version, const std::string& tgz,
                          const std::string& user, const std::string& password,
                          const std::string& prov) {
  std::string name = repo.substr(repo.rfind('/') + 1);
  std::string config =
      nlohmann::json({{"name", name}, {"version", version}, {"apiVersion", "v2"}}).dump();
  PushedArtifact a;
  a.config_digest = push_blob(registry_url, repo, config, user, password);
  a.chart_digest = push_blob(registry_url, repo, tgz, user, password);
  nlohmann::json layers = nlohmann::json::array();
  layers.push_back({{"mediaType", "application/vnd.cncf.helm.chart.content.v1.tar+gzip"},
                    {"digest", a.chart_digest},
                    {"size", tgz.size()}});
  if (!prov.empty()) {
    layers.push_back({{"mediaType", "application/vnd.cncf.helm.chart.provenance.v1.prov"},
                      {"digest", push_blob(registry_url, repo, prov, user, password)},
                      {"size", prov.size()}});
  }
  nlohmann::json m = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config",
       {{"mediaType", "application/vnd.cncf.helm.config.v1+json"},
        {"digest", a.config_digest},
        {"size", config.size()}}},
      {"layers", layers},
      {"annotations",
       {{"org.opencontainers.image.title", name}, {"org.opencontainers.image.version", version}}}};
  a.manifest = m.dump();
  std::string tag = version;
  for (char& c : tag)
    if (c == '+') c = '_';
  a.manifest_digest = push_manifest(registry_url, repo, tag, a.manifest,
                                    "application/vnd.oci.image.manifest.v1+json", user, password);
  return a;
}

}  // namespace ecrhelm::test
