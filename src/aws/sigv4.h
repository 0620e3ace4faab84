// AWS Signature Version 4 as pure functions (no I/O, no clock): each step of
// the algorithm is separately testable against the published SigV4 suite.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "aws/credentials.h"
#include "http/message.h"
#include "util/time.h"

namespace ecrhelm::aws::sigv4 {

struct CanonicalRequest {
  std::string text;            // the canonical request itself
  std::string signed_headers;  // "host;x-amz-date"
};

// Builds the canonical request for method, raw path and raw query of `url`,
// the given headers (should include X-Amz-Date; Host is taken from the URL
// when absent; is_unsigned_header ones are left out) and payload.
// normalize_path: remove "." and ".." segments and duplicate slashes (every
// service but S3).
CanonicalRequest canonical_request(std::string_view method, std::string_view url,
                                   const http::Headers& headers, std::string_view payload,
                                   bool normalize_path = true);
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);  // "20150830/us-east-1/iam/aws4_request"
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request);
std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service);            // raw bytes
std::string signature(std::string_view signing_key, std::string_view string_to_sign);  // hex
std::string authorization_header(std::string_view access_key_id, std::string_view scope,
                                 std::string_view signed_headers, std::string_view signature);

// Signs req in place: sets Host (if absent), X-Amz-Date, X-Amz-Security-Token
// (when the credentials have a session token) and Authorization.
void sign(http::Request& req, const Credentials& creds, std::string_view region,
          std::string_view service, TimePoint now);

// The separate steps of canonical_request, exposed so each is tested alone.
// Path: dot segments and duplicate slashes removed when normalize_path (a
// trailing slash is kept), then every segment percent-encoded once.
std::string canonical_uri(std::string_view raw_path, bool normalize_path = true);
// Query: pairs split on '&' and '=', decoded, re-encoded with the RFC 3986
// unreserved set, sorted by key then value; "k" becomes "k=".
std::string canonical_query(std::string_view raw_query);
// Header value: trimmed, every run of whitespace (folded lines too) one space.
std::string canonical_header_value(std::string_view value);
// Headers never signed (botocore's list): proxies and clients rewrite them.
bool is_unsigned_header(std::string_view lowercase_name);

// Less common signing variants, named after what the published suite covers.
struct SignOptions {
  bool normalize_path = true;       // false for S3
  bool sign_session_token = true;   // false: X-Amz-Security-Token is sent but not signed
  bool add_content_sha256 = false;  // also send and sign x-amz-content-sha256 (S3 style)
};
void sign(http::Request& req, const Credentials& creds, std::string_view region,
          std::string_view service, TimePoint now, const SignOptions& opts);

}  // namespace ecrhelm::aws::sigv4
