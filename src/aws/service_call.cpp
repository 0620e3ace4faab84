#include "aws/service_call.h"

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <thread>

#include "aws/sigv4.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws {

ServiceContext default_service_context(http::HttpClient& http) {
  ServiceContext ctx;
  ctx.http = &http;
  ctx.env = &ProcessEnv::instance();
  ctx.clock = &SystemClock::instance();
  ctx.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  ctx.endpoint_options.fips = fips_from_env(*ctx.env);
  return ctx;
}

namespace {

std::optional<AwsError> parse_xml_error(std::string_view body) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return std::nullopt;
  pugi::xml_node root = doc.document_element();
  pugi::xml_node err;
  std::string_view root_name = root.name();
  if (root_name == "ErrorResponse") {
    err = root.child("Error");
    if (!err) err = root.child("Errors").child("Error");  // moto's shape
  } else if (root_name == "Error") {
    err = root;
  } else if (root_name == "Response") {
    err = root.child("Errors").child("Error");  // EC2-style
  }
  if (!err) return std::nullopt;
  AwsError e;
  e.code = trim(err.child_value("Code"));
  e.message = trim(err.child_value("Message"));
  e.request_id = root.child_value("RequestId");
  if (e.request_id.empty()) e.request_id = root.child_value("RequestID");
  if (e.code.empty()) return std::nullopt;
  return e;
}

std::optional<AwsError> parse_json_error(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  AwsError e;
  for (const char* key : {"__type", "code", "Code"}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) {
      e.code = it->get<std::string>();
      break;
    }
  }
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (auto it = j.find(key); it != j.end() && it->is_string()) {
      e.message = it->get<std::string>();
      break;
    }
  }
  if (e.code.empty()) return std::nullopt;
  return e;
}

// "aws.protocoltests#FooError:http://..." -> "FooError"
std::string clean_code(std::string code) {
  if (auto colon = code.find(':'); colon != std::string::npos) code.resize(colon);
  if (auto hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  return code;
}

ErrorKind kind_for(long status, const std::string& code) {
  static const char* kAuth[] = {"SignatureDoesNotMatch",       "InvalidClientTokenId",
                                "UnrecognizedClientException", "ExpiredToken",
                                "ExpiredTokenException",       "InvalidIdentityToken",
                                "IncompleteSignature",         "MissingAuthenticationToken",
                                "InvalidSignatureException",   "AuthFailure"};
  for (const char* c : kAuth)
    if (code == c) return ErrorKind::kUnauthorized;
  if (code == "AccessDenied" || code == "AccessDeniedException" || status == 403)
    return ErrorKind::kForbidden;
  if (status == 401) return ErrorKind::kUnauthorized;
  if (is_throttling_code(code) || status == 429) return ErrorKind::kThrottled;
  if (status == 400 && (code == "ValidationError" || code == "ValidationException" ||
                        code == "InvalidParameterException" || code == "InvalidParameterValue"))
    return ErrorKind::kInvalidInput;
  return ErrorKind::kRemote;
}

const char* hint_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kUnauthorized:
      return "check that the credentials are current and belong to this account/endpoint";
    case ErrorKind::kForbidden:
      return "grant the permission to this identity (see `ecrhelm policy read`)";
    case ErrorKind::kThrottled:
      return "the service is throttling; retry later or call less often";
    case ErrorKind::kInvalidInput:
      return "check the parameters given";
    default:
      return "retry later; if it persists, check the service's status";
  }
}

}  // namespace

std::optional<AwsError> parse_aws_error(const http::Response& resp) {
  std::optional<AwsError> e;
  std::string_view body = trim(resp.body);
  if (!body.empty() && body.front() == '<')
    e = parse_xml_error(body);
  else if (!body.empty() && body.front() == '{')
    e = parse_json_error(body);
  if (!e) {
    if (auto t = resp.headers.get("x-amzn-ErrorType")) {
      e = AwsError{*t, "", ""};
    }
  }
  if (e) {
    e->code = clean_code(e->code);
    if (e->request_id.empty()) {
      if (auto rid = resp.headers.get("x-amzn-RequestId"))
        e->request_id = *rid;
      else if (auto rid2 = resp.headers.get("x-amz-request-id"))
        e->request_id = *rid2;
    }
  }
  return e;
}

// An attempt is not started (or retried) with less time than this left.
constexpr std::chrono::milliseconds kMinAttemptTime{1000};

bool is_throttling_code(std::string_view code) {
  static const char* kCodes[] = {"Throttling",
                                 "ThrottlingException",
                                 "ThrottledException",
                                 "RequestThrottledException",
                                 "TooManyRequestsException",
                                 "ProvisionedThroughputExceededException",
                                 "TransactionInProgressException",
                                 "RequestLimitExceeded",
                                 "BandwidthLimitExceeded",
                                 "LimitExceededException",
                                 "RequestThrottled",
                                 "SlowDown",
                                 "PriorRequestNotComplete",
                                 "EC2ThrottledException"};
  for (const char* c : kCodes)
    if (code == c) return true;
  return false;
}

bool is_retryable(const http::Response& resp, const std::optional<AwsError>& err) {
  if (resp.status == 429 || resp.status >= 500) return true;
  if (!err) return false;
  return is_throttling_code(err->code) || err->code == "IDPCommunicationError" ||
         err->code == "RequestTimeout" || err->code == "RequestTimeoutException" ||
         err->code == "InternalError" || err->code == "ServiceUnavailable";
}

http::Response send_aws(const ServiceContext& ctx, http::Request req, const Credentials* creds,
                        std::string_view region, std::string_view service,
                        std::string_view action) {
  std::mt19937_64 rng(std::random_device{}());
  const int attempts = std::max(1, ctx.backoff.max_attempts);
  // Time used so far: attempts as the clock saw them, plus the waits asked
  // of ctx.sleep (counted apart, so a test's instant sleep still counts).
  std::chrono::milliseconds spent{0};
  auto remaining = [&] { return ctx.call_budget - spent; };
  // A retry after waiting d is worth it only with time left for the attempt.
  auto fits = [&](std::chrono::milliseconds d) { return d + kMinAttemptTime <= remaining(); };
  auto wait = [&](std::chrono::milliseconds d) {
    spent += d;
    if (ctx.sleep) ctx.sleep(d);
  };
  const std::string budget_note =
      fmt::format("the {} s budget of an AWS call is used up",
                  std::chrono::duration_cast<std::chrono::seconds>(ctx.call_budget).count());
  for (int attempt = 1;; ++attempt) {
    http::Request signed_req = req;
    signed_req.timeout = std::max(kMinAttemptTime, std::min(req.timeout, remaining()));
    signed_req.connect_timeout = std::min(signed_req.connect_timeout, signed_req.timeout);
    if (creds) sigv4::sign(signed_req, *creds, region, service, ctx.clock->now());
    bool last = attempt >= attempts;
    http::Response resp;
    TimePoint started = ctx.clock->now();
    try {
      resp = ctx.http->send(signed_req);
      spent += std::chrono::duration_cast<std::chrono::milliseconds>(ctx.clock->now() - started);
    } catch (const Error& e) {
      spent += std::chrono::duration_cast<std::chrono::milliseconds>(ctx.clock->now() - started);
      if (e.kind() != ErrorKind::kNetwork || last) {
        throw Error(e.kind(), fmt::format("{} {}: {}", service, action, e.what()));
      }
      auto d = http::retry_delay(ctx.backoff, attempt, rng, std::nullopt);
      if (!fits(d)) {
        throw Error(e.kind(), fmt::format("{} {}: {} ({} after {} attempt{})", service, action,
                                          e.what(), budget_note, attempt, attempt == 1 ? "" : "s"));
      }
      spdlog::debug("{} {}: attempt {} failed ({}); retrying in {} ms", service, action, attempt,
                    e.what(), d.count());
      wait(d);
      continue;
    }
    if (resp.status >= 200 && resp.status < 300) return resp;
    auto err = parse_aws_error(resp);
    std::string budget_used;
    if (!last && is_retryable(resp, err)) {
      std::optional<std::chrono::milliseconds> retry_after;
      if (auto ra = resp.headers.get("Retry-After"))
        retry_after = http::parse_retry_after(*ra, ctx.clock->now());
      auto d = http::retry_delay(ctx.backoff, attempt, rng, retry_after);
      if (fits(d)) {
        spdlog::debug("{} {}: HTTP {} {} on attempt {}; retrying in {} ms", service, action,
                      resp.status, err ? err->code : "", attempt, d.count());
        wait(d);
        continue;
      }
      budget_used = retry_after ? fmt::format("; {} (Retry-After {} s)", budget_note,
                                              retry_after->count() / 1000)
                                : "; " + budget_note;
    }
    std::string code = err ? err->code : "HTTP" + std::to_string(resp.status);
    ErrorKind kind = kind_for(resp.status, code);
    std::string msg = fmt::format("{} {} failed: {}", service, action, code);
    if (err && !err->message.empty()) msg += ": " + err->message;
    msg += fmt::format(" (HTTP {}", resp.status);
    if (err && !err->request_id.empty()) msg += ", request id " + err->request_id;
    msg += fmt::format(", {} attempt{}{}); {}", attempt, attempt == 1 ? "" : "s", budget_used,
                       hint_for(kind));
    throw Error(kind, msg);
  }
}

}  // namespace ecrhelm::aws
