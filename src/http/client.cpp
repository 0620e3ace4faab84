#include "http/client.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <exception>

#include "http/url.h"
#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::http {
namespace {

constexpr size_t kStreamBufferBytes = 512 * 1024;

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

struct Transfer {
  const Request* req;
  Response* resp;
  size_t received = 0;
  bool too_large = false;
  bool sink_aborted = false;
  bool cancelled = false;
  std::exception_ptr sink_error = nullptr;  // thrown by the sink; rethrown after curl returns
  int status = 0;                           // of the response whose headers came last
};

// The sink sees only a successful response's body; a redirect's or an
// error's body is kept in Response::body (size-limited) for the caller.
bool to_sink(const Transfer& t) { return t.req->sink && t.status >= 200 && t.status < 300; }

size_t on_body(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  t->received += n;
  if (to_sink(*t)) {
    // An exception must not unwind through libcurl's C frames.
    bool keep_going = false;
    try {
      keep_going = t->req->sink(std::string_view(data, n));
    } catch (...) {
      t->sink_error = std::current_exception();
    }
    if (!keep_going) {
      t->sink_aborted = true;
      return 0;
    }
    return n;
  }
  if (t->received > t->req->max_response_bytes) {
    t->too_large = true;
    return 0;
  }
  t->resp->body.append(data, n);
  return n;
}

size_t on_header(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->resp->headers = Headers();  // a new response (e.g. after 100 Continue)
    auto sp = line.find(' ');
    t->status =
        sp == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return n;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->resp->headers.add(std::string(trim(line.substr(0, colon))),
                         std::string(trim(line.substr(colon + 1))));
  }
  return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (!t->req->cancelled) return 0;
  bool stop = true;
  try {
    stop = t->req->cancelled();
  } catch (...) {
  }
  if (stop) t->cancelled = true;
  return stop ? 1 : 0;
}

}  // namespace

CurlHttpClient::CurlHttpClient(TlsOptions tls, std::string user_agent)
    : tls_(std::move(tls)), user_agent_(std::move(user_agent)) {
  static GlobalInit init;
}

CurlHttpClient::~CurlHttpClient() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

std::string CurlHttpClient::default_user_agent() { return "ecrhelm/0.1.0"; }

void* CurlHttpClient::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  CURL* h = curl_easy_init();
  if (!h) fail(ErrorKind::kInternal, "curl_easy_init failed");
  return h;
}

void CurlHttpClient::release(void* h) {
  std::lock_guard lock(mu_);
  idle_.push_back(h);
}

Response CurlHttpClient::send(const Request& req) {
  CURL* h = static_cast<CURL*>(acquire());
  curl_easy_reset(h);
  Response resp;
  Transfer t{&req, &resp};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, long(req.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, long(req.connect_timeout.count()));
  if (req.low_speed_bytes > 0 && req.low_speed_time.count() > 0) {
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, req.low_speed_bytes);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, long(req.low_speed_time.count()));
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  // Streamed bodies (blobs) in large reads: fewer callbacks and writes.
  if (req.sink) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, long(kStreamBufferBytes));
  if (req.cancelled) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
  }
  if (!tls_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, tls_.ca_file.c_str());
  if (tls_.insecure_skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls_.client_cert_file.empty())
    curl_easy_setopt(h, CURLOPT_SSLCERT, tls_.client_cert_file.c_str());
  if (!tls_.client_key_file.empty())
    curl_easy_setopt(h, CURLOPT_SSLKEY, tls_.client_key_file.c_str());
  // Blobs are copied by libcurl at setopt time.
  auto set_blob = [h](CURLoption opt, const std::string& pem) {
    curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
    curl_easy_setopt(h, opt, &blob);
  };
  if (!tls_.ca_pem.empty()) set_blob(CURLOPT_CAINFO_BLOB, tls_.ca_pem);
  if (!tls_.client_cert_pem.empty()) {
    set_blob(CURLOPT_SSLCERT_BLOB, tls_.client_cert_pem);
    curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!tls_.client_key_pem.empty()) {
    set_blob(CURLOPT_SSLKEY_BLOB, tls_.client_key_pem.reveal());
    curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
  }

  if (req.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (req.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(req.body.size()));
  }

  curl_slist* hdrs = nullptr;
  bool has_content_type = false;
  for (const auto& e : req.headers.entries()) {
    if (iequals(e.name, "Content-Type")) has_content_type = true;
    std::string line = e.value.empty() ? e.name + ";" : e.name + ": " + e.value;
    hdrs = curl_slist_append(hdrs, line.c_str());
  }
  if (!has_content_type && !req.body.empty()) hdrs = curl_slist_append(hdrs, "Content-Type:");
  hdrs = curl_slist_append(hdrs, "Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

  auto start = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_off_t connect_us = 0;
  curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connect_us);
  resp.status = status;
  // Keep the handle (and its connection cache) for the next request, with no
  // pointers left into this call's stack or the freed header list.
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(hdrs);
  release(h);

  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (t.too_large) {
    fail(ErrorKind::kRemote, "{} {}: response body is larger than the {} byte limit", req.method,
         redact_url(req.url), req.max_response_bytes);
  }
  if (t.sink_error) std::rethrow_exception(t.sink_error);
  if (t.cancelled) fail(ErrorKind::kNetwork, "{} {}: cancelled", req.method, redact_url(req.url));
  if (t.sink_aborted) {
    fail(ErrorKind::kRemote, "{} {}: transfer aborted by its consumer", req.method,
         redact_url(req.url));
  }
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_SSL_CACERT_BADFILE && !tls_.ca_file.empty()) {
      fail(ErrorKind::kInvalidInput,
           "CA file {} cannot be used ({}); give a PEM bundle of CA certificates", tls_.ca_file,
           detail);
    }
    if (rc == CURLE_SSL_CACERT_BADFILE && !tls_.ca_pem.empty()) {
      fail(ErrorKind::kInvalidInput,
           "the CA data ({} bytes) is not a PEM bundle of CA certificates ({}); fix it",
           tls_.ca_pem.size(), detail);
    }
    if (rc == CURLE_PEER_FAILED_VERIFICATION) {
      auto url = parse_url(req.url);
      std::string peer = url ? url->authority() : redact_url(req.url);
      throw TlsVerifyError(peer, fmt::format("{} {}: the TLS certificate of {} is not trusted ({})",
                                             req.method, redact_url(req.url), peer, detail));
    }
    spdlog::debug("http {} {} failed after {} ms: {}", req.method, redact_url(req.url), ms, detail);
    if (rc == CURLE_OPERATION_TIMEDOUT && connect_us > 0) {
      throw ReadTimeoutError(fmt::format(
          "{} {}: connected, but the answer did not complete in time ({}); check the peer, the "
          "network and proxy settings",
          req.method, redact_url(req.url), detail));
    }
    fail(ErrorKind::kNetwork, "{} {}: {}; check the address, network and proxy settings",
         req.method, redact_url(req.url), detail);
  }
  spdlog::debug("http {} {} -> {} ({} bytes, {} ms)", req.method, redact_url(req.url), status,
                t.received, ms);
  return resp;
}

}  // namespace ecrhelm::http
