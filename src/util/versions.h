// The versions of the libraries util/ is built on, as the linked copies
// report them at run time (for `ecrhelm version`).
#pragma once

#include <string>

namespace ecrhelm {

// libcrypto's own version string, e.g. "3.0.17".
std::string openssl_version();

}  // namespace ecrhelm
