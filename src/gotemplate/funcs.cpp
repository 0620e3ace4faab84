// The functions templates can call: text/template's builtins and the sprig subset ESO users
// rely on, with Go's argument order, formatting (fmt's %v, printf verbs, encoding/json,
// yaml.v2 block style) and error text. Every string they build is capped.
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "gotemplate/internal.h"
#include "gotemplate/template.h"
#include "util/crypto.h"
#include "util/encoding.h"

namespace ecrhelm::gotemplate::detail {

void Budget::step() {
  if (++steps_ > kTemplateMaxSteps) {
    throw LimitError(fmt::format("execution stopped after {} steps", kTemplateMaxSteps));
  }
}
void Budget::charge(std::size_t bytes) {
  work_ += bytes;
  if (work_ > kTemplateMaxWork) {
    throw LimitError(fmt::format("execution stopped after building {} bytes", kTemplateMaxWork));
  }
}
void Budget::check_size(std::size_t bytes) {
  if (bytes > kTemplateMaxOutput) {
    throw LimitError(fmt::format("output or string longer than {} bytes", kTemplateMaxOutput));
  }
}

std::uint32_t decode_rune(std::string_view s, std::size_t i, std::size_t* len) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  *len = 1;
  if (c < 0x80) return c;
  std::size_t n = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0xFFFD;
  std::uint32_t r = c & (0x7F >> n);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && (r < 0x800 || (r >= 0xD800 && r < 0xE000))) ||
      (n == 4 && (r < 0x10000 || r > 0x10FFFF))) {
    return 0xFFFD;
  }
  *len = n;
  return r;
}

bool truth(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean:
      return j.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return j.get<std::int64_t>() != 0;
    case json::value_t::number_float:
      return j.get<double>() != 0;
    case json::value_t::string:
      return !j.get_ref<const std::string&>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !j.empty();
    default:
      return false;
  }
}

const char* go_type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::boolean:
      return "bool";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "int";
    case json::value_t::number_float:
      return "float64";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "[]interface {}";
    case json::value_t::object:
      return "map[string]interface {}";
    default:
      return "<nil>";
  }
}

namespace {

// A string builder that stops at kTemplateMaxOutput.
struct Out {
  std::string s;
  void add(std::string_view v) {
    Budget::check_size(s.size() + v.size());
    s += v;
  }
  void add(char c) { add(std::string_view(&c, 1)); }
};

bool printable(std::uint32_t r) {  // an approximation of unicode.IsPrint
  return (r >= 0x20 && r < 0x7F) ||
         (r >= 0xA0 && r != 0xAD && r != 0x2028 && r != 0x2029 && r != 0xFEFF && r < 0xFFFE);
}

void quote_to(Out& out, std::string_view s, char q) {  // strconv.Quote / QuoteRune
  out.add(q);
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 1;
    std::uint32_t r = decode_rune(s, i, &len);
    std::string_view raw = s.substr(i, len);
    i += len;
    if (r == 0xFFFD && len == 1 && raw != "\xEF\xBF\xBD") {
      out.add(fmt::format("\\x{:02x}", static_cast<unsigned char>(raw[0])));
    } else if (r == static_cast<unsigned char>(q) || r == '\\') {
      out.add('\\');
      out.add(static_cast<char>(r));
    } else if (printable(r)) {
      out.add(raw);
    } else {
      switch (r) {
        case '\a':
          out.add("\\a");
          break;
        case '\b':
          out.add("\\b");
          break;
        case '\f':
          out.add("\\f");
          break;
        case '\n':
          out.add("\\n");
          break;
        case '\r':
          out.add("\\r");
          break;
        case '\t':
          out.add("\\t");
          break;
        case '\v':
          out.add("\\v");
          break;
        default:
          if (r < 0x20 || r == 0x7F)
            out.add(fmt::format("\\x{:02x}", r));
          else if (r < 0x10000)
            out.add(fmt::format("\\u{:04x}", r));
          else
            out.add(fmt::format("\\U{:08x}", r));
      }
    }
  }
  out.add(q);
}

// Shortest round-trip digits of |d| and the decimal exponent of the first digit.
void shortest_digits(double d, std::string* digits, int* exp) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(res.ptr - buf));
  std::size_t e = s.find('e');
  digits->clear();
  for (char c : s.substr(0, e)) {
    if (c != '.') *digits += c;
  }
  std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), *exp);
}

// strconv.FormatFloat(d, fmt, -1, 64) for fmt 'e' or 'f'.
std::string float_e_or_f(double d, char f) {
  std::string digits;
  int exp = 0;
  shortest_digits(d, &digits, &exp);
  std::string out = std::signbit(d) ? "-" : "";
  if (f == 'e') {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    return out + fmt::format("e{}{:02d}", exp < 0 ? '-' : '+', std::abs(exp));
  }
  if (exp < 0) return out + "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  auto point = static_cast<std::size_t>(exp) + 1;
  if (digits.size() <= point) return out + digits + std::string(point - digits.size(), '0');
  return out + digits.substr(0, point) + "." + digits.substr(point);
}

std::string json_float(double d) {  // encoding/json's float64
  double a = std::fabs(d);
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    std::string s = float_e_or_f(d, 'e');
    std::size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    return s;
  }
  return float_e_or_f(d, 'f');
}

std::string int_string(const json& j) {
  return j.is_number_unsigned() ? std::to_string(j.get<std::uint64_t>())
                                : std::to_string(j.get<std::int64_t>());
}

void format_v(Out& out, const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      out.add("<nil>");
      break;
    case json::value_t::boolean:
      out.add(j.get<bool>() ? "true" : "false");
      break;
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      out.add(int_string(j));
      break;
    case json::value_t::number_float:
      out.add(format_float(j.get<double>()));
      break;
    case json::value_t::string:
      out.add(j.get_ref<const std::string&>());
      break;
    case json::value_t::array: {
      out.add('[');
      for (std::size_t i = 0; i < j.size(); ++i) {
        if (i > 0) out.add(' ');
        format_v(out, j[i]);
      }
      out.add(']');
      break;
    }
    default: {
      out.add("map[");
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out.add(' ');
        first = false;
        out.add(it.key());
        out.add(':');
        format_v(out, it.value());
      }
      out.add(']');
    }
  }
}

std::string strval(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  Out out;
  format_v(out, j);
  return out.s;
}

// ---- printf ------------------------------------------------------------------------

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1, prec = -1;
  std::uint32_t verb = 'v';
};

std::string rune_string(std::uint32_t r) {
  if (r > 0x10FFFF || (r >= 0xD800 && r < 0xE000)) r = 0xFFFD;
  std::string s;
  if (r < 0x80) {
    s += static_cast<char>(r);
  } else if (r < 0x800) {
    s += static_cast<char>(0xC0 | (r >> 6));
    s += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    s += static_cast<char>(0xE0 | (r >> 12));
    s += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (r >> 18));
    s += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (r & 0x3F));
  }
  return s;
}

std::size_t rune_count(std::string_view s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++n) {
    std::size_t len = 1;
    decode_rune(s, i, &len);
    i += len;
  }
  return n;
}

void pad(Out& out, std::string s, const Spec& sp, bool numeric) {
  std::size_t n = rune_count(s);
  if (sp.width < 0 || n >= static_cast<std::size_t>(sp.width)) return out.add(s);
  std::size_t fill = static_cast<std::size_t>(sp.width) - n;
  if (sp.minus) return out.add(s + std::string(fill, ' '));
  if (sp.zero && numeric) {
    std::size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ') ? 1 : 0;
    return out.add(s.substr(0, sign) + std::string(fill, '0') + s.substr(sign));
  }
  out.add(std::string(fill, sp.zero ? '0' : ' ') + s);
}

void bad_verb(Out& out, const json& j, std::uint32_t verb) {
  out.add("%!" + rune_string(verb) + "(");
  if (j.is_null()) {
    out.add("<nil>");
  } else {
    out.add(go_type_name(j));
    out.add('=');
    format_v(out, j);
  }
  out.add(')');
}

void format_int(Out& out, const json& j, const Spec& sp) {
  bool neg = !j.is_number_unsigned() && j.get<std::int64_t>() < 0;
  std::uint64_t u = j.is_number_unsigned() ? j.get<std::uint64_t>()
                    : neg                  ? 0 - static_cast<std::uint64_t>(j.get<std::int64_t>())
                                           : static_cast<std::uint64_t>(j.get<std::int64_t>());
  std::string digits;
  switch (sp.verb) {
    case 'c':
      return pad(out, rune_string(static_cast<std::uint32_t>(std::min<std::uint64_t>(u, 0x110000))),
                 sp, false);
    case 'q': {
      Out q;
      quote_to(q, rune_string(static_cast<std::uint32_t>(std::min<std::uint64_t>(u, 0x110000))),
               '\'');
      return pad(out, q.s, sp, false);
    }
    case 'U':
      return pad(out, fmt::format("U+{:04X}", u), sp, false);
    case 'x':
      digits = fmt::format("{:x}", u);
      break;
    case 'X':
      digits = fmt::format("{:X}", u);
      break;
    case 'o':
    case 'O':
      digits = fmt::format("{:o}", u);
      break;
    case 'b':
      digits = fmt::format("{:b}", u);
      break;
    default:
      digits = std::to_string(u);
  }
  if (sp.prec >= 0 && digits.size() < static_cast<std::size_t>(sp.prec)) {
    digits.insert(0, static_cast<std::size_t>(sp.prec) - digits.size(), '0');
  }
  if (sp.verb == 'O' || (sp.sharp && sp.verb == 'o' && digits[0] != '0'))
    digits.insert(0, sp.verb == 'O' ? "0o" : "0");
  if (sp.sharp && (sp.verb == 'x' || sp.verb == 'X'))
    digits.insert(0, sp.verb == 'x' ? "0x" : "0X");
  std::string sign = neg ? "-" : sp.plus ? "+" : sp.space ? " " : "";
  pad(out, sign + digits, sp, sp.prec < 0);
}

void format_float_verb(Out& out, double d, const Spec& sp) {
  std::string s;
  char v = static_cast<char>(sp.verb);
  if (std::isnan(d) || std::isinf(d)) {
    s = std::isnan(d) ? "NaN" : d < 0 ? "-Inf" : "+Inf";
  } else if ((v == 'v' || v == 'g' || v == 'G') && sp.prec < 0) {
    s = format_float(d);
    if (v == 'G')
      std::transform(s.begin(), s.end(), s.begin(), [](char c) { return c == 'e' ? 'E' : c; });
  } else {
    int prec = sp.prec < 0 ? 6 : sp.prec;
    char f[8] = {'%', '.', '*', v == 'v' ? 'g' : v, 0};
    char buf[512];
    int n = std::snprintf(buf, sizeof buf, f, std::min(prec, 300), d);
    s.assign(buf, static_cast<std::size_t>(std::clamp(n, 0, static_cast<int>(sizeof buf) - 1)));
  }
  if (s[0] != '-' && (sp.plus || sp.space)) s.insert(0, sp.plus ? "+" : " ");
  pad(out, s, sp, true);
}

void format_arg(Out& out, const json& j, const Spec& sp) {
  std::uint32_t v = sp.verb;
  if (v == 'T') return pad(out, go_type_name(j), sp, false);
  switch (j.type()) {
    case json::value_t::null:
      if (v == 'v') return pad(out, "<nil>", sp, false);
      return bad_verb(out, j, v);
    case json::value_t::boolean:
      if (v == 'v' || v == 't') return pad(out, j.get<bool>() ? "true" : "false", sp, false);
      return bad_verb(out, j, v);
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      if (std::string_view("vdbcoOqxXU").find(static_cast<char>(v)) != std::string_view::npos &&
          v < 0x80) {
        return format_int(out, j, sp);
      }
      return bad_verb(out, j, v);
    case json::value_t::number_float:
      if (std::string_view("vgGeEfF").find(static_cast<char>(v)) != std::string_view::npos &&
          v < 0x80) {
        return format_float_verb(out, j.get<double>(), sp);
      }
      return bad_verb(out, j, v);
    case json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (v == 'v' || v == 's') {
        std::string t = s;
        if (sp.prec >= 0) {
          std::size_t i = 0;
          for (int k = 0; i < t.size() && k < sp.prec; ++k) {
            std::size_t len = 1;
            decode_rune(t, i, &len);
            i += len;
          }
          t.resize(i);
        }
        return pad(out, t, sp, false);
      }
      if (v == 'q') {
        Out q;
        quote_to(q, s, '"');
        return pad(out, q.s, sp, false);
      }
      if (v == 'x' || v == 'X') {
        Out h;
        for (char c : s)
          h.add(v == 'x' ? fmt::format("{:02x}", static_cast<unsigned char>(c))
                         : fmt::format("{:02X}", static_cast<unsigned char>(c)));
        return pad(out, h.s, sp, false);
      }
      return bad_verb(out, j, v);
    }
    case json::value_t::array: {
      out.add('[');
      for (std::size_t i = 0; i < j.size(); ++i) {
        if (i > 0) out.add(' ');
        format_arg(out, j[i], sp);
      }
      return out.add(']');
    }
    default: {
      out.add("map[");
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out.add(' ');
        first = false;
        format_arg(out, it.key(), sp);
        out.add(':');
        format_arg(out, it.value(), sp);
      }
      out.add(']');
    }
  }
}

std::string go_sprintf(std::string_view f, const std::vector<Value>& args, std::size_t first) {
  Out out;
  std::size_t arg = first;
  for (std::size_t i = 0; i < f.size();) {
    std::size_t pct = f.find('%', i);
    out.add(f.substr(i, pct == std::string_view::npos ? std::string_view::npos : pct - i));
    if (pct == std::string_view::npos) break;
    i = pct + 1;
    Spec sp;
    for (; i < f.size(); ++i) {
      char c = f[i];
      if (c == '-')
        sp.minus = true;
      else if (c == '+')
        sp.plus = true;
      else if (c == '#')
        sp.sharp = true;
      else if (c == ' ')
        sp.space = true;
      else if (c == '0')
        sp.zero = !sp.minus;
      else
        break;
    }
    auto number = [&](int* dst, const char* bad) {
      if (i < f.size() && f[i] == '*') {
        ++i;
        if (arg < args.size() && args[arg]->is_number_integer() &&
            std::llabs(args[arg]->get<std::int64_t>()) <= 1000000) {
          *dst = static_cast<int>(args[arg++]->get<std::int64_t>());
          if (*dst < 0 && bad[2] == 'W') {
            sp.minus = true;
            *dst = -*dst;
          } else if (*dst < 0) {
            *dst = -1;
          }
        } else {
          ++arg;
          out.add(bad);
        }
        return;
      }
      std::size_t start = i;
      long long n = 0;
      while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
        n = std::min(n * 10 + (f[i] - '0'), 10000000LL);
        ++i;
      }
      if (i == start) return;
      if (n > 1000000)
        out.add(bad);
      else
        *dst = static_cast<int>(n);
    };
    number(&sp.width, "%!(BADWIDTH)");
    if (i < f.size() && f[i] == '.') {
      ++i;
      sp.prec = 0;
      number(&sp.prec, "%!(BADPREC)");
    }
    if (i >= f.size()) {
      out.add("%!(NOVERB)");
      break;
    }
    std::size_t len = 1;
    sp.verb = decode_rune(f, i, &len);
    i += len;
    if (sp.verb == '%') {
      out.add('%');
      continue;
    }
    if (arg >= args.size()) {
      out.add("%!" + rune_string(sp.verb) + "(MISSING)");
      continue;
    }
    format_arg(out, args[arg++].get(), sp);
  }
  if (arg < args.size()) {
    out.add("%!(EXTRA ");
    for (std::size_t k = arg; k < args.size(); ++k) {
      if (k > arg) out.add(", ");
      if (args[k]->is_null()) {
        out.add("<nil>");
        continue;
      }
      out.add(go_type_name(args[k].get()));
      out.add('=');
      format_v(out, args[k].get());
    }
    out.add(')');
  }
  return out.s;
}

// ---- encoding/json and YAML ------------------------------------------------------------

void go_json(Out& out, const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return out.add("null");
    case json::value_t::boolean:
      return out.add(j.get<bool>() ? "true" : "false");
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return out.add(int_string(j));
    case json::value_t::number_float:
      return out.add(json_float(j.get<double>()));
    case json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      out.add('"');
      for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 1;
        std::uint32_t r = decode_rune(s, i, &len);
        char c = s[i];
        i += len;
        if (r == '"' || r == '\\') {
          out.add('\\');
          out.add(c);
        } else if (r == '\n')
          out.add("\\n");
        else if (r == '\r')
          out.add("\\r");
        else if (r == '\t')
          out.add("\\t");
        else if (r == '\b')
          out.add("\\b");
        else if (r == '\f')
          out.add("\\f");
        else if (r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029) {
          out.add(fmt::format("\\u{:04x}", r));
        } else if (r == 0xFFFD && len == 1) {
          out.add("\\ufffd");
        } else {
          out.add(std::string_view(s).substr(i - len, len));
        }
      }
      return out.add('"');
    }
    case json::value_t::array: {
      out.add('[');
      for (std::size_t i = 0; i < j.size(); ++i) {
        if (i > 0) out.add(',');
        go_json(out, j[i]);
      }
      return out.add(']');
    }
    default: {
      out.add('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out.add(',');
        first = false;
        go_json(out, it.key());
        out.add(':');
        go_json(out, it.value());
      }
      out.add('}');
    }
  }
}

bool yaml_plain_ok(const std::string& s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  static const char* const kSpecial[] = {"true", "false", "yes", "no",   "on",    "off",   "y",
                                         "n",    "null",  "~",   ".inf", "-.inf", "+.inf", ".nan"};
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  for (const char* k : kSpecial) {
    if (lower == k) return false;
  }
  // Anything that could read as a number, a base-60 number or a timestamp is quoted.
  if (s.find_first_not_of("0123456789+-._:eExXoObBabcdefABCDEF") == std::string::npos &&
      s.find_first_of("0123456789") != std::string::npos) {
    return false;
  }
  if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(s[0]) != std::string_view::npos) return false;
  if (s.find(": ") != std::string::npos || s.find(" #") != std::string::npos || s.back() == ':')
    return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return false;
  }
  return true;
}

void yaml_scalar(Out& out, const json& j, std::size_t indent) {
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (yaml_plain_ok(s)) return out.add(s);
    bool printable_text = std::all_of(s.begin(), s.end(), [](char c) {
      return c == '\n' || c == '\t' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F);
    });
    if (printable_text && s.find('\n') != std::string::npos && s.front() != ' ' &&
        s.front() != '\n') {
      std::size_t trailing = s.size() - s.find_last_not_of('\n') - 1;
      out.add(trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+");
      std::size_t start = 0;
      std::string body = trailing > 0 ? s.substr(0, s.size() - 1) : s;
      while (start <= body.size()) {
        std::size_t nl = body.find('\n', start);
        std::string_view line = std::string_view(body).substr(
            start, nl == std::string::npos ? std::string::npos : nl - start);
        out.add('\n');
        if (!line.empty()) out.add(std::string(indent, ' ') + std::string(line));
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
      return;
    }
    if (printable_text && s.find('\n') == std::string::npos) {
      std::string q = "'";
      for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
      return out.add(q + "'");
    }
    go_json(out, j);  // double-quoted
    return;
  }
  if (j.is_number_float()) {
    std::string text = json_float(j.get<double>());
    return out.add(text.find_first_of(".e") == std::string::npos ? text
                                                                 : format_float(j.get<double>()));
  }
  go_json(out, j);
}

// yaml.v2 block style as sigs.k8s.io/yaml writes it: maps indent by 2, sequences under a
// key do not.
void yaml_node(Out& out, const json& j, std::size_t indent, bool inline_first) {
  auto lead = [&](bool first) {
    if (!(first && inline_first)) out.add(std::string(indent, ' '));
  };
  if (j.is_object() && !j.empty()) {
    bool first = true;
    for (auto it = j.begin(); it != j.end(); ++it) {
      lead(first);
      first = false;
      yaml_scalar(out, it.key(), indent + 2);
      out.add(':');
      const json& v = it.value();
      if (v.is_object() && !v.empty()) {
        out.add('\n');
        yaml_node(out, v, indent + 2, false);
      } else if (v.is_array() && !v.empty()) {
        out.add('\n');
        yaml_node(out, v, indent, false);
      } else {
        out.add(' ');
        yaml_node(out, v, indent + 2, true);
        out.add('\n');
      }
    }
  } else if (j.is_array() && !j.empty()) {
    bool first = true;
    for (const json& v : j) {
      lead(first);
      first = false;
      out.add("- ");
      if ((v.is_object() || v.is_array()) && !v.empty()) {
        yaml_node(out, v, indent + 2, true);
      } else {
        yaml_node(out, v, indent + 2, true);
        out.add('\n');
      }
    }
  } else if (j.is_object()) {
    out.add("{}");
  } else if (j.is_array()) {
    out.add("[]");
  } else {
    yaml_scalar(out, j, indent);
  }
}

// ---- functions -------------------------------------------------------------------------

using Args = std::vector<Value>;

const std::string& str(const Value& v) { return v->get_ref<const std::string&>(); }

Value text(Budget& b, std::string s) {
  Budget::check_size(s.size());
  b.charge(s.size());
  return Value::owned(std::move(s));
}

std::size_t count_nodes(const json& j, std::size_t limit) {
  std::size_t n = 1;
  if (j.is_structured()) {
    for (const json& c : j) {
      if (n > limit) break;
      n += count_nodes(c, limit - n);
    }
  } else if (j.is_string()) {
    n += j.get_ref<const std::string&>().size() / 16;
  }
  return n;
}

constexpr std::size_t kMaxValueNodes = 100'000;

// Copies args[from..] into a new value, charging for the copy.
void charge_copy(const Args& a, std::size_t from, Budget& b) {
  std::size_t total = 0;
  for (std::size_t i = from; i < a.size(); ++i) total += count_nodes(a[i].get(), kMaxValueNodes);
  if (total > kMaxValueNodes)
    throw LimitError(fmt::format("a list or dict larger than {} elements", kMaxValueNodes));
  b.charge(total * 16);
}

enum class Cmp { kBadType, kInt, kFloat, kString, kBool, kOther };
Cmp cmp_kind(const json& j) {
  if (j.is_number_integer()) return Cmp::kInt;
  if (j.is_number_float()) return Cmp::kFloat;
  if (j.is_string()) return Cmp::kString;
  if (j.is_boolean()) return Cmp::kBool;
  return Cmp::kOther;
}

bool eq2(const json& a, const json& b) {
  Cmp ka = cmp_kind(a), kb = cmp_kind(b);
  if (ka != kb) {
    if (!a.is_null() && !b.is_null()) throw FuncError("incompatible types for comparison");
    return false;
  }
  switch (ka) {
    case Cmp::kInt:
      return a.get<std::int64_t>() == b.get<std::int64_t>();
    case Cmp::kFloat:
      return a.get<double>() == b.get<double>();
    case Cmp::kString:
      return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
    case Cmp::kBool:
      return a.get<bool>() == b.get<bool>();
    default:
      if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
      throw FuncError(
          fmt::format("non-comparable types {}, {}", describe_value(a), describe_value(b)));
  }
}

bool lt2(const json& a, const json& b) {
  Cmp ka = cmp_kind(a), kb = cmp_kind(b);
  if (ka == Cmp::kOther || kb == Cmp::kOther) throw FuncError("invalid type for comparison");
  if (ka != kb) throw FuncError("incompatible types for comparison");
  switch (ka) {
    case Cmp::kInt:
      return a.get<std::int64_t>() < b.get<std::int64_t>();
    case Cmp::kFloat:
      return a.get<double>() < b.get<double>();
    case Cmp::kString:
      return a.get_ref<const std::string&>() < b.get_ref<const std::string&>();
    default:
      throw FuncError("invalid type for comparison");
  }
}

Value boolean(bool v) { return Value::owned(v); }

Value fn_index(Args& a, Budget&) {
  Value item = a[0];
  if (item->is_null()) throw FuncError("index of untyped nil");
  for (std::size_t k = 1; k < a.size(); ++k) {
    const json& i = a[k].get();
    const json& j = item.get();
    if (j.is_null()) throw FuncError("index of nil pointer");
    if (j.is_array() || j.is_string()) {
      if (i.is_null()) throw FuncError("cannot index slice/array with nil");
      if (!i.is_number_integer())
        throw FuncError(fmt::format("cannot index slice/array with type {}", go_type_name(i)));
      std::int64_t x = i.get<std::int64_t>();
      std::size_t len = j.is_array() ? j.size() : j.get_ref<const std::string&>().size();
      if (x < 0 || static_cast<std::uint64_t>(x) >= len)
        throw FuncError(fmt::format("index out of range for {}", describe_value(j)));
      if (j.is_array())
        item = item.child(j[static_cast<std::size_t>(x)]);
      else
        item = Value::owned(static_cast<unsigned char>(
            j.get_ref<const std::string&>()[static_cast<std::size_t>(x)]));
    } else if (j.is_object()) {
      if (i.is_null()) throw FuncError("value is nil; should be of type string");
      if (!i.is_string())
        throw FuncError(fmt::format("value has type {}; should be string", go_type_name(i)));
      auto it = j.find(i.get_ref<const std::string&>());
      item = it == j.end() ? Value() : item.child(*it);
    } else {
      throw FuncError(fmt::format("can't index item of type {}", go_type_name(j)));
    }
  }
  return item;
}

Value fn_len(Args& a, Budget&) {
  const json& j = a[0].get();
  if (j.is_string())
    return Value::owned(static_cast<std::int64_t>(j.get_ref<const std::string&>().size()));
  if (j.is_structured()) return Value::owned(static_cast<std::int64_t>(j.size()));
  if (j.is_null()) throw FuncError("len of nil pointer");
  throw FuncError(fmt::format("len of type {}", go_type_name(j)));
}

Value fn_eq(Args& a, Budget&) {
  if (a.size() < 2) throw FuncError("missing argument for comparison");
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (eq2(a[0].get(), a[i].get())) return boolean(true);
  }
  return boolean(false);
}

Value fn_print(Args& a, Budget& b) {  // fmt.Sprint
  Out out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && !a[i]->is_string() && !a[i - 1]->is_string()) out.add(' ');
    format_v(out, a[i].get());
  }
  return text(b, std::move(out.s));
}

Value fn_println(Args& a, Budget& b) {
  Out out;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i > 0) out.add(' ');
    format_v(out, a[i].get());
  }
  out.add('\n');
  return text(b, std::move(out.s));
}

std::string indent_text(std::int64_t n, const std::string& s) {
  if (n < 0) throw FuncError("strings: negative Repeat count");
  auto lines = static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')) + 1;
  if (static_cast<std::uint64_t>(n) > kTemplateMaxOutput ||
      s.size() + lines * static_cast<std::size_t>(n) > kTemplateMaxOutput) {
    Budget::check_size(kTemplateMaxOutput + 1);
  }
  std::string pad(static_cast<std::size_t>(n), ' ');
  std::string out = pad;
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

Value fn_replace(Args& a, Budget& b) {  // strings.Replace(src, old, new, -1)
  const std::string &from = str(a[0]), &to = str(a[1]), &src = str(a[2]);
  Out out;
  if (from.empty()) {  // new before every rune and at the end
    for (std::size_t i = 0; i < src.size();) {
      std::size_t len = 1;
      decode_rune(src, i, &len);
      out.add(to);
      out.add(std::string_view(src).substr(i, len));
      i += len;
    }
    out.add(to);
    return text(b, std::move(out.s));
  }
  std::size_t i = 0;
  for (std::size_t hit; (hit = src.find(from, i)) != std::string::npos; i = hit + from.size()) {
    out.add(std::string_view(src).substr(i, hit - i));
    out.add(to);
  }
  out.add(std::string_view(src).substr(i));
  return text(b, std::move(out.s));
}

std::vector<std::string> strslice(const json& j) {
  std::vector<std::string> out;
  if (j.is_array()) {
    for (const json& e : j) {
      if (!e.is_null()) out.push_back(strval(e));
    }
  } else if (!j.is_null()) {
    out.push_back(strval(j));
  }
  return out;
}

Value fn_join(Args& a, Budget& b) {
  Out out;
  std::vector<std::string> parts = strslice(a[1].get());
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out.add(str(a[0]));
    out.add(parts[i]);
  }
  return text(b, std::move(out.s));
}

Value fn_split(Args& a, Budget& b) {  // strings.Split as a map of "_0", "_1", ...
  const std::string &sep = str(a[0]), &s = str(a[1]);
  std::vector<std::string> parts;
  if (sep.empty()) {
    for (std::size_t i = 0; i < s.size();) {
      std::size_t len = 1;
      decode_rune(s, i, &len);
      parts.push_back(s.substr(i, len));
      i += len;
    }
  } else {
    std::size_t i = 0;
    for (std::size_t hit; (hit = s.find(sep, i)) != std::string::npos; i = hit + sep.size())
      parts.push_back(s.substr(i, hit - i));
    parts.push_back(s.substr(i));
  }
  if (parts.size() > kMaxValueNodes)
    throw LimitError(fmt::format("a list or dict larger than {} elements", kMaxValueNodes));
  b.charge(s.size() + parts.size() * 32);
  json out = json::object();
  for (std::size_t i = 0; i < parts.size(); ++i) out["_" + std::to_string(i)] = std::move(parts[i]);
  return Value::owned(std::move(out));
}

Value fn_quote(Args& a, Budget& b) {
  Out out;
  bool first = true;
  for (const Value& v : a) {
    if (v->is_null()) continue;
    if (!first) out.add(' ');
    first = false;
    quote_to(out, strval(v.get()), '"');
  }
  return text(b, std::move(out.s));
}

Value fn_squote(Args& a, Budget& b) {
  Out out;
  bool first = true;
  for (const Value& v : a) {
    if (v->is_null()) continue;
    if (!first) out.add(' ');
    first = false;
    out.add('\'');
    format_v(out, v.get());
    out.add('\'');
  }
  return text(b, std::move(out.s));
}

// encoding/base64 StdEncoding.DecodeString; sprig returns the error text as the result.
std::string b64_decode_go(const std::string& s) {
  auto fail = [](std::size_t at) {
    return fmt::format("illegal base64 data at input byte {}", at);
  };
  std::string out;
  std::uint32_t quantum = 0;
  int j = 0;
  for (std::size_t si = 0; si < s.size(); ++si) {
    char c = s[si];
    if (c == '\n' || c == '\r') continue;
    if (c == '=') {
      if (j < 2) return fail(si);
      std::size_t k = si + 1;
      while (k < s.size() && (s[k] == '\n' || s[k] == '\r')) ++k;
      if (j == 2) {
        if (k >= s.size()) return fail(s.size());
        if (s[k] != '=') return fail(k);
        ++k;
        while (k < s.size() && (s[k] == '\n' || s[k] == '\r')) ++k;
      }
      if (k < s.size()) return fail(k);
      quantum <<= 6 * (4 - j);
      out += static_cast<char>(quantum >> 16);
      if (j == 3) out += static_cast<char>((quantum >> 8) & 0xFF);
      return out;
    }
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (v < 0) return fail(si);
    quantum = (quantum << 6) | static_cast<std::uint32_t>(v);
    if (++j == 4) {
      out += static_cast<char>(quantum >> 16);
      out += static_cast<char>((quantum >> 8) & 0xFF);
      out += static_cast<char>(quantum & 0xFF);
      quantum = 0;
      j = 0;
    }
  }
  if (j > 0) return fail(s.size() - static_cast<std::size_t>(j));
  return out;
}

json from_json(const std::string& s) {
  auto depth_limit = [](int depth, json::parse_event_t, json&) {
    if (depth > kTemplateMaxDepth) throw LimitError("fromJson: nesting too deep");
    return true;
  };
  json j;
  try {
    j = json::parse(s, depth_limit);
  } catch (const json::exception&) {
    return nullptr;  // sprig's fromJson ignores errors
  } catch (const LimitError&) {
    return nullptr;
  }
  // encoding/json decodes every number as float64.
  auto floats = [](auto& self, json& v) -> void {
    if (v.is_number())
      v = v.get<double>();
    else if (v.is_structured())
      for (json& c : v) self(self, c);
  };
  floats(floats, j);
  return j;
}

Value fn_default(Args& a, Budget&) { return a.size() < 2 || !truth(a[1].get()) ? a[0] : a[1]; }

Value fn_coalesce(Args& a, Budget&) {
  for (const Value& v : a) {
    if (truth(v.get())) return v;
  }
  return Value();
}

Value fn_dict(Args& a, Budget& b) {
  charge_copy(a, 0, b);
  json out = json::object();
  for (std::size_t i = 0; i < a.size(); i += 2)
    out[strval(a[i].get())] = i + 1 < a.size() ? a[i + 1].get() : json("");
  return Value::owned(std::move(out));
}

Value fn_list(Args& a, Budget& b) {
  charge_copy(a, 0, b);
  json out = json::array();
  for (const Value& v : a) out.push_back(v.get());
  return Value::owned(std::move(out));
}

std::string ascii_map(const std::string& s, int (*f)(int)) {
  std::string out = s;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(f(c));
  }
  return out;
}

bool is_go_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

#define FN(...)                     \
  [](Args& a, Budget& b) -> Value { \
    (void)a;                        \
    (void)b;                        \
    __VA_ARGS__                     \
  }

const std::map<std::string, Function, std::less<>>& functions() {
  using P = Param;
  static const std::map<std::string, Function, std::less<>> kFunctions = {
      // text/template builtins
      {"and", {{P::kAny, P::kAny}, true, FN(return a[0];)}},
      {"or", {{P::kAny, P::kAny}, true, FN(return a[0];)}},
      {"not", {{P::kAny}, false, FN(return boolean(!truth(a[0].get()));)}},
      {"len", {{P::kAny}, false, fn_len}},
      {"index", {{P::kAny, P::kAny}, true, fn_index}},
      {"eq", {{P::kAny, P::kAny}, true, fn_eq}},
      {"ne", {{P::kAny, P::kAny}, false, FN(return boolean(!eq2(a[0].get(), a[1].get()));)}},
      {"lt", {{P::kAny, P::kAny}, false, FN(return boolean(lt2(a[0].get(), a[1].get()));)}},
      {"le",
       {{P::kAny, P::kAny},
        false,
        FN(return boolean(lt2(a[0].get(), a[1].get()) || eq2(a[0].get(), a[1].get()));)}},
      {"gt",
       {{P::kAny, P::kAny},
        false,
        FN(return boolean(!lt2(a[0].get(), a[1].get()) && !eq2(a[0].get(), a[1].get()));)}},
      {"ge", {{P::kAny, P::kAny}, false, FN(return boolean(!lt2(a[0].get(), a[1].get()));)}},
      {"print", {{P::kAny}, true, fn_print}},
      {"println", {{P::kAny}, true, fn_println}},
      {"printf", {{P::kString, P::kAny}, true, FN(return text(b, go_sprintf(str(a[0]), a, 1));)}},
      // sprig
      {"b64enc",
       {{P::kString},
        false,
        FN(Budget::check_size(str(a[0]).size() / 3 * 4);
           return text(b, base64_encode(str(a[0])));)}},
      {"b64dec", {{P::kString}, false, FN(return text(b, b64_decode_go(str(a[0])));)}},
      {"quote", {{P::kAny}, true, fn_quote}},
      {"squote", {{P::kAny}, true, fn_squote}},
      {"upper",
       {{P::kString},
        false,
        FN(return text(b, ascii_map(str(a[0]), [](int c) { return std::toupper(c); }));)}},
      {"lower",
       {{P::kString},
        false,
        FN(return text(b, ascii_map(str(a[0]), [](int c) { return std::tolower(c); }));)}},
      {"trim",
       {{P::kString},
        false,
        FN(const std::string& s = str(a[0]); std::size_t i = 0, j = s.size();
           while (i < j && is_go_space(s[i]))++ i; while (j > i && is_go_space(s[j - 1]))-- j;
           return text(b, s.substr(i, j - i));)}},
      {"trimAll",
       {{P::kString, P::kString},
        false,
        FN(  // strings.Trim(s, cutset)
            const std::string& cut = str(a[0]), &s = str(a[1]); std::size_t i = 0, j = s.size();
            while (i < j && cut.find(s[i]) != std::string::npos)++ i;
            while (j > i && cut.find(s[j - 1]) != std::string::npos)-- j;
            return text(b, s.substr(i, j - i));)}},
      {"trimPrefix",
       {{P::kString, P::kString},
        false,
        FN(const std::string& p = str(a[0]), &s = str(a[1]);
           return text(b, s.starts_with(p) ? s.substr(p.size()) : s);)}},
      {"trimSuffix",
       {{P::kString, P::kString},
        false,
        FN(const std::string& p = str(a[0]), &s = str(a[1]);
           return text(b, s.ends_with(p) ? s.substr(0, s.size() - p.size()) : s);)}},
      {"replace", {{P::kString, P::kString, P::kString}, false, fn_replace}},
      {"contains",
       {{P::kString, P::kString},
        false,
        FN(return boolean(str(a[1]).find(str(a[0])) != std::string::npos);)}},
      {"hasPrefix",
       {{P::kString, P::kString}, false, FN(return boolean(str(a[1]).starts_with(str(a[0])));)}},
      {"hasSuffix",
       {{P::kString, P::kString}, false, FN(return boolean(str(a[1]).ends_with(str(a[0])));)}},
      {"indent",
       {{P::kInt, P::kString},
        false,
        FN(return text(b, indent_text(a[0]->get<std::int64_t>(), str(a[1])));)}},
      {"nindent",
       {{P::kInt, P::kString},
        false,
        FN(return text(b, "\n" + indent_text(a[0]->get<std::int64_t>(), str(a[1])));)}},
      {"repeat",
       {{P::kInt, P::kString},
        false,
        FN(std::int64_t n = a[0]->get<std::int64_t>();
           if (n < 0) throw FuncError("strings: negative Repeat count");
           if (n > 0 && str(a[1]).size() > kTemplateMaxOutput / static_cast<std::uint64_t>(n))
               Budget::check_size(kTemplateMaxOutput + 1);
           std::string out; for (std::int64_t i = 0; i < n; ++i) out += str(a[1]);
           return text(b, std::move(out));)}},
      {"trunc",
       {{P::kInt, P::kString},
        false,
        FN(std::int64_t c = a[0]->get<std::int64_t>(); const std::string& s = str(a[1]);
           auto len = static_cast<std::int64_t>(s.size());
           if (c < 0 && len + c > 0) return text(b, s.substr(static_cast<std::size_t>(len + c)));
           if (c >= 0 && len > c) return text(b, s.substr(0, static_cast<std::size_t>(c)));
           return a[1];)}},
      {"nospace",
       {{P::kString},
        false,
        FN(std::string s = str(a[0]); std::erase_if(s, is_go_space);
           return text(b, std::move(s));)}},
      {"cat",
       {{P::kAny},
        true,
        FN(Out out; for (const Value& v
                         : a) {
          if (v->is_null()) continue;
          if (!out.s.empty()) out.add(' ');
          format_v(out, v.get());
        } return text(b, std::move(out.s));)}},
      {"default", {{P::kAny, P::kAny}, true, fn_default}},
      {"empty", {{P::kAny}, false, FN(return boolean(!truth(a[0].get()));)}},
      {"coalesce", {{P::kAny}, true, fn_coalesce}},
      {"toString", {{P::kAny}, false, FN(return text(b, strval(a[0].get()));)}},
      {"toJson",
       {{P::kAny},
        false,
        FN(Out out; go_json(out, a[0].get()); return text(b, std::move(out.s));)}},
      {"fromJson",
       {{P::kString},
        false,
        FN(b.charge(str(a[0]).size() * 4); return Value::owned(from_json(str(a[0])));)}},
      {"toYaml",
       {{P::kAny},
        false,
        FN(Out out; yaml_node(out, a[0].get(), 0, false); std::string s = std::move(out.s);
           if (!s.empty() && s.back() == '\n') s.pop_back(); return text(b, std::move(s));)}},
      {"join", {{P::kString, P::kAny}, false, fn_join}},
      {"split", {{P::kString, P::kString}, false, fn_split}},
      {"list", {{P::kAny}, true, fn_list}},
      {"dict", {{P::kAny}, true, fn_dict}},
      {"get",
       {{P::kMap, P::kString},
        false,
        FN(if (a[0]->is_null()) return Value::owned(""); auto it = a[0]->find(str(a[1]));
           return it == a[0]->end() ? Value::owned("") : a[0].child(*it);)}},
      {"hasKey",
       {{P::kMap, P::kString},
        false,
        FN(return boolean(a[0]->is_object() && a[0]->contains(str(a[1])));)}},
      {"sha256sum", {{P::kString}, false, FN(return text(b, sha256_hex(str(a[0])));)}},
  };
  return kFunctions;
}

#undef FN

}  // namespace

std::string go_quote(std::string_view s) {
  Out out;
  quote_to(out, s, '"');
  return out.s;
}

std::string format_float(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Inf" : "+Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  std::string digits;
  int exp = 0;
  shortest_digits(d, &digits, &exp);
  return exp < -4 || exp >= 21 || (exp >= 6 && true) ? float_e_or_f(d, 'e') : float_e_or_f(d, 'f');
}

std::string describe_value(const json& j) {
  if (j.is_string())
    return fmt::format("string of {} bytes", j.get_ref<const std::string&>().size());
  if (j.is_array()) return fmt::format("{} of {} elements", go_type_name(j), j.size());
  if (j.is_object()) return fmt::format("{} of {} entries", go_type_name(j), j.size());
  if (j.is_null()) return "nil";
  return go_type_name(j);  // numbers and bools: the type only
}

std::string format_value(const json& j) {
  Out out;
  format_v(out, j);
  return out.s;
}

const Function* find_function(std::string_view name) {
  const auto& fns = functions();
  auto it = fns.find(name);
  return it == fns.end() ? nullptr : &it->second;
}

bool is_unsupported_function(std::string_view name) {
  static const std::string_view kUnsupported[] = {"html",
                                                  "js",
                                                  "urlquery",
                                                  "call",
                                                  "slice",
                                                  "b32enc",
                                                  "b32dec",
                                                  "abbrev",
                                                  "title",
                                                  "untitle",
                                                  "substr",
                                                  "wrap",
                                                  "plural",
                                                  "regexMatch",
                                                  "regexFind",
                                                  "regexFindAll",
                                                  "regexReplaceAll",
                                                  "regexReplaceAllLiteral",
                                                  "regexSplit",
                                                  "sha1sum",
                                                  "sha512sum",
                                                  "adler32sum",
                                                  "htpasswd",
                                                  "derivePassword",
                                                  "genPrivateKey",
                                                  "encryptAES",
                                                  "decryptAES",
                                                  "uuidv4",
                                                  "randAlphaNum",
                                                  "randAlpha",
                                                  "randNumeric",
                                                  "randAscii",
                                                  "now",
                                                  "date",
                                                  "dateInZone",
                                                  "toDate",
                                                  "unixEpoch",
                                                  "ago",
                                                  "semver",
                                                  "semverCompare",
                                                  "keys",
                                                  "values",
                                                  "pick",
                                                  "omit",
                                                  "merge",
                                                  "mergeOverwrite",
                                                  "append",
                                                  "prepend",
                                                  "first",
                                                  "last",
                                                  "rest",
                                                  "initial",
                                                  "uniq",
                                                  "without",
                                                  "has",
                                                  "compact",
                                                  "reverse",
                                                  "sortAlpha",
                                                  "splitList",
                                                  "splitn",
                                                  "until",
                                                  "seq",
                                                  "add",
                                                  "sub",
                                                  "mul",
                                                  "div",
                                                  "mod",
                                                  "max",
                                                  "min",
                                                  "int",
                                                  "int64",
                                                  "float64",
                                                  "atoi",
                                                  "typeOf",
                                                  "kindOf",
                                                  "kindIs",
                                                  "typeIs",
                                                  "deepEqual",
                                                  "required",
                                                  "fail",
                                                  "ternary",
                                                  "mustToJson",
                                                  "mustFromJson",
                                                  "toPrettyJson",
                                                  "toRawJson",
                                                  "fromYaml",
                                                  "pkcs12key",
                                                  "pkcs12keyPass",
                                                  "pkcs12cert",
                                                  "pkcs12certPass",
                                                  "filterPEM",
                                                  "jwkPublicKeyPem",
                                                  "jwkPrivateKeyPem",
                                                  "getHostByName",
                                                  "camelcase",
                                                  "snakecase",
                                                  "kebabcase",
                                                  "swapcase",
                                                  "shuffle",
                                                  "toStrings",
                                                  "base"};
  return std::find(std::begin(kUnsupported), std::end(kUnsupported), name) !=
         std::end(kUnsupported);
}

}  // namespace ecrhelm::gotemplate::detail
