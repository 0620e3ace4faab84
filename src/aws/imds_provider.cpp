// EC2 instance role credentials through IMDSv2, as botocore's
// InstanceMetadataProvider / InstanceMetadataFetcher get them: token PUT,
// IMDSv1 fallback on 403/404/405, role name, credentials; short timeouts so a
// chain off EC2 moves on quickly.
#include "aws/imds_provider.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>

#include "aws/container_provider.h"
#include "http/client.h"
#include "http/url.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

constexpr std::string_view kDisabledVar = "AWS_EC2_METADATA_DISABLED";
constexpr std::string_view kEndpointVar = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
constexpr std::string_view kEndpointModeVar = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
constexpr std::string_view kTimeoutVar = "AWS_METADATA_SERVICE_TIMEOUT";
constexpr std::string_view kAttemptsVar = "AWS_METADATA_SERVICE_NUM_ATTEMPTS";
constexpr std::string_view kV1DisabledVar = "AWS_EC2_METADATA_V1_DISABLED";

constexpr std::string_view kIpv4Endpoint = "http://169.254.169.254";
constexpr std::string_view kIpv6Endpoint = "http://[fd00:ec2::254]";
constexpr std::string_view kTokenPath = "/latest/api/token";
constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";
constexpr std::string_view kTokenTtlHeader = "X-aws-ec2-metadata-token-ttl-seconds";
constexpr std::string_view kTokenTtlSeconds = "21600";  // 6 h, botocore's _TOKEN_TTL
constexpr std::string_view kTokenHeader = "X-aws-ec2-metadata-token";

// botocore: DEFAULT_METADATA_SERVICE_TIMEOUT = 1 (s), num_attempts = 1.
constexpr double kDefaultTimeoutSeconds = 1.0;
constexpr double kMaxTimeoutSeconds = 3600.0;
constexpr int kDefaultAttempts = 1;
constexpr int kMaxAttempts = 100;
// Role names and credential documents are small.
constexpr size_t kMaxResponseBytes = 64 << 10;
constexpr size_t kMaxTokenBytes = 4096;

struct ImdsConfig {
  std::string base;  // scheme://host[:port][/prefix], no trailing slash
  std::chrono::milliseconds timeout;
  int attempts;
  bool v1_disabled;
};

bool is_true(const std::optional<std::string>& v) { return v && iequals(trim(*v), "true"); }

double parse_timeout(const std::string& text) {
  std::string t(trim(text));
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || v <= 0 ||
      v > kMaxTimeoutSeconds) {
    fail(ErrorKind::kInvalidInput,
         "{} \"{}\" is not a number of seconds between 0 and {}; set e.g. 1 or 2.5, or unset it",
         kTimeoutVar, text, kMaxTimeoutSeconds);
  }
  return v;
}

int parse_attempts(const std::string& text) {
  std::string t(trim(text));
  char* end = nullptr;
  long v = std::strtol(t.c_str(), &end, 10);
  if (t.empty() || end != t.c_str() + t.size() || v < 1 || v > kMaxAttempts) {
    fail(ErrorKind::kInvalidInput,
         "{} \"{}\" is not a whole number of attempts between 1 and {}; set e.g. 2, or unset it",
         kAttemptsVar, text, kMaxAttempts);
  }
  return int(v);
}

std::string resolve_base(const Env& env) {
  auto endpoint = env.get_nonempty(kEndpointVar);
  auto mode = env.get_nonempty(kEndpointModeVar);
  if (mode && !iequals(trim(*mode), "ipv4") && !iequals(trim(*mode), "ipv6")) {
    fail(ErrorKind::kInvalidInput, "{} \"{}\" is not IPv4 or IPv6; fix or unset it",
         kEndpointModeVar, *mode);
  }
  if (endpoint) {
    auto url = http::parse_url(*endpoint);
    if (!url) {
      fail(ErrorKind::kInvalidInput,
           "{} \"{}\" is not an http(s) URL; set it like http://169.254.169.254 or unset it",
           kEndpointVar, http::redact_url(*endpoint));
    }
    if (mode) spdlog::debug("imds: {} is set, so {} is ignored", kEndpointVar, kEndpointModeVar);
    std::string base = *endpoint;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base;
  }
  if (mode && iequals(trim(*mode), "ipv6")) return std::string(kIpv6Endpoint);
  return std::string(kIpv4Endpoint);
}

// nullopt when AWS_EC2_METADATA_DISABLED=true.
std::optional<ImdsConfig> config_from_env(const Env& env) {
  if (is_true(env.get(kDisabledVar))) return std::nullopt;
  ImdsConfig cfg;
  cfg.base = resolve_base(env);
  double seconds = kDefaultTimeoutSeconds;
  if (auto t = env.get_nonempty(kTimeoutVar)) seconds = parse_timeout(*t);
  cfg.timeout = std::chrono::milliseconds(std::max<long long>(1, std::llround(seconds * 1000)));
  cfg.attempts = kDefaultAttempts;
  if (auto a = env.get_nonempty(kAttemptsVar)) cfg.attempts = parse_attempts(*a);
  cfg.v1_disabled = is_true(env.get(kV1DisabledVar));
  return cfg;
}

ErrorKind kind_for_status(long status) {
  if (status == 401) return ErrorKind::kUnauthorized;
  if (status == 403) return ErrorKind::kForbidden;
  if (status == 404) return ErrorKind::kNotFound;
  if (status == 429) return ErrorKind::kThrottled;
  return ErrorKind::kRemote;
}

// IAM role names: [\w+=,.@-]{1,64}. Anything else would change the path.
bool is_role_name(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("_+=,.@-").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// One load(): the token and whether it was refreshed after a 401.
class ImdsSession {
 public:
  // kTimedOut: connected, no token in time; IMDSv1 is tried (as kNoToken).
  enum class TokenState { kToken, kNoToken, kTimedOut, kUnreachable };

  ImdsSession(const ImdsConfig& cfg, http::HttpClient& http) : cfg_(cfg), http_(http) {}

  TokenState fetch_token() {
    http::Request req = request("PUT", kTokenPath);
    req.headers.set(std::string(kTokenTtlHeader), std::string(kTokenTtlSeconds));
    req.max_response_bytes = kMaxTokenBytes;
    std::optional<long> last_status;
    for (int attempt = 1; attempt <= cfg_.attempts; ++attempt) {
      http::Response resp;
      try {
        resp = http_.send(req);
      } catch (const http::ReadTimeoutError& e) {
        // Something answers there but gave no token in time: IMDSv1, as
        // botocore does after a token read timeout (no retry).
        last_network_error_ = e.what();
        spdlog::debug("imds: token request timed out; trying IMDSv1");
        token_.reset();
        return TokenState::kTimedOut;
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kNetwork) throw;
        last_network_error_ = e.what();
        continue;
      }
      last_status = resp.status;
      if (resp.status == 200) {
        std::string token(trim(resp.body));
        if (token.empty() ||
            token.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
          fail(ErrorKind::kRemote,
               "imds: PUT {}{} answered 200 with an empty or malformed token; check {}", cfg_.base,
               kTokenPath, kEndpointVar);
        }
        token_ = Secret(std::move(token));
        return TokenState::kToken;
      }
      if (resp.status == 403 || resp.status == 404 || resp.status == 405) {
        spdlog::debug("imds: token request answered {}; IMDSv2 unavailable, trying IMDSv1",
                      resp.status);
        token_.reset();
        return TokenState::kNoToken;
      }
      if (resp.status == 400) {
        fail(ErrorKind::kRemote,
             "imds: PUT {}{} answered 400 Bad Request; check that {} points at the instance "
             "metadata service and that no proxy in between drops the {} header",
             cfg_.base, kTokenPath, kEndpointVar, kTokenTtlHeader);
      }
      spdlog::debug("imds: token request answered {} (attempt {}/{})", resp.status, attempt,
                    cfg_.attempts);
    }
    token_.reset();
    // No answer at all: not on EC2 (or IMDS is off). Any answer: try IMDSv1, as botocore does.
    return last_status ? TokenState::kNoToken : TokenState::kUnreachable;
  }

  bool has_token() const { return token_.has_value(); }
  const std::string& last_network_error() const { return last_network_error_; }

  // GET with retries on network errors and 5xx; a 401 with a token fetches a
  // new token once (it expired) and tries again. Returns the last response.
  http::Response get(const std::string& path) {
    std::optional<http::Response> last;
    for (int attempt = 1; attempt <= cfg_.attempts; ++attempt) {
      http::Request req = request("GET", path);
      if (token_) req.headers.set(std::string(kTokenHeader), token_->reveal());
      http::Response resp;
      try {
        resp = http_.send(req);
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::kNetwork) throw;
        last_network_error_ = e.what();
        continue;
      }
      if (resp.status == 401 && token_ && !refreshed_) {
        refreshed_ = true;
        spdlog::debug("imds: GET {} answered 401; the token expired, fetching a new one", path);
        TokenState s = fetch_token();
        if (s == TokenState::kUnreachable) {
          fail(ErrorKind::kNetwork, "imds: the metadata service at {} stopped answering ({})",
               cfg_.base, last_network_error_);
        }
        if (s == TokenState::kNoToken && cfg_.v1_disabled) fail_v1_disabled();
        --attempt;  // the refresh does not use up an attempt
        continue;
      }
      last = resp;
      if (resp.status < 500) return resp;
      spdlog::debug("imds: GET {} answered {} (attempt {}/{})", path, resp.status, attempt,
                    cfg_.attempts);
    }
    if (last) return *last;
    fail(ErrorKind::kNetwork,
         "imds: GET {}{} failed after {} attempt(s) ({}); the metadata service answered before, "
         "so raise {} or {}",
         cfg_.base, path, cfg_.attempts, last_network_error_, kTimeoutVar, kAttemptsVar);
  }

  [[noreturn]] void fail_v1_disabled() const {
    fail(ErrorKind::kRemote,
         "imds: the metadata service at {} gave no IMDSv2 token and IMDSv1 is disabled by {}; "
         "check the instance's metadata options (http-tokens, http-put-response-hop-limit >= 2 "
         "in containers) or unset {}",
         cfg_.base, kV1DisabledVar, kV1DisabledVar);
  }

 private:
  http::Request request(const char* method, std::string_view path) const {
    http::Request req;
    req.method = method;
    req.url = cfg_.base + std::string(path);
    req.timeout = cfg_.timeout;
    req.connect_timeout = cfg_.timeout;
    req.max_response_bytes = kMaxResponseBytes;
    return req;
  }

  const ImdsConfig& cfg_;
  http::HttpClient& http_;
  std::optional<Secret> token_;
  bool refreshed_ = false;
  std::string last_network_error_;
};

[[noreturn]] void fail_status(const char* what, const std::string& url, long status,
                              const std::string& hint) {
  fail(kind_for_status(status), "imds: {} GET {} answered HTTP {}; {}", what, url, status, hint);
}

// IMDS adds "Code": "Success" to the container document shape.
void check_code(std::string_view body, const std::string& role) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return;  // the parser reports it
  auto it = j.find("Code");
  if (it == j.end() || !it->is_string() || it->get<std::string>() == "Success") return;
  std::string code = it->get<std::string>().substr(0, 100);
  std::string message;
  if (auto m = j.find("Message"); m != j.end() && m->is_string()) {
    message = m->get<std::string>().substr(0, 300);
  }
  for (char& c : code) c = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  for (char& c : message) c = static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  fail(ErrorKind::kRemote,
       "imds: credentials for role {} answered Code {}{}{}; check that the role's trust policy "
       "allows ec2.amazonaws.com and the instance profile",
       role, code, message.empty() ? "" : ": ", message);
}

}  // namespace

ImdsProvider::ImdsProvider(ProviderContext ctx) : ctx_(std::move(ctx)) {}

std::optional<Credentials> ImdsProvider::load() {
  auto cfg = config_from_env(*ctx_.service.env);
  if (!cfg) {
    spdlog::debug("imds: disabled by {}", kDisabledVar);
    return std::nullopt;
  }
  ImdsSession session(*cfg, *ctx_.service.http);
  auto state = session.fetch_token();
  if (state == ImdsSession::TokenState::kUnreachable) {
    spdlog::debug("imds: no answer from {} ({}); not on EC2 or IMDS is off, moving on", cfg->base,
                  session.last_network_error());
    return std::nullopt;
  }
  const bool timed_out = state == ImdsSession::TokenState::kTimedOut;
  if ((state == ImdsSession::TokenState::kNoToken || timed_out) && cfg->v1_disabled)
    session.fail_v1_disabled();

  std::string list_url = cfg->base + std::string(kCredentialsPath);
  http::Response roles;
  try {
    roles = session.get(std::string(kCredentialsPath));
  } catch (const Error& e) {
    // No token in time and no IMDSv1 answer either: not a metadata service
    // (botocore finds no credentials there and moves on).
    if (!timed_out || e.kind() != ErrorKind::kNetwork) throw;
    spdlog::debug("imds: {} answered neither IMDSv2 nor IMDSv1 in time; moving on", cfg->base);
    return std::nullopt;
  }
  if (roles.status == 404) {
    spdlog::debug("imds: no IAM role is attached to this instance (404 from {})", list_url);
    return std::nullopt;
  }
  if (roles.status != 200) {
    fail_status("role list", list_url, roles.status,
                "check the instance profile and the metadata service options");
  }
  std::string_view first = roles.body;
  if (auto nl = first.find('\n'); nl != std::string_view::npos) first = first.substr(0, nl);
  std::string role(trim(first));
  if (!is_role_name(role)) {
    fail(ErrorKind::kRemote,
         "imds: GET {} answered 200 without a usable IAM role name; check the instance profile",
         list_url);
  }

  std::string path = std::string(kCredentialsPath) + role;
  http::Response doc = session.get(path);
  if (doc.status != 200) {
    fail_status("credentials", cfg->base + path, doc.status,
                "check that the instance profile's role " + role + " still exists");
  }
  check_code(doc.body, role);
  Credentials c = parse_container_credentials(doc.body, "imds (role " + role + ")");
  spdlog::debug("imds: got {} for role {} ({})", c.access_key_id, role,
                session.has_token() ? "IMDSv2" : "IMDSv1");
  return c;
}

}  // namespace ecrhelm::aws
