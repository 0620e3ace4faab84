// `ecrhelm controller`: ESO's ECR token rotation (ExternalSecret +
// ECRAuthorizationToken) and the annotation mode, in one process, with
// controller-runtime's flags. Wiring only: the work is in src/controller.
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include "aws/chain.h"
#include "cli/help.h"
#include "cli/runtime.h"
#include "controller/argocd_refresh.h"
#include "controller/controller.h"
#include "controller/ecr_generator.h"
#include "controller/external_secret_reconciler.h"
#include "controller/leader_election.h"
#include "controller/metrics.h"
#include "controller/probe_server.h"
#include "controller/repo_secret_reconciler.h"
#include "controller/token_cache.h"
#include "kube/rest_config.h"

namespace ecrhelm::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int) { g_stop = true; }

}  // namespace

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
        kube::KubeClient kube(rc);
        auto chain = std::make_unique<aws::CachingProvider>(
            aws::make_default_chain(rt.providers(), {g.profile}), *rt.service().clock);
        controller::TokenCache cache(*rt.service().clock);
        controller::CredentialsPolicy policy;
        if (!opts->default_credentials_namespaces.empty())
          policy.default_credentials_namespaces =
              std::set<std::string>(opts->default_credentials_namespaces.begin(),
                                    opts->default_credentials_namespaces.end());
        controller::EcrGenerator generator(kube, rt.providers(), *chain, cache, policy);
        controller::RolePolicy roles{opts->allow_role_arn_annotations, opts->allowed_role_arns};
        metrics::MetricsRegistry registry;
        controller::ControllerMetrics metrics(registry);
        controller::SyncObserver observer;
        observer.on_sync = [&metrics](const std::string& ns, const std::string& name, bool error) {
          metrics.sync_calls_total.inc({name, ns});
          if (error) metrics.sync_calls_error.inc({name, ns});
        };
        // As ESO: the current status of the Ready condition is 1, the other 0.
        observer.on_condition = [&metrics](const std::string& ns, const std::string& name,
                                           const std::string& status) {
          metrics.status_condition.set({name, ns, "Ready", status}, 1);
          metrics.status_condition.set({name, ns, "Ready", status == "True" ? "False" : "True"}, 0);
        };
        controller::ExternalSecretReconciler es(kube, generator, *rt.service().clock,
                                                std::move(observer));
        controller::RepoSecretReconciler repos(kube, generator, rt.env(), *rt.service().clock,
                                               roles);
        controller::ControllerOptions copts;
        copts.namespaces = opts->namespaces;
        copts.workers = opts->concurrent;
        copts.annotation_mode = !opts->no_annotation_mode;
        copts.external_secrets = !opts->no_external_secrets;
        copts.resync = std::chrono::seconds(opts->resync_seconds);
        copts.on_reconcile = [&metrics](std::chrono::duration<double> d) {
          metrics.reconcile_duration_seconds.observe(d.count());
        };

        controller::ArgoRefreshOptions ro;
        ro.mode = *controller::parse_refresh_mode(opts->argocd_refresh);
        ro.app_namespaces = opts->argocd_namespaces;
        controller::ArgoRefresher refresher(kube, ro, *rt.service().clock);
        copts.on_secret_written = [&refresher](const std::string& ns, const std::string& name) {
          refresher.rotated(ns, name);
        };

        std::signal(SIGTERM, on_signal);
        std::signal(SIGINT, on_signal);
        controller::Controller ctl(kube, es, repos, copts);
        if (opts->default_credentials_namespaces.empty())
          spdlog::info(
              "controller: every watched namespace may use the controller's own AWS credentials "
              "(generators without spec.auth, annotation mode); limit it with "
              "--default-credentials-namespaces");
        spdlog::info(
            "controller: starting ({}; namespaces: {}; workers: {})", rc.source,
            opts->namespaces.empty() ? "all" : fmt::format("{}", fmt::join(opts->namespaces, ",")),
            opts->concurrent);
        std::atomic<bool> leading{!opts->leader_elect};
        controller::ProbeServerOptions po;
        po.metrics_bind_address = opts->metrics_bind_address;
        po.health_probe_bind_address = opts->health_probe_bind_address;
        po.metrics = &registry;
        // Ready once the caches have synced; a standby replica is ready too
        // (controller-runtime's readyz does not wait for leadership).
        po.readiness = [&]() -> std::optional<std::string> {
          if (!leading) return std::nullopt;
          if (!ctl.synced()) return std::string("informer caches not synced yet");
          return std::nullopt;
        };
        controller::ProbeServer probes(po);
        probes.start();
        if (probes.metrics_port() != 0)
          spdlog::info("controller: metrics on port {}", probes.metrics_port());
        if (probes.health_port() != 0)
          spdlog::info("controller: health probes on port {}", probes.health_port());

        std::unique_ptr<controller::LeaderElector> elector;
        std::thread election;
        if (opts->leader_elect) {
          std::string lease_ns = opts->leader_election_namespace;
          if (lease_ns.empty()) lease_ns = rc.namespace_.empty() ? "default" : rc.namespace_;
          elector = std::make_unique<controller::LeaderElector>(
              kube, lease_ns, opts->leader_election_id, controller::default_leader_identity());
          spdlog::info("controller: waiting for lease {}/{} as {}", lease_ns,
                       opts->leader_election_id, elector->identity());
          election = std::thread([&] {
            elector->run(
                [&] {
                  spdlog::info("controller: became leader");
                  leading = true;
                  refresher.start();
                  ctl.start();
                },
                [&] {
                  // As controller-runtime: a leader that lost its lease exits.
                  if (!g_stop) spdlog::error("controller: leader election lost; exiting");
                  g_stop = true;
                });
          });
        } else {
          refresher.start();
          ctl.start();
        }
        // ECR calls and cache hits as counters, from the token cache's totals.
        controller::TokenCacheStats seen;
        uint64_t seen_refreshes = 0;
        auto publish = [&] {
          auto st = cache.stats();
          metrics.aws_calls_total.inc({"ecr", "GetAuthorizationToken"},
                                      static_cast<double>(st.fetches - seen.fetches));
          metrics.token_cache_hits_total.inc(
              {}, static_cast<double>((st.hits + st.shared) - (seen.hits + seen.shared)));
          seen = st;
          auto rs = refresher.stats();
          metrics.argocd_refreshes_total.inc({},
                                             static_cast<double>(rs.refreshed - seen_refreshes));
          seen_refreshes = rs.refreshed;
          for (const auto& [gen, expires] : generator.expiries())
            metrics.token_expiry_seconds.set(
                {gen.ns, gen.kind, gen.name},
                static_cast<double>(
                    std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch())
                        .count()));
        };
        while (!g_stop) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          publish();
        }
        spdlog::info("controller: stopping");
        if (elector) elector->stop();
        if (election.joinable()) election.join();
        ctl.stop();
        refresher.stop();
        probes.stop();
        auto st = cache.stats();
        spdlog::info(
            "controller: stopped; {} reconciles, {} ECR calls, {} served from the token cache",
            ctl.stats().reconciles.load(), st.fetches, st.hits + st.shared);
        return 0;
      }};
}

}  // namespace ecrhelm::cli
