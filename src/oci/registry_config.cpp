#include "oci/registry_config.h"

#include <nlohmann/json.hpp>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::oci {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

}  // namespace

nlohmann::json read_registry_config(const std::string& path) {
  if (!file_exists(path)) return nlohmann::json::object();
  std::string text = read_file(path, "registry config", kMaxConfigBytes);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nlohmann::json::object();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail(ErrorKind::kInvalidInput,
         "registry config {} is not a JSON object; fix or move it away (it was not changed)", path);
  }
  return j;
}

namespace {

void save(const std::string& path, const nlohmann::json& j) {
  write_file_atomic(path, j.dump(1, '\t') + "\n", 0600, 0700);
}

nlohmann::json& object_member(nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) j[key] = nlohmann::json::object();
  if (!j[key].is_object()) {
    fail(ErrorKind::kInvalidInput, "registry config {}: \"{}\" is not an object; fix the file",
         path, key);
  }
  return j[key];
}

}  // namespace

std::string helm_registry_config_path(const Env& env) {
  if (auto p = env.get_nonempty("HELM_REGISTRY_CONFIG")) return *p;
  if (auto x = env.get_nonempty("XDG_CONFIG_HOME")) return *x + "/helm/registry/config.json";
  return env.home() + "/.config/helm/registry/config.json";
}

std::string docker_config_path(const Env& env) {
  if (auto d = env.get_nonempty("DOCKER_CONFIG")) return *d + "/config.json";
  return env.home() + "/.docker/config.json";
}

void store_basic_auth(const std::string& path, const std::string& host, const std::string& user,
                      const Secret& password) {
  auto j = read_registry_config(path);
  auto& auths = object_member(j, "auths", path);
  auths[host] = {{"auth", base64_encode(user + ":" + password.reveal())}};
  save(path, j);
}

void store_cred_helper(const std::string& path, const std::string& host,
                       const std::string& helper) {
  store_cred_helpers(path, {host}, helper);
}

void store_cred_helpers(const std::string& path, const std::vector<std::string>& hosts,
                        const std::string& helper) {
  auto j = read_registry_config(path);
  auto& helpers = object_member(j, "credHelpers", path);
  for (const auto& host : hosts) helpers[host] = helper;
  save(path, j);
}

std::optional<std::string> creds_store(const std::string& path) {
  auto j = read_registry_config(path);
  if (auto it = j.find("credsStore");
      it != j.end() && it->is_string() && !it->get<std::string>().empty())
    return it->get<std::string>();
  return std::nullopt;
}

}  // namespace ecrhelm::oci
