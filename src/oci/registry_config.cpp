#include "oci/registry_config.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <string_view>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm::oci {
namespace {

constexpr size_t kMaxConfigBytes = 4 << 20;

}  // namespace

namespace {

using json = nlohmann::json;

// Marks a number kept as its text (see ConfigSax::number_float); a control
// character, so no string of a real config starts with it (one that does is
// refused).
constexpr std::string_view kRawNumberMark =
    "\x01"
    "ecrhelm-raw-number:";
constexpr std::string_view kDumpedRawNumberMark = "\"\\u0001ecrhelm-raw-number:";

// nlohmann's DOM builder with two changes: nesting is limited (the parser is
// iterative, but dump() and friends recurse: a file nested 100,000 levels
// deep would overflow the stack), and, when rewriting, a number that would
// not be written back as it was read (12345678901234567890123 parses to a
// double, 1.10 dumps as 1.1) is kept as its text.
class ConfigSax {
 public:
  ConfigSax(json& root, bool keep_number_text) : dom_(root, false), keep_(keep_number_text) {}
  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const json::string_t& text) {
    if (!keep_ || json(v).dump() == text) return dom_.number_float(v, text);
    json::string_t raw = std::string(kRawNumberMark) + text;
    return dom_.string(raw);
  }
  bool string(json::string_t& v) { return !marked(v) && dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool key(json::string_t& k) { return !marked(k) && dom_.key(k); }
  bool start_object(std::size_t n) { return deeper() && dom_.start_object(n); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t n) { return deeper() && dom_.start_array(n); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t pos, const std::string& token,
                   const nlohmann::detail::exception& ex) {
    return dom_.parse_error(pos, token, ex);
  }
  bool too_deep() const { return too_deep_; }

 private:
  bool deeper() {
    if (++depth_ <= kMaxRegistryConfigDepth) return true;
    too_deep_ = true;
    return false;
  }
  static bool marked(const json::string_t& s) { return s.starts_with(kRawNumberMark); }
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  bool keep_;
  int depth_ = 0;
  bool too_deep_ = false;
};

json parse_config(const std::string& path, bool keep_number_text) {
  if (!file_exists(path)) return json::object();
  std::string text = read_file(path, "registry config", kMaxConfigBytes);
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  json j;
  ConfigSax sax(j, keep_number_text);
  bool ok = json::sax_parse(text, &sax);
  if (sax.too_deep()) {
    fail(ErrorKind::kInvalidInput,
         "registry config {} nests JSON deeper than {} levels; fix or move it away (it was not "
         "changed)",
         path, kMaxRegistryConfigDepth);
  }
  if (!ok || !j.is_object()) {
    fail(ErrorKind::kInvalidInput,
         "registry config {} is not a JSON object; fix or move it away (it was not changed)", path);
  }
  return j;
}

// dump(), with every number kept as text written back as it was read.
std::string dump_config(const json& j) {
  std::string out = j.dump(1, '\t');
  std::string result;
  size_t from = 0;
  for (size_t at; (at = out.find(kDumpedRawNumberMark, from)) != std::string::npos;) {
    size_t start = at + kDumpedRawNumberMark.size();
    size_t end = out.find('"', start);
    result.append(out, from, at - from).append(out, start, end - start);
    from = end + 1;
  }
  result.append(out, from);
  return result + "\n";
}

}  // namespace

nlohmann::json read_registry_config(const std::string& path) {
  return parse_config(path, /*keep_number_text=*/false);
}

namespace {

// Read, change and replace the file under an flock on a sibling lock file, so
// concurrent logins into one config all land; a symlinked file is resolved
// and its target written (the link stays), as Docker does.
void update(const std::string& path, const std::function<void(json&)>& change) {
  std::string target = resolve_symlinks(path);
  make_dirs(dirname_of(target), 0700);
  FileLock lock(target + ".lock");
  json j = parse_config(target, /*keep_number_text=*/true);
  change(j);
  write_file_atomic(target, dump_config(j), 0600, 0700);
}

nlohmann::json& object_member(nlohmann::json& j, const char* key, const std::string& path) {
  if (!j.contains(key)) j[key] = nlohmann::json::object();
  if (!j[key].is_object()) {
    fail(ErrorKind::kInvalidInput, "registry config {}: \"{}\" is not an object; fix the file",
         path, key);
  }
  return j[key];
}

}  // namespace

std::string helm_registry_config_path(const Env& env) {
  if (auto p = env.get_nonempty("HELM_REGISTRY_CONFIG")) return *p;
  if (auto x = env.get_nonempty("XDG_CONFIG_HOME")) return *x + "/helm/registry/config.json";
  return env.home() + "/.config/helm/registry/config.json";
}

std::string docker_config_path(const Env& env) {
  if (auto d = env.get_nonempty("DOCKER_CONFIG")) return *d + "/config.json";
  return env.home() + "/.docker/config.json";
}

void store_basic_auth(const std::string& path, const std::string& host, const std::string& user,
                      const Secret& password) {
  update(path, [&](json& j) {
    auto& auths = object_member(j, "auths", path);
    auths[host] = {{"auth", base64_encode(user + ":" + password.reveal())}};
  });
}

void store_cred_helper(const std::string& path, const std::string& host,
                       const std::string& helper) {
  store_cred_helpers(path, {host}, helper);
}

void store_cred_helpers(const std::string& path, const std::vector<std::string>& hosts,
                        const std::string& helper) {
  update(path, [&](json& j) {
    auto& helpers = object_member(j, "credHelpers", path);
    for (const auto& host : hosts) helpers[host] = helper;
    // Docker, Helm and oras ask credHelpers before auths: a password left in
    // auths for these hosts would only be a stale secret at rest.
    if (auto a = j.find("auths"); a != j.end() && a->is_object())
      for (const auto& host : hosts) a->erase(host);
  });
}

std::optional<std::string> creds_store(const std::string& path) {
  auto j = read_registry_config(path);
  if (auto it = j.find("credsStore");
      it != j.end() && it->is_string() && !it->get<std::string>().empty())
    return it->get<std::string>();
  return std::nullopt;
}

}  // namespace ecrhelm::oci
