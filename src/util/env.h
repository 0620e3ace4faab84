// Env: read-only view of environment variables, injectable so providers and
// config resolution are tested without touching the process environment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ecrhelm {

class Env {
 public:
  virtual ~Env() = default;
  // The value of a variable; nullopt when unset. An empty value is returned as "".
  virtual std::optional<std::string> get(std::string_view name) const = 0;
  // The value when set and non-empty, else nullopt (what the AWS SDKs mean by "set").
  std::optional<std::string> get_nonempty(std::string_view name) const;
  // $HOME, falling back to the passwd entry.
  std::string home() const;
};

class ProcessEnv final : public Env {
 public:
  std::optional<std::string> get(std::string_view name) const override;
  static const ProcessEnv& instance();
};

class MapEnv final : public Env {
 public:
  MapEnv() = default;
  explicit MapEnv(std::map<std::string, std::string, std::less<>> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> get(std::string_view name) const override;
  void set(std::string name, std::string value) { vars_[std::move(name)] = std::move(value); }
  void unset(std::string_view name);

 private:
  std::map<std::string, std::string, std::less<>> vars_;
};

}  // namespace ecrhelm
