// JSON documents printed as YAML for `-o yaml` (kubectl's shape: block style,
// keys in the document's order, strings quoted whenever a YAML reader would
// take them for a number, boolean, null or date).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace ecrhelm {

std::string to_yaml(const nlohmann::json& doc);
std::string to_yaml(const nlohmann::ordered_json& doc);

}  // namespace ecrhelm
