// The version of libcurl the HTTP client runs on, and of the TLS and zlib
// libraries that libcurl itself uses, as curl_version_info() reports them.
#pragma once

#include <string>

namespace ecrhelm::http {

struct LibcurlVersions {
  std::string libcurl;  // "7.88.1"
  std::string tls;      // libcurl's TLS backend, "OpenSSL/3.0.17"; "" without TLS
  std::string zlib;     // "1.2.13"; "" when libcurl is built without zlib
};

LibcurlVersions libcurl_versions();

}  // namespace ecrhelm::http
