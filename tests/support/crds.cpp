#include "support/crds.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <regex>
#include <thread>

#include "kube/objects.h"
#include "support/kube.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::test {
namespace {

using nlohmann::json;

constexpr auto kEstablishedTimeout = std::chrono::seconds(30);
constexpr auto kEstablishedPoll = std::chrono::milliseconds(100);
// Parallel test processes may update the same CRD: retries after a 409.
constexpr int kUpdateAttempts = 10;

// A plain (untagged, unquoted) scalar as YAML 1.2's core schema types it.
json plain_scalar(const std::string& s) {
  static const std::regex kInt(R"([-+]?[0-9]+)");
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (const std::out_of_range&) {
      return s;
    }
  }
  if (std::regex_match(s, kFloat)) return std::stod(s);
  return s;
}

json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& v : n) a.push_back(to_json(v));
      return a;
    }
    case YAML::NodeType::Scalar:
      // "?" = plain; "!" = quoted or a literal/folded block: always a string.
      return n.Tag() == "?" ? plain_scalar(n.Scalar()) : json(n.Scalar());
    default:
      return nullptr;
  }
}

bool established(const json& crd) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) return false;
  for (const auto& c : crd["status"]["conditions"]) {
    if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
  }
  return false;
}

// Creates the CRD, or brings an installed one to the file's spec.
void create_or_update(kube::KubeClient& client, const json& crd) {
  const auto& rt = kube::resources::kCustomResourceDefinitions;
  try {
    client.create(rt, "", crd);
    return;
  } catch (const kube::ApiError& e) {
    if (!kube::is_already_exists(e)) throw;
  }
  for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
    json current = client.get(rt, "", crd["metadata"]["name"]);
    // The server adds defaults (conversion, preserveUnknownFields...): compare what we set.
    bool same = true;
    for (const auto& [k, v] : crd["spec"].items()) {
      if (!current["spec"].contains(k) || current["spec"][k] != v) same = false;
    }
    if (same) return;
    json updated = current;
    for (const auto& [k, v] : crd["spec"].items()) updated["spec"][k] = v;
    try {
      client.update(rt, "", updated);
      return;
    } catch (const kube::ApiError& e) {
      if (!kube::is_conflict(e)) throw;
    }
  }
  fail(ErrorKind::kConflict, "CRD {} kept changing while being updated",
       crd["metadata"]["name"].get<std::string>());
}

}  // namespace

std::vector<json> parse_manifests(const std::string& yaml_text) {
  std::vector<json> out;
  try {
    for (const auto& doc : YAML::LoadAll(yaml_text)) {
      if (!doc.IsDefined() || doc.IsNull()) continue;
      out.push_back(to_json(doc));
    }
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::kInvalidInput, "manifest is not valid YAML: {}", e.what());
  }
  return out;
}

std::vector<json> load_manifests(const std::string& path) {
  try {
    return parse_manifests(read_file(path, "manifest"));
  } catch (const Error& e) {
    fail(e.kind(), "{}: {}", path, e.what());
  }
}

void install_crd_files(const std::vector<std::string>& files) {
  auto client = admin_client();
  std::vector<std::string> names;
  for (const auto& file : files) {
    for (const auto& crd : load_manifests(file)) {
      names.push_back(crd["metadata"]["name"]);
      create_or_update(*client, crd);
    }
  }
  for (const auto& name : names) {
    const auto deadline = std::chrono::steady_clock::now() + kEstablishedTimeout;
    bool ok = false;
    while (!ok && std::chrono::steady_clock::now() < deadline) {
      ok = established(client->get(kube::resources::kCustomResourceDefinitions, "", name));
      if (!ok) std::this_thread::sleep_for(kEstablishedPoll);
    }
    if (!ok) fail(ErrorKind::kRemote, "CRD {} did not become Established", name);
  }
}

void install_crds() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> files;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(ECRHELM_SOURCE_DIR) + "/deploy/crds")) {
      if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    install_crd_files(files);
  });
}

void install_argocd_crds() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string dir = std::string(ECRHELM_SOURCE_DIR) + "/tests/data/argocd-crds/v3.5.1/";
    install_crd_files({dir + "application-crd.yaml", dir + "appproject-crd.yaml"});
  });
}

// The seed's generator.yaml, <REGION> filled in.
nlohmann::json seed_generator(const std::string& ns) {
  return {{"apiVersion", "generators.external-secrets.io/v1alpha1"},
          {"kind", "ECRAuthorizationToken"},
          {"metadata", {{"name", "ecr-gen"}, {"namespace", ns}}},
          {"spec",
           {{"region", "us-east-1"},
            {"auth",
             {{"secretRef",
               {{"accessKeyIDSecretRef", {{"name", "awssm-secret"}, {"key", "access-key"}}},
                {"secretAccessKeySecretRef",
                 {{"name", "awssm-secret"}, {"key", "secret-access-key"}}}}}}}}}};
}

// The seed's external-secret.yaml, REPO_SECRET_NAME and the template filled in.
nlohmann::json seed_external_secret(const std::string& ns, const std::string& repo_secret) {
  return {{"apiVersion", "external-secrets.io/v1beta1"},
          {"kind", "ExternalSecret"},
          {"metadata", {{"name", repo_secret}, {"namespace", ns}}},
          {"spec",
           {{"refreshInterval", "12h"},
            {"target",
             {{"name", repo_secret},
              {"creationPolicy", "Merge"},
              {"template", {{"data", {{"password", "{{ .password }}"}}}}}}},
            {"dataFrom",
             nlohmann::json::array({{{"sourceRef",
                                      {{"generatorRef",
                                        {{"apiVersion", "generators.external-secrets.io/v1alpha1"},
                                         {"kind", "ECRAuthorizationToken"},
                                         {"name", "ecr-gen"}}}}}}})}}}};
}

}  // namespace ecrhelm::test
