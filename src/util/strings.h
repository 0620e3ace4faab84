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

}  // namespace ecrhelm
