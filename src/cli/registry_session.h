// What pull, tags and show share: the registry flags Helm users know and the
// client stack built from them (credentials -> auth -> registry -> puller).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "cli/runtime.h"
#include "http/client.h"
#include "oci/chart_puller.h"
#include "oci/registry_credentials.h"

namespace ecrhelm::cli {

struct RegistryFlags {
  bool plain_http = false;
  std::string ca_file;
  bool insecure = false;
  std::string username;
  bool password_stdin = false;
  bool ecr = false;
  std::string region;
  std::string chart;  // Argo CD form: REF is the repo URL, this is the chart name
};

void add_registry_flags(CLI::App* sub, RegistryFlags& f);
// REF as oci://HOST/REPO/CHART[:TAG][@DIGEST], or Argo CD's repo URL + --chart.
oci::Reference parse_chart_ref(const std::string& ref, const RegistryFlags& f);

// The error for a registry whose TLS certificate is not trusted: one line
// naming the registry and the flags that fix it.
Error tls_hint(const http::TlsVerifyError& e);
// Runs a registry command's body, turning a TLS verification failure into
// tls_hint's error.
int run_registry_command(const std::function<int()>& body);

class RegistrySession {
 public:
  RegistrySession(Runtime& rt, const RegistryFlags& f);
  oci::ChartPuller& puller() { return puller_; }
  oci::RegistryClient& client() { return client_; }

 private:
  http::CurlHttpClient http_;
  std::shared_ptr<aws::EcrTokenSource> ecr_;
  oci::DefaultRegistryCredentials creds_;
  oci::AuthClient auth_;
  oci::RegistryClient client_;
  oci::ChartPuller puller_;
};

}  // namespace ecrhelm::cli
