// The version of libarchive the chart extraction runs on, as the linked
// library reports it.
#pragma once

#include <string>

namespace ecrhelm::oci {

std::string libarchive_version();  // "3.6.2"

}  // namespace ecrhelm::oci
