#include "http/versions.h"

#include <curl/curl.h>

namespace ecrhelm::http {

LibcurlVersions libcurl_versions() {
  const curl_version_info_data* d = curl_version_info(CURLVERSION_NOW);
  LibcurlVersions v;
  if (d == nullptr) return v;
  if (d->version) v.libcurl = d->version;
  if (d->ssl_version) v.tls = d->ssl_version;
  if (d->libz_version) v.zlib = d->libz_version;
  return v;
}

}  // namespace ecrhelm::http
