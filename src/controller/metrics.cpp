#include "controller/metrics.h"

namespace ecrhelm::controller {

ControllerMetrics::ControllerMetrics(metrics::MetricsRegistry& r)
    : sync_calls_total(r.counter("externalsecret_sync_calls_total",
                                 "Total number of the External Secret sync calls",
                                 {"name", "namespace"})),
      sync_calls_error(r.counter("externalsecret_sync_calls_error",
                                 "Total number of the External Secret sync errors",
                                 {"name", "namespace"})),
      status_condition(r.gauge("externalsecret_status_condition",
                               "The status condition of a specific External Secret",
                               {"name", "namespace", "condition", "status"})),
      token_expiry_seconds(
          r.gauge("ecrhelm_ecr_token_expiry_seconds",
                  "Unix time at which the ECR token a generator was last served expires",
                  {"namespace", "generator_kind", "generator"})),
      aws_calls_total(r.counter("ecrhelm_aws_calls_total",
                                "AWS API calls made, by service and operation",
                                {"service", "operation"})),
      token_cache_hits_total(r.counter("ecrhelm_token_cache_hits_total",
                                       "ECR tokens served from the cache instead of calling ECR")),
      reconcile_duration_seconds(r.histogram("ecrhelm_reconcile_duration_seconds",
                                             "Time taken by one reconcile, in seconds")),
      argocd_refreshes_total(
          r.counter("ecrhelm_argocd_refreshes_total",
                    "Argo CD Applications annotated for a hard refresh after a rotation")) {}

}  // namespace ecrhelm::controller
