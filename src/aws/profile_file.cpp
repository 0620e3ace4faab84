// Reads ~/.aws/config and ~/.aws/credentials the way botocore does, so a file that works with the
// AWS CLI works here, and a broken one is reported with its file and line.
#include "aws/profile_file.h"

#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"

namespace ecrhelm::aws {
namespace {

// The shared files are a few KiB; anything this big is the wrong file.
inline constexpr size_t kMaxProfileFileBytes = 4 << 20;

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// Cuts an inline comment: '#' or ';' counts only after whitespace (or at the very start), so
// values such as "arn:aws:...;x" or "a#b" keep their characters.
std::string_view strip_inline_comment(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] == '#' || s[i] == ';') && (i == 0 || is_blank(s[i - 1]))) return trim(s.substr(0, i));
  }
  return trim(s);
}

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && is_blank(line[n])) ++n;
  return n;
}

// The profile named by a config-file section header, or nullopt for other section kinds.
// botocore shlex-splits "profile NAME" and keeps it only with exactly two words.
std::optional<std::string> config_profile_name(std::string_view raw) {
  if (raw == "default") return std::string("default");
  constexpr std::string_view kPrefix = "profile";
  if (raw.size() <= kPrefix.size() || raw.substr(0, kPrefix.size()) != kPrefix ||
      !is_blank(raw[kPrefix.size()])) {
    return std::nullopt;
  }
  std::string_view rest = trim(raw.substr(kPrefix.size()));
  if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"') {
    rest = rest.substr(1, rest.size() - 2);
    if (rest.find('"') != std::string_view::npos) return std::nullopt;
    return std::string(rest);
  }
  if (rest.empty()) return std::nullopt;
  for (char c : rest) {
    if (is_blank(c) || c == '"' || c == '\'') return std::nullopt;
  }
  return std::string(rest);
}

// A profile-kind config section that botocore skips ("[profile]", "[profile a b]"): not an
// error, but also not an "other" section.
bool looks_like_profile_header(std::string_view raw) { return raw.substr(0, 7) == "profile"; }

void merge_values(Profile& p, const IniSection& s, bool from_credentials) {
  for (const auto& [key, v] : s.values) {
    ProfileValue pv = v;
    pv.from_credentials_file = from_credentials;
    p.values[key] = std::move(pv);
  }
}

}  // namespace

const ProfileValue* Profile::get(std::string_view key) const {
  auto it = values.find(key);
  return it == values.end() ? nullptr : &it->second;
}

std::vector<IniSection> parse_ini(std::string_view text, const std::string& file) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM from editors

  std::vector<IniSection> sections;
  // The key whose value indented lines continue, if any (configparser's rule: a line indented
  // deeper than its key line continues that key's value).
  std::string cont_key;
  size_t cont_indent = 0;
  bool cont_nested = false;  // "s3 =" followed by "  key = value" lines

  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    size_t indent = indent_of(line);
    std::string_view body = trim(line);
    if (body.empty() || body.front() == '#' || body.front() == ';') continue;

    if (!cont_key.empty() && indent > cont_indent) {
      IniSection& cur = sections.back();
      std::string_view part = strip_inline_comment(body);
      if (part.empty()) continue;
      if (cont_nested) {
        auto eq = part.find('=');
        if (eq == std::string_view::npos || trim(part.substr(0, eq)).empty()) {
          fail(ErrorKind::kInvalidInput,
               "{} line {}: expected 'key = value' in the indented block under '{}' inside [{}]; "
               "indent only the settings of a nested block such as 's3 ='",
               file, lineno, cont_key, cur.name);
        }
      }
      ProfileValue& v = cur.values[cont_key];
      v.value += '\n';
      v.value += part;
      continue;
    }
    cont_key.clear();

    if (body.front() == '[') {
      size_t close = body.find(']');
      if (close == std::string_view::npos) {
        fail(ErrorKind::kInvalidInput,
             "{} line {}: section header is missing its closing ']'; write it as [name]", file,
             lineno);
      }
      std::string_view name = trim(body.substr(1, close - 1));
      if (name.empty()) {
        fail(ErrorKind::kInvalidInput,
             "{} line {}: empty section name '[]'; write [default] or [profile NAME]", file,
             lineno);
      }
      std::string_view after = trim(body.substr(close + 1));
      if (!after.empty() && after.front() != '#' && after.front() != ';') {
        fail(ErrorKind::kInvalidInput,
             "{} line {}: unexpected text after ']' in the section header [{}]; only a comment "
             "may follow it",
             file, lineno, name);
      }
      // As the AWS CLI v1 (Python's configparser, strict): one header per
      // section and file; a second one would merge silently otherwise.
      for (const auto& earlier : sections) {
        if (earlier.name == name) {
          fail(ErrorKind::kInvalidInput,
               "{} line {}: section [{}] already appears on line {}; merge the two into one", file,
               lineno, name, earlier.line);
        }
      }
      IniSection s;
      s.name = std::string(name);
      s.line = lineno;
      sections.push_back(std::move(s));
      continue;
    }

    if (sections.empty()) {
      fail(ErrorKind::kInvalidInput,
           "{} line {}: setting outside any section; put it under [default] or a "
           "[profile NAME] header",
           file, lineno);
    }
    IniSection& cur = sections.back();
    auto eq = body.find('=');
    if (eq == std::string_view::npos) {
      // The line itself is never echoed: it may be a pasted secret.
      fail(ErrorKind::kInvalidInput, "{} line {}: expected 'key = value' inside [{}]", file, lineno,
           cur.name);
    }
    std::string key = to_lower(trim(body.substr(0, eq)));
    if (key.empty()) {
      fail(ErrorKind::kInvalidInput, "{} line {}: missing key before '=' inside [{}]", file, lineno,
           cur.name);
    }
    // The text after '=' keeps its leading blank so "key = # note" is an empty value.
    std::string_view raw_value = body.substr(eq + 1);
    std::string value(strip_inline_comment(raw_value));
    ProfileValue& v = cur.values[key];  // a repeated key: the later one wins
    v.value = value;
    v.file = file;
    v.line = lineno;
    cont_key = key;
    cont_indent = indent;
    cont_nested = value.empty();
  }
  return sections;
}

void ProfileSet::add_config(const std::vector<IniSection>& sections) {
  for (const auto& s : sections) {
    if (auto name = config_profile_name(s.name)) {
      Profile& p = profiles_[*name];
      p.name = *name;
      merge_values(p, s, false);
    } else if (!looks_like_profile_header(s.name)) {
      auto [it, inserted] = other_sections_.try_emplace(s.name, s);
      if (!inserted) {
        for (const auto& [k, v] : s.values) it->second.values[k] = v;
      }
    }
  }
}

void ProfileSet::add_credentials(const std::vector<IniSection>& sections) {
  // Every section of the credentials file is a profile, named as written.
  for (const auto& s : sections) {
    Profile& p = profiles_[s.name];
    p.name = s.name;
    merge_values(p, s, true);
  }
}

ProfileSet ProfileSet::from_text(std::string_view config, std::string_view credentials,
                                 const std::string& config_name,
                                 const std::string& credentials_name) {
  ProfileSet set;
  set.add_config(parse_ini(config, config_name));
  set.add_credentials(parse_ini(credentials, credentials_name));
  set.files_ = config_name + ", " + credentials_name;
  return set;
}

ProfileSet ProfileSet::load(const Env& env) {
  ProfileSet set;
  auto read = [&](const std::string& shown, const char* what) -> std::optional<std::string> {
    std::string path = expand_home(shown, env);
    if (!set.files_.empty()) set.files_ += ", ";
    set.files_ += shown;
    if (!file_exists(path)) {
      set.files_ += " (missing)";
      return std::nullopt;
    }
    return read_file(path, what, kMaxProfileFileBytes);
  };
  std::string config_path = config_file_path(env);
  std::string creds_path = credentials_file_path(env);
  if (auto text = read(config_path, "AWS config file"))
    set.add_config(parse_ini(*text, config_path));
  if (auto text = read(creds_path, "AWS shared credentials file")) {
    set.add_credentials(parse_ini(*text, creds_path));
  }
  return set;
}

const Profile* ProfileSet::find(std::string_view name) const {
  auto it = profiles_.find(name);
  return it == profiles_.end() ? nullptr : &it->second;
}

std::vector<std::string> ProfileSet::names() const {
  std::vector<std::string> out;
  out.reserve(profiles_.size());
  for (const auto& [name, p] : profiles_) out.push_back(name);
  return out;
}

const IniSection* ProfileSet::find_section(std::string_view raw_name) const {
  auto it = other_sections_.find(raw_name);
  return it == other_sections_.end() ? nullptr : &it->second;
}

std::string config_file_path(const Env& env) {
  return env.get_nonempty("AWS_CONFIG_FILE").value_or("~/.aws/config");
}

std::string credentials_file_path(const Env& env) {
  return env.get_nonempty("AWS_SHARED_CREDENTIALS_FILE").value_or("~/.aws/credentials");
}

std::string expand_home(const std::string& path, const Env& env) {
  if (path == "~") return env.home();
  if (path.size() >= 2 && path[0] == '~' && path[1] == '/') {
    std::string home = env.home();
    if (!home.empty() && home.back() == '/') home.pop_back();
    return home + path.substr(1);
  }
  return path;
}

std::string selected_profile_name(const Env& env) {
  if (auto p = env.get_nonempty("AWS_PROFILE")) return *p;
  if (auto p = env.get_nonempty("AWS_DEFAULT_PROFILE")) return *p;
  return "default";
}

std::optional<std::string> region_from_profile(const Env& env) {
  ProfileSet set = ProfileSet::load(env);
  const Profile* p = set.find(selected_profile_name(env));
  if (!p) return std::nullopt;
  const ProfileValue* r = p->get("region");
  if (!r || trim(r->value).empty()) return std::nullopt;
  return std::string(trim(r->value));
}

}  // namespace ecrhelm::aws
