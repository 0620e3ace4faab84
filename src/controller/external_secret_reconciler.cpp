#include "controller/external_secret_reconciler.h"

#include <spdlog/spdlog.h>

#include "argocd/repo_secrets.h"
#include "gotemplate/template.h"
#include "kube/objects.h"
#include "runtime/reconciler.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::controller {
namespace {

using nlohmann::json;

// ESO v0.16.2's own strings (pkg/controllers/externalsecret), as seen by make smoke-peers.
inline constexpr const char* kMsgSynced = "secret synced";
inline constexpr const char* kMsgGetData = "could not get secret data from provider";
inline constexpr const char* kMsgUpdate = "could not update secret";
inline constexpr const char* kOwnerLabel = "reconcile.external-secrets.io/owner";
// On the target Secret: when the token in it expires, so the next sync is
// planned by expiry even after a restart and even when the template keeps
// only the password.

// The first line of an error, for status messages and events (never a secret:
// errors are built without secret values).
std::string one_line(const std::string& s) {
  auto nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

std::vector<const Secret*> secrets_of(const std::map<std::string, Secret>& a,
                                      const std::map<std::string, Secret>& b) {
  std::vector<const Secret*> out;
  for (const auto* m : {&a, &b})
    for (const auto& [k, v] : *m) out.push_back(&v);
  return out;
}

}  // namespace

std::string eso_field_owner(const std::string& es_name) {
  return "externalsecrets.external-secrets.io/" + es_name;
}

ExternalSecretReconciler::ExternalSecretReconciler(kube::KubeClient& kube, EcrGenerator& generator,
                                                   const Clock& clock, SyncObserver observer)
    : kube_(kube),
      generator_(generator),
      clock_(clock),
      observer_(std::move(observer)),
      rng_(std::random_device{}()) {}

ExternalSecretReconciler::Desired ExternalSecretReconciler::desired_state(
    const ExternalSecret& es, const ExternalSecretSpec& spec) {
  const std::string& ns = es.ref.ns;
  Desired d;
  d.token_expires = TimePoint::max();
  std::map<std::string, Secret> generated;
  for (const auto& ref : spec.generators) {
    GeneratedData g = generator_.generate(ref, ns);
    for (auto& [k, v] : g.data) generated[k] = v;
    d.token_expires = std::min(d.token_expires, g.expires);
  }
  if (!spec.has_template || spec.template_data.empty() || spec.merge_policy == "Merge")
    d.data = generated;
  if (spec.has_template) {
    json input = json::object();
    for (const auto& [k, v] : generated) input[k] = v.reveal();
    try {
      for (const auto& [key, text] : spec.template_data)
        d.data[key] = Secret(gotemplate::render_template(key, text, input));
      for (const auto& [k, v] : spec.template_labels)
        d.labels[k] = gotemplate::render_template(k, v, input);
      for (const auto& [k, v] : spec.template_annotations)
        d.annotations[k] = gotemplate::render_template(k, v, input);
    } catch (const Error& e) {
      // Template errors name no data value; this guards what they quote anyway.
      throw Error(e.kind(), redact(e.what(), secrets_of(generated, {})));
    }
    d.type = spec.template_type;
  }
  d.generated = std::move(generated);
  return d;
}

bool ExternalSecretReconciler::write_secret(const ExternalSecret& es,
                                            const ExternalSecretSpec& spec, const Desired& d,
                                            const std::optional<kube::SecretObject>& existing) {
  const std::string& ns = es.ref.ns;
  const std::string& es_name = es.ref.name;
  bool owner = spec.creation_policy == "Owner";
  std::map<std::string, std::string> labels = d.labels;
  std::map<std::string, std::string> annotations = d.annotations;
  if (d.token_expires != TimePoint::max())
    annotations[argocd::kTokenExpiresAnnotation] = format_iso8601(d.token_expires);
  if (owner) labels[kOwnerLabel] = hex_encode(sha256(ns + "/" + es_name)).substr(0, 56);
  json meta = {{"name", spec.target_name}, {"namespace", ns}};
  if (!labels.empty()) meta["labels"] = labels;
  if (!annotations.empty()) meta["annotations"] = annotations;
  if (owner) {
    meta["ownerReferences"] = json::array({{{"apiVersion", es.ref.api_version},
                                            {"kind", "ExternalSecret"},
                                            {"name", es_name},
                                            {"uid", es.ref.uid},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
  }
  json body = {{"apiVersion", "v1"},
               {"kind", "Secret"},
               {"metadata", meta},
               {"data", kube::encode_secret_data(d.data)}};
  if (!d.type.empty()) body["type"] = d.type;

  if (!existing) {
    kube_.create(kube::resources::kSecrets, ns, body);
    kube::record_event(kube_, es.ref, {"Normal", "Created", "secret created"}, clock_);
    return true;
  }
  // Nothing to do when every desired key, label and annotation is already there.
  bool same = true;
  const auto& current = existing->data_or_throw();
  for (const auto& [k, v] : d.data) {
    auto it = current.find(k);
    if (it == current.end() || !(it->second == v)) same = false;
  }
  auto differs = [](const std::map<std::string, std::string>& have, const std::string& k,
                    const std::string& v) {
    auto it = have.find(k);
    return it == have.end() ? !v.empty() : it->second != v;
  };
  for (const auto& [k, v] : labels) {
    if (differs(existing->labels, k, v)) same = false;
  }
  for (const auto& [k, v] : annotations) {
    if (differs(existing->annotations, k, v)) same = false;
  }
  if (!d.type.empty() && existing->type != d.type) same = false;
  if (same) return false;
  kube::PatchOptions po{eso_field_owner(es_name), true};
  kube_.patch(kube::resources::kSecrets, ns, spec.target_name, kube::PatchType::kApply, body, po);
  kube::record_event(kube_, es.ref, {"Normal", "Updated", "secret updated"}, clock_);
  return true;
}

void ExternalSecretReconciler::set_status(const ExternalSecret& es, const std::string& status,
                                          const std::string& reason, const std::string& message,
                                          bool refreshed, const std::string& binding) {
  const std::string& ns = es.ref.ns;
  const std::string& name = es.ref.name;
  std::string now = format_iso8601(clock_.now());
  const std::optional<ReadyCondition>& cur = es.status.ready;
  std::string transition = now;
  if (cur && cur->status == status && !cur->last_transition_time.empty()) {
    transition = cur->last_transition_time;
  }
  json cond = {{"type", "Ready"},
               {"status", status},
               {"reason", reason},
               {"message", message},
               {"lastTransitionTime", transition}};
  json st = {{"conditions", json::array({cond})}};
  if (refreshed) {
    st["refreshTime"] = now;
    st["syncedResourceVersion"] = es.synced_version;
  }
  if (!binding.empty()) st["binding"] = {{"name", binding}};
  // No write when the status already says all of it.
  if (cur && cur->status == status && cur->reason == reason && cur->message == message &&
      !refreshed && (binding.empty() || es.status.binding == binding)) {
    return;
  }
  try {
    kube_.patch(eso::kExternalSecrets, ns, name, kube::PatchType::kMerge, {{"status", st}}, {},
                "status");
  } catch (const std::exception& e) {
    spdlog::warn("controller: externalsecret {}/{}: unable to patch status: {}", ns, name,
                 e.what());
  }
  if (observer_.on_condition) observer_.on_condition(ns, name, status);
}

std::chrono::milliseconds ExternalSecretReconciler::next_refresh(
    const ExternalSecretSpec& spec, std::optional<TimePoint> token_expires,
    std::chrono::milliseconds since_refresh) {
  using std::chrono::milliseconds;
  milliseconds next = spec.refresh_interval - since_refresh;
  if (token_expires) {
    auto left = std::chrono::duration_cast<milliseconds>(*token_expires - clock_.now());
    next = std::min(next, left / 2);
  }
  next = std::max<milliseconds>(next, kMinRequeue);
  std::lock_guard lock(rng_mu_);
  std::uniform_real_distribution<double> jitter(0, kRequeueJitter);
  return milliseconds(
      static_cast<int64_t>(static_cast<double>(next.count()) * (1.0 - jitter(rng_))));
}

ReconcileResult ExternalSecretReconciler::reconcile(const ExternalSecret& es) {
  const std::string& ns = es.ref.ns;
  const std::string& name = es.ref.name;
  ReconcileResult result;
  if (es.deleting) return result;

  if (!es.spec) {
    std::string why = one_line(es.spec_error);
    kube::record_event(kube_, es.ref, {"Warning", "UpdateFailed", why}, clock_);
    set_status(es, "False", "SecretSyncedError", why, false, "");
    if (observer_.on_sync) observer_.on_sync(ns, name, true);
    throw runtime::TerminalError(why);  // waits for the spec to change
  }
  const ExternalSecretSpec& spec = *es.spec;

  // The target, decoded once.
  std::optional<kube::SecretObject> existing;
  if (auto got = kube_.get_if_exists(kube::resources::kSecrets, ns, spec.target_name))
    existing = kube::decode_secret(*got);
  const std::optional<TimePoint>& refresh_time = es.status.refresh_time;
  std::chrono::milliseconds since{0};
  if (refresh_time)
    since = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - *refresh_time);
  bool spec_changed = es.status.synced_resource_version != es.synced_version;
  auto expires_hint = [&]() -> std::optional<TimePoint> {
    // The token's expiry as last written on the target, so a too-long
    // refreshInterval cannot outlive the token (ESO issue 6690).
    if (!existing) return std::nullopt;
    auto it = existing->annotations.find(argocd::kTokenExpiresAnnotation);
    if (it == existing->annotations.end()) return std::nullopt;
    return parse_iso8601(it->second);
  }();

  bool target_ok = existing.has_value() || spec.creation_policy == "None";
  bool due;
  if (!refresh_time || spec_changed || !target_ok) {
    due = true;
  } else if (spec.refresh_policy == "CreatedOnce" || spec.refresh_policy == "OnChange" ||
             spec.refresh_interval.count() == 0) {
    due = false;
  } else {
    due = since >= spec.refresh_interval;
    if (expires_hint && clock_.now() >= *expires_hint - (*expires_hint - *refresh_time) / 2)
      due = true;
    // A key the template writes that someone removed from the target
    // (`kubectl edit` dropping `password`) is written back at the next look,
    // not at the next refresh hours later.
    if (existing) {
      const auto& current = existing->data_or_throw();
      for (const auto& [key, text] : spec.template_data)
        if (!current.count(key)) due = true;
    }
  }
  bool periodic = spec.refresh_policy == "Periodic" && spec.refresh_interval.count() > 0;
  if (!due) {
    if (periodic) result.requeue_after = next_refresh(spec, expires_hint, since);
    return result;
  }

  if (spec.creation_policy == "Merge" && !existing) {
    std::string msg = fmt::format(
        "the desired secret {} was not found. With creationPolicy=Merge the secret won't be "
        "created",
        spec.target_name);
    set_status(es, "False", "SecretMissing", msg, false, "");
    if (observer_.on_sync) observer_.on_sync(ns, name, true);
    throw Error(ErrorKind::kNotFound, msg);  // look again with backoff: someone may create it
  }

  Desired desired;
  try {
    desired = desired_state(es, spec);
  } catch (const PolicyRefused& e) {
    // Terminal until the ExternalSecret, its generator or the flags change.
    kube::record_event(kube_, es.ref, {"Warning", "UpdateFailed", one_line(e.what())}, clock_);
    set_status(es, "False", "SecretSyncedError",
               std::string(kMsgGetData) + ": " + one_line(e.what()), false, "");
    if (observer_.on_sync) observer_.on_sync(ns, name, true);
    throw runtime::TerminalError(e.what());
  } catch (const std::exception& e) {
    kube::record_event(kube_, es.ref, {"Warning", "UpdateFailed", one_line(e.what())}, clock_);
    set_status(es, "False", "SecretSyncedError",
               std::string(kMsgGetData) + ": " + one_line(e.what()), false, "");
    if (observer_.on_sync) observer_.on_sync(ns, name, true);
    throw std::runtime_error(std::string(kMsgGetData) + ": " + e.what());
  }

  std::string binding;
  if (spec.creation_policy != "None") {
    try {
      result.wrote_secret = write_secret(es, spec, desired, existing);
      if (result.wrote_secret) result.target_secret = spec.target_name;
      binding = spec.target_name;
    } catch (const std::exception& e) {
      // The API server may quote a rendered value it refuses (a label, say).
      std::string why = redact(one_line(e.what()), secrets_of(desired.data, desired.generated));
      kube::record_event(kube_, es.ref, {"Warning", "UpdateFailed", why}, clock_);
      set_status(es, "False", "SecretSyncedError", kMsgUpdate, false, "");
      if (observer_.on_sync) observer_.on_sync(ns, name, true);
      throw std::runtime_error(std::string(kMsgUpdate) + ": " + why);
    }
  }
  set_status(es, "True", "SecretSynced", kMsgSynced, true, binding);
  if (observer_.on_sync) observer_.on_sync(ns, name, false);
  if (result.wrote_secret)
    spdlog::info("controller: externalsecret {}/{}: secret {} synced", ns, name, spec.target_name);
  if (periodic) {
    std::optional<TimePoint> exp;
    if (desired.token_expires != TimePoint::max()) exp = desired.token_expires;
    result.requeue_after = next_refresh(spec, exp, std::chrono::milliseconds(0));
  }
  return result;
}

}  // namespace ecrhelm::controller
