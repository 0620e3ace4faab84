// KubeClient: the REST verbs of the Kubernetes API on any resource
// (get, list with paging, watch, create, update, JSON merge patch,
// server-side apply, delete, subresources), with client-go's behaviour around
// them: a token-bucket rate limit, retries of 429/5xx with backoff and
// Retry-After, one credential refresh on 401, and errors that name the verb,
// the object and the API's own reason and message.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "http/client.h"
#include "kube/authenticator.h"
#include "kube/rate_limiter.h"
#include "kube/resource.h"
#include "kube/rest_config.h"
#include "util/error.h"

namespace ecrhelm::kube {

using nlohmann::json;

// An error status from the API server. kind(): 401 kUnauthorized, 403
// kForbidden, 404 kNotFound, 409 kConflict (AlreadyExists too: see reason()),
// 422/400 kInvalidInput, 429 kThrottled, else kRemote.
class ApiError : public Error {
 public:
  ApiError(ErrorKind kind, std::string message, int status, std::string reason)
      : Error(kind, std::move(message)), status_(status), reason_(std::move(reason)) {}
  int status() const { return status_; }
  const std::string& reason() const {
    return reason_;
  }  // "NotFound", "Conflict", "AlreadyExists", "Expired"...

 private:
  int status_;
  std::string reason_;
};

bool is_not_found(const std::exception& e);
bool is_conflict(const std::exception& e);  // 409 Conflict (stale resourceVersion)
bool is_already_exists(const std::exception& e);
bool is_gone(const std::exception& e);       // 410: a watch or list resourceVersion too old
bool is_forbidden(const std::exception& e);  // 403: RBAC does not allow it

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  std::string resource_version;
  int64_t limit = 0;  // page size; 0 = server default (everything)
  std::string continue_token;
};

struct ListResult {
  std::vector<json> items;
  std::string resource_version;  // of the list, to start a watch from
};

struct WatchOptions {
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  int timeout_seconds = 300;        // the server ends the watch after this
  std::function<bool()> cancelled;  // polled about once a second; true ends the watch
};

struct WatchEvent {
  std::string type;  // ADDED MODIFIED DELETED BOOKMARK
  json object;
};

enum class PatchType { kMerge, kApply };

struct PatchOptions {
  std::string field_manager;  // empty = the client's
  bool force = false;         // apply: take fields other managers own
};

// Objects per list request (client-go's reflector pages by 500 too).
inline constexpr int64_t kListPageSize = 500;

class KubeClient {
 public:
  // http may be null: a CurlHttpClient with the config's TLS settings is made.
  explicit KubeClient(RestConfig config, std::shared_ptr<http::HttpClient> http = nullptr);

  const RestConfig& config() const { return config_; }
  // The namespace to use when none is given: the context's, the pod's, or "default".
  std::string default_namespace() const;
  void set_field_manager(std::string m) { field_manager_ = std::move(m); }
  const std::string& field_manager() const { return field_manager_; }

  json get(const ResourceType& rt, const std::string& ns, const std::string& name,
           const std::string& subresource = "");
  std::optional<json> get_if_exists(const ResourceType& rt, const std::string& ns,
                                    const std::string& name);
  // One page, as the server returns it (items, metadata.continue, resourceVersion).
  json list_page(const ResourceType& rt, const std::string& ns, const ListOptions& opts);
  // Every page (page_size objects per request), one consistent snapshot,
  // each item handed to on_item as its page arrives (so a caller that
  // decodes items never holds the whole list). Returns the list's resourceVersion.
  std::string list_each(const ResourceType& rt, const std::string& ns, ListOptions opts,
                        int64_t page_size, const std::function<void(json&&)>& on_item);
  // Every page (page_size objects per request), one consistent snapshot.
  ListResult list(const ResourceType& rt, const std::string& ns, ListOptions opts = {},
                  int64_t page_size = kListPageSize);
  json create(const ResourceType& rt, const std::string& ns, const json& obj);
  // POST to a subresource (serviceaccounts/NAME/token).
  json create_subresource(const ResourceType& rt, const std::string& ns, const std::string& name,
                          const std::string& subresource, const json& body);
  // PUT; the object's metadata.resourceVersion makes it conditional (409 on a stale one).
  json update(const ResourceType& rt, const std::string& ns, const json& obj,
              const std::string& subresource = "");
  json patch(const ResourceType& rt, const std::string& ns, const std::string& name, PatchType type,
             const json& body, const PatchOptions& opts = {}, const std::string& subresource = "");
  // DELETE; returns false when the object did not exist.
  bool remove(const ResourceType& rt, const std::string& ns, const std::string& name);
  // Streams events until the server ends the watch (normal return), `on_event`
  // returns false (normal return), or an error: a 410 Expired arrives as an
  // ApiError with is_gone() true, so the caller relists.
  void watch(const ResourceType& rt, const std::string& ns, const WatchOptions& opts,
             const std::function<bool(const WatchEvent&)>& on_event);

  // Requests sent to the server (retries included): for tests and metrics.
  uint64_t requests_sent() const { return requests_sent_; }

 private:
  struct Call {
    std::string verb;    // for messages: get, list, create...
    std::string method;  // HTTP
    std::string path;    // below the server URL, with query
    std::string body;
    std::string content_type;
    std::string object;  // "ns/name" or "name" for messages
    const ResourceType* rt;
    bool idempotent;
    std::chrono::milliseconds timeout{0};  // 0 = the HTTP client's default
    std::function<bool()> cancelled = nullptr;
  };
  http::Response send(const Call& call, http::BodySink sink = nullptr);
  json send_json(const Call& call);
  [[noreturn]] void throw_api_error(const Call& call, const http::Response& resp);
  std::string object_path(const ResourceType& rt, const std::string& ns, const std::string& name,
                          const std::string& subresource = "") const;

  RestConfig config_;
  std::shared_ptr<http::HttpClient> http_;
  Authenticator auth_;
  RateLimiter limiter_;
  std::string field_manager_ = "ecrhelm";
  std::atomic<uint64_t> requests_sent_{0};
};

}  // namespace ecrhelm::kube
