// Lexer and parser of Go's text/template syntax, following text/template/parse: the same
// tokens, trim markers, comment rules, variable scoping and error messages.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "gotemplate/internal.h"
#include "gotemplate/template.h"

namespace ecrhelm::gotemplate::detail {
namespace {

enum class Tok {
  kError,
  kEOF,
  kText,
  kLeftDelim,
  kRightDelim,
  kSpace,
  kField,
  kVariable,
  kIdentifier,
  kBool,
  kNil,
  kDot,
  kNumber,
  kCharConst,
  kString,
  kRawString,
  kPipe,
  kAssign,
  kDeclare,
  kLeftParen,
  kRightParen,
  kChar,
  // keywords
  kBlock,
  kBreak,
  kContinue,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type;
  std::size_t pos;
  std::string val;
};

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
// Go accepts Unicode letters and digits; bytes of multi-byte runes count as letters here.
bool is_alnum(int c) { return c == '_' || std::isalnum(c) != 0 || c >= 0x80; }

bool has_left_trim(std::string_view s) { return s.size() >= 2 && s[0] == '-' && is_space(s[1]); }
bool has_right_trim(std::string_view s) { return s.size() >= 2 && is_space(s[0]) && s[1] == '-'; }

std::string char_desc(unsigned char c) {  // Go's %#U for an ASCII or a raw byte
  if (c >= 0x20 && c < 0x7f) return fmt::format("U+{:04X} '{}'", c, static_cast<char>(c));
  return fmt::format("U+{:04X}", c);
}

class Lexer {
 public:
  explicit Lexer(std::string_view in) : in_(in) {}

  std::vector<Token> run() {
    while (lex_text() && lex_action()) {
    }
    return std::move(toks_);
  }

 private:
  void emit(Tok t, std::size_t start, std::size_t end) {
    toks_.push_back({t, start, std::string(in_.substr(start, end - start))});
  }
  bool error(std::string msg) {
    toks_.push_back({Tok::kError, pos_, std::move(msg)});
    return false;
  }
  std::string_view rest() const { return in_.substr(pos_); }
  int peek(std::size_t ahead = 0) const {
    return pos_ + ahead < in_.size() ? static_cast<unsigned char>(in_[pos_ + ahead]) : -1;
  }
  bool at_right_delim(bool* trim) const {
    std::string_view r = rest();
    *trim = has_right_trim(r) && r.substr(2).starts_with("}}");
    return *trim || r.starts_with("}}");
  }
  void skip_spaces() {
    while (pos_ < in_.size() && is_space(in_[pos_])) ++pos_;
  }

  // Text up to the next "{{"; false at EOF.
  bool lex_text() {
    std::size_t open = in_.find("{{", pos_);
    std::size_t end = open == std::string_view::npos ? in_.size() : open;
    std::size_t text_end = end;
    if (open != std::string_view::npos && has_left_trim(in_.substr(open + 2))) {
      while (text_end > pos_ && is_space(in_[text_end - 1])) --text_end;
    }
    if (text_end > pos_) emit(Tok::kText, pos_, text_end);
    pos_ = end;
    if (open == std::string_view::npos) {
      emit(Tok::kEOF, pos_, pos_);
      return false;
    }
    return true;
  }

  // From "{{" through "}}"; false after an error.
  bool lex_action() {
    std::size_t start = pos_;
    pos_ += 2;
    if (has_left_trim(rest())) pos_ += 2;
    if (rest().starts_with("/*")) {
      std::size_t close = in_.find("*/", pos_ + 2);
      if (close == std::string_view::npos) return error("unclosed comment");
      pos_ = close + 2;
      bool trim = false;
      if (!at_right_delim(&trim)) return error("comment ends before closing delimiter");
      pos_ += trim ? 4 : 2;
      if (trim) skip_spaces();
      return true;
    }
    emit(Tok::kLeftDelim, start, start + 2);
    int paren_depth = 0;
    for (;;) {
      bool trim = false;
      if (at_right_delim(&trim)) {
        if (paren_depth != 0) return error("unclosed left paren");
        if (trim) pos_ += 2;
        emit(Tok::kRightDelim, pos_, pos_ + 2);
        pos_ += 2;
        if (trim) skip_spaces();
        return true;
      }
      std::size_t s = pos_;
      int c = peek();
      if (c < 0) return error("unclosed action");
      if (is_space(c)) {
        skip_spaces();
        // Leave the space of a " -}}" to the delimiter.
        if (has_right_trim(in_.substr(pos_ - 1)) && in_.substr(pos_ + 1).starts_with("}}")) --pos_;
        if (pos_ > s) emit(Tok::kSpace, s, pos_);
        continue;
      }
      ++pos_;
      switch (c) {
        case '=':
          emit(Tok::kAssign, s, pos_);
          continue;
        case ':':
          if (peek() != '=') return error("expected :=");
          ++pos_;
          emit(Tok::kDeclare, s, pos_);
          continue;
        case '|':
          emit(Tok::kPipe, s, pos_);
          continue;
        case '"':
        case '`':
        case '\'':
          if (!lex_quote(s, static_cast<char>(c))) return false;
          continue;
        case '$':
          if (!lex_field_or_variable(s, Tok::kVariable)) return false;
          continue;
        case '(':
          emit(Tok::kLeftParen, s, pos_);
          ++paren_depth;
          continue;
        case ')':
          emit(Tok::kRightParen, s, pos_);
          if (--paren_depth < 0) return error("unexpected right paren");
          continue;
        default:
          break;
      }
      if (c == '.' && !(peek() >= '0' && peek() <= '9')) {
        if (!lex_field_or_variable(s, Tok::kField)) return false;
      } else if (c == '.' || c == '+' || c == '-' || (c >= '0' && c <= '9')) {
        pos_ = s;
        if (!lex_number()) return false;
      } else if (is_alnum(c)) {
        pos_ = s;
        if (!lex_identifier()) return false;
      } else if (c > 0x20 && c < 0x7f) {
        emit(Tok::kChar, s, pos_);
      } else {
        return error("unrecognized character in action: " +
                     char_desc(static_cast<unsigned char>(c)));
      }
    }
  }

  bool at_terminator() const {
    int c = peek();
    if (c < 0 || is_space(c)) return true;
    switch (c) {
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return rest().starts_with("}}");
    }
  }

  bool lex_field_or_variable(std::size_t s, Tok type) {
    if (at_terminator()) {  // "$" or "."
      emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot, s, pos_);
      return true;
    }
    while (peek() >= 0 && is_alnum(peek())) ++pos_;
    if (!at_terminator())
      return error("bad character " + char_desc(static_cast<unsigned char>(peek())));
    emit(type, s, pos_);
    return true;
  }

  bool lex_identifier() {
    std::size_t s = pos_;
    while (peek() >= 0 && is_alnum(peek())) ++pos_;
    if (!at_terminator())
      return error("bad character " + char_desc(static_cast<unsigned char>(peek())));
    static const std::pair<std::string_view, Tok> kKeywords[] = {{"block", Tok::kBlock},
                                                                 {"break", Tok::kBreak},
                                                                 {"continue", Tok::kContinue},
                                                                 {"define", Tok::kDefine},
                                                                 {"else", Tok::kElse},
                                                                 {"end", Tok::kEnd},
                                                                 {"if", Tok::kIf},
                                                                 {"range", Tok::kRange},
                                                                 {"nil", Tok::kNil},
                                                                 {"template", Tok::kTemplate},
                                                                 {"with", Tok::kWith},
                                                                 {"true", Tok::kBool},
                                                                 {"false", Tok::kBool}};
    std::string_view word = in_.substr(s, pos_ - s);
    Tok t = Tok::kIdentifier;
    for (const auto& [k, v] : kKeywords) {
      if (k == word) t = v;
    }
    emit(t, s, pos_);
    return true;
  }

  bool accept(std::string_view set) {
    if (peek() >= 0 && set.find(static_cast<char>(peek())) != std::string_view::npos) {
      ++pos_;
      return true;
    }
    return false;
  }
  void accept_run(std::string_view set) {
    while (accept(set)) {
    }
  }

  bool lex_number() {  // Go's scanNumber
    std::size_t s = pos_;
    accept("+-");
    std::string_view digits = "0123456789_";
    if (accept("0")) {
      if (accept("xX"))
        digits = "0123456789abcdefABCDEF_";
      else if (accept("oO"))
        digits = "01234567_";
      else if (accept("bB"))
        digits = "01_";
    }
    accept_run(digits);
    if (accept(".")) accept_run(digits);
    if (digits.size() == 11 && accept("eE")) {
      accept("+-");
      accept_run("0123456789_");
    }
    if (digits.size() == 23 && accept("pP")) {
      accept("+-");
      accept_run("0123456789_");
    }
    accept("i");
    if (peek() >= 0 && is_alnum(peek())) {
      ++pos_;
      return error(fmt::format("bad number syntax: {}", go_quote(in_.substr(s, pos_ - s))));
    }
    emit(Tok::kNumber, s, pos_);
    return true;
  }

  bool lex_quote(std::size_t s, char q) {
    for (;;) {
      int c = peek();
      if (c < 0 || (c == '\n' && q != '`')) {
        return error(q == '"'   ? "unterminated quoted string"
                     : q == '`' ? "unterminated raw quoted string"
                                : "unterminated character constant");
      }
      ++pos_;
      if (c == '\\' && q != '`') {
        if (peek() < 0 || peek() == '\n') {
          return error(q == '"' ? "unterminated quoted string" : "unterminated character constant");
        }
        ++pos_;
      } else if (c == q) {
        break;
      }
    }
    emit(q == '"' ? Tok::kString : q == '`' ? Tok::kRawString : Tok::kCharConst, s, pos_);
    return true;
  }

  std::string_view in_;
  std::size_t pos_ = 0;
  std::vector<Token> toks_;
};

void append_utf8(std::string& out, std::uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// strconv.Unquote of a "..." or '...' body (quotes stripped); nullopt on bad syntax.
// Sets *rune_count to the number of runes decoded (for character constants).
std::optional<std::string> unquote(std::string_view s, char q, int* rune_count,
                                   std::uint32_t* last_rune) {
  std::string out;
  *rune_count = 0;
  for (std::size_t i = 0; i < s.size();) {
    ++*rune_count;
    if (s[i] != '\\') {
      if (s[i] == q) return std::nullopt;
      std::size_t len = 1;
      *last_rune = decode_rune(s, i, &len);
      out += s.substr(i, len);
      i += len;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    char c = s[i++];
    std::uint32_t r = 0;
    switch (c) {
      case 'a':
        r = '\a';
        break;
      case 'b':
        r = '\b';
        break;
      case 'f':
        r = '\f';
        break;
      case 'n':
        r = '\n';
        break;
      case 'r':
        r = '\r';
        break;
      case 't':
        r = '\t';
        break;
      case 'v':
        r = '\v';
        break;
      case '\\':
        r = '\\';
        break;
      case '\'':
      case '"':
        if (c != q) return std::nullopt;
        r = static_cast<unsigned char>(c);
        break;
      case 'x':
      case 'u':
      case 'U': {
        std::size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
        if (i + n > s.size()) return std::nullopt;
        for (std::size_t k = 0; k < n; ++k) {
          int d = hex_digit(s[i + k]);
          if (d < 0) return std::nullopt;
          r = r * 16 + static_cast<std::uint32_t>(d);
        }
        i += n;
        if (c == 'x') {  // a raw byte
          *last_rune = r;
          out += static_cast<char>(r);
          continue;
        }
        if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) return std::nullopt;
        break;
      }
      default:
        if (c < '0' || c > '7' || i + 2 > s.size()) return std::nullopt;
        r = static_cast<std::uint32_t>(c - '0');
        for (int k = 0; k < 2; ++k, ++i) {
          if (s[i] < '0' || s[i] > '7') return std::nullopt;
          r = r * 8 + static_cast<std::uint32_t>(s[i] - '0');
        }
        if (r > 255) return std::nullopt;
        *last_rune = r;
        out += static_cast<char>(r);
        continue;
    }
    *last_rune = r;
    append_utf8(out, r);
  }
  return out;
}

bool underscores_ok(std::string_view s) {  // strconv's underscoreOK, simplified
  if (s.find('_') == std::string_view::npos) return true;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  bool prefixed = s.size() >= 2 && s[0] == '0' && std::isalpha(static_cast<unsigned char>(s[1]));
  char prev = prefixed ? '0' : '^';
  for (std::size_t i = prefixed ? 2 : 0; i < s.size(); ++i) {
    if (s[i] == '_' && !std::isalnum(static_cast<unsigned char>(prev))) return false;
    if (s[i] != '_' && prev == '_' && !std::isalnum(static_cast<unsigned char>(s[i]))) return false;
    prev = s[i];
  }
  return prev != '_';
}

class Parser {
 public:
  Parser(const Tree& tree, std::vector<Token> toks) : tree_(tree), toks_(std::move(toks)) {}

  std::vector<Node> parse() {
    vars_ = {"$"};
    std::vector<Node> root;
    while (peek().type != Tok::kEOF) {
      Node n;
      Tok end = text_or_action(&n);
      if (end == Tok::kEnd) errorf("unexpected {{end}}");
      if (end == Tok::kElse) errorf("unexpected {{else}}");
      root.push_back(std::move(n));
    }
    return root;
  }

 private:
  const Token& peek() {
    if (toks_[i_].type == Tok::kError) errorf_at(toks_[i_].pos, toks_[i_].val);
    return toks_[i_];
  }
  const Token& next() {
    const Token& t = peek();
    if (t.type != Tok::kEOF) ++i_;
    return t;
  }
  const Token& peek_non_space() {
    while (peek().type == Tok::kSpace) ++i_;
    return peek();
  }
  const Token& next_non_space() {
    peek_non_space();
    return next();
  }

  std::size_t line_of(std::size_t pos) const {
    std::string_view t = tree_.text;
    return 1 +
           static_cast<std::size_t>(std::count(
               t.begin(), t.begin() + static_cast<std::ptrdiff_t>(std::min(pos, t.size())), '\n'));
  }
  [[noreturn]] void errorf_at(std::size_t pos, const std::string& msg) {
    throw TemplateError(fmt::format("template: {}:{}: {}", tree_.name, line_of(pos), msg));
  }
  [[noreturn]] void errorf(const std::string& msg) {
    errorf_at(toks_[i_ > 0 ? i_ - 1 : 0].pos, msg);
  }

  static std::string describe(const Token& t) {  // Go's item.String()
    switch (t.type) {
      case Tok::kEOF:
        return "EOF";
      case Tok::kBlock:
      case Tok::kBreak:
      case Tok::kContinue:
      case Tok::kDefine:
      case Tok::kElse:
      case Tok::kEnd:
      case Tok::kIf:
      case Tok::kRange:
      case Tok::kTemplate:
      case Tok::kWith:
        return "<" + t.val + ">";
      default:
        if (t.val.size() > 10) return go_quote(t.val.substr(0, 10)) + "...";
        return go_quote(t.val);
    }
  }
  [[noreturn]] void unexpected(const Token& t, std::string_view context) {
    errorf_at(t.pos, fmt::format("unexpected {} in {}", describe(t), context));
  }
  const Token& expect(Tok type, std::string_view context) {
    const Token& t = next_non_space();
    if (t.type != type) unexpected(t, context);
    return t;
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kTemplateMaxDepth) {
        p_.errorf(fmt::format("nesting deeper than {} levels", kTemplateMaxDepth));
      }
    }
    ~DepthGuard() { --p_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    Parser& p_;
  };

  // Parses one text or action into *n. Returns kEnd or kElse for those actions (n unused).
  Tok text_or_action(Node* n) {
    const Token& t = next_non_space();
    if (t.type == Tok::kText) {
      n->kind = Node::Kind::kText;
      n->pos = t.pos;
      n->text = t.val;
      return Tok::kText;
    }
    if (t.type == Tok::kLeftDelim) return action(n);
    unexpected(t, "input");
  }

  Tok action(Node* n) {
    const Token& t = next_non_space();
    n->pos = t.pos;
    switch (t.type) {
      case Tok::kEnd:
        expect(Tok::kRightDelim, "end");
        return Tok::kEnd;
      case Tok::kElse: {
        const Token& p = peek_non_space();
        if (p.type != Tok::kIf && p.type != Tok::kWith) expect(Tok::kRightDelim, "else");
        return Tok::kElse;
      }
      case Tok::kIf:
        control(n, Node::Kind::kIf, "if");
        return Tok::kIf;
      case Tok::kWith:
        control(n, Node::Kind::kWith, "with");
        return Tok::kWith;
      case Tok::kRange:
        control(n, Node::Kind::kRange, "range");
        return Tok::kRange;
      case Tok::kBreak:
      case Tok::kContinue: {
        bool brk = t.type == Tok::kBreak;
        if (range_depth_ == 0)
          errorf(brk ? "{{break}} outside {{range}}" : "{{continue}} outside {{range}}");
        expect(Tok::kRightDelim, brk ? "{{break}}" : "{{continue}}");
        n->kind = brk ? Node::Kind::kBreak : Node::Kind::kContinue;
        return t.type;
      }
      case Tok::kBlock:
      case Tok::kDefine:
      case Tok::kTemplate:
        errorf(fmt::format("{{{{{}}}}} is not supported (one template per key)", t.val));
      default:
        break;
    }
    --i_;  // not a keyword: a pipeline
    n->kind = Node::Kind::kAction;
    n->pipe = pipeline("command", Tok::kRightDelim);
    return Tok::kText;
  }

  // Parses the body of if/with/range up to {{end}}; handles {{else if}} / {{else with}}.
  void control(Node* n, Node::Kind kind, std::string_view context) {
    DepthGuard guard(*this);
    std::size_t vars_mark = vars_.size();
    n->kind = kind;
    n->pipe = pipeline(context, Tok::kRightDelim);
    if (kind == Node::Kind::kRange) ++range_depth_;
    Tok end = item_list(&n->list);
    if (kind == Node::Kind::kRange) --range_depth_;
    if (end == Tok::kElse) {
      n->has_else = true;
      Tok chained = kind == Node::Kind::kIf     ? Tok::kIf
                    : kind == Node::Kind::kWith ? Tok::kWith
                                                : Tok::kEOF;
      if (peek_non_space().type == chained) {  // {{else if ...}}: a nested if, one {{end}}
        const Token& t = next();
        Node inner;
        inner.pos = t.pos;
        control(&inner, kind, context);
        n->else_list.push_back(std::move(inner));
      } else {
        if (peek_non_space().type == Tok::kIf || peek_non_space().type == Tok::kWith) {
          unexpected(peek_non_space(), "else");
        }
        if (item_list(&n->else_list) != Tok::kEnd) errorf("expected end; found {{else}}");
      }
    }
    vars_.resize(vars_mark);
  }

  Tok item_list(std::vector<Node>* list) {
    while (peek_non_space().type != Tok::kEOF) {
      Node n;
      Tok t = text_or_action(&n);
      if (t == Tok::kEnd || t == Tok::kElse) return t;
      list->push_back(std::move(n));
    }
    errorf("unexpected EOF");
  }

  std::shared_ptr<Pipe> pipeline(std::string_view context, Tok end) {
    auto pipe = std::make_shared<Pipe>();
    pipe->pos = peek_non_space().pos;
    // Declarations: $x :=, $x =, and range's $i, $e :=.
    while (peek_non_space().type == Tok::kVariable) {
      std::size_t save = i_;
      const Token& v = next();
      const Token& after = peek_non_space();
      if (after.type == Tok::kAssign || after.type == Tok::kDeclare) {
        pipe->is_assign = after.type == Tok::kAssign;
        next();
        declare(pipe.get(), v);
        break;
      }
      if (after.type == Tok::kChar && after.val == ",") {
        next();
        declare(pipe.get(), v);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok t = peek_non_space().type;
          if (t == Tok::kVariable || t == Tok::kRightDelim || t == Tok::kRightParen) continue;
          errorf("range can only initialize variables");
        }
        errorf(fmt::format("too many declarations in {}", context));
      }
      i_ = save;
      break;
    }
    for (;;) {
      const Token& t = next_non_space();
      if (t.type == end) break;
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConst:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen:
          --i_;
          pipe->cmds.push_back(command());
          break;
        default:
          unexpected(t, context);
      }
    }
    if (pipe->cmds.empty()) errorf(fmt::format("missing value for {}", context));
    for (std::size_t k = 1; k < pipe->cmds.size(); ++k) {
      Operand::Kind f = pipe->cmds[k].args[0].kind;
      if (f == Operand::Kind::kBool || f == Operand::Kind::kDot || f == Operand::Kind::kNil ||
          f == Operand::Kind::kNumber || f == Operand::Kind::kString) {
        errorf(fmt::format("non executable command in pipeline stage {}", k + 1));
      }
    }
    // Declared variables are visible after the pipeline (Go pushes them here).
    if (!pipe->is_assign) {
      for (const std::string& v : pipe->decl) vars_.push_back(v);
    }
    return pipe;
  }

  void declare(Pipe* pipe, const Token& v) {
    if (v.val.find('.') != std::string::npos)
      errorf(fmt::format("unexpected {} in declaration", go_quote(v.val)));
    if (pipe->is_assign) use_var(v.val);
    pipe->decl.push_back(v.val);
  }

  void use_var(const std::string& name) {
    for (const std::string& v : vars_) {
      if (v == name) return;
    }
    errorf(fmt::format("undefined variable {}", go_quote(name)));
  }

  Command command() {
    Command cmd;
    cmd.pos = peek_non_space().pos;
    for (;;) {
      peek_non_space();
      if (std::optional<Operand> op = operand()) cmd.args.push_back(std::move(*op));
      const Token& t = next();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        --i_;
      } else if (t.type != Tok::kPipe) {
        unexpected(t, "operand");
      }
      break;
    }
    if (cmd.args.empty()) errorf("empty command");
    return cmd;
  }

  std::optional<Operand> operand() {
    std::optional<Operand> op = term();
    if (!op || peek().type != Tok::kField) return op;
    std::vector<std::string> fields;
    while (peek().type == Tok::kField) fields.push_back(next().val.substr(1));
    switch (op->kind) {
      case Operand::Kind::kField:
      case Operand::Kind::kVariable:
        op->fields.insert(op->fields.end(), fields.begin(), fields.end());
        for (const std::string& f : fields) op->text += "." + f;
        return op;
      case Operand::Kind::kBool:
      case Operand::Kind::kString:
      case Operand::Kind::kNumber:
      case Operand::Kind::kNil:
      case Operand::Kind::kDot:
        errorf(fmt::format("unexpected . after term {}", go_quote(to_string(*op))));
      default: {
        Operand chain;
        chain.kind = Operand::Kind::kChain;
        chain.pos = op->pos;
        chain.fields = std::move(fields);
        chain.inner = std::make_shared<Operand>(std::move(*op));
        return chain;
      }
    }
  }

  std::optional<Operand> term() {
    const Token& t = next_non_space();
    Operand op;
    op.pos = t.pos;
    op.text = t.val;
    switch (t.type) {
      case Tok::kIdentifier:
        if (is_unsupported_function(t.val)) {
          errorf(fmt::format("function {} is not supported by ecrhelm", go_quote(t.val)));
        }
        if (find_function(t.val) == nullptr)
          errorf(fmt::format("function {} not defined", go_quote(t.val)));
        op.kind = Operand::Kind::kFunction;
        return op;
      case Tok::kDot:
        op.kind = Operand::Kind::kDot;
        return op;
      case Tok::kNil:
        op.kind = Operand::Kind::kNil;
        return op;
      case Tok::kVariable: {
        op.kind = Operand::Kind::kVariable;
        std::size_t dot = t.val.find('.', 1);
        std::string name = t.val.substr(0, dot);
        use_var(name);
        return op;
      }
      case Tok::kField:
        op.kind = Operand::Kind::kField;
        op.fields.push_back(t.val.substr(1));
        return op;
      case Tok::kBool:
        op.kind = Operand::Kind::kBool;
        op.constant = t.val == "true";
        return op;
      case Tok::kCharConst:
      case Tok::kNumber:
        number(&op, t);
        return op;
      case Tok::kLeftParen: {
        DepthGuard guard(*this);
        op.kind = Operand::Kind::kPipe;
        op.pipe = pipeline("parenthesized pipeline", Tok::kRightParen);
        op.text.clear();
        return op;
      }
      case Tok::kString:
      case Tok::kRawString: {
        op.kind = Operand::Kind::kString;
        std::string body = t.val.substr(1, t.val.size() - 2);
        if (t.type == Tok::kRawString) {
          std::erase(body, '\r');
          op.constant = body;
          return op;
        }
        int runes = 0;
        std::uint32_t last = 0;
        std::optional<std::string> s = unquote(body, '"', &runes, &last);
        if (!s) errorf("invalid syntax");
        op.constant = *s;
        return op;
      }
      default:
        --i_;
        return std::nullopt;
    }
  }

  void number(Operand* op, const Token& t) {
    op->kind = Operand::Kind::kNumber;
    const std::string& text = t.val;
    if (t.type == Tok::kCharConst) {
      int runes = 0;
      std::uint32_t r = 0;
      std::optional<std::string> s = unquote(text.substr(1, text.size() - 2), '\'', &runes, &r);
      if (!s || runes != 1) errorf(fmt::format("malformed character constant: {}", text));
      op->is_int = true;
      op->int_value = r;
      op->constant = op->int_value;
      return;
    }
    if (text.ends_with("i")) errorf(fmt::format("complex constant {} is not supported", text));
    if (!underscores_ok(text)) errorf(fmt::format("illegal number syntax: {}", go_quote(text)));
    std::string clean = text;
    std::erase(clean, '_');
    std::string_view body = clean;
    bool neg = false;
    if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
      neg = body[0] == '-';
      body.remove_prefix(1);
    }
    int base = 10;
    if (body.size() > 1 && body[0] == '0') {
      char p = static_cast<char>(std::tolower(static_cast<unsigned char>(body[1])));
      base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 8;
      if (base != 8 || p == 'o')
        body.remove_prefix(2);
      else
        body.remove_prefix(1);
    }
    bool is_float = body.find('.') != std::string_view::npos ||
                    (base == 10 && body.find_first_of("eE") != std::string_view::npos) ||
                    (base == 16 && body.find_first_of("pP") != std::string_view::npos);
    if (!is_float) {
      std::uint64_t u = 0;
      auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), u, base);
      if (body.empty() || end != body.data() + body.size()) {
        errorf(fmt::format("illegal number syntax: {}", go_quote(text)));
      }
      if (ec != std::errc() || u > (neg ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1)) {
        errorf(fmt::format("integer overflow: {}", go_quote(text)));
      }
      op->is_int = true;
      op->int_value = neg ? static_cast<std::int64_t>(0 - u) : static_cast<std::int64_t>(u);
      op->constant = op->int_value;
      return;
    }
    if (base == 8 && clean.find_first_of("oO") != std::string::npos)
      errorf(fmt::format("illegal number syntax: {}", go_quote(text)));
    const char* begin = clean.c_str();
    char* end = nullptr;
    double d = std::strtod(begin, &end);
    if (end != begin + clean.size() || std::isinf(d) || std::isnan(d)) {
      errorf(fmt::format("illegal number syntax: {}", go_quote(text)));
    }
    op->constant = d;
    if (d == std::trunc(d) && std::fabs(d) < 9.2e18) {
      op->is_int = true;
      op->int_value = static_cast<std::int64_t>(d);
    }
  }

  const Tree& tree_;
  std::vector<Token> toks_;
  std::size_t i_ = 0;
  std::vector<std::string> vars_;
  int range_depth_ = 0;
  int depth_ = 0;
};

std::string join_fields(const std::vector<std::string>& fields) {
  std::string out;
  for (const std::string& f : fields) out += "." + f;
  return out;
}

}  // namespace

std::shared_ptr<const Tree> parse_tree(std::string_view name, std::string_view text) {
  auto tree = std::make_shared<Tree>();
  tree->name = std::string(name);
  tree->text = std::string(text);
  Parser parser(*tree, Lexer(tree->text).run());
  tree->root = parser.parse();
  return tree;
}

std::string location(const Tree& tree, std::size_t pos) {
  std::string_view before = std::string_view(tree.text).substr(0, pos);
  std::size_t nl = before.rfind('\n');
  std::size_t line = 1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  std::size_t col = nl == std::string_view::npos ? pos : pos - nl - 1;
  return fmt::format("{}:{}:{}", tree.name, line, col);
}

std::string to_string(const Operand& op) {
  switch (op.kind) {
    case Operand::Kind::kField:
      return join_fields(op.fields);
    case Operand::Kind::kVariable:
      return op.text;
    case Operand::Kind::kDot:
      return ".";
    case Operand::Kind::kNil:
      return "nil";
    case Operand::Kind::kPipe: {  // appended: `"(" + s` trips GCC 12's false -Wrestrict
      std::string out(1, '(');
      out.append(to_string(*op.pipe)).append(1, ')');
      return out;
    }
    case Operand::Kind::kChain: {
      return to_string(*op.inner) + join_fields(op.fields);
    }
    default:
      return op.text;
  }
}

std::string to_string(const Command& cmd) {
  std::string out;
  for (const Operand& op : cmd.args) {
    if (!out.empty()) out += ' ';
    out += to_string(op);
  }
  return out;
}

std::string to_string(const Pipe& pipe) {
  std::string out;
  for (const std::string& v : pipe.decl) out += (out.empty() ? "" : ", ") + v;
  if (!pipe.decl.empty()) out += pipe.is_assign ? " = " : " := ";
  for (std::size_t k = 0; k < pipe.cmds.size(); ++k) {
    if (k > 0) out += " | ";
    out += to_string(pipe.cmds[k]);
  }
  return out;
}

}  // namespace ecrhelm::gotemplate::detail
