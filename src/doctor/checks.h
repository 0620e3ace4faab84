// Inside doctor/: what the links of the chain find and hand down (the local
// credentials, the service account, the role, its token, the Argo CD
// secret's credentials), and the checks, defined one file per link:
// aws.cpp, irsa.cpp, argocd.cpp, registry.cpp; doctor.cpp runs them in order.
// Tests call single checks on a Doctor whose earlier links they set.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "argocd/repo_secrets.h"
#include "aws/arn.h"
#include "aws/credentials.h"
#include "aws/ecr_host.h"
#include "aws/ecr_login.h"
#include "doctor/doctor.h"
#include "doctor/report.h"
#include "kube/client.h"
#include "oci/reference.h"
#include "util/error.h"
#include "util/secret.h"
#include "util/strings.h"
#include "util/time.h"

namespace ecrhelm::doctor {

inline constexpr const char* kRoleArnAnnotation = "eks.amazonaws.com/role-arn";
inline constexpr const char* kStsAudience = "sts.amazonaws.com";
inline constexpr int64_t kTokenRequestSeconds = 600;  // the API's minimum
inline constexpr auto kEcrTokenLifetime = std::chrono::hours(12);

// "in 3h0m0s" or "5m0s ago".
std::string in_time(TimePoint t, TimePoint now);
// The fix for a failed AWS call, by what went wrong.
std::string aws_fix(ErrorKind kind, const std::string& what);

// What the Argo CD check found and the registry check uses.
struct ArgoCredentials {
  std::string secret;  // "ns/name" of the secret holding them
  std::string username;
  Secret password;
  bool plain_http = false;  // insecureOCIForceHttp: "true"
  bool insecure = false;    // insecure: "true" (no TLS verification)
};

class Doctor {
 public:
  Doctor(const Options& o, Services& s) : o_(o), s_(s), kube_(std::move(s.kube)) {}

  Report run();

  // doctor.cpp
  void resolve_chart();
  void connect_kube();
  // aws.cpp
  void check_aws_identity();
  void check_web_identity();
  void check_ecr_token();
  // irsa.cpp
  void check_service_account();
  void check_automount();
  void check_token();
  void check_rollout();
  // argocd.cpp
  void check_argocd();
  void check_repo_type_and_url(const argocd::ArgoRepoSecret& repo, bool oci_prefixed);
  bool check_credentials(const nlohmann::json& cred_raw, const argocd::ArgoRepoSecret& cred_secret);
  void check_applications(const std::vector<argocd::ArgoRepoSecret>& secrets, size_t creds);
  void check_external_secret(const std::string& secret);
  // registry.cpp
  void check_registry();

  const Report& report() const { return r_; }

  // What the links find, for the links after them.
  std::optional<oci::Reference> chart_ref_;
  std::string repo_url_;  // Argo CD's repoURL for the chart (no oci://)
  std::optional<aws::Credentials> local_creds_;
  std::string caller_arn_;
  std::optional<nlohmann::json> sa_;
  std::optional<nlohmann::json> deployment_;
  std::optional<std::string> role_arn_;
  std::optional<aws::RoleArn> role_;
  std::optional<Secret> sa_token_;
  std::string token_issuer_;
  std::optional<aws::Credentials> web_creds_;
  std::optional<ArgoCredentials> argo_creds_;

 private:
  TimePoint now() const { return s_.service.clock->now(); }
  std::string sa_name() const { return o_.ns + "/" + o_.service_account; }
  std::string deploy_name() const { return o_.ns + "/" + o_.deployment; }
  // Skips `check` when there is no cluster connection; true when there is.
  bool need_kube(const char* check);
  // The chart's registry as ECR (an ECR host name, or one listed in
  // ECRHELM_ECR_REGISTRIES); nullopt for other registries or without --chart.
  std::optional<aws::EcrTarget> chart_ecr_target() const;
  std::string sts_region() const;
  // When the role annotation was written: the managedFields entry owning it.
  std::optional<TimePoint> annotation_time() const;

  const Options& o_;
  Services& s_;
  Report r_;
  std::unique_ptr<kube::KubeClient> kube_;
};

}  // namespace ecrhelm::doctor
