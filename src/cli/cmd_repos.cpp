// `ecrhelm repos`: the Argo CD repository credentials in a namespace as Argo
// CD reads them (repo-creds by longest URL prefix), with ECR hosts and who
// last wrote each password; never a credential value. The rules live in
// controller/argocd_repos.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/help.h"
#include "cli/runtime.h"
#include "cli/yaml_output.h"
#include "controller/argocd_repos.h"
#include "kube/client.h"
#include "kube/rest_config.h"

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
            lo.label_selector = controller::kArgoRepoSecretSelector;
            kube::ListResult list = kube.list(kube::resources::kSecrets, opts->ns, lo);
            spdlog::debug("repos: {} secrets labelled {} in {} ({})", list.items.size(),
                          controller::kArgoSecretTypeLabel, opts->ns, kube.config().source);
            auto secrets = controller::resolve_repo_secrets(list.items);
            if (opts->output == "json" || opts->output == "yaml") {
              auto doc = controller::repo_secrets_to_json(secrets, opts->ns);
              std::cout << (opts->output == "json" ? doc.dump(2) + "\n" : to_yaml(doc));
              return 0;
            }
            if (secrets.empty()) {
              std::cerr << "No Argo CD repository or repo-creds secrets in namespace " << opts->ns
                        << " (label " << controller::kArgoSecretTypeLabel << ").\n";
              return 0;
            }
            std::cout << controller::repo_secrets_table(secrets, opts->output == "wide");
            if (opts->output != "wide") {
              for (const auto& s : secrets)
                for (const auto& p : s.problems)
                  std::cerr << "warning: secret " << opts->ns << "/" << s.name << ": " << p << "\n";
            }
            return 0;
          }};
}

}  // namespace ecrhelm::cli
