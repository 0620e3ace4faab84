#include "kube/objects.h"

#include <spdlog/spdlog.h>

#include "util/crypto.h"
#include "util/encoding.h"

namespace ecrhelm::kube {

std::string meta_string(const json& obj, const char* field) {
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return "";
  auto f = m->find(field);
  return f != m->end() && f->is_string() ? f->get<std::string>() : "";
}

std::map<std::string, std::string> meta_map(const json& obj, const char* field) {
  std::map<std::string, std::string> out;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return out;
  auto f = m->find(field);
  if (f == m->end() || !f->is_object()) return out;
  for (const auto& [k, v] : f->items()) {
    if (v.is_string()) out.emplace(k, v.get<std::string>());
  }
  return out;
}

std::map<std::string, Secret> secret_data(const json& secret) {
  std::map<std::string, Secret> out;
  auto d = secret.find("data");
  if (d == secret.end() || !d->is_object()) return out;
  for (const auto& [k, v] : d->items()) {
    std::optional<std::string> bytes =
        v.is_string() ? base64_decode(v.get<std::string>()) : std::nullopt;
    if (!bytes) {
      fail(ErrorKind::kRemote, "secret {}/{}: data key {} is not base64",
           meta_string(secret, "namespace"), meta_string(secret, "name"), k);
    }
    out.emplace(k, Secret(std::move(*bytes)));
  }
  return out;
}

json encode_secret_data(const std::map<std::string, Secret>& data) {
  json out = json::object();
  for (const auto& [k, v] : data) out[k] = base64_encode(v.reveal());
  return out;
}

ServiceAccountToken request_service_account_token(KubeClient& client, const std::string& ns,
                                                  const std::string& service_account,
                                                  const std::vector<std::string>& audiences,
                                                  int64_t expiration_seconds) {
  json body = {{"apiVersion", "authentication.k8s.io/v1"},
               {"kind", "TokenRequest"},
               {"spec", {{"audiences", audiences}, {"expirationSeconds", expiration_seconds}}}};
  json resp =
      client.create_subresource(resources::kServiceAccounts, ns, service_account, "token", body);
  const json& status = resp.contains("status") ? resp["status"] : json::object();
  std::string token = status.value("token", "");
  if (token.empty()) {
    fail(ErrorKind::kRemote,
         "kube TokenRequest for serviceaccount {}/{}: the answer holds no token", ns,
         service_account);
  }
  auto expires = parse_iso8601(status.value("expirationTimestamp", ""));
  return {Secret(std::move(token)), expires.value_or(std::chrono::system_clock::now() +
                                                     std::chrono::seconds(expiration_seconds))};
}

ObjectRef object_ref(const json& obj) {
  return {obj.value("apiVersion", ""),   obj.value("kind", ""),
          meta_string(obj, "namespace"), meta_string(obj, "name"),
          meta_string(obj, "uid"),       meta_string(obj, "resourceVersion")};
}

SecretObject decode_secret(const json& secret) {
  SecretObject s;
  s.ref = object_ref(secret);
  if (s.ref.kind.empty()) s.ref.kind = "Secret";
  if (s.ref.api_version.empty()) s.ref.api_version = "v1";
  s.labels = meta_map(secret, "labels");
  s.annotations = meta_map(secret, "annotations");
  if (auto t = secret.find("type"); t != secret.end() && t->is_string()) s.type = *t;
  try {
    s.data = secret_data(secret);
  } catch (const std::exception& e) {
    s.data_error = e.what();
  }
  return s;
}

const std::map<std::string, Secret>& SecretObject::data_or_throw() const {
  if (!data_error.empty()) throw Error(ErrorKind::kRemote, data_error);
  return data;
}

void record_event(KubeClient& client, const json& involved, const EventSpec& spec,
                  const Clock& clock) {
  record_event(client, object_ref(involved), spec, clock);
}

void record_event(KubeClient& client, const ObjectRef& involved, const EventSpec& spec,
                  const Clock& clock) {
  const std::string& ns = involved.ns;
  const std::string& name = involved.name;
  std::string now = format_iso8601(clock.now());
  json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"namespace", ns}, {"name", name + "." + hex_encode(random_bytes(8))}}},
      {"involvedObject",
       {{"apiVersion", involved.api_version},
        {"kind", involved.kind},
        {"namespace", ns},
        {"name", name},
        {"uid", involved.uid},
        {"resourceVersion", involved.resource_version}}},
      {"type", spec.type},
      {"reason", spec.reason},
      {"message", spec.message},
      {"source", {{"component", spec.component}}},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"count", 1},
      {"reportingComponent", spec.component},
  };
  try {
    client.create(resources::kEvents, ns, ev);
  } catch (const std::exception& e) {
    spdlog::warn("kube: could not record event {} on {}/{}: {}", spec.reason, ns, name, e.what());
  }
}

}  // namespace ecrhelm::kube
