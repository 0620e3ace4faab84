#include "util/yaml_output.h"

#include <yaml-cpp/yaml.h>

#include <regex>

namespace ecrhelm {
namespace {

// Plain scalars that YAML 1.1 or 1.2 readers would not read back as a string.
bool needs_quotes(const std::string& s) {
  static const std::regex kNonString(
      "^(~|null|Null|NULL|true|True|TRUE|false|False|FALSE|yes|Yes|YES|no|No|NO|on|On|ON|off|"
      "Off|OFF|y|Y|n|N|[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?|"
      "0x[0-9a-fA-F_]+|0o?[0-7_]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)|"
      "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?|[0-9]+(:[0-5]?[0-9])+(\\.[0-9_]*)?)$");
  return s.empty() || std::regex_match(s, kNonString);
}

template <typename Json>
void emit(YAML::Emitter& out, const Json& j) {
  if (j.is_object()) {
    if (j.empty()) {
      out << YAML::Flow << YAML::BeginMap << YAML::EndMap;
      return;
    }
    out << YAML::BeginMap;
    for (auto it = j.begin(); it != j.end(); ++it) {
      out << YAML::Key;
      if (needs_quotes(it.key()))
        out << YAML::DoubleQuoted << it.key();
      else
        out << it.key();
      out << YAML::Value;
      emit(out, it.value());
    }
    out << YAML::EndMap;
  } else if (j.is_array()) {
    if (j.empty()) {
      out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    out << YAML::BeginSeq;
    for (const auto& v : j) emit(out, v);
    out << YAML::EndSeq;
  } else if (j.is_string()) {
    const auto& s = j.template get_ref<const std::string&>();
    if (needs_quotes(s))
      out << YAML::DoubleQuoted << s;
    else
      out << s;
  } else if (j.is_null()) {
    out << YAML::Null;
  } else if (j.is_boolean()) {
    out << YAML::TrueFalseBool << j.template get<bool>();
  } else {
    out << j.dump();  // numbers, as JSON writes them
  }
}

template <typename Json>
std::string render(const Json& doc) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  emit(out, doc);
  return std::string(out.c_str()) + "\n";
}

}  // namespace

std::string to_yaml(const nlohmann::json& doc) { return render(doc); }
std::string to_yaml(const nlohmann::ordered_json& doc) { return render(doc); }

}  // namespace ecrhelm
