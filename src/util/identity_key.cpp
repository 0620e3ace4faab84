#include "util/identity_key.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/crypto.h"
#include "util/encoding.h"
#include "util/error.h"
#include "util/fs.h"

namespace ecrhelm {
namespace {

void append_field(std::string& out, std::string_view s) {
  out += std::to_string(s.size());
  out += ':';
  out.append(s);
}

std::optional<Secret> read_key(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  if ((st.st_mode & 077) != 0 || st.st_uid != ::geteuid()) {
    spdlog::debug("identity key {} is readable by others or not ours; not using it", path);
    return std::nullopt;
  }
  try {
    std::string hex = read_file(path, "identity key", 4 * kIdentityKeyBytes);
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    auto raw = hex_decode(hex);
    if (!raw || raw->size() != kIdentityKeyBytes) return std::nullopt;
    return Secret(std::move(*raw));
  } catch (const Error& e) {
    spdlog::debug("identity key {} unreadable: {}", path, e.what());
    return std::nullopt;
  }
}

}  // namespace

IdentityMaterial& IdentityMaterial::add(std::string_view field, std::string_view value) {
  std::string s = encoded_.reveal();
  append_field(s, field);
  append_field(s, value);
  encoded_ = Secret(std::move(s));
  return *this;
}

IdentityMaterial& IdentityMaterial::add(std::string_view field, const Secret& value) {
  return add(field, std::string_view(value.reveal()));
}

IdentityKeyer IdentityKeyer::random() {
  return IdentityKeyer(Secret(random_bytes(kIdentityKeyBytes)));
}

std::optional<IdentityKeyer> IdentityKeyer::from_key_file(const std::string& path) {
  if (auto k = read_key(path)) return IdentityKeyer(std::move(*k));
  // Create it: a temp file renamed only if no key exists yet (link() fails
  // when path exists), so two first runs agree on one key.
  try {
    make_dirs(dirname_of(path), 0700);
    std::string tmp = path + ".tmp." + hex_encode(random_bytes(6));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail(ErrorKind::kInvalidInput, "cannot create {}: {}", tmp, std::strerror(errno));
    std::string hex = hex_encode(random_bytes(kIdentityKeyBytes)) + "\n";
    bool ok =
        ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (ok && ::link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) ok = false;
    ::unlink(tmp.c_str());
    if (!ok) fail(ErrorKind::kInvalidInput, "cannot write {}", path);
  } catch (const Error& e) {
    spdlog::debug("identity key {}: {}", path, e.what());
    return std::nullopt;
  }
  if (auto k = read_key(path)) return IdentityKeyer(std::move(*k));
  return std::nullopt;
}

std::string IdentityKeyer::name(const IdentityMaterial& material) const {
  return hex_encode(hmac_sha256(key_.reveal(), material.encoded().reveal()))
      .substr(0, kIdentityNameHexChars);
}

}  // namespace ecrhelm
