// Executes a parsed template as text/template's exec.go does with missingkey=error: the
// same variable scoping, field lookup, argument checks, and/or short-circuit and error text.
#include "gotemplate/template.h"

#include <fmt/format.h>

#include <optional>
#include <utility>

#include "gotemplate/internal.h"

namespace ecrhelm::gotemplate {
namespace detail {
namespace {

struct BreakSignal {};
struct ContinueSignal {};

// Go's ErrorContext shortens the node text to 20 runes.
std::string shorten(const std::string& s) {
  std::size_t i = 0;
  for (int runes = 0; i < s.size() && runes < 20; ++runes) {
    std::size_t len = 1;
    decode_rune(s, i, &len);
    i += len;
  }
  return i < s.size() ? s.substr(0, i) + "..." : s;
}

// One line: control characters escaped.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

class Executor {
 public:
  Executor(const Tree& tree, const json& data) : tree_(tree) {
    vars_.emplace_back("$", Value::borrowed(data));
  }

  std::string run(const json& data) {
    try {
      walk(Value::borrowed(data), tree_.root);
    } catch (const LimitError& e) {
      fail(e.what());
    }
    return std::move(out_);
  }

 private:
  // The node errors are reported at (Go's state.at).
  struct At {
    std::size_t pos = 0;
    const Operand* op = nullptr;
    const Command* cmd = nullptr;
    const Pipe* pipe = nullptr;
  };
  void at(const Operand& op) { at_ = {op.pos, &op, nullptr, nullptr}; }
  void at(const Command& cmd) { at_ = {cmd.pos, nullptr, &cmd, nullptr}; }
  void at(const Pipe& pipe) { at_ = {pipe.pos, nullptr, nullptr, &pipe}; }

  [[noreturn]] void fail(const std::string& msg) const {
    std::string context = at_.op     ? to_string(*at_.op)
                          : at_.cmd  ? to_string(*at_.cmd)
                          : at_.pipe ? to_string(*at_.pipe)
                                     : "";
    throw TemplateError(
        one_line(fmt::format("template: {}: executing {} at <{}>: {}", location(tree_, at_.pos),
                             go_quote(tree_.name), shorten(context), msg)));
  }

  void write(std::string_view s) {
    Budget::check_size(out_.size() + s.size());
    out_ += s;
  }

  void walk(const Value& dot, const std::vector<Node>& list) {
    for (const Node& n : list) walk_node(dot, n);
  }

  void walk_node(const Value& dot, const Node& n) {
    budget_.step();
    switch (n.kind) {
      case Node::Kind::kText:
        write(n.text);
        break;
      case Node::Kind::kAction: {
        Value v = eval_pipeline(dot, *n.pipe);
        if (n.pipe->decl.empty()) write(v->is_null() ? "<no value>" : format_value(v.get()));
        break;
      }
      case Node::Kind::kIf:
      case Node::Kind::kWith: {
        std::size_t mark = vars_.size();
        Value v = eval_pipeline(dot, *n.pipe);
        if (truth(v.get())) {
          walk(n.kind == Node::Kind::kWith ? v : dot, n.list);
        } else {
          walk(dot, n.else_list);
        }
        vars_.resize(mark);
        break;
      }
      case Node::Kind::kRange:
        walk_range(dot, n);
        break;
      case Node::Kind::kBreak:
        throw BreakSignal{};
      case Node::Kind::kContinue:
        throw ContinueSignal{};
    }
  }

  void set_var(const std::string& name, const Value& v) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) {
        it->second = v;
        return;
      }
    }
    fail("undefined variable: " + name);
  }

  void walk_range(const Value& dot, const Node& n) {
    std::size_t outer = vars_.size();
    Value val = eval_pipeline(dot, *n.pipe);
    const Pipe& p = *n.pipe;
    std::size_t mark = vars_.size();
    auto one = [&](const Value& index, const Value& elem) {
      budget_.step();
      if (!p.decl.empty()) {
        if (p.is_assign) {
          set_var(p.decl[0], p.decl.size() > 1 ? index : elem);
          if (p.decl.size() > 1) set_var(p.decl[1], elem);
        } else {
          vars_[mark - 1].second = elem;
          if (p.decl.size() > 1) vars_[mark - 2].second = index;
        }
      }
      try {
        walk(elem, n.list);
      } catch (const ContinueSignal&) {
      }
      vars_.resize(mark);
    };
    bool ran = false;
    try {
      const json& j = val.get();
      if (j.is_array()) {
        for (std::size_t i = 0; i < j.size(); ++i) {
          ran = true;
          one(Value::owned(static_cast<std::int64_t>(i)), val.child(j[i]));
        }
      } else if (j.is_object()) {  // nlohmann keeps keys sorted, as Go's fmtsort does
        for (auto it = j.begin(); it != j.end(); ++it) {
          ran = true;
          one(Value::owned(it.key()), val.child(it.value()));
        }
      } else if (j.is_number_integer()) {
        if (p.decl.size() > 1)
          fail(fmt::format("can't use {} to iterate over more than one variable",
                           describe_value(j)));
        for (std::int64_t i = 0; i < j.get<std::int64_t>(); ++i) {
          ran = true;
          Value v = Value::owned(i);
          one(v, v);
        }
      } else if (!j.is_null()) {
        fail(fmt::format("range can't iterate over {}", describe_value(j)));
      }
    } catch (const BreakSignal&) {
      vars_.resize(mark);
    }
    if (!ran) walk(dot, n.else_list);
    vars_.resize(outer);
  }

  Value eval_pipeline(const Value& dot, const Pipe& p) {
    at(p);
    std::optional<Value> value;
    for (const Command& cmd : p.cmds) value = eval_command(dot, cmd, value);
    for (const std::string& v : p.decl) {
      if (p.is_assign)
        set_var(v, *value);
      else
        vars_.emplace_back(v, *value);
    }
    return *value;
  }

  void not_a_function(const Command& cmd, const std::optional<Value>& final) {
    if (cmd.args.size() > 1 || final)
      fail("can't give argument to non-function " + to_string(cmd.args[0]));
  }

  Value eval_command(const Value& dot, const Command& cmd, const std::optional<Value>& final) {
    budget_.step();
    const Operand& first = cmd.args[0];
    bool has_args = cmd.args.size() > 1 || final.has_value();
    switch (first.kind) {
      case Operand::Kind::kField:
        at(first);
        return eval_fields(dot, first.fields, has_args, false);
      case Operand::Kind::kChain:
        return eval_chain(dot, first, has_args);
      case Operand::Kind::kFunction: {
        std::vector<const Operand*> args;
        for (std::size_t i = 1; i < cmd.args.size(); ++i) args.push_back(&cmd.args[i]);
        return eval_call(dot, first, &cmd, args, final);
      }
      case Operand::Kind::kPipe:
        not_a_function(cmd, final);
        return eval_pipeline(dot, *first.pipe);
      case Operand::Kind::kVariable:
        return eval_variable(first, has_args, [&] { not_a_function(cmd, final); });
      default:
        break;
    }
    at(first);
    not_a_function(cmd, final);
    switch (first.kind) {
      case Operand::Kind::kDot:
        return dot;
      case Operand::Kind::kNil:
        fail("nil is not a command");
      default:
        return Value::owned(first.constant);
    }
  }

  Value lookup_var(const std::string& name) {
    for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
      if (it->first == name) return it->second;
    }
    fail("undefined variable: " + name);
  }

  template <typename NoFields>
  Value eval_variable(const Operand& op, bool has_args, NoFields no_fields) {
    at(op);
    std::string name = op.text.substr(0, op.text.find('.', 1));
    Value v = lookup_var(name);
    if (op.fields.empty()) {
      no_fields();
      return v;
    }
    return eval_fields(v, op.fields, has_args, false);
  }

  Value eval_chain(const Value& dot, const Operand& chain, bool has_args) {
    at(chain);
    if (chain.inner->kind == Operand::Kind::kNil)
      fail("indirection through explicit nil in " + to_string(chain));
    Value receiver = eval_arg(dot, *chain.inner, Param::kAny);
    at(chain);
    return eval_fields(receiver, chain.fields, has_args, false);
  }

  // Go's evalFieldChain on map data: each field is a key lookup, missing keys are errors.
  Value eval_fields(Value receiver, const std::vector<std::string>& fields, bool has_args,
                    bool from_map) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      const std::string& name = fields[i];
      const json& j = receiver.get();
      if (j.is_null()) {
        if (from_map) fail(fmt::format("nil pointer evaluating interface {{}}.{}", name));
        fail(fmt::format("nil data; no entry for key {}", go_quote(name)));
      }
      if (!j.is_object())
        fail(fmt::format("can't evaluate field {} in type {}", name, go_type_name(j)));
      if (has_args && i + 1 == fields.size()) fail(name + " is not a method but has arguments");
      auto it = j.find(name);
      if (it == j.end()) fail(fmt::format("map has no entry for key {}", go_quote(name)));
      receiver = receiver.child(*it);
      from_map = true;
    }
    return receiver;
  }

  Value validate(const Value& v, Param param) {
    const json& j = v.get();
    const char* want = nullptr;
    switch (param) {
      case Param::kAny:
        return v;
      case Param::kString:
        if (j.is_string()) return v;
        want = "string";
        break;
      case Param::kInt:
        if (j.is_number_integer()) return v;
        want = "int";
        break;
      case Param::kMap:
        if (j.is_object() || j.is_null()) return v;
        want = "map[string]interface {}";
        break;
    }
    if (j.is_null()) fail(fmt::format("invalid value; expected {}", want));
    fail(fmt::format("wrong type for value; expected {}; got {}", want, go_type_name(j)));
  }

  Value eval_arg(const Value& dot, const Operand& op, Param param) {
    at(op);
    switch (op.kind) {
      case Operand::Kind::kDot:
        return validate(dot, param);
      case Operand::Kind::kNil:
        if (param == Param::kAny || param == Param::kMap) return Value();
        fail(fmt::format("cannot assign nil to {}", param == Param::kString ? "string" : "int"));
      case Operand::Kind::kField:
        return validate(eval_fields(dot, op.fields, false, false), param);
      case Operand::Kind::kVariable:
        return validate(eval_variable(op, false, [] {}), param);
      case Operand::Kind::kPipe:
        return validate(eval_pipeline(dot, *op.pipe), param);
      case Operand::Kind::kFunction:
        return validate(eval_call(dot, op, nullptr, {}, std::nullopt), param);
      case Operand::Kind::kChain:
        return validate(eval_chain(dot, op, false), param);
      default:
        break;
    }
    switch (param) {
      case Param::kAny:
        return Value::owned(op.constant);
      case Param::kString:
        if (op.kind == Operand::Kind::kString) return Value::owned(op.constant);
        fail(fmt::format("expected string; found {}", to_string(op)));
      case Param::kInt:
        if (op.kind == Operand::Kind::kNumber && op.is_int) return Value::owned(op.int_value);
        fail(fmt::format("expected integer; found {}", to_string(op)));
      case Param::kMap:
        break;
    }
    fail(fmt::format("can't handle {} for arg of type map[string]interface {{}}", to_string(op)));
  }

  Value eval_call(const Value& dot, const Operand& ident, const Command* cmd,
                  const std::vector<const Operand*>& args, const std::optional<Value>& final) {
    at(ident);
    const std::string& name = ident.text;
    const Function* f = find_function(name);
    std::size_t count = args.size() + (final ? 1 : 0);
    std::size_t fixed = f->params.size() - (f->variadic ? 1 : 0);
    if (f->variadic ? count < fixed : count != fixed) {
      fail(fmt::format("wrong number of args for {}: want {}{} got {}", name,
                       f->variadic ? "at least " : "", fixed, count));
    }
    auto param_at = [&](std::size_t i) {
      return i < f->params.size() ? f->params[i] : f->params.back();
    };
    if (name == "and" || name == "or") {  // short-circuit: return the deciding operand
      Value v;
      for (const Operand* a : args) {
        v = eval_arg(dot, *a, Param::kAny);
        if (truth(v.get()) == (name == "or")) return v;
      }
      return final ? *final : v;
    }
    std::vector<Value> argv;
    argv.reserve(count);
    for (std::size_t i = 0; i < args.size(); ++i)
      argv.push_back(eval_arg(dot, *args[i], param_at(i)));
    if (final) {
      if (cmd) at(*cmd);
      argv.push_back(validate(*final, param_at(args.size())));
    }
    try {
      return f->call(argv, budget_);
    } catch (const FuncError& e) {
      if (cmd)
        at(*cmd);
      else
        at(ident);
      fail(fmt::format("error calling {}: {}", name, e.what()));
    }
  }

  const Tree& tree_;
  std::string out_;
  std::vector<std::pair<std::string, Value>> vars_;
  Budget budget_;
  At at_;
};

}  // namespace
}  // namespace detail

Template Template::parse(std::string_view name, std::string_view text) {
  return Template(detail::parse_tree(name, text));
}

std::string Template::execute(const nlohmann::json& data) const {
  return detail::Executor(*tree_, data).run(data);
}

const std::string& Template::name() const { return tree_->name; }

std::string render_template(std::string_view name, std::string_view text,
                            const nlohmann::json& data) {
  return Template::parse(name, text).execute(data);
}

}  // namespace ecrhelm::gotemplate
