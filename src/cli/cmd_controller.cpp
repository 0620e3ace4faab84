// `ecrhelm controller`: ESO's ECR token rotation (ExternalSecret +
// ECRAuthorizationToken) and the annotation mode, in one process, with
// controller-runtime's flags. Flag parsing only: the flags become
// controller::AppOptions, and controller::run (src/controller/app.h) runs
// the process on a runtime::Manager.
#include <chrono>
#include <set>

#include "aws/chain.h"
#include "cli/help.h"
#include "cli/runtime.h"
#include "controller/app.h"
#include "kube/rest_config.h"

namespace ecrhelm::cli {

Command add_controller(CLI::App& app, GlobalFlags& g) {
  struct Opts {
    std::string kubeconfig;
    std::string context;
    std::vector<std::string> namespaces;
    int concurrent = 4;
    bool no_annotation_mode = false;
    bool no_external_secrets = false;
    int resync_seconds = 600;
    // ESO's defaults (client-go's are 5 and 10; ours were 20 and 30): with
    // about 2 requests per sync, 5,000 due objects take under 4 minutes.
    double qps = 50;
    int burst = 100;
    bool leader_elect = false;
    std::string leader_election_id = "ecrhelm-controller";
    std::string leader_election_namespace;
    std::string metrics_bind_address = ":8080";
    std::string health_probe_bind_address = ":8081";
    std::vector<std::string> default_credentials_namespaces;
    bool allow_role_arn_annotations = false;
    std::vector<std::string> allowed_role_arns;
    std::string argocd_refresh = "errored";
    std::vector<std::string> argocd_namespaces;
  };
  auto opts = std::make_shared<Opts>();
  auto* sub = app.add_subcommand(
      "controller",
      "keep Argo CD repository secrets' ECR passwords fresh: reconciles ESO's "
      "ExternalSecret + ECRAuthorizationToken and secrets labelled ecrhelm.io/managed=true");
  sub->add_option("--kubeconfig", opts->kubeconfig,
                  "kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  sub->add_option("--context", opts->context, "kubeconfig context");
  sub->add_option("--namespace", opts->namespaces,
                  "watch only this namespace (repeatable; default: all)");
  sub->add_option("--concurrent", opts->concurrent, "reconcile workers")->check(CLI::Range(1, 64));
  sub->add_option("--resync-period", opts->resync_seconds, "seconds between full resyncs")
      ->check(CLI::Range(10, 86400));
  sub->add_option("--kube-api-qps", opts->qps,
                  "client-side rate limit to the API server, requests per second (as ESO's)")
      ->check(CLI::Range(0.1, 10000.0));
  sub->add_option("--kube-api-burst", opts->burst, "burst of that rate limit (as ESO's)")
      ->check(CLI::Range(1, 100000));
  sub->add_flag("--no-annotation-mode", opts->no_annotation_mode,
                "ignore secrets labelled ecrhelm.io/managed=true");
  sub->add_flag("--no-external-secrets", opts->no_external_secrets,
                "do not serve ExternalSecrets (no CRDs needed)");
  sub->add_flag("--leader-elect", opts->leader_elect,
                "run only while holding a coordination.k8s.io/v1 Lease (15s lease, 10s renew, 2s "
                "retry)");
  sub->add_option("--leader-election-id", opts->leader_election_id, "the Lease's name");
  sub->add_option("--leader-election-namespace", opts->leader_election_namespace,
                  "the Lease's namespace (default: the pod's or context's namespace, else "
                  "default)");
  sub->add_option("--metrics-bind-address", opts->metrics_bind_address,
                  "Prometheus /metrics address (\"0\" disables)");
  sub->add_option("--health-probe-bind-address", opts->health_probe_bind_address,
                  "/healthz and /readyz address (\"0\" disables)");
  sub->add_option("--default-credentials-namespaces", opts->default_credentials_namespaces,
                  "namespaces whose generators without spec.auth, and whose annotation-mode "
                  "secrets, may use the controller's own AWS credentials (repeatable or "
                  "comma-separated; default: every watched namespace, as ESO)")
      ->delimiter(',');
  sub->add_flag("--allow-role-arn-annotations", opts->allow_role_arn_annotations,
                "annotation mode: assume any role named by ecrhelm.io/role-arn (default: none)");
  sub->add_option("--allowed-role-arns", opts->allowed_role_arns,
                  "annotation mode: assume a role from ecrhelm.io/role-arn only when it matches "
                  "one of these globs, e.g. 'arn:aws:iam::123456789012:role/argocd-*' "
                  "(repeatable or comma-separated)")
      ->delimiter(',');
  sub->add_option("--argocd-refresh", opts->argocd_refresh,
                  "after a rotation, annotate Argo CD Applications that use the repository with "
                  "argocd.argoproj.io/refresh=hard: errored (those with a ComparisonError or a "
                  "cached generation error), all, or none")
      ->check(CLI::IsMember({"errored", "all", "none"}));
  sub->add_option("--argocd-namespaces", opts->argocd_namespaces,
                  "where Argo CD Applications live (repeatable or comma-separated; default: the "
                  "rotated secret's namespace)")
      ->delimiter(',');
  set_examples(
      sub,
      {{"ecrhelm controller --namespace argocd --leader-elect", "in the cluster (charts/ecrhelm)"},
       {"ecrhelm controller --kubeconfig ~/.kube/config --context dev --metrics-bind-address 0 -v",
        "from a laptop"},
       {"ecrhelm controller --default-credentials-namespaces argocd --allowed-role-arns "
        "'arn:aws:iam::123456789012:role/argocd-*'",
        "multi-tenant"}});
  return {
      sub, [&g, opts]() {
        Runtime rt(g);
        kube::ConfigOptions co;
        co.kubeconfig = opts->kubeconfig;
        co.context = opts->context;
        kube::RestConfig rc = kube::load_rest_config(co, rt.env());
        rc.qps = opts->qps;
        rc.burst = opts->burst;

        controller::AppOptions ao;
        auto& c = ao.controllers;
        c.namespaces = opts->namespaces;
        c.workers = opts->concurrent;
        c.annotation_mode = !opts->no_annotation_mode;
        c.external_secrets = !opts->no_external_secrets;
        c.resync = std::chrono::seconds(opts->resync_seconds);
        auto& m = c.manager;
        m.metrics_bind_address = opts->metrics_bind_address;
        m.health_probe_bind_address = opts->health_probe_bind_address;
        m.leader_elect = opts->leader_elect;
        m.leader_election_id = opts->leader_election_id;
        m.leader_election_namespace = opts->leader_election_namespace;
        if (m.leader_election_namespace.empty())
          m.leader_election_namespace = rc.namespace_.empty() ? "default" : rc.namespace_;
        if (!opts->default_credentials_namespaces.empty())
          ao.credentials.default_credentials_namespaces =
              std::set<std::string>(opts->default_credentials_namespaces.begin(),
                                    opts->default_credentials_namespaces.end());
        ao.roles = {opts->allow_role_arn_annotations, opts->allowed_role_arns};
        ao.argocd.mode = *controller::parse_refresh_mode(opts->argocd_refresh);
        ao.argocd.app_namespaces = opts->argocd_namespaces;

        kube::KubeClient kube(rc);
        aws::CachingProvider chain(aws::make_default_chain(rt.providers(), {g.profile}),
                                   *rt.service().clock);
        return controller::run({kube, rt.providers(), chain, rt.env(), *rt.service().clock}, ao);
      }};
}

}  // namespace ecrhelm::cli
