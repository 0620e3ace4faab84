// Typed views of the few built-in objects ecrhelm reads and writes: a
// Secret decoded once (SecretObject: identity, labels, annotations, type,
// base64 `data` decoded, values kept as Secret), the TokenRequest
// subresource of a ServiceAccount, and Events. Everything else stays
// unstructured JSON.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kube/client.h"
#include "util/secret.h"
#include "util/time.h"

namespace ecrhelm::kube {

// metadata.X of an object, "" when absent.
std::string meta_string(const json& obj, const char* field);
std::map<std::string, std::string> meta_map(const json& obj,
                                            const char* field);  // labels, annotations

// A Secret's `data`, base64-decoded. Throws Error(kRemote) naming the key
// (never the value) when one is not base64.
std::map<std::string, Secret> secret_data(const json& secret);
// `data` for a Secret body, base64-encoded.
json encode_secret_data(const std::map<std::string, Secret>& data);

struct ServiceAccountToken {
  Secret token;
  TimePoint expires;
};
// POST serviceaccounts/NAME/token (TokenRequest) for these audiences.
ServiceAccountToken request_service_account_token(KubeClient& client, const std::string& ns,
                                                  const std::string& service_account,
                                                  const std::vector<std::string>& audiences,
                                                  int64_t expiration_seconds = 3600);

// Who an object is, as an Event's involvedObject and an owner reference
// name it: what a typed cache keeps of an object's identity.
struct ObjectRef {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;
};
ObjectRef object_ref(const json& obj);

// A core/v1 Secret decoded once, where it leaves the API server or a cache:
// who it is, the metadata a reconciler compares, and its data decoded (values
// kept as Secret). Decoding never throws: a data value that is not base64
// leaves `data` empty and says so in data_error (naming the key, never the
// value), which data_or_throw() raises.
struct SecretObject {
  ObjectRef ref;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string type;  // "" when absent
  std::map<std::string, Secret> data;
  std::string data_error;
  // `data`, or Error(kRemote) with data_error.
  const std::map<std::string, Secret>& data_or_throw() const;
};
SecretObject decode_secret(const json& secret);

struct EventSpec {
  std::string type;  // Normal, Warning
  std::string reason;
  std::string message;
  std::string component = "ecrhelm";
};
// Records a core/v1 Event about `involved` (an object with kind, apiVersion,
// metadata). Failures are logged, not thrown: an event is never worth a failed sync.
void record_event(KubeClient& client, const ObjectRef& involved, const EventSpec& spec,
                  const Clock& clock = SystemClock::instance());
void record_event(KubeClient& client, const json& involved, const EventSpec& spec,
                  const Clock& clock = SystemClock::instance());

}  // namespace ecrhelm::kube
