#include "kube/authenticator.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strings.h"
#include "util/subprocess.h"

namespace ecrhelm::kube {
namespace {

inline constexpr std::chrono::milliseconds kExecTimeout{60000};
inline constexpr size_t kMaxTokenFileBytes = 64 << 10;
inline constexpr size_t kMaxStderrQuoted = 200;

std::string first_line(std::string_view text) {
  text = trim(text);
  std::string_view line = trim(text.substr(0, text.find('\n')));
  if (line.size() > kMaxStderrQuoted) return std::string(line.substr(0, kMaxStderrQuoted)) + "...";
  return std::string(line);
}

}  // namespace

ExecCredential parse_exec_credential(std::string_view json, const std::string& expected_api_version,
                                     const std::string& command) {
  auto doc = nlohmann::json::parse(json.begin(), json.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    fail(ErrorKind::kInvalidInput,
         "exec plugin {} printed {} bytes that are not an ExecCredential JSON object", command,
         json.size());
  }
  std::string kind = doc.value("kind", std::string());
  std::string api = doc.value("apiVersion", std::string());
  if (kind != "ExecCredential" || api != expected_api_version) {
    fail(ErrorKind::kInvalidInput,
         "exec plugin {} printed kind '{}' apiVersion '{}'; expected ExecCredential {} (the "
         "apiVersion in the kubeconfig must match the plugin's)",
         command, kind, api, expected_api_version);
  }
  auto status = doc.find("status");
  if (status == doc.end() || !status->is_object()) {
    fail(ErrorKind::kInvalidInput, "exec plugin {} printed an ExecCredential without status",
         command);
  }
  ExecCredential cred;
  if (auto t = status->find("token"); t != status->end() && t->is_string())
    cred.token = Secret(t->get<std::string>());
  cred.has_client_certificate =
      status->contains("clientCertificateData") || status->contains("clientKeyData");
  if (auto e = status->find("expirationTimestamp"); e != status->end() && !e->is_null()) {
    auto tp = e->is_string() ? parse_iso8601(e->get<std::string>()) : std::nullopt;
    if (!tp) {
      fail(ErrorKind::kInvalidInput,
           "exec plugin {} printed an expirationTimestamp that is not RFC 3339", command);
    }
    cred.expires = tp;
  }
  if (cred.token.empty() && !cred.has_client_certificate) {
    fail(ErrorKind::kInvalidInput,
         "exec plugin {} printed an ExecCredential with neither token nor client certificate",
         command);
  }
  if (cred.has_client_certificate && cred.token.empty()) {
    fail(ErrorKind::kUnsupported,
         "exec plugin {} returned a client certificate; ecrhelm supports token credentials from "
         "exec plugins only",
         command);
  }
  return cred;
}

Authenticator::Authenticator(const RestConfig& config, const Clock& clock)
    : config_(config), clock_(clock) {}

Secret Authenticator::run_exec() {
  const ExecConfig& ex = *config_.exec;
  if (exec_cached_ && (!exec_cached_->expires || clock_.now() < *exec_cached_->expires)) {
    return exec_cached_->token;
  }
  nlohmann::json info = {{"apiVersion", ex.api_version},
                         {"kind", "ExecCredential"},
                         {"spec", {{"interactive", false}}}};
  if (ex.provide_cluster_info) {
    nlohmann::json cluster = {{"server", config_.server},
                              {"insecure-skip-tls-verify", config_.tls.insecure_skip_verify}};
    if (!config_.tls.ca_pem.empty())
      cluster["certificate-authority-data"] = base64_encode(config_.tls.ca_pem);
    info["spec"]["cluster"] = cluster;
  }
  ProcessOptions po;
  po.timeout = kExecTimeout;
  po.extra_env["KUBERNETES_EXEC_INFO"] = info.dump();
  for (const auto& [k, v] : ex.env) po.extra_env[k] = v;
  std::vector<std::string> argv{ex.command};
  argv.insert(argv.end(), ex.args.begin(), ex.args.end());
  ProcessResult r;
  try {
    r = run_process(argv, po);
  } catch (const Error& e) {
    std::string hint = ex.install_hint.empty() ? "" : " (" + first_line(ex.install_hint) + ")";
    fail(e.kind(), "exec plugin {} could not be started: {}{}", ex.command, e.what(), hint);
  }
  if (r.timed_out)
    fail(ErrorKind::kNetwork, "exec plugin {} did not finish within {} s", ex.command,
         kExecTimeout.count() / 1000);
  if (r.exit_code != 0) {
    fail(ErrorKind::kUnauthorized, "exec plugin {} exited with code {}: {}", ex.command,
         r.exit_code, first_line(r.err));
  }
  exec_cached_ = parse_exec_credential(r.out, ex.api_version, ex.command);
  spdlog::debug("kube: exec plugin {} gave a token{}", ex.command,
                exec_cached_->expires ? " until " + format_iso8601(*exec_cached_->expires) : "");
  return exec_cached_->token;
}

Secret Authenticator::authorization() {
  std::lock_guard lock(mu_);
  if (!config_.bearer_token.empty()) return Secret("Bearer " + config_.bearer_token.reveal());
  if (!config_.bearer_token_file.empty()) {
    struct stat st {};
    if (::stat(config_.bearer_token_file.c_str(), &st) != 0) {
      fail(ErrorKind::kNotFound,
           "token file {} ({}) cannot be read; check the mount or kubeconfig tokenFile",
           config_.bearer_token_file, config_.source);
    }
    if (file_token_.empty() || st.st_size != file_size_ ||
        st.st_mtim.tv_sec != file_mtime_.tv_sec || st.st_mtim.tv_nsec != file_mtime_.tv_nsec) {
      file_token_ = Secret(std::string(
          trim(read_file(config_.bearer_token_file, "token file", kMaxTokenFileBytes))));
      file_mtime_ = st.st_mtim;
      file_size_ = st.st_size;
    }
    return Secret("Bearer " + file_token_.reveal());
  }
  if (config_.exec) return Secret("Bearer " + run_exec().reveal());
  if (!config_.username.empty()) {
    return Secret("Basic " + base64_encode(config_.username + ":" + config_.password.reveal()));
  }
  return Secret();
}

bool Authenticator::invalidate() {
  std::lock_guard lock(mu_);
  if (config_.exec) {
    exec_cached_.reset();
    return true;
  }
  if (!config_.bearer_token_file.empty() && config_.bearer_token.empty()) {
    file_token_ = Secret();  // re-read even if the mtime did not move
    return true;
  }
  return false;
}

}  // namespace ecrhelm::kube
