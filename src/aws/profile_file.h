// The shared config and credentials files (~/.aws/config, ~/.aws/credentials)
// parsed as the AWS CLI reads them, merged into named profiles.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/env.h"

namespace ecrhelm::aws {

struct ProfileValue {
  std::string value;
  std::string file;  // where it was set, for error messages
  int line = 0;
  bool from_credentials_file = false;  // botocore ranks these static keys above credential_process
};

struct Profile {
  std::string name;
  std::map<std::string, ProfileValue, std::less<>> values;  // keys lower-cased
  const ProfileValue* get(std::string_view key) const;
};

struct IniSection {
  std::string name;  // raw section header text, trimmed
  int line = 0;
  std::map<std::string, ProfileValue, std::less<>> values;
};

// Parses INI text as botocore does (comments '#'/';', "key = value", indented
// continuation lines for nested values). Throws Error(kInvalidInput) naming
// file and line. Fuzzed.
std::vector<IniSection> parse_ini(std::string_view text, const std::string& file);

class ProfileSet {
 public:
  // Reads AWS_CONFIG_FILE (default ~/.aws/config, "[profile x]" / "[default]")
  // and AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials, "[x]");
  // missing files are fine, malformed ones throw. Credentials-file keys win.
  static ProfileSet load(const Env& env);
  // The names are what error messages call the two files.
  static ProfileSet from_text(std::string_view config, std::string_view credentials,
                              const std::string& config_name = "config",
                              const std::string& credentials_name = "credentials");
  const Profile* find(std::string_view name) const;
  std::vector<std::string> names() const;
  // Config-file sections that are not profiles ("sso-session x", "services x", ...).
  const IniSection* find_section(std::string_view raw_name) const;
  // The files consulted, for messages: "~/.aws/config, ~/.aws/credentials (missing)".
  const std::string& files_description() const { return files_; }

 private:
  void add_config(const std::vector<IniSection>& sections);
  void add_credentials(const std::vector<IniSection>& sections);
  std::map<std::string, Profile, std::less<>> profiles_;
  std::map<std::string, IniSection, std::less<>> other_sections_;
  std::string files_;
};

// The two file paths as configured (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE
// or the defaults), unexpanded: "~/.aws/config".
std::string config_file_path(const Env& env);
std::string credentials_file_path(const Env& env);
// "~" and "~/x" expanded with Env::home(); other paths unchanged.
std::string expand_home(const std::string& path, const Env& env);

// AWS_PROFILE, then AWS_DEFAULT_PROFILE, then "default".
std::string selected_profile_name(const Env& env);
// `region` of the selected profile, if the files set one.
std::optional<std::string> region_from_profile(const Env& env);

}  // namespace ecrhelm::aws
