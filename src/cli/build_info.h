// What the build knew of itself: defined in the one small generated file
// build/generated/build_info.cpp (cmake/build_info.cmake), so a new commit
// recompiles that file and relinks, nothing else.
#pragma once

namespace ecrhelm::cli {

struct BuildInfo {
  const char* git_commit;      // full hash, or "unknown" outside a git checkout
  const char* git_tree_state;  // "clean", "dirty" (tracked files changed) or "unknown"
  const char* build_type;      // CMAKE_BUILD_TYPE ("None" when unset)
};

const BuildInfo& build_info();

}  // namespace ecrhelm::cli
