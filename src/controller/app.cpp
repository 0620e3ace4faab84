#include "controller/app.h"

#include <spdlog/spdlog.h>

#include "controller/external_secret_reconciler.h"
#include "controller/metrics.h"
#include "controller/token_cache.h"

namespace ecrhelm::controller {

int run(const AppContext& ctx, const AppOptions& opts) {
  TokenCache cache(ctx.clock);
  EcrGenerator generator(ctx.kube, ctx.providers, ctx.default_chain, cache, opts.credentials);
  ArgoRefresher refresher(ctx.kube, opts.argocd, ctx.clock);

  // The metrics the reconcilers report as they go; the Manager's registry
  // serves them. ControllerMetrics lives before the reconcilers that use it.
  ControllerOptions copts = opts.controllers;
  std::unique_ptr<ControllerMetrics> metrics;
  SyncObserver observer;
  observer.on_sync = [&metrics](const std::string& ns, const std::string& name, bool error) {
    metrics->sync_calls_total.inc({name, ns});
    if (error) metrics->sync_calls_error.inc({name, ns});
  };
  // As ESO: the current status of the Ready condition is 1, the other 0.
  observer.on_condition = [&metrics](const std::string& ns, const std::string& name,
                                     const std::string& status) {
    metrics->status_condition.set({name, ns, "Ready", status}, 1);
    metrics->status_condition.set({name, ns, "Ready", status == "True" ? "False" : "True"}, 0);
  };
  copts.on_reconcile = [&metrics](std::chrono::duration<double> d) {
    metrics->reconcile_duration_seconds.observe(d.count());
  };
  copts.on_secret_written = [&refresher](const std::string& ns, const std::string& name) {
    refresher.rotated(ns, name);
  };
  ExternalSecretReconciler es(ctx.kube, generator, ctx.clock, std::move(observer));
  RepoSecretReconciler repos(ctx.kube, generator, ctx.env, ctx.clock, opts.roles);
  Controllers controllers(ctx.kube, es, repos, copts);
  runtime::Manager& manager = controllers.manager();
  metrics = std::make_unique<ControllerMetrics>(manager.metrics());
  manager.add_runnable([&refresher] { refresher.start(); }, [&refresher] { refresher.stop(); });

  // Read at scrape time: ECR calls and cache hits from the token cache's
  // totals, Argo CD refreshes from the refresher's, each generator's token expiry.
  TokenCacheStats seen;
  uint64_t seen_refreshes = 0;
  manager.metrics().add_collector([&, m = metrics.get()] {
    auto st = cache.stats();
    m->aws_calls_total.inc({"ecr", "GetAuthorizationToken"},
                           static_cast<double>(st.fetches - seen.fetches));
    m->token_cache_hits_total.inc(
        {}, static_cast<double>((st.hits + st.shared) - (seen.hits + seen.shared)));
    seen = st;
    auto rs = refresher.stats();
    m->argocd_refreshes_total.inc({}, static_cast<double>(rs.refreshed - seen_refreshes));
    seen_refreshes = rs.refreshed;
    for (const auto& [gen, expires] : generator.expiries())
      m->token_expiry_seconds.set(
          {gen.ns, gen.kind, gen.name},
          static_cast<double>(
              std::chrono::duration_cast<std::chrono::seconds>(expires.time_since_epoch())
                  .count()));
  });

  if (!opts.credentials.default_credentials_namespaces)
    spdlog::info(
        "controller: every watched namespace may use the controller's own AWS credentials "
        "(generators without spec.auth, annotation mode); limit it with "
        "--default-credentials-namespaces");
  const auto& nss = copts.namespaces;
  spdlog::info("controller: starting ({}; namespaces: {}; workers: {})", ctx.kube.config().source,
               nss.empty() ? "all" : fmt::format("{}", fmt::join(nss, ",")), copts.workers);
  int rc = manager.run();
  auto st = cache.stats();
  spdlog::info("controller: stopped; {} reconciles, {} ECR calls, {} served from the token cache",
               controllers.stats().reconciles, st.fetches, st.hits + st.shared);
  return rc;
}

}  // namespace ecrhelm::controller
