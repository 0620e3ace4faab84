#include "cli/help.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "util/error.h"
#include "util/strings.h"

namespace ecrhelm::cli {
namespace {

std::map<const CLI::App*, std::vector<Example>>& example_table() {
  static std::map<const CLI::App*, std::vector<Example>> table;
  return table;
}

// Subcommands a user may call (hidden ones, group "", are left out).
std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

// The words that lead to APP from the root: "" for the root, "policy read" below.
std::string command_path(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* a = &app; a->get_parent() != nullptr; a = a->get_parent())
    names.insert(names.begin(), a->get_name());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : " ") + n;
  return out;
}

struct Flag {
  std::vector<std::string> names;  // "-o", "--output"
  bool takes_value = false;
  std::vector<std::string> choices;  // from an IsMember or output_formats validator
  std::string value_name;            // TEXT, INT, FILE...
  std::string description;
};

struct Positional {
  std::string name;
  bool required = false;
  bool repeated = false;
  std::vector<std::string> choices;
  std::string description;
};

// CLI11 describes an option's type and validators as "TEXT:{a,b}" or
// "TEXT:text|json"; the values after the type are its choices.
std::vector<std::string> choices_of(const std::string& type_name) {
  auto colon = type_name.find(':');
  if (colon == std::string::npos) return {};
  std::string rest = type_name.substr(colon + 1);
  char sep = '|';
  if (rest.size() > 2 && rest.front() == '{' && rest.back() == '}') {
    rest = rest.substr(1, rest.size() - 2);
    sep = ',';
  } else if (rest.find('|') == std::string::npos) {
    return {};
  }
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= rest.size(); ++i) {
    if (i == rest.size() || rest[i] == sep) {
      std::string v = rest.substr(start, i - start);
      if (v.empty() ||
          v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
        return {};  // not a list of words (a range, a path check...)
      out.push_back(v);
      start = i + 1;
    }
  }
  return out;
}

std::string value_name_of(const std::string& type_name) {
  return type_name.substr(0, type_name.find(':'));
}

std::vector<Flag> flags_of(const CLI::App& app) {
  std::vector<Flag> out;
  for (const CLI::Option* o : app.get_options()) {
    if (!o->nonpositional()) continue;
    Flag f;
    for (const auto& s : o->get_snames()) f.names.push_back("-" + s);
    for (const auto& l : o->get_lnames()) f.names.push_back("--" + l);
    f.takes_value = o->get_type_size() != 0;
    if (f.takes_value) {
      f.choices = choices_of(o->get_type_name());
      f.value_name = value_name_of(o->get_type_name());
    }
    f.description = o->get_description();
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<Positional> positionals_of(const CLI::App& app) {
  std::vector<Positional> out;
  for (const CLI::Option* o : app.get_options()) {
    if (o->nonpositional()) continue;
    Positional p;
    p.name = o->get_name();
    p.required = o->get_required();
    p.repeated = o->get_expected_max() > 1;
    p.choices = choices_of(o->get_type_name());
    p.description = o->get_description();
    out.push_back(std::move(p));
  }
  return out;
}

// ---- bash ------------------------------------------------------------------

// Every command path, depth first: "", "whoami", ..., "policy", "policy read".
void collect(const CLI::App& app, std::vector<const CLI::App*>& out) {
  out.push_back(&app);
  for (const CLI::App* s : visible_subcommands(app)) collect(*s, out);
}

std::string bash_quote(const std::string& s) { return "'" + s + "'"; }

std::string bash_body(const CLI::App& root) {
  std::vector<const CLI::App*> all;
  collect(root, all);
  std::string subs, flags, values, args;
  for (const CLI::App* a : all) {
    std::string path = bash_quote(command_path(*a));
    std::vector<std::string> names;
    for (const CLI::App* s : visible_subcommands(*a)) names.push_back(s->get_name());
    if (!names.empty()) subs += fmt::format("    {}) echo {} ;;\n", path, join(names, " "));
    std::vector<std::string> flag_names;
    for (const Flag& f : flags_of(*a)) {
      for (const auto& n : f.names) {
        flag_names.push_back(n);
        if (f.takes_value)
          values += fmt::format("    {}) echo {} ;;\n", bash_quote(command_path(*a) + "|" + n),
                                f.choices.empty() ? "__file" : join(f.choices, " "));
      }
    }
    flags += fmt::format("    {}) echo {} ;;\n", path, join(flag_names, " "));
    std::vector<std::string> choices;
    for (const Positional& p : positionals_of(*a))
      choices.insert(choices.end(), p.choices.begin(), p.choices.end());
    if (!choices.empty()) args += fmt::format("    {}) echo {} ;;\n", path, join(choices, " "));
  }
  std::string out =
      fmt::format(R"(# ecrhelm's command and flag table, from `ecrhelm completion` (do not edit).
__ecrhelm_subcommands() {{
  case "$1" in
{}  esac
}}
__ecrhelm_flags() {{
  case "$1" in
{}  esac
}}
# The values a flag takes: a word list, or __file (complete file names).
__ecrhelm_flag_values() {{
  case "$1|$2" in
{}  esac
}}
__ecrhelm_arguments() {{
  case "$1" in
{}  esac
}}
)",
                  subs, flags, values, args);
  // clang-format off
  out += R"SH(_ecrhelm() {
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" i w subs values
  [[ $COMP_CWORD -gt 0 ]] && prev="${COMP_WORDS[COMP_CWORD-1]}"
  # The command path so far; a flag's value is not a subcommand.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    if [[ $w == -* ]]; then
      [[ $w != *=* && -n "$(__ecrhelm_flag_values "$path" "$w")" ]] && ((i++))
      continue
    fi
    subs=" $(__ecrhelm_subcommands "$path") "
    [[ $subs == *" $w "* ]] && path="${path:+$path }$w"
  done
  COMPREPLY=()
  if [[ $prev == -* && $cur != -* ]]; then
    values="$(__ecrhelm_flag_values "$path" "$prev")"
    if [[ $values == __file ]]; then
      COMPREPLY=($(compgen -f -- "$cur"))
      return 0
    elif [[ -n $values ]]; then
      COMPREPLY=($(compgen -W "$values" -- "$cur"))
      return 0
    fi
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(__ecrhelm_flags "$path")" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$(__ecrhelm_subcommands "$path") $(__ecrhelm_arguments "$path")" -- "$cur"))
    [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
)SH";
  // clang-format on
  return out;
}

// ---- troff -----------------------------------------------------------------

// Text for a troff body line: backslashes and hyphens escaped, no line taken
// for a request.
std::string roff(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string man_flags(const std::vector<Flag>& flags) {
  std::string out;
  for (const Flag& f : flags) {
    std::vector<std::string> names;
    for (const auto& n : f.names) names.push_back("\\fB" + roff(n) + "\\fR");
    std::string value;
    if (f.takes_value)
      value = " \\fI" + roff(f.choices.empty() ? f.value_name : join(f.choices, "|")) + "\\fR";
    out += ".TP\n" + join(names, ", ") + value + "\n" + roff(f.description) + "\n";
  }
  return out;
}

std::string man_examples(const CLI::App& app) {
  const auto& ex = examples_of(&app);
  if (ex.empty()) return "";
  std::string out = ".SH EXAMPLES\n";
  for (const Example& e : ex) {
    if (!e.comment.empty()) out += ".PP\n" + roff(e.comment) + ":\n";
    out += ".PP\n.RS 4\n.nf\n" + roff(e.command) + "\n.fi\n.RE\n";
  }
  return out;
}

std::string synopsis(const CLI::App& app) {
  std::string out = "\\fBecrhelm " + roff(command_path(app)) + "\\fR";
  if (!visible_subcommands(app).empty()) out += " \\fICOMMAND\\fR";
  if (!flags_of(app).empty()) out += " [\\fIFLAGS\\fR]";
  for (const Positional& p : positionals_of(app)) {
    std::string n = "\\fI" + roff(upper(p.name)) + "\\fR" + (p.repeated ? "..." : "");
    out += " " + (p.required ? n : "[" + n + "]");
  }
  return out;
}

std::string header(const std::string& name, const std::string& version) {
  return fmt::format(".TH {} 1 \"\" \"ecrhelm {}\" \"User Commands\"\n", roff(upper(name)),
                     roff(version));
}

std::string command_page(const CLI::App& app, const std::string& version) {
  std::string path = command_path(app);
  std::string page_name = "ecrhelm-" + path;
  std::string out = header(page_name, version);
  out += ".SH NAME\n" + roff(page_name) + " \\- " + roff(app.get_description()) + "\n";
  out += ".SH SYNOPSIS\n" + synopsis(app) + "\n";
  out += ".SH DESCRIPTION\n" + roff(app.get_description()) + ".\n";
  auto pos = positionals_of(app);
  if (!pos.empty()) {
    out += ".SH ARGUMENTS\n";
    for (const Positional& p : pos) {
      std::string choices = p.choices.empty() ? "" : " (" + join(p.choices, ", ") + ")";
      out += ".TP\n\\fI" + roff(upper(p.name)) + "\\fR\n" + roff(p.description + choices) + "\n";
    }
  }
  auto flags = flags_of(app);
  if (!flags.empty()) out += ".SH FLAGS\n" + man_flags(flags);
  auto subs = visible_subcommands(app);
  if (!subs.empty()) {
    out += ".SH COMMANDS\n";
    for (const CLI::App* s : subs) {
      out += ".SS " + roff(command_path(*s)) + "\n" + synopsis(*s) + "\n.PP\n" +
             roff(s->get_description()) + ".\n";
      auto sub_flags = flags_of(*s);
      if (!sub_flags.empty()) out += man_flags(sub_flags);
    }
  }
  out += man_examples(app);
  std::string sub_examples;
  for (const CLI::App* s : subs) sub_examples += man_examples(*s);
  if (!sub_examples.empty() && examples_of(&app).empty()) out += sub_examples;
  out += ".SH SEE ALSO\n\\fBecrhelm\\fR(1)\n";
  return out;
}

std::string root_page(const CLI::App& root, const std::string& version) {
  std::string out = header("ecrhelm", version);
  out += ".SH NAME\necrhelm \\- " +
         roff(root.get_description().substr(root.get_description().find(':') + 2)) + "\n";
  out += ".SH SYNOPSIS\n\\fBecrhelm\\fR [\\fIGLOBAL FLAGS\\fR] \\fICOMMAND\\fR [\\fIFLAGS\\fR]\n";
  out +=
      ".br\n\\fBdocker\\-credential\\-ecrhelm\\fR \\fIget\\fR|\\fIlist\\fR|\\fIstore\\fR|"
      "\\fIerase\\fR\n";
  out += ".SH DESCRIPTION\n" + roff(root.get_description()) + ".\n.PP\n" +
         roff(
             "Called as docker-credential-ecrhelm (a link to the binary), it speaks the Docker "
             "credential-helper protocol, as `ecrhelm credential-helper`.") +
         "\n";
  out += ".SH GLOBAL FLAGS\n" + man_flags(flags_of(root));
  out += ".SH COMMANDS\n";
  std::vector<std::string> see_also;
  for (const CLI::App* s : visible_subcommands(root)) {
    out += ".TP\n\\fB" + roff(s->get_name()) + "\\fR\n" + roff(s->get_description()) +
           "; see \\fBecrhelm\\-" + roff(s->get_name()) + "\\fR(1).\n";
    see_also.push_back("\\fBecrhelm\\-" + roff(s->get_name()) + "\\fR(1)");
  }
  out += man_examples(root);
  out += ".SH EXIT STATUS\n";
  for (const char* line :
       {"0 ok", "1 remote or internal error", "2 bad input or unsupported",
        "3 rejected credentials or permission", "4 not found", "5 network or throttled"}) {
    std::string l = line;
    out += ".TP\n\\fB" + l.substr(0, 1) + "\\fR\n" + roff(l.substr(2)) + "\n";
  }
  out += ".SH ENVIRONMENT\n" +
         roff(
             "The AWS SDK variables (AWS_REGION, AWS_PROFILE, AWS_ROLE_ARN, "
             "AWS_WEB_IDENTITY_TOKEN_FILE, ...), KUBECONFIG, HELM_REGISTRY_CONFIG, DOCKER_CONFIG, "
             "ECRHELM_CACHE_DIR, ECRHELM_NO_CACHE.") +
         "\n";
  out += ".SH SEE ALSO\n" + join(see_also, ",\n") + ",\n\\fBhelm\\fR(1)\n";
  return out;
}

}  // namespace

void set_examples(CLI::App* app, const std::vector<Example>& examples) {
  example_table()[app] = examples;
  // Comments aligned after the commands that fit in kCommentColumn, above the others.
  constexpr size_t kCommentColumn = 60;
  size_t width = 0;
  for (const auto& e : examples)
    if (e.command.size() <= kCommentColumn) width = std::max(width, e.command.size());
  std::string text = "\nExamples:\n";
  for (const auto& e : examples) {
    bool inline_comment = e.command.size() <= kCommentColumn;
    if (!e.comment.empty() && !inline_comment) text += "  # " + e.comment + "\n";
    text += "  " + e.command;
    if (!e.comment.empty() && inline_comment)
      text += std::string(width - e.command.size() + 2, ' ') + "# " + e.comment;
    text += "\n";
  }
  app->footer(text);
}

const std::vector<Example>& examples_of(const CLI::App* app) {
  static const std::vector<Example> none;
  auto it = example_table().find(app);
  return it == example_table().end() ? none : it->second;
}

std::string bash_completion(const CLI::App& root) {
  return "# bash completion for ecrhelm: source <(ecrhelm completion bash)\n" + bash_body(root) +
         "complete -F _ecrhelm ecrhelm\n";
}

std::string zsh_completion(const CLI::App& root) {
  return "#compdef ecrhelm\n"
         "# zsh completion for ecrhelm: ecrhelm completion zsh > \"${fpath[1]}/_ecrhelm\"\n"
         "autoload -U +X bashcompinit && bashcompinit\n" +
         bash_body(root) + "complete -F _ecrhelm ecrhelm\n";
}

std::map<std::string, std::string> man_pages(const CLI::App& root, const std::string& version) {
  std::map<std::string, std::string> pages;
  pages["ecrhelm.1"] = root_page(root, version);
  for (const CLI::App* s : visible_subcommands(root))
    pages["ecrhelm-" + s->get_name() + ".1"] = command_page(*s, version);
  return pages;
}

Command add_completion(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("completion", "print a shell completion script (bash or zsh)");
  sub->add_option("shell", *shell, "bash or zsh")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh"}));
  set_examples(sub, {{"source <(ecrhelm completion bash)", "this shell only"},
                     {"ecrhelm completion bash > /etc/bash_completion.d/ecrhelm", "every shell"},
                     {"ecrhelm completion zsh > \"${fpath[1]}/_ecrhelm\"", "zsh"}});
  return {sub, [&app, shell]() {
            std::cout << (*shell == "bash" ? bash_completion(app) : zsh_completion(app));
            return 0;
          }};
}

Command add_man(CLI::App& app, const std::string& version) {
  auto dir = std::make_shared<std::string>();
  // Hidden (group ""): the build's docs target runs it; users read the result.
  auto* sub = app.add_subcommand("man", "write the man pages (ecrhelm.1, ecrhelm-COMMAND.1)");
  sub->group("");
  sub->add_option("dir", *dir, "folder to write into")->required();
  return {sub, [&app, dir, version]() {
            std::filesystem::create_directories(*dir);
            for (const auto& [name, text] : man_pages(app, version)) {
              std::string path = *dir + "/" + name;
              std::ofstream f(path, std::ios::binary | std::ios::trunc);
              f << text;
              f.close();
              if (!f)
                throw Error(
                    ErrorKind::kInvalidInput,
                    fmt::format("cannot write {}: check that the folder is writable", path));
            }
            return 0;
          }};
}

}  // namespace ecrhelm::cli
