// Internals of the template engine shared by its parser (template_parse.cpp), executor
// (template.cpp) and function library (template_funcs.cpp): the syntax tree, the value
// type, the function table and Go's value formatting. Not for use outside these files.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ecrhelm::gotemplate::detail {

using nlohmann::json;

struct Pipe;

// An operand of a command (Go's FieldNode, VariableNode, ChainNode, literals...).
struct Operand {
  enum class Kind {
    kField,
    kVariable,
    kDot,
    kNil,
    kBool,
    kNumber,
    kString,
    kFunction,
    kPipe,
    kChain
  };
  Kind kind = Kind::kDot;
  std::size_t pos = 0;
  std::string text;                 // source text; the name of a function or variable
  std::vector<std::string> fields;  // .a.b of fields, variables and chains
  json constant;                    // value of bool, number and string literals
  bool is_int = false;              // a number usable where Go wants an int
  std::int64_t int_value = 0;
  std::shared_ptr<Pipe> pipe;      // kPipe: the parenthesised pipeline
  std::shared_ptr<Operand> inner;  // kChain: the operand the fields apply to
};

struct Command {
  std::size_t pos = 0;
  std::vector<Operand> args;
};

struct Pipe {
  std::size_t pos = 0;
  bool is_assign = false;         // $x = ... rather than $x := ...
  std::vector<std::string> decl;  // declared or assigned variables
  std::vector<Command> cmds;
};

struct Node {
  enum class Kind { kText, kAction, kIf, kRange, kWith, kBreak, kContinue };
  Kind kind = Kind::kText;
  std::size_t pos = 0;
  std::string text;  // kText
  std::shared_ptr<Pipe> pipe;
  std::vector<Node> list, else_list;
  bool has_else = false;
};

struct Tree {
  std::string name;
  std::string text;
  std::vector<Node> root;
};

std::shared_ptr<const Tree> parse_tree(std::string_view name, std::string_view text);
// "NAME:LINE:COL" of a byte offset, as Go's ErrorContext (COL counts bytes from 0).
std::string location(const Tree& tree, std::size_t pos);
// Go's Node.String() forms, used as the <context> of execution errors.
std::string to_string(const Operand& op);
std::string to_string(const Command& cmd);
std::string to_string(const Pipe& pipe);

// A JSON value borrowed from the data or owned by a function result; copies are cheap.
class Value {
 public:
  Value() : node_(&null_value()) {}
  static Value owned(json j) {
    auto p = std::make_shared<const json>(std::move(j));
    return Value(p.get(), p);
  }
  static Value borrowed(const json& j) { return Value(&j, nullptr); }
  Value child(const json& j) const { return Value(&j, owner_); }
  const json& get() const { return *node_; }
  const json* operator->() const { return node_; }

 private:
  Value(const json* node, std::shared_ptr<const json> owner)
      : node_(node), owner_(std::move(owner)) {}
  static const json& null_value() {
    static const json kNull;
    return kNull;
  }
  const json* node_;
  std::shared_ptr<const json> owner_;
};

// A function's own failure: reported as "error calling NAME: MESSAGE".
struct FuncError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A limit was hit: reported at the current node.
struct LimitError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Counts steps and bytes built; throws LimitError past the limits in template.h.
class Budget {
 public:
  void step();
  void charge(std::size_t bytes);
  static void check_size(std::size_t bytes);  // one string or the output

 private:
  std::size_t steps_ = 0;
  std::size_t work_ = 0;
};

// Go parameter types our functions use.
enum class Param { kAny, kString, kInt, kMap };

struct Function {
  std::vector<Param> params;
  bool variadic = false;  // the last parameter repeats
  Value (*call)(std::vector<Value>& args, Budget& budget);
};

// nullptr when `name` is not a function; "and"/"or" are found but run by the executor.
const Function* find_function(std::string_view name);
// A Go/sprig function ecrhelm does not implement (a clearer error than "not defined").
bool is_unsupported_function(std::string_view name);

// The rune at s[i] and its length; U+FFFD and length 1 for an invalid byte (as Go).
std::uint32_t decode_rune(std::string_view s, std::size_t i, std::size_t* len);
bool truth(const json& j);  // Go's truthiness (isTrue)
const char* go_type_name(const json& j);
std::string go_quote(std::string_view s);  // strconv.Quote
std::string format_value(const json& j);   // fmt's %v
// What a data value is, never what it holds ("string of 23 bytes"): errors
// quote this, because the data holds secrets (ECR passwords).
std::string describe_value(const json& j);
std::string format_float(double d);  // fmt's %v of a float64

}  // namespace ecrhelm::gotemplate::detail
