// AWS Signature Version 4, step by step, as pure functions (see sigv4.h).
#include "aws/sigv4.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

#include "http/url.h"
#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::aws::sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr std::string_view kSecurityTokenHeader = "X-Amz-Security-Token";
constexpr std::string_view kContentSha256Header = "x-amz-content-sha256";

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// "/a/./b/../c//" -> segments {"a", "c"}; botocore's posixpath.normpath, but a
// leading "//" collapses too (as the published suite expects).
std::vector<std::string_view> normalized_segments(std::string_view path) {
  std::vector<std::string_view> out;
  for (std::string_view seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  return out;
}

// The Host header value for a URL: the port only when it is not the scheme's
// default (botocore's _canonical_host; curl sends the same).
std::string host_header_for(const http::Url& url) {
  bool default_port =
      (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
  // Appended piece by piece: GCC 12 reports a false -Wrestrict at -O2/-O3 for
  // `"[" + s + "]"` (the inlined insert at position 0 of a temporary; GCC bug 105329).
  std::string host;
  if (url.host.find(':') != std::string::npos) {  // an IPv6 literal
    host.reserve(url.host.size() + 2);
    host.append(1, '[').append(url.host).append(1, ']');
  } else {
    host = url.host;
  }
  if (!default_port) host.append(1, ':').append(std::to_string(url.port));
  return host;
}

std::string to_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string date_of(std::string_view amz_date) { return std::string(amz_date.substr(0, 8)); }

}  // namespace

std::string canonical_uri(std::string_view raw_path, bool normalize_path) {
  if (raw_path.empty()) return "/";
  if (!normalize_path) return uri_encode(raw_path, /*encode_slash=*/false);
  std::string out;
  for (std::string_view seg : normalized_segments(raw_path)) {
    out += '/';
    out += uri_encode(seg);
  }
  if (out.empty() || raw_path.back() == '/') out += '/';
  return out;
}

std::string canonical_query(std::string_view raw_query) {
  // A value that does not decode (a stray '%') is taken literally and encoded.
  auto reencode = [](std::string_view text) {
    auto decoded = uri_decode(text);
    return uri_encode(decoded ? std::string_view(*decoded) : text);
  };
  std::vector<std::pair<std::string, std::string>> pairs;
  for (std::string_view part : split(raw_query, '&')) {
    if (part.empty()) continue;
    auto eq = part.find('=');
    std::string_view key = part.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : part.substr(eq + 1);
    pairs.emplace_back(reencode(key), reencode(value));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [key, value] : pairs) {
    if (!out.empty()) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string canonical_header_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : trim(value)) {
    if (is_whitespace(c)) {
      pending_space = true;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

bool is_unsigned_header(std::string_view lowercase_name) {
  // botocore's SIGNED_HEADERS_BLACKLIST, plus the Authorization header itself.
  static constexpr std::array<std::string_view, 12> kUnsigned = {"authorization",
                                                                 "connection",
                                                                 "expect",
                                                                 "keep-alive",
                                                                 "proxy-authenticate",
                                                                 "proxy-authorization",
                                                                 "te",
                                                                 "trailer",
                                                                 "transfer-encoding",
                                                                 "upgrade",
                                                                 "user-agent",
                                                                 "x-amzn-trace-id"};
  return std::find(kUnsigned.begin(), kUnsigned.end(), lowercase_name) != kUnsigned.end();
}

CanonicalRequest canonical_request(std::string_view method, std::string_view url,
                                   const http::Headers& headers, std::string_view payload,
                                   bool normalize_path) {
  auto parsed = http::parse_url(url);
  if (!parsed) {
    fail(ErrorKind::kInvalidInput, "cannot sign a request to '{}': not an absolute http(s) URL",
         http::redact_url(url));
  }
  // Sorted by lowercase name; duplicates keep their order and join with ','.
  std::map<std::string, std::vector<std::string>> by_name;
  for (const auto& entry : headers.entries()) {
    std::string name = to_lower(trim(entry.name));
    if (is_unsigned_header(name)) continue;
    by_name[name].push_back(canonical_header_value(entry.value));
  }
  if (!by_name.contains("host")) by_name["host"].push_back(host_header_for(*parsed));

  // A caller that sends x-amz-content-sha256 (S3's UNSIGNED-PAYLOAD) signs that value.
  std::string payload_hash;
  if (auto it = by_name.find(std::string(kContentSha256Header)); it != by_name.end()) {
    payload_hash = it->second.front();
  } else {
    payload_hash = sha256_hex(payload);
  }

  CanonicalRequest out;
  std::string header_block;
  for (const auto& [name, values] : by_name) {
    header_block += name;
    header_block += ':';
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) header_block += ',';
      header_block += values[i];
    }
    header_block += '\n';
    if (!out.signed_headers.empty()) out.signed_headers += ';';
    out.signed_headers += name;
  }
  out.text = fmt::format(
      "{}\n{}\n{}\n{}\n{}\n{}", to_upper(method), canonical_uri(parsed->path, normalize_path),
      canonical_query(parsed->query), header_block, out.signed_headers, payload_hash);
  return out;
}

std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service) {
  return fmt::format("{}/{}/{}/{}", date, region, service, kTerminator);
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, scope, sha256_hex(canonical_request));
}

std::string signing_key(std::string_view secret_access_key, std::string_view date,
                        std::string_view region, std::string_view service) {
  std::string k_date = hmac_sha256("AWS4" + std::string(secret_access_key), date);
  std::string k_region = hmac_sha256(k_date, region);
  std::string k_service = hmac_sha256(k_region, service);
  return hmac_sha256(k_service, kTerminator);
}

std::string signature(std::string_view signing_key, std::string_view string_to_sign) {
  return hex_encode(hmac_sha256(signing_key, string_to_sign));
}

std::string authorization_header(std::string_view access_key_id, std::string_view scope,
                                 std::string_view signed_headers, std::string_view signature) {
  return fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                     access_key_id, scope, signed_headers, signature);
}

void sign(http::Request& req, const Credentials& creds, std::string_view region,
          std::string_view service, TimePoint now) {
  sign(req, creds, region, service, now, SignOptions{});
}

void sign(http::Request& req, const Credentials& creds, std::string_view region,
          std::string_view service, TimePoint now, const SignOptions& opts) {
  auto url = http::parse_url(req.url);
  if (!url) {
    fail(ErrorKind::kInvalidInput, "cannot sign a request to '{}': not an absolute http(s) URL",
         http::redact_url(req.url));
  }
  if (creds.access_key_id.empty() || creds.secret_access_key.empty()) {
    fail(ErrorKind::kInvalidInput,
         "cannot sign a {} request: the credentials have no access key id or secret key", service);
  }
  req.headers.remove("Authorization");
  if (!req.headers.get("Host")) req.headers.add("Host", host_header_for(*url));
  const bool has_token = !creds.session_token.empty();
  if (has_token) req.headers.set(std::string(kSecurityTokenHeader), creds.session_token.reveal());
  const std::string amz_date = format_amz_date(now);
  req.headers.set("X-Amz-Date", amz_date);
  if (opts.add_content_sha256)
    req.headers.set(std::string(kContentSha256Header), sha256_hex(req.body));

  const http::Headers* to_sign = &req.headers;
  http::Headers without_token;
  if (has_token && !opts.sign_session_token) {
    without_token = req.headers;
    without_token.remove(kSecurityTokenHeader);
    to_sign = &without_token;
  }
  CanonicalRequest creq =
      canonical_request(req.method, req.url, *to_sign, req.body, opts.normalize_path);
  const std::string date = date_of(amz_date);
  const std::string scope = credential_scope(date, region, service);
  const std::string key = signing_key(creds.secret_access_key.reveal(), date, region, service);
  const std::string sig = signature(key, string_to_sign(amz_date, scope, creq.text));
  req.headers.set("Authorization",
                  authorization_header(creds.access_key_id, scope, creq.signed_headers, sig));
}

}  // namespace ecrhelm::aws::sigv4
