#include "oci/versions.h"

#include <archive.h>

namespace ecrhelm::oci {

std::string libarchive_version() {
  // archive_version_string() is "libarchive 3.6.2": the number only.
  std::string s = archive_version_string();
  auto space = s.rfind(' ');
  return space == std::string::npos ? s : s.substr(space + 1);
}

}  // namespace ecrhelm::oci
