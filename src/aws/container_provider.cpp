// ECS task role / EKS Pod Identity credentials from the container endpoint, as
// botocore's ContainerProvider + ContainerMetadataFetcher and aws-c-auth's ECS
// provider fetch them (host allow-list, token file re-read, 2 s x 3 tries).
#include "aws/container_provider.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <cstring>

#include "http/url.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

constexpr std::string_view kRelativeUriVar = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
constexpr std::string_view kFullUriVar = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
constexpr std::string_view kTokenFileVar = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
constexpr std::string_view kTokenVar = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

constexpr std::string_view kEcsHost = "169.254.170.2";
constexpr std::string_view kEksHostV4 = "169.254.170.23";
constexpr std::string_view kEksHostV6 = "fd00:ec2::23";
constexpr std::string_view kAllowedHosts =
    "a loopback address (127.0.0.0/8, ::1, localhost), 169.254.170.2 (ECS), 169.254.170.23 or "
    "fd00:ec2::23 (EKS Pod Identity)";

// botocore's ContainerMetadataFetcher: TIMEOUT_SECONDS = 2, RETRY_ATTEMPTS = 3, SLEEP_TIME = 1.
constexpr std::chrono::milliseconds kTryTimeout{2000};
constexpr int kMaxTries = 3;
constexpr std::chrono::milliseconds kRetrySleep{1000};
// A credentials document is ~1.5 KiB; aws-c-auth stops at 10000 bytes.
constexpr size_t kMaxResponseBytes = 64 << 10;
// An EKS Pod Identity token is a ~1 KiB JWT.
constexpr size_t kMaxTokenFileBytes = 16 << 10;
// How much of a peer's error message we repeat.
constexpr size_t kMaxPeerMessageChars = 300;

enum class HostKind { kEcs, kEksPodIdentity, kLoopback, kDisallowed };

bool same_ipv6(std::string_view host, std::string_view ip) {
  in6_addr a{}, b{};
  std::string h(host), i(ip);
  return inet_pton(AF_INET6, h.c_str(), &a) == 1 && inet_pton(AF_INET6, i.c_str(), &b) == 1 &&
         std::memcmp(&a, &b, sizeof a) == 0;
}

HostKind classify_host(std::string_view host) {
  if (host == kEcsHost) return HostKind::kEcs;
  if (host == kEksHostV4 || same_ipv6(host, kEksHostV6)) return HostKind::kEksPodIdentity;
  if (http::is_loopback_host(host)) return HostKind::kLoopback;
  return HostKind::kDisallowed;
}

struct Endpoint {
  std::string url;       // what we GET
  std::string shown;     // for messages: query and userinfo removed
  std::string source;    // Credentials::source
  std::string variable;  // which variable named it
};

std::string source_for(HostKind kind, const std::string& host) {
  switch (kind) {
    case HostKind::kEksPodIdentity:
      return "container (EKS Pod Identity)";
    case HostKind::kEcs:
      return "container (ECS)";
    default:
      return "container (" + host + ")";
  }
}

Endpoint resolve_endpoint(const Env& env) {
  // RELATIVE_URI wins over FULL_URI (botocore, aws-c-auth).
  if (auto rel = env.get_nonempty(kRelativeUriVar)) {
    if (rel->front() != '/') {
      fail(ErrorKind::kInvalidInput,
           "{} must be a path starting with '/' (ECS sets /v2/credentials/<id>); fix or unset it",
           kRelativeUriVar);
    }
    std::string url = "http://" + std::string(kEcsHost) + *rel;
    auto parsed = http::parse_url(url);
    // A path cannot move the request to another host ("@evil/..." would).
    if (!parsed || parsed->host != kEcsHost || parsed->explicit_port) {
      fail(ErrorKind::kInvalidInput,
           "{} does not form a URL on {} when appended to it; it must be a plain path such as "
           "/v2/credentials/<id>",
           kRelativeUriVar, kEcsHost);
    }
    return {url, http::redact_url(url), source_for(HostKind::kEcs, parsed->host),
            std::string(kRelativeUriVar)};
  }
  auto full = env.get_nonempty(kFullUriVar);
  auto parsed = http::parse_url(*full);
  if (!parsed) {
    fail(ErrorKind::kInvalidInput,
         "{} \"{}\" is not an http(s) URL; EKS Pod Identity sets "
         "http://169.254.170.23/v1/credentials",
         kFullUriVar, http::redact_url(*full));
  }
  HostKind kind = classify_host(parsed->host);
  if (kind == HostKind::kDisallowed) {
    fail(ErrorKind::kInvalidInput,
         "{} host \"{}\" is not allowed: container credentials are only fetched from {}; fix "
         "the variable or unset it",
         kFullUriVar, parsed->host, kAllowedHosts);
  }
  return {*full, http::redact_url(*full), source_for(kind, parsed->host), std::string(kFullUriVar)};
}

// The Authorization header value, re-read on every load (the EKS Pod Identity
// token is rotated on disk). The value never appears in a message.
std::optional<Secret> authorization(const Env& env) {
  std::string token;
  std::string origin;
  if (auto file = env.get_nonempty(kTokenFileVar)) {
    token =
        read_file(*file, "container authorization token file (" + std::string(kTokenFileVar) + ")",
                  kMaxTokenFileBytes);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    origin = "file " + *file + " (" + std::string(kTokenFileVar) + ")";
    if (token.empty()) {
      fail(ErrorKind::kInvalidInput,
           "container authorization token {} is empty; check the EKS Pod Identity token mount",
           origin);
    }
  } else if (auto value = env.get_nonempty(kTokenVar)) {
    token = *value;
    origin = kTokenVar;
  } else {
    return std::nullopt;
  }
  if (token.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    fail(ErrorKind::kInvalidInput,
         "container authorization token from {} contains a line break or NUL and is not a legal "
         "header value; write the token on a single line",
         origin);
  }
  return Secret(std::move(token));
}

std::string clean_peer_text(std::string_view s, const std::optional<Secret>& auth) {
  // Should the peer echo what we sent, it does not reach our message: redact
  // the whole text first, so a token cut by the length limit cannot leave
  // its prefix behind.
  std::string text(s);
  if (auth && !auth->empty()) {
    const std::string& v = auth->reveal();
    for (size_t pos = 0; (pos = text.find(v, pos)) != std::string::npos; pos += 10)
      text.replace(pos, v.size(), "<redacted>");
  }
  std::string out;
  for (char c : std::string_view(text).substr(0, kMaxPeerMessageChars)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  return out;
}

// " (Code: Message)" from a JSON error body, or "".
std::string peer_error(std::string_view body, const std::optional<Secret>& auth) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return "";
  std::string code, message;
  for (const char* k : {"Code", "code", "__type"}) {
    if (auto it = j.find(k); it != j.end() && it->is_string()) {
      code = it->get<std::string>();
      break;
    }
  }
  for (const char* k : {"Message", "message"}) {
    if (auto it = j.find(k); it != j.end() && it->is_string()) {
      message = it->get<std::string>();
      break;
    }
  }
  if (code.empty() && message.empty()) return "";
  std::string text = code.empty() ? message : message.empty() ? code : code + ": " + message;
  return " (" + clean_peer_text(text, auth) + ")";
}

ErrorKind kind_for_status(long status) {
  if (status == 401) return ErrorKind::kUnauthorized;
  if (status == 403) return ErrorKind::kForbidden;
  if (status == 404) return ErrorKind::kNotFound;
  if (status == 429) return ErrorKind::kThrottled;
  return ErrorKind::kRemote;
}

const char* hint_for_status(long status) {
  if (status == 401 || status == 403) {
    return "check the authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or "
           "AWS_CONTAINER_AUTHORIZATION_TOKEN) and the pod identity association or task role";
  }
  if (status == 404) return "check the credentials path in the URI variable";
  return "check the ECS agent or EKS Pod Identity agent on this node";
}

ErrorKind kind_for_code(std::string_view code) {
  std::string c = to_lower(code);
  if (c.find("accessdenied") != std::string::npos || c.find("forbidden") != std::string::npos) {
    return ErrorKind::kForbidden;
  }
  if (c.find("unauthorized") != std::string::npos || c.find("invalidtoken") != std::string::npos ||
      c.find("expired") != std::string::npos) {
    return ErrorKind::kUnauthorized;
  }
  if (c.find("throttl") != std::string::npos) return ErrorKind::kThrottled;
  return ErrorKind::kRemote;
}

}  // namespace

ContainerProvider::ContainerProvider(ProviderContext ctx) : ctx_(std::move(ctx)) {}

std::optional<Credentials> ContainerProvider::load() {
  const Env& env = *ctx_.service.env;
  if (!env.get_nonempty(kRelativeUriVar) && !env.get_nonempty(kFullUriVar)) return std::nullopt;
  // Validated before anything is sent: a disallowed host is never contacted.
  Endpoint ep = resolve_endpoint(env);
  std::optional<Secret> auth = authorization(env);

  http::Request req;
  req.method = "GET";
  req.url = ep.url;
  req.headers.set("Accept", "application/json");
  if (auth) req.headers.set("Authorization", auth->reveal());
  req.timeout = kTryTimeout;
  req.connect_timeout = kTryTimeout;
  req.max_response_bytes = kMaxResponseBytes;

  std::optional<http::Response> resp;
  std::string last_network_error;
  for (int attempt = 1; attempt <= kMaxTries; ++attempt) {
    if (attempt > 1 && ctx_.service.sleep) ctx_.service.sleep(kRetrySleep);
    spdlog::debug("container credentials: GET {} (try {}/{}, authorization {})", ep.shown, attempt,
                  kMaxTries, auth ? "set" : "none");
    try {
      resp = ctx_.service.http->send(req);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::kNetwork) throw;
      last_network_error = e.what();
      resp.reset();
      continue;
    }
    if (resp->status < 500) break;
    spdlog::debug("container credentials: {} answered {}", ep.shown, resp->status);
  }
  if (!resp) {
    fail(ErrorKind::kNetwork,
         "{}: no answer from the container credentials endpoint named by {} after {} tries ({}); "
         "check that the ECS agent or EKS Pod Identity agent runs on this node",
         ep.source, ep.variable, kMaxTries, last_network_error);
  }
  if (resp->status != 200) {
    fail(kind_for_status(resp->status), "{}: GET {} answered HTTP {}{}; {}", ep.source, ep.shown,
         resp->status, peer_error(resp->body, auth), hint_for_status(resp->status));
  }
  Credentials c = parse_container_credentials(resp->body, ep.source);
  spdlog::debug("container credentials: got {} from {}", c.access_key_id, ep.shown);
  return c;
}

Credentials parse_container_credentials(std::string_view json, std::string_view source) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail(ErrorKind::kRemote,
         "{}: the credentials endpoint answered with a body that is not a JSON "
         "object",
         source);
  }
  auto str = [&](const char* key) -> std::optional<std::string> {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) {
      fail(ErrorKind::kRemote, "{}: field {} of the credentials document is not a string", source,
           key);
    }
    return it->get<std::string>();
  };
  auto key_id = str("AccessKeyId");
  if (!key_id || key_id->empty()) {
    auto code = str("Code");
    auto message = str("Message");
    if (code || message) {
      std::string text = clean_peer_text(code && message ? *code + ": " + *message
                                         : code          ? *code
                                                         : *message,
                                         std::nullopt);
      fail(kind_for_code(code.value_or("")),
           "{}: the credentials endpoint answered with an error instead of credentials ({}); "
           "check the role and its trust policy",
           source, text);
    }
    fail(ErrorKind::kRemote, "{}: the credentials document has no AccessKeyId", source);
  }
  Credentials c;
  c.access_key_id = *key_id;
  auto secret = str("SecretAccessKey");
  auto token = str("Token");
  auto expiration = str("Expiration");
  for (auto [name, value] : {std::pair{"SecretAccessKey", &secret}, std::pair{"Token", &token},
                             std::pair{"Expiration", &expiration}}) {
    if (!*value || (*value)->empty()) {
      fail(ErrorKind::kRemote, "{}: the credentials document for {} has no {}", source,
           c.access_key_id, name);
    }
  }
  c.secret_access_key = Secret(std::move(*secret));
  c.session_token = Secret(std::move(*token));
  c.expiration = parse_iso8601(*expiration);
  if (!c.expiration) {
    fail(ErrorKind::kRemote, "{}: Expiration \"{}\" is not an ISO 8601 time", source,
         clean_peer_text(*expiration, std::nullopt));
  }
  c.account_id = str("AccountId").value_or("");
  c.source = std::string(source);
  return c;
}

}  // namespace ecrhelm::aws
