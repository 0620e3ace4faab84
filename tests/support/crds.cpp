#include "support/crds.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "kube/objects.h"
#include "support/kube.h"
#include "util/error.h"

namespace ecrhelm::test {
namespace {

nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& v : n) a.push_back(to_json(v));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() != "!") {  // plain scalars: booleans as booleans
        if (s == "true") return true;
        if (s == "false") return false;
      }
      return s;
    }
    default:
      return nullptr;
  }
}

bool established(const nlohmann::json& crd) {
  if (!crd.contains("status") || !crd["status"].contains("conditions")) return false;
  for (const auto& c : crd["status"]["conditions"]) {
    if (c.value("type", "") == "Established" && c.value("status", "") == "True") return true;
  }
  return false;
}

}  // namespace

void install_crds() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto client = admin_client();
    std::vector<std::string> names;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::string(ECRHELM_SOURCE_DIR) + "/deploy/crds")) {
      nlohmann::json crd = to_json(YAML::LoadFile(entry.path().string()));
      names.push_back(crd["metadata"]["name"]);
      try {
        client->create(kube::resources::kCustomResourceDefinitions, "", crd);
      } catch (const kube::ApiError& e) {
        if (!kube::is_already_exists(e)) throw;
      }
    }
    for (const auto& name : names) {
      bool ok = false;
      for (int i = 0; i < 300 && !ok; ++i) {
        ok = established(client->get(kube::resources::kCustomResourceDefinitions, "", name));
        if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (!ok) fail(ErrorKind::kRemote, "CRD {} did not become Established", name);
    }
  });
}

}  // namespace ecrhelm::test
