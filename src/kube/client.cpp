#include "kube/client.h"

#include <spdlog/spdlog.h>

#include <random>
#include <thread>

#include "http/retry.h"
#include "util/encoding.h"
#include "util/strings.h"

namespace ecrhelm::kube {
namespace {

inline constexpr int kMaxAttempts = 5;                  // per call, for 429 and retryable 5xx
inline constexpr size_t kMaxResponseBytes = 64u << 20;  // a large list page
inline constexpr size_t kMaxWatchEventBytes = 16u << 20;
inline constexpr std::chrono::seconds kWatchSlack{30};  // beyond timeoutSeconds
inline constexpr size_t kMaxMessageQuoted = 300;

const http::BackoffPolicy kBackoff{kMaxAttempts, std::chrono::milliseconds(200),
                                   std::chrono::milliseconds(5000),
                                   std::chrono::milliseconds(30000)};

std::string query_escape(std::string_view s) { return uri_encode(s, true); }

void add_param(std::string& q, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  q += q.empty() ? '?' : '&';
  q += key;
  q += '=';
  q += query_escape(value);
}

std::string object_name(const std::string& ns, const std::string& name) {
  if (name.empty()) return ns.empty() ? "(all namespaces)" : "in namespace " + ns;
  return ns.empty() ? name : ns + "/" + name;
}

ErrorKind kind_for_status(long status) {
  switch (status) {
    case 400:
    case 422:
      return ErrorKind::kInvalidInput;
    case 401:
      return ErrorKind::kUnauthorized;
    case 403:
      return ErrorKind::kForbidden;
    case 404:
      return ErrorKind::kNotFound;
    case 409:
      return ErrorKind::kConflict;
    case 429:
      return ErrorKind::kThrottled;
    default:
      return ErrorKind::kRemote;
  }
}

const ApiError* as_api_error(const std::exception& e) { return dynamic_cast<const ApiError*>(&e); }

bool retryable_status(long status) {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

}  // namespace

bool is_not_found(const std::exception& e) {
  auto* a = as_api_error(e);
  return a && a->status() == 404;
}
bool is_conflict(const std::exception& e) {
  auto* a = as_api_error(e);
  return a && a->status() == 409 && a->reason() != "AlreadyExists";
}
bool is_already_exists(const std::exception& e) {
  auto* a = as_api_error(e);
  return a && a->status() == 409 && a->reason() == "AlreadyExists";
}
bool is_gone(const std::exception& e) {
  auto* a = as_api_error(e);
  return a && a->status() == 410;
}
bool is_forbidden(const std::exception& e) {
  auto* a = as_api_error(e);
  return a && a->status() == 403;
}

KubeClient::KubeClient(RestConfig config, std::shared_ptr<http::HttpClient> http)
    : config_(std::move(config)),
      http_(http ? std::move(http) : std::make_shared<http::CurlHttpClient>(config_.tls)),
      auth_(config_),
      limiter_(config_.qps, config_.burst) {}

std::string KubeClient::default_namespace() const {
  return config_.namespace_.empty() ? "default" : config_.namespace_;
}

std::string KubeClient::object_path(const ResourceType& rt, const std::string& ns,
                                    const std::string& name, const std::string& subresource) const {
  std::string p = rt.base_path();
  if (rt.namespaced && !ns.empty()) p += "/namespaces/" + query_escape(ns);
  p += "/" + rt.resource;
  if (!name.empty()) p += "/" + query_escape(name);
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

void KubeClient::throw_api_error(const Call& call, const http::Response& resp) {
  std::string reason;
  std::string message;
  auto doc = json::parse(resp.body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.value("kind", "") == "Status") {
    reason = doc.value("reason", "");
    message = doc.value("message", "");
  }
  if (message.empty()) message = std::string(trim(resp.body.substr(0, kMaxMessageQuoted)));
  if (message.size() > kMaxMessageQuoted) message = message.substr(0, kMaxMessageQuoted) + "...";
  if (reason.empty()) reason = fmt::format("HTTP {}", resp.status);
  std::string hint;
  if (resp.status == 401) {
    hint = fmt::format(
        "; the credentials of {} were rejected: renew the token or fix the kubeconfig user",
        config_.source);
  } else if (resp.status == 403) {
    hint = "; grant this identity the verb on the resource with a Role/RoleBinding";
  } else if (resp.status == 409 && reason == "Conflict") {
    hint = "; read the object again and retry";
  }
  throw ApiError(kind_for_status(resp.status),
                 fmt::format("kube {} {} {}: {} ({}){}", call.verb, call.rt->display(), call.object,
                             message, reason, hint),
                 int(resp.status), reason);
}

http::Response KubeClient::send(const Call& call, http::BodySink sink) {
  std::mt19937_64 rng(std::random_device{}());
  bool refreshed_auth = false;
  for (int attempt = 1;; ++attempt) {
    limiter_.acquire();
    http::Request req;
    req.method = call.method;
    req.url = config_.server + call.path;
    req.body = call.body;
    req.headers.set("Accept", "application/json");
    // A current API server (1.37) may gzip a watch stream when the client
    // accepts gzip (APIResponseCompression); the watch reader needs each event
    // as it is sent, so watches ask for identity.
    if (call.verb == "watch") req.headers.set("Accept-Encoding", "identity");
    if (!call.content_type.empty()) req.headers.set("Content-Type", call.content_type);
    Secret authz = auth_.authorization();
    if (!authz.empty()) req.headers.set("Authorization", authz.reveal());
    req.max_response_bytes = kMaxResponseBytes;
    if (call.timeout.count() > 0) req.timeout = call.timeout;
    if (sink) req.sink = sink;
    req.cancelled = call.cancelled;
    http::Response resp;
    ++requests_sent_;
    try {
      resp = http_->send(req);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNetwork || !call.idempotent || attempt >= kMaxAttempts || sink ||
          (call.cancelled && call.cancelled())) {
        throw;
      }
      auto d = http::full_jitter_delay(kBackoff, attempt, rng);
      spdlog::debug("kube {} {}: {}; retry {} in {} ms", call.verb, call.object, e.what(), attempt,
                    d.count());
      std::this_thread::sleep_for(d);
      continue;
    }
    if (resp.status == 401 && !refreshed_auth && auth_.invalidate()) {
      refreshed_auth = true;
      continue;
    }
    if (retryable_status(resp.status) && (call.idempotent || resp.status == 429) &&
        attempt < kMaxAttempts) {
      std::optional<std::chrono::milliseconds> ra;
      if (auto h = resp.headers.get("Retry-After"))
        ra = http::parse_retry_after(*h, std::chrono::system_clock::now());
      auto d = http::retry_delay(kBackoff, attempt, rng, ra);
      spdlog::debug("kube {} {} {}: HTTP {}; retry {} in {} ms", call.verb, call.rt->display(),
                    call.object, resp.status, attempt, d.count());
      std::this_thread::sleep_for(d);
      continue;
    }
    if (resp.status < 200 || resp.status >= 300) throw_api_error(call, resp);
    return resp;
  }
}

json KubeClient::send_json(const Call& call) {
  http::Response resp = send(call);
  auto doc = json::parse(resp.body, nullptr, false);
  if (doc.is_discarded()) {
    fail(ErrorKind::kRemote, "kube {} {} {}: the API server's answer is not JSON ({} bytes)",
         call.verb, call.rt->display(), call.object, resp.body.size());
  }
  return doc;
}

json KubeClient::get(const ResourceType& rt, const std::string& ns, const std::string& name,
                     const std::string& subresource) {
  return send_json({"get", "GET", object_path(rt, ns, name, subresource), "", "",
                    object_name(ns, name), &rt, true});
}

std::optional<json> KubeClient::get_if_exists(const ResourceType& rt, const std::string& ns,
                                              const std::string& name) {
  try {
    return get(rt, ns, name);
  } catch (const ApiError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

json KubeClient::list_page(const ResourceType& rt, const std::string& ns, const ListOptions& opts) {
  std::string q;
  add_param(q, "labelSelector", opts.label_selector);
  add_param(q, "fieldSelector", opts.field_selector);
  add_param(q, "resourceVersion", opts.resource_version);
  if (opts.limit > 0) add_param(q, "limit", std::to_string(opts.limit));
  add_param(q, "continue", opts.continue_token);
  return send_json(
      {"list", "GET", object_path(rt, ns, "") + q, "", "", object_name(ns, ""), &rt, true});
}

std::string KubeClient::list_each(const ResourceType& rt, const std::string& ns, ListOptions opts,
                                  int64_t page_size, const std::function<void(json&&)>& on_item) {
  std::string rv;
  opts.limit = page_size;
  for (;;) {
    json page = list_page(rt, ns, opts);
    if (auto items = page.find("items"); items != page.end() && items->is_array()) {
      for (auto& item : *items) on_item(std::move(item));
    }
    const json& meta = page.contains("metadata") ? page["metadata"] : json::object();
    if (rv.empty()) rv = meta.value("resourceVersion", "");
    std::string next = meta.value("continue", "");
    if (next.empty()) break;
    opts.continue_token = next;
    opts.resource_version.clear();  // the continue token pins the snapshot
  }
  return rv;
}

ListResult KubeClient::list(const ResourceType& rt, const std::string& ns, ListOptions opts,
                            int64_t page_size) {
  ListResult out;
  out.resource_version = list_each(rt, ns, std::move(opts), page_size,
                                   [&](json&& item) { out.items.push_back(std::move(item)); });
  return out;
}

json KubeClient::create(const ResourceType& rt, const std::string& ns, const json& obj) {
  std::string name = obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
  return send_json({"create", "POST", object_path(rt, ns, ""), obj.dump(), "application/json",
                    object_name(ns, name), &rt, false});
}

json KubeClient::create_subresource(const ResourceType& rt, const std::string& ns,
                                    const std::string& name, const std::string& subresource,
                                    const json& body) {
  return send_json({"create " + subresource + " for", "POST",
                    object_path(rt, ns, name, subresource), body.dump(), "application/json",
                    object_name(ns, name), &rt, false});
}

json KubeClient::update(const ResourceType& rt, const std::string& ns, const json& obj,
                        const std::string& subresource) {
  std::string name = obj.contains("metadata") ? obj["metadata"].value("name", "") : "";
  if (name.empty())
    fail(ErrorKind::kInvalidInput, "kube update {}: the object has no metadata.name", rt.display());
  std::string verb = subresource.empty() ? "update" : "update " + subresource + " of";
  return send_json({verb, "PUT", object_path(rt, ns, name, subresource), obj.dump(),
                    "application/json", object_name(ns, name), &rt, true});
}

json KubeClient::patch(const ResourceType& rt, const std::string& ns, const std::string& name,
                       PatchType type, const json& body, const PatchOptions& opts,
                       const std::string& subresource) {
  std::string q;
  const std::string& manager = opts.field_manager.empty() ? field_manager_ : opts.field_manager;
  add_param(q, "fieldManager", manager);
  if (type == PatchType::kApply && opts.force) add_param(q, "force", "true");
  std::string ct =
      type == PatchType::kApply ? "application/apply-patch+yaml" : "application/merge-patch+json";
  std::string verb = type == PatchType::kApply ? "apply" : "patch";
  if (!subresource.empty()) verb += " " + subresource + " of";
  return send_json({verb, "PATCH", object_path(rt, ns, name, subresource) + q, body.dump(), ct,
                    object_name(ns, name), &rt, true});
}

bool KubeClient::remove(const ResourceType& rt, const std::string& ns, const std::string& name) {
  try {
    send({"delete", "DELETE", object_path(rt, ns, name), "", "", object_name(ns, name), &rt, true});
    return true;
  } catch (const ApiError& e) {
    if (e.status() == 404) return false;
    throw;
  }
}

void KubeClient::watch(const ResourceType& rt, const std::string& ns, const WatchOptions& opts,
                       const std::function<bool(const WatchEvent&)>& on_event) {
  std::string q = "?watch=1";
  add_param(q, "resourceVersion", opts.resource_version);
  add_param(q, "labelSelector", opts.label_selector);
  add_param(q, "fieldSelector", opts.field_selector);
  if (opts.allow_bookmarks) add_param(q, "allowWatchBookmarks", "true");
  add_param(q, "timeoutSeconds", std::to_string(opts.timeout_seconds));
  // The server ends the watch after timeoutSeconds; ours is a backstop.
  Call call{"watch",
            "GET",
            object_path(rt, ns, "") + q,
            "",
            "",
            object_name(ns, ""),
            &rt,
            true,
            std::chrono::seconds(opts.timeout_seconds) + kWatchSlack,
            opts.cancelled};

  std::string buffer;
  bool stopped = false;
  std::optional<ApiError> stream_error;
  auto sink = [&](std::string_view chunk) -> bool {
    buffer.append(chunk);
    size_t start = 0;
    for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(buffer.data() + start, nl - start);
      if (trim(line).empty()) continue;
      auto doc = json::parse(line, nullptr, false);
      if (doc.is_discarded() || !doc.is_object()) {
        fail(ErrorKind::kRemote, "kube watch {} {}: an event is not JSON", rt.display(),
             call.object);
      }
      WatchEvent ev{doc.value("type", ""),
                    doc.contains("object") ? std::move(doc["object"]) : json()};
      if (ev.type == "ERROR") {
        // A Status object: 410 Expired when the resourceVersion is too old.
        int code = ev.object.value("code", 500);
        std::string reason = ev.object.value("reason", "");
        stream_error.emplace(code == 410 ? ErrorKind::kRemote : kind_for_status(code),
                             fmt::format("kube watch {} {}: {} ({})", rt.display(), call.object,
                                         ev.object.value("message", ""), reason),
                             code, reason);
        return false;
      }
      if (!on_event(ev)) {
        stopped = true;
        return false;
      }
    }
    buffer.erase(0, start);
    if (buffer.size() > kMaxWatchEventBytes) {
      fail(ErrorKind::kRemote, "kube watch {} {}: an event is larger than {} bytes", rt.display(),
           call.object, kMaxWatchEventBytes);
    }
    return true;
  };
  http::BodySink body_sink = sink;
  try {
    send(call, body_sink);
  } catch (const Error& e) {
    if (stream_error) throw *stream_error;
    if (stopped || (opts.cancelled && opts.cancelled())) return;
    throw;
  }
  if (stream_error) throw *stream_error;
}

}  // namespace ecrhelm::kube
