// RFC 8288 Link headers: the OCI tag list (and catalog) pages by answering
// with Link: </v2/NAME/tags/list?n=...&last=...>; rel="next".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm::oci {

inline constexpr size_t kMaxLinkHeaderLength = 16 << 10;  // longer input is cut here

// The target of the first link whose rel includes "next" (case-insensitive,
// quoted or not, among several space-separated relation types), exactly as
// written (often relative: resolve it with http::resolve_reference). nullopt
// when there is none or the header is garbage. Never throws.
std::optional<std::string> next_link(std::string_view header);

}  // namespace ecrhelm::oci
