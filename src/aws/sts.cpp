#include "aws/sts.h"

#include <spdlog/spdlog.h>
#include <pugixml.hpp>

#include "aws/arn.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

constexpr std::string_view kStsVersion = "2011-06-15";

void add_param(std::string& body, std::string_view key, std::string_view value) {
  if (!body.empty()) body += '&';
  body += uri_encode(key);
  body += '=';
  body += uri_encode(value);
}

pugi::xml_node result_node(pugi::xml_document& doc, std::string_view xml,
                           std::string_view result_element) {
  if (!doc.load_buffer(xml.data(), xml.size())) {
    fail(ErrorKind::kRemote, "STS answered with a body that is not XML ({} bytes)", xml.size());
  }
  pugi::xml_node result = doc.document_element().child(std::string(result_element).c_str());
  if (!result) {
    fail(ErrorKind::kRemote, "STS answer has no <{}> element (root <{}>)", result_element,
         doc.document_element().name());
  }
  return result;
}

}  // namespace

CallerIdentity parse_caller_identity(std::string_view xml) {
  pugi::xml_document doc;
  pugi::xml_node r = result_node(doc, xml, "GetCallerIdentityResult");
  CallerIdentity id;
  id.account = trim(r.child_value("Account"));
  id.arn = trim(r.child_value("Arn"));
  id.user_id = trim(r.child_value("UserId"));
  if (id.arn.empty()) fail(ErrorKind::kRemote, "STS GetCallerIdentity answer has no Arn");
  if (id.account.empty()) id.account = account_from_arn(id.arn);
  return id;
}

Credentials parse_assumed_credentials(std::string_view xml, std::string_view result_element) {
  pugi::xml_document doc;
  pugi::xml_node r = result_node(doc, xml, result_element);
  pugi::xml_node c = r.child("Credentials");
  Credentials out;
  out.access_key_id = trim(c.child_value("AccessKeyId"));
  std::string secret(trim(c.child_value("SecretAccessKey")));
  std::string token(trim(c.child_value("SessionToken")));
  if (out.access_key_id.empty() || secret.empty() || token.empty()) {
    fail(ErrorKind::kRemote, "STS {} answer lacks AccessKeyId, SecretAccessKey or SessionToken",
         result_element);
  }
  out.secret_access_key = Secret(std::move(secret));
  out.session_token = Secret(std::move(token));
  std::string_view exp = trim(c.child_value("Expiration"));
  auto t = parse_iso8601(exp);
  if (!t) fail(ErrorKind::kRemote, "STS {} answer has a bad Expiration '{}'", result_element, exp);
  out.expiration = t;
  out.account_id = account_from_arn(r.child("AssumedRoleUser").child_value("Arn"));
  return out;
}

StsClient::StsClient(const ServiceContext& ctx, std::string region)
    : ctx_(ctx), region_(std::move(region)) {
  endpoint_ = resolve_endpoint(Service::kSts, region_, *ctx_.env, ctx_.endpoint_options);
}

std::string StsClient::call(const Credentials* creds, std::string_view action, std::string body) {
  http::Request req;
  req.method = "POST";
  req.url = endpoint_ + "/";
  req.headers.add("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  std::string full;
  add_param(full, "Action", action);
  add_param(full, "Version", kStsVersion);
  if (!body.empty()) full += "&" + body;
  req.body = std::move(full);
  std::string signing_region = region_.empty() ? "us-east-1" : region_;
  return send_aws(ctx_, std::move(req), creds, signing_region, "sts", action).body;
}

CallerIdentity StsClient::get_caller_identity(const Credentials& creds) {
  return parse_caller_identity(call(&creds, "GetCallerIdentity", ""));
}

Credentials StsClient::assume_role(const Credentials& source, const AssumeRoleParams& p) {
  std::string body;
  add_param(body, "RoleArn", p.role_arn);
  add_param(body, "RoleSessionName", p.session_name);
  if (!p.external_id.empty()) add_param(body, "ExternalId", p.external_id);
  if (p.duration_seconds) add_param(body, "DurationSeconds", std::to_string(*p.duration_seconds));
  Credentials c = parse_assumed_credentials(call(&source, "AssumeRole", body), "AssumeRoleResult");
  c.source = "assume role " + p.role_arn;
  return c;
}

Credentials StsClient::assume_role_with_web_identity(const WebIdentityParams& p) {
  std::string body;
  add_param(body, "RoleArn", p.role_arn);
  add_param(body, "RoleSessionName", p.session_name);
  add_param(body, "WebIdentityToken", p.web_identity_token.reveal());
  if (p.duration_seconds) add_param(body, "DurationSeconds", std::to_string(*p.duration_seconds));
  Credentials c = parse_assumed_credentials(call(nullptr, "AssumeRoleWithWebIdentity", body),
                                            "AssumeRoleWithWebIdentityResult");
  c.source = "web identity " + p.role_arn;
  return c;
}

}  // namespace ecrhelm::aws
