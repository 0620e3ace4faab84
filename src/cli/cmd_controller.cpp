// `ecrhelm controller`: ESO's ECR token rotation (ExternalSecret +
// ECRAuthorizationToken) and the annotation mode, in one process, with
// controller-runtime's flags. Wiring only: the work is in src/controller.
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include "aws/chain.h"
#include "cli/runtime.h"
#include "controller/controller.h"
#include "controller/ecr_generator.h"
#include "controller/external_secret_reconciler.h"
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
    double qps = 20;
    int burst = 30;
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
  sub->add_option("--kube-api-qps", opts->qps, "client-side rate limit to the API server");
  sub->add_option("--kube-api-burst", opts->burst, "burst of that rate limit");
  sub->add_flag("--no-annotation-mode", opts->no_annotation_mode,
                "ignore secrets labelled ecrhelm.io/managed=true");
  sub->add_flag("--no-external-secrets", opts->no_external_secrets,
                "do not serve ExternalSecrets (no CRDs needed)");
  return {sub, [&g, opts]() {
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
            controller::EcrGenerator generator(kube, rt.providers(), *chain, cache);
            controller::ExternalSecretReconciler es(kube, generator, *rt.service().clock);
            controller::RepoSecretReconciler repos(kube, generator, rt.env(), *rt.service().clock);
            controller::ControllerOptions copts;
            copts.namespaces = opts->namespaces;
            copts.workers = opts->concurrent;
            copts.annotation_mode = !opts->no_annotation_mode;
            copts.external_secrets = !opts->no_external_secrets;
            copts.resync = std::chrono::seconds(opts->resync_seconds);

            std::signal(SIGTERM, on_signal);
            std::signal(SIGINT, on_signal);
            controller::Controller ctl(kube, es, repos, copts);
            spdlog::info("controller: starting ({}; namespaces: {}; workers: {})", rc.source,
                         opts->namespaces.empty()
                             ? "all"
                             : fmt::format("{}", fmt::join(opts->namespaces, ",")),
                         opts->concurrent);
            ctl.start();
            while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(200));
            spdlog::info("controller: stopping");
            ctl.stop();
            auto st = cache.stats();
            spdlog::info(
                "controller: stopped; {} reconciles, {} ECR calls, {} served from the token cache",
                ctl.stats().reconciles.load(), st.fetches, st.hits + st.shared);
            return 0;
          }};
}

}  // namespace ecrhelm::cli
