#include "http/message.h"

#include "util/strings.h"

namespace ecrhelm::http {

void Headers::add(std::string name, std::string value) {
  entries_.push_back({std::move(name), std::move(value)});
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(entries_, [&](const Entry& e) { return iequals(e.name, name); });
}

std::optional<std::string> Headers::get(std::string_view name) const {
  for (const auto& e : entries_)
    if (iequals(e.name, name)) return e.value;
  return std::nullopt;
}

std::vector<std::string> Headers::get_all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& e : entries_)
    if (iequals(e.name, name)) out.push_back(e.value);
  return out;
}

std::string redact_url(std::string_view url) {
  auto q = url.find_first_of("?#");
  std::string_view base = url.substr(0, q);
  std::string out(base);
  auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    auto host_start = scheme_end + 3;
    auto path_start = out.find('/', host_start);
    auto at = out.find('@', host_start);
    if (at != std::string::npos && (path_start == std::string::npos || at < path_start))
      out.erase(host_start, at + 1 - host_start);
  }
  if (q != std::string_view::npos) out += "?<redacted>";
  return out;
}

}  // namespace ecrhelm::http
