// gotemplate: Go's text/template with the sprig functions of External Secrets
// Operator's template engine v2, a library of its own (it needs util only), so
// an ExternalSecret's `spec.target.template.data` renders here as ESO renders
// it (missingkey=error). Work is capped: a hostile template gets an error,
// never a crash, a hang or unbounded output.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "util/error.h"

namespace ecrhelm::gotemplate {

// A template that does not parse or fails to execute. The message is one line in Go's
// shape: "template: NAME:LINE: ..." for parse errors and
// "template: NAME:LINE:COL: executing \"NAME\" at <NODE>: ..." for execution errors.
class TemplateError : public Error {
 public:
  explicit TemplateError(std::string message)
      : Error(ErrorKind::kInvalidInput, std::move(message)) {}
};

// Limits on one template (named so callers and tests can quote them).
inline constexpr std::size_t kTemplateMaxOutput = std::size_t{1} << 20;  // bytes, also per string
inline constexpr std::size_t kTemplateMaxSteps = 200'000;  // nodes, commands, range iterations
inline constexpr std::size_t kTemplateMaxWork = std::size_t{64} << 20;  // bytes built by functions
inline constexpr int kTemplateMaxDepth = 100;  // nesting of parentheses and control structures

namespace detail {
struct Tree;
}

class Template {
 public:
  // Parses `text`; `name` appears in error messages (ESO uses the data key). Throws
  // TemplateError.
  static Template parse(std::string_view name, std::string_view text);

  // Executes with `data` as `.` and `$`. Throws TemplateError.
  std::string execute(const nlohmann::json& data) const;
  const std::string& name() const;

 private:
  explicit Template(std::shared_ptr<const detail::Tree> tree) : tree_(std::move(tree)) {}
  std::shared_ptr<const detail::Tree> tree_;
};

// Template::parse(name, text).execute(data).
std::string render_template(std::string_view name, std::string_view text,
                            const nlohmann::json& data);

}  // namespace ecrhelm::gotemplate
