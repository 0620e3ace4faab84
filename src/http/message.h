// HTTP request/response values shared by every layer above (AWS, OCI, kube).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm::http {

// Ordered header list with case-insensitive lookup (names keep their spelling).
class Headers {
 public:
  struct Entry {
    std::string name;
    std::string value;
  };
  void add(std::string name, std::string value);
  void set(std::string name, std::string value);  // replaces every entry of that name
  void remove(std::string_view name);
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> get_all(std::string_view name) const;
  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

// Where a 2xx response body goes when it should not be held in memory (other
// bodies, e.g. a redirect's, stay in Response::body). Return false to abort
// the transfer (size limit, digest failure, ...).
using BodySink = std::function<bool(std::string_view chunk)>;

// Every limit is a named constant.
inline constexpr size_t kDefaultMaxResponseBytes = 4u << 20;  // 4 MiB
inline constexpr std::chrono::milliseconds kDefaultTimeout{30000};
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{10000};

struct Request {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  std::chrono::milliseconds timeout = kDefaultTimeout;
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;
  size_t max_response_bytes = kDefaultMaxResponseBytes;  // ignored when sink is set
  BodySink sink;
  // Ends the transfer (Error(kNetwork)) when fewer than low_speed_bytes per
  // second arrive for low_speed_time (libcurl's LOW_SPEED_LIMIT/TIME): a peer
  // that sends headers and a few bytes, then stalls. 0 = off (timeout only).
  long low_speed_bytes = 0;
  std::chrono::seconds low_speed_time{0};
  // Polled about once a second while the transfer runs (also when idle, as a
  // long watch is): true ends it with Error(kNetwork, "cancelled").
  std::function<bool()> cancelled;
};

struct Response {
  long status = 0;
  Headers headers;
  std::string body;
};

// Removes query string and userinfo from a URL so it can be logged (presigned
// URLs carry signatures and tokens in the query).
std::string redact_url(std::string_view url);

}  // namespace ecrhelm::http
