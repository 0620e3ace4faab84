#include "util/versions.h"

#include <openssl/crypto.h>

namespace ecrhelm {

std::string openssl_version() { return OpenSSL_version(OPENSSL_VERSION_STRING); }

}  // namespace ecrhelm
