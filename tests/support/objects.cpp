#include "support/objects.h"

#include "util/encoding.h"

namespace ecrhelm::test {

nlohmann::json make_secret(const std::string& ns, const std::string& name,
                           const std::map<std::string, std::string>& data,
                           const std::map<std::string, std::string>& labels) {
  nlohmann::json d = nlohmann::json::object();
  for (const auto& [k, v] : data) d[k] = base64_encode(v);
  nlohmann::json meta = {{"name", name}, {"namespace", ns}};
  if (!labels.empty()) meta["labels"] = labels;
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"type", "Opaque"},
          {"metadata", meta},
          {"data", d}};
}

nlohmann::json make_argocd_repo_secret(const std::string& ns, const std::string& name,
                                       const std::string& url, const std::string& kind,
                                       bool creds) {
  std::map<std::string, std::string> data = {{"url", url}, {"type", "helm"}, {"enableOCI", "true"}};
  if (creds) {
    data["username"] = "AWS";
    data["password"] = "pw";
  }
  return make_secret(ns, name, data, {{"argocd.argoproj.io/secret-type", kind}});
}

nlohmann::json make_application(const std::string& ns, const std::string& name,
                                const std::vector<std::string>& repo_urls, bool multi,
                                const std::string& condition) {
  nlohmann::json a = {
      {"apiVersion", "argoproj.io/v1alpha1"},
      {"kind", "Application"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec",
       {{"project", "default"},
        {"destination", {{"server", "https://kubernetes.default.svc"}, {"namespace", ns}}}}}};
  auto source = [](const std::string& u) {
    return nlohmann::json{{"repoURL", u}, {"chart", "demo"}, {"targetRevision", "1.2.3"}};
  };
  if (multi) {
    a["spec"]["sources"] = nlohmann::json::array();
    for (const auto& u : repo_urls) a["spec"]["sources"].push_back(source(u));
  } else {
    a["spec"]["source"] = source(repo_urls.at(0));
  }
  if (!condition.empty()) {
    a["status"] = {
        {"conditions",
         nlohmann::json::array({{{"type", condition},
                                 {"message",
                                  "Failed to load target state: failed to generate manifest for "
                                  "source 1 of 1: rpc error: code = Unknown desc = Manifest "
                                  "generation error (cached): 401 Unauthorized"}}})}};
  }
  return a;
}

}  // namespace ecrhelm::test
