#include "argocd/applications.h"

#include <algorithm>

namespace ecrhelm::argocd {

using nlohmann::json;

std::vector<std::string> application_repo_urls(const json& app) {
  std::vector<std::string> urls;
  auto add = [&urls](const json& source) {
    if (!source.is_object()) return;
    auto it = source.find("repoURL");
    if (it == source.end() || !it->is_string()) return;
    std::string u = it->get<std::string>();
    if (!u.empty() && std::find(urls.begin(), urls.end(), u) == urls.end()) urls.push_back(u);
  };
  auto spec = app.find("spec");
  if (spec == app.end() || !spec->is_object()) return urls;
  if (auto s = spec->find("source"); s != spec->end()) add(*s);
  if (auto s = spec->find("sources"); s != spec->end() && s->is_array()) {
    for (const auto& src : *s) add(src);
  }
  return urls;
}

bool url_uses_secret(const std::vector<ArgoRepoSecret>& resolved, size_t rotated,
                     std::string_view url) {
  if (rotated >= resolved.size()) return false;
  const ArgoRepoSecret& s = resolved[rotated];
  if (s.secret_type == kArgoSecretTypeRepository) {
    // A project-scoped repository serves that project's Applications; the
    // project is not checked here (a refresh of another project's app that
    // has the same URL is harmless).
    return normalize_repo_url(s.url) == normalize_repo_url(url);
  }
  UrlResolution r = resolve_url(resolved, url);
  return r.source == CredentialSource::kRepoCreds && r.repo_creds == rotated;
}

bool application_errored(const json& app) {
  auto status = app.find("status");
  if (status == app.end() || !status->is_object()) return false;
  auto conds = status->find("conditions");
  if (conds == status->end() || !conds->is_array()) return false;
  for (const auto& c : *conds) {
    if (!c.is_object()) continue;
    if (c.value("type", "") == "ComparisonError") return true;
    auto m = c.find("message");
    if (m != c.end() && m->is_string() &&
        m->get<std::string>().find("Manifest generation error (cached)") != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace ecrhelm::argocd
