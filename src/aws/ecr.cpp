#include "aws/ecr.h"

#include <nlohmann/json.hpp>

#include "util/encoding.h"
#include "util/error.h"

namespace ecrhelm::aws {
namespace {

constexpr std::string_view kEcrTarget =
    "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
constexpr std::string_view kEcrPublicTarget = "SpencerFrontendService.GetAuthorizationToken";
constexpr std::string_view kJson11 = "application/x-amz-json-1.1";

nlohmann::json parse_object(std::string_view json, std::string_view what) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    fail(ErrorKind::kRemote, "{} answered with a body that is not a JSON object ({} bytes)", what,
         json.size());
  }
  return j;
}

void read_auth_data(const nlohmann::json& d, AuthorizationToken& out, std::string_view what) {
  if (!d.is_object()) fail(ErrorKind::kRemote, "{}: authorizationData is not an object", what);
  auto tok = d.find("authorizationToken");
  if (tok == d.end() || !tok->is_string()) {
    fail(ErrorKind::kRemote, "{}: authorizationData has no authorizationToken", what);
  }
  decode_authorization_token(tok->get<std::string>(), out);
  auto exp = d.find("expiresAt");
  if (exp != d.end() && exp->is_number()) {
    out.expires_at = from_unix_seconds(exp->get<double>());
  } else if (exp != d.end() && exp->is_string()) {
    auto t = parse_iso8601(exp->get<std::string>());
    if (!t) fail(ErrorKind::kRemote, "{}: expiresAt is not a time", what);
    out.expires_at = *t;
  } else {
    fail(ErrorKind::kRemote, "{}: authorizationData has no expiresAt", what);
  }
  if (auto pe = d.find("proxyEndpoint"); pe != d.end() && pe->is_string()) {
    out.proxy_endpoint = pe->get<std::string>();
  }
}

http::Request json_request(const std::string& endpoint, std::string_view target, std::string body) {
  http::Request req;
  req.method = "POST";
  req.url = endpoint + "/";
  req.headers.add("Content-Type", std::string(kJson11));
  req.headers.add("X-Amz-Target", std::string(target));
  req.body = std::move(body);
  return req;
}

}  // namespace

void decode_authorization_token(std::string_view b64, AuthorizationToken& out) {
  auto raw = base64_decode(b64);
  if (!raw) fail(ErrorKind::kRemote, "ECR authorizationToken is not valid base64");
  auto colon = raw->find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= raw->size()) {
    fail(ErrorKind::kRemote, "ECR authorizationToken is not 'user:password'");
  }
  out.username = raw->substr(0, colon);
  out.password = Secret(raw->substr(colon + 1));
}

AuthorizationToken parse_ecr_authorization(std::string_view json) {
  auto j = parse_object(json, "ECR GetAuthorizationToken");
  auto data = j.find("authorizationData");
  if (data == j.end() || !data->is_array() || data->empty()) {
    fail(ErrorKind::kRemote, "ECR GetAuthorizationToken answer has no authorizationData");
  }
  AuthorizationToken out;
  read_auth_data(data->front(), out, "ECR GetAuthorizationToken");
  return out;
}

AuthorizationToken parse_ecr_public_authorization(std::string_view json) {
  auto j = parse_object(json, "ECR Public GetAuthorizationToken");
  auto data = j.find("authorizationData");
  if (data == j.end()) {
    fail(ErrorKind::kRemote, "ECR Public GetAuthorizationToken answer has no authorizationData");
  }
  AuthorizationToken out;
  read_auth_data(*data, out, "ECR Public GetAuthorizationToken");
  out.proxy_endpoint = "https://public.ecr.aws";
  return out;
}

EcrClient::EcrClient(const ServiceContext& ctx, std::string region)
    : ctx_(ctx), region_(std::move(region)) {
  endpoint_ = resolve_endpoint(Service::kEcr, region_, *ctx_.env, ctx_.endpoint_options);
}

AuthorizationToken EcrClient::get_authorization_token(const Credentials& creds,
                                                      const std::string& registry_id) {
  nlohmann::json body = nlohmann::json::object();
  if (!registry_id.empty()) body["registryIds"] = {registry_id};
  auto resp = send_aws(ctx_, json_request(endpoint_, kEcrTarget, body.dump()), &creds, region_,
                       "ecr", "GetAuthorizationToken");
  return parse_ecr_authorization(resp.body);
}

EcrPublicClient::EcrPublicClient(const ServiceContext& ctx) : ctx_(ctx) {
  endpoint_ = resolve_endpoint(Service::kEcrPublic, "us-east-1", *ctx_.env, ctx_.endpoint_options);
}

AuthorizationToken EcrPublicClient::get_authorization_token(const Credentials& creds,
                                                            const std::string&) {
  auto resp = send_aws(ctx_, json_request(endpoint_, kEcrPublicTarget, "{}"), &creds, "us-east-1",
                       "ecr-public", "GetAuthorizationToken");
  return parse_ecr_public_authorization(resp.body);
}

}  // namespace ecrhelm::aws
