// One signed (or unsigned) AWS call with the SDKs' standard retry mode, and
// the error shapes AWS answers with (Query XML, moto's XML, JSON __type).
#pragma once

#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/endpoints.h"
#include "http/client.h"
#include "http/retry.h"
#include "util/env.h"
#include "util/time.h"

namespace ecrhelm::aws {

// What every AWS client needs, passed by value (holds references).
// The most one AWS call (STS, ECR) may take with all its attempts and
// waits: a credential helper sits on every registry request, so a stalled
// endpoint or a huge Retry-After must not hold a pull for minutes. Attempts
// are cut to fit; a wait that would not fit ends the call at once.
inline constexpr std::chrono::seconds kDefaultAwsCallBudget{45};

struct ServiceContext {
  http::HttpClient* http = nullptr;
  const Env* env = nullptr;
  const Clock* clock = nullptr;
  http::BackoffPolicy backoff;
  std::chrono::milliseconds call_budget = kDefaultAwsCallBudget;
  // Sleeps between retries; tests replace it to run instantly and to count.
  std::function<void(std::chrono::milliseconds)> sleep;
  EndpointOptions endpoint_options;
};

// A default context over the real process environment and clock.
ServiceContext default_service_context(http::HttpClient& http);

struct AwsError {
  std::string code;  // "AccessDenied", "ThrottlingException", ...
  std::string message;
  std::string request_id;
};

// Parses an AWS error body: <ErrorResponse><Error>, moto's <ErrorResponse><Errors><Error>,
// <Error> at the root, or JSON {"__type": "...#Code", "message": ...}; x-amzn-ErrorType header.
std::optional<AwsError> parse_aws_error(const http::Response& resp);

bool is_throttling_code(std::string_view code);
// Standard mode: throttling codes, 429, 5xx, IDPCommunicationError, transient codes.
bool is_retryable(const http::Response& resp, const std::optional<AwsError>& err);

// Sends req (re-signed on every attempt when creds is given) with retries.
// Returns a 2xx response; otherwise throws an Error whose message names the
// service, action, code and message, and whose kind maps the code
// (AccessDenied -> kForbidden, signature/expired/invalid token -> kUnauthorized, ...).
http::Response send_aws(const ServiceContext& ctx, http::Request req, const Credentials* creds,
                        std::string_view region, std::string_view service, std::string_view action);

}  // namespace ecrhelm::aws
