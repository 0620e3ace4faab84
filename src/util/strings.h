// Small string helpers shared by parsers (no locale, ASCII only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm {

std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
bool iequals(std::string_view a, std::string_view b);
std::vector<std::string_view> split(std::string_view s, char sep);
// The parts with `sep` between them ("" for none).
std::string join(const std::vector<std::string>& parts, std::string_view sep);

}  // namespace ecrhelm
