// `ecrhelm repos`: the Argo CD repository credentials in a namespace as Argo
// CD reads them (repo-creds by longest URL prefix), with ECR hosts and who
// last wrote each password; never a credential value. The rules live in
// argocd/repo_secrets, the output shapes in cli/repos_output.
#include <spdlog/spdlog.h>

#include <iostream>

#include "argocd/repo_secrets.h"
#include "cli/help.h"
#include "cli/repos_output.h"
#include "cli/runtime.h"
#include "kube/client.h"
#include "kube/rest_config.h"
#include "util/yaml_output.h"

namespace ecrhelm::cli {

Command add_repos(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string ns = "argocd";
    std::string kubeconfig;
    std::string context;
    std::string output = "table";
  };
  auto opts = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "repos",
      "list Argo CD repository and repo-creds secrets: URL, type, enableOCI, ECR host, "
      "which credentials Argo CD uses, who last wrote the password (never its value)");
  sub->add_option("-n,--namespace", opts->ns, "Argo CD's namespace")->capture_default_str();
  sub->add_option("--kubeconfig", opts->kubeconfig,
                  "kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  sub->add_option("--context", opts->context, "kubeconfig context");
  sub->add_option("-o,--output", opts->output, "table, wide, json or yaml")
      ->check(output_formats({"table", "wide", "json", "yaml"}));
  set_examples(sub, {{"ecrhelm repos", "Argo CD's repository secrets in argocd"},
                     {"ecrhelm repos -n argocd -o wide", "with the password's writer"},
                     {"ecrhelm repos --context prod -o json", ""}});
  return {sub, [&g, opts]() {
            Runtime rt(g);
            kube::ConfigOptions co;
            co.kubeconfig = opts->kubeconfig;
            co.context = opts->context;
            kube::KubeClient kube(kube::load_rest_config(co, rt.env()));
            kube::ListOptions lo;
            lo.label_selector = argocd::kArgoRepoSecretSelector;
            kube::ListResult list = kube.list(kube::resources::kSecrets, opts->ns, lo);
            spdlog::debug("repos: {} secrets labelled {} in {} ({})", list.items.size(),
                          argocd::kArgoSecretTypeLabel, opts->ns, kube.config().source);
            auto secrets = argocd::resolve_repo_secrets(list.items);
            if (opts->output == "json" || opts->output == "yaml") {
              auto doc = repos_json(secrets, opts->ns);
              std::cout << (opts->output == "json" ? doc.dump(2) + "\n" : to_yaml(doc));
              return 0;
            }
            if (secrets.empty()) {
              std::cerr << "No Argo CD repository or repo-creds secrets in namespace " << opts->ns
                        << " (label " << argocd::kArgoSecretTypeLabel << ").\n";
              return 0;
            }
            std::cout << repos_table(secrets, opts->output == "wide");
            if (opts->output != "wide") {
              for (const auto& s : secrets)
                for (const auto& p : s.problems)
                  std::cerr << "warning: secret " << opts->ns << "/" << s.name << ": " << p << "\n";
            }
            return 0;
          }};
}

}  // namespace ecrhelm::cli
