#include "cli/repos_output.h"

#include <algorithm>

namespace ecrhelm::cli {

using nlohmann::json;

json repos_json(const std::vector<argocd::ArgoRepoSecret>& secrets, const std::string& ns) {
  json items = json::array();
  for (const auto& r : secrets) {
    json j = {{"name", r.name},
              {"namespace", r.namespace_},
              {"secretType", r.secret_type},
              {"url", r.url},
              {"type", r.type},
              {"enableOCI", r.enable_oci},
              {"usernameSet", r.username_set},
              {"passwordSet", r.password_set}};
    if (!r.project.empty()) j["project"] = r.project;
    if (r.ecr) {
      j["ecr"] = {{"account", r.ecr->account_id},
                  {"region", r.ecr->region},
                  {"host", r.ecr->host},
                  {"public", r.ecr->is_public},
                  {"fips", r.ecr->fips}};
    } else {
      j["ecr"] = nullptr;
    }
    if (r.password_writer) {
      j["passwordWriter"] = {{"manager", r.password_writer->manager},
                             {"operation", r.password_writer->operation},
                             {"time", r.password_writer->time}};
    } else {
      j["passwordWriter"] = nullptr;
    }
    if (r.secret_type == argocd::kArgoSecretTypeRepository) {
      json c = {{"source", argocd::to_string(r.credential_source)},
                {"usernameSet", r.effective_username_set},
                {"passwordSet", r.effective_password_set}};
      c["secret"] = r.credential_source == argocd::CredentialSource::kRepoCreds
                        ? json(r.credentials_secret)
                    : r.credential_source == argocd::CredentialSource::kOwn ? json(r.name)
                                                                            : json(nullptr);
      j["credentials"] = c;
    } else {
      json users = json::array();
      for (const auto& other : secrets)
        if (other.secret_type == argocd::kArgoSecretTypeRepository &&
            other.credential_source == argocd::CredentialSource::kRepoCreds &&
            other.credentials_secret == r.name)
          users.push_back(other.name);
      j["usedBy"] = users;
    }
    j["problems"] = r.problems;
    items.push_back(std::move(j));
  }
  return {{"namespace", ns}, {"items", items}};
}

namespace {

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string credentials_cell(const argocd::ArgoRepoSecret& r) {
  if (r.secret_type != argocd::kArgoSecretTypeRepository) return "-";
  switch (r.credential_source) {
    case argocd::CredentialSource::kOwn:
      return "own";
    case argocd::CredentialSource::kRepoCreds:
      return "repo-creds " + r.credentials_secret;
    case argocd::CredentialSource::kNone:
      return "none";
  }
  return "none";
}

}  // namespace

std::string repos_table(const std::vector<argocd::ArgoRepoSecret>& secrets, bool wide) {
  std::vector<std::string> header = {"NAME", "SECRET-TYPE", "URL",      "TYPE",       "OCI",
                                     "ECR",  "USERNAME",    "PASSWORD", "CREDENTIALS"};
  if (wide) {
    for (const char* h : {"ECR-ACCOUNT", "PASSWORD-WRITER", "PASSWORD-WRITTEN", "PROBLEMS"})
      header.emplace_back(h);
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& r : secrets) {
    // A repository shows the credentials Argo CD ends up with; repo-creds their own.
    bool user = r.secret_type == argocd::kArgoSecretTypeRepository ? r.effective_username_set
                                                                   : r.username_set;
    bool pass = r.secret_type == argocd::kArgoSecretTypeRepository ? r.effective_password_set
                                                                   : r.password_set;
    std::vector<std::string> row = {
        r.name,
        r.secret_type,
        r.url.empty() ? "<none>" : r.url,
        r.type.empty() ? "<none>" : r.type,
        r.enable_oci_raw.empty() ? "-" : (r.enable_oci ? "true" : "false"),
        r.ecr ? r.ecr->region : "-",
        yes_no(user),
        yes_no(pass),
        credentials_cell(r)};
    if (wide) {
      std::string problems;
      for (const auto& p : r.problems) problems += (problems.empty() ? "" : "; ") + p;
      row.push_back(r.ecr && !r.ecr->account_id.empty() ? r.ecr->account_id : "-");
      row.push_back(r.password_writer ? r.password_writer->manager : "-");
      row.push_back(r.password_writer && !r.password_writer->time.empty() ? r.password_writer->time
                                                                          : "-");
      row.push_back(problems.empty() ? "-" : problems);
    }
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(header.size(), 0);
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 3, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace ecrhelm::cli
