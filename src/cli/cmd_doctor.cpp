// `ecrhelm doctor`: its flags and its output (text or JSON); the checks,
// one file per link of the chain, are in src/doctor/.
#include <iostream>
#include <memory>

#include "cli/help.h"
#include "cli/runtime.h"
#include "doctor/doctor.h"

namespace ecrhelm::cli {

Command add_doctor(CLI::App& app, GlobalFlags& g) {
  struct Opts : doctor::Options {
    std::string output = "text";
  };
  auto o = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "doctor",
      "check the chain the seed sets up, link by link (AWS identity, IRSA wiring, ECR, the "
      "Argo CD repository secret, the chart) and say how to fix what is broken");
  sub->add_option("-o,--output", o->output, "text or json")
      ->check(output_formats({"text", "json"}));
  sub->add_option("--region", o->region, "AWS region (default: AWS_REGION, profile, ECR host)");
  sub->add_option("--role-arn", o->role_arn,
                  "the IAM role the repo server should use (arn:aws:iam::ACCOUNT:role/NAME)");
  sub->add_option("-n,--namespace", o->ns, "Argo CD's namespace")->capture_default_str();
  sub->add_option("--kubeconfig", o->kubeconfig,
                  "kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  sub->add_option("--context", o->context, "kubeconfig context");
  sub->add_option("--service-account", o->service_account,
                  "the repo server's service account (IRSA checks), e.g. argocd-repo-server");
  sub->add_option("--deployment", o->deployment,
                  "the repo server's deployment (IRSA checks), e.g. argocd-repo-server");
  sub->add_option("--issuer-url", o->issuer_url,
                  "the OIDC issuer the role's trust policy names (compared with the token's iss)");
  sub->add_option("--chart", o->chart,
                  "oci://HOST/REPO/CHART, or the chart name with --repo-url (Argo CD checks and "
                  "the registry check)");
  sub->add_option("--repo-url", o->repo_url,
                  "Argo CD's repoURL (no oci://) when --chart is a chart name");
  sub->add_option("--version", o->version, "exact version or constraint (default: highest)");
  sub->add_flag("--plain-http", o->plain_http, "use http instead of https for the registry");
  sub->add_option("--ca-file", o->ca_file, "CA bundle for the registry's TLS certificate")
      ->check(CLI::ExistingFile);
  sub->add_flag("--insecure-skip-tls-verify", o->insecure,
                "do not verify the registry's certificate");
  set_examples(sub,
               {{"ecrhelm doctor", "the local AWS identity"},
                {"ecrhelm doctor --role-arn arn:aws:iam::123456789012:role/argocd-repo-server-ecr "
                 "--service-account argocd-repo-server --deployment argocd-repo-server",
                 "IRSA wiring"},
                {"ecrhelm doctor --chart "
                 "oci://123456789012.dkr.ecr.us-west-2.amazonaws.com/charts/demo -o json",
                 "down to the chart"}});
  return {sub, [&g, o]() {
            Runtime rt(g);
            doctor::Services services{rt.service(), rt.providers(), rt.flags().profile, nullptr,
                                      nullptr};
            doctor::Report report = doctor::run(*o, services);
            if (o->output == "json") {
              std::cout << report.json().dump(2) << "\n";
            } else {
              std::cout << report.text();
            }
            return report.failed() ? doctor::kFailedExitCode : 0;
          }};
}

}  // namespace ecrhelm::cli
