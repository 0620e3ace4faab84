#include "util/error.h"

namespace ecrhelm {

int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
    case ErrorKind::kUnsupported:
      return 2;
    case ErrorKind::kUnauthorized:
    case ErrorKind::kForbidden:
      return 3;
    case ErrorKind::kNotFound:
      return 4;
    case ErrorKind::kNetwork:
    case ErrorKind::kThrottled:
      return 5;
    case ErrorKind::kRemote:
    case ErrorKind::kConflict:
    case ErrorKind::kInternal:
      return 1;
  }
  return 1;
}

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidInput:
      return "invalid input";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kForbidden:
      return "forbidden";
    case ErrorKind::kConflict:
      return "conflict";
    case ErrorKind::kThrottled:
      return "throttled";
    case ErrorKind::kNetwork:
      return "network";
    case ErrorKind::kRemote:
      return "remote error";
    case ErrorKind::kUnsupported:
      return "unsupported";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "error";
}

}  // namespace ecrhelm
