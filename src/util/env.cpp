#include "util/env.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace ecrhelm {

std::optional<std::string> Env::get_nonempty(std::string_view name) const {
  auto v = get(name);
  if (!v || v->empty()) return std::nullopt;
  return v;
}

std::string Env::home() const {
  if (auto h = get_nonempty("HOME")) return *h;
  if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
  return "/";
}

std::optional<std::string> ProcessEnv::get(std::string_view name) const {
  const char* v = std::getenv(std::string(name).c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

const ProcessEnv& ProcessEnv::instance() {
  static const ProcessEnv env;
  return env;
}

std::optional<std::string> MapEnv::get(std::string_view name) const {
  auto it = vars_.find(name);
  if (it == vars_.end()) return std::nullopt;
  return it->second;
}

void MapEnv::unset(std::string_view name) {
  auto it = vars_.find(name);
  if (it != vars_.end()) vars_.erase(it);
}

}  // namespace ecrhelm
