// The metric families `ecrhelm controller` serves on --metrics-bind-address:
// ESO's names and labels unchanged (externalsecret_sync_calls_total, ...), so
// ESO's dashboards and alerts keep working, and ours (token expiry, AWS calls,
// token cache hits, reconcile duration, Argo CD refreshes). The registry
// itself is src/metrics/.
#pragma once

#include "metrics/registry.h"

namespace ecrhelm::controller {

// The families `ecrhelm controller` serves, registered once with their
// names, labels and help: ESO's three (so ESO's dashboards work) and ours.
struct ControllerMetrics {
  explicit ControllerMetrics(metrics::MetricsRegistry& r);
  metrics::Counter sync_calls_total;  // externalsecret_sync_calls_total{name,namespace}
  metrics::Counter sync_calls_error;  // externalsecret_sync_calls_error{name,namespace}
  metrics::Gauge
      status_condition;  // externalsecret_status_condition{name,namespace,condition,status}
  metrics::Gauge
      token_expiry_seconds;  // ecrhelm_ecr_token_expiry_seconds{namespace,generator_kind,generator}
  metrics::Counter aws_calls_total;               // ecrhelm_aws_calls_total{service,operation}
  metrics::Counter token_cache_hits_total;        // ecrhelm_token_cache_hits_total
  metrics::Histogram reconcile_duration_seconds;  // ecrhelm_reconcile_duration_seconds
  metrics::Counter argocd_refreshes_total;        // ecrhelm_argocd_refreshes_total
};

}  // namespace ecrhelm::controller
