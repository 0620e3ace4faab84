// `ecrhelm login HOST`: writes a fresh ECR credential into Helm's registry
// config and/or Docker's config (atomic, 0600, other entries kept), or points
// Helm or Docker at the credential helper so no password is stored at all.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "aws/ecr_login.h"
#include "cli/help.h"
#include "cli/runtime.h"
#include "oci/registry_config.h"
#include "util/error.h"

namespace ecrhelm::cli {

Command add_login(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string host;
    std::string region;
    bool helm = false;
    bool docker = false;
    bool use_helper = false;
    std::string registry_config;
  };
  auto opts = std::make_shared<Opts>();
  auto* sub = app.add_subcommand("login", "write an ECR login into Helm's and/or Docker's config");
  sub->add_option("host", opts->host,
                  "ECR registry host; default: your own registry in --region (from the token)");
  sub->add_option("--region", opts->region, "region when no host is given");
  sub->add_flag("--helm", opts->helm, "write Helm's registry config (the default)");
  sub->add_flag("--docker", opts->docker, "write Docker's config.json");
  sub->add_flag("--use-credential-helper", opts->use_helper,
                "set credHelpers[host]=ecrhelm (in Helm's registry config and/or Docker's "
                "config) instead of storing a password");
  sub->add_option("--registry-config", opts->registry_config,
                  "Helm registry config path (default: $HELM_REGISTRY_CONFIG or "
                  "~/.config/helm/registry/config.json)");
  set_examples(
      sub,
      {{"ecrhelm login 123456789012.dkr.ecr.us-west-2.amazonaws.com", "Helm's registry config"},
       {"ecrhelm login --region us-west-2 --helm --docker", "both configs, your own registry"},
       {"ecrhelm login 123456789012.dkr.ecr.us-west-2.amazonaws.com --docker "
        "--use-credential-helper",
        "credHelpers, no password"}});
  return {sub, [&g, opts]() {
            Runtime rt(g);
            bool helm = opts->helm || !opts->docker;
            // A host listed in ECRHELM_ECR_REGISTRIES (a VPC endpoint name, a
            // proxy) is ECR under another name; anything else must be ECR.
            std::optional<aws::EcrTarget> alias;
            if (!opts->host.empty())
              alias = aws::ecr_target_for_host(opts->host, opts->region, rt.env());
            auto target =
                alias ? *alias : aws::resolve_ecr_target(opts->host, opts->region, false, rt.env());
            std::string host = target.registry_host;
            std::string helm_path = opts->registry_config.empty()
                                        ? oci::helm_registry_config_path(rt.env())
                                        : opts->registry_config;
            std::vector<std::string> written;
            if (opts->use_helper) {
              if (host.empty()) {
                throw ecrhelm::Error(
                    ErrorKind::kInvalidInput,
                    "--use-credential-helper needs the registry host as an "
                    "argument (e.g. 123456789012.dkr.ecr.us-west-2.amazonaws.com)");
              }
              if (helm) {
                oci::store_cred_helper(helm_path, host, "ecrhelm");
                written.push_back(helm_path);
              }
              if (opts->docker) {
                std::string path = oci::docker_config_path(rt.env());
                oci::store_cred_helper(path, host, "ecrhelm");
                written.push_back(path);
              }
              std::cout << "Login Succeeded\n";
              for (const auto& w : written)
                std::cerr << fmt::format(
                    "ecrhelm: {} now uses docker-credential-ecrhelm for {} (no password stored; "
                    "the helper must be on PATH)\n",
                    w, host);
              return 0;
            }
            aws::EcrTokenSource source(rt.providers(), {g.profile}, nullptr);
            aws::AuthorizationToken tok = source.token(target);
            if (host.empty()) {
              host = tok.proxy_endpoint;
              if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
            }
            if (helm) {
              oci::store_basic_auth(helm_path, host, tok.username, tok.password);
              written.push_back(helm_path);
            }
            if (opts->docker) {
              std::string path = oci::docker_config_path(rt.env());
              if (auto store = oci::creds_store(path)) {
                spdlog::warn(
                    "{} sets credsStore={}, which Docker consults before auths; consider "
                    "`ecrhelm login --docker --use-credential-helper {}`",
                    path, *store, host);
              }
              oci::store_basic_auth(path, host, tok.username, tok.password);
              written.push_back(path);
            }
            std::cout << "Login Succeeded\n";
            for (const auto& w : written)
              std::cerr << fmt::format("ecrhelm: wrote {} for {} (expires {})\n", w, host,
                                       format_iso8601(tok.expires_at));
            return 0;
          }};
}

}  // namespace ecrhelm::cli
