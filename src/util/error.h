// Error: the one exception type of ecrhelm. Its message says what failed, on
// which input or resource, and what to do; its kind picks the exit code.
// Messages never contain secret values (see util/secret.h).
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace ecrhelm {

enum class ErrorKind {
  kInvalidInput,  // bad flag, file, config or manifest: the user must fix it
  kNotFound,      // a file, profile, host or object that does not exist
  kUnauthorized,  // rejected credentials (401, SignatureDoesNotMatch, expired)
  kForbidden,     // authenticated but not allowed (403, AccessDenied)
  kConflict,      // the object changed since it was read (409): read again and retry
  kThrottled,     // the peer asked us to slow down
  kNetwork,       // connection, TLS or timeout failures
  kRemote,        // the peer answered with an error or an unreadable body
  kUnsupported,   // a valid configuration we do not implement yet
  kInternal,      // a bug in ecrhelm
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message)
      : std::runtime_error(std::move(message)), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

// Throws Error(kind, fmt::format(...)).
template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
  throw Error(kind, fmt::format(f, std::forward<Args>(args)...));
}

// Process exit code for an error kind (documented in the README).
int exit_code_for(ErrorKind kind);
const char* to_string(ErrorKind kind);

}  // namespace ecrhelm
