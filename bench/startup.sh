#!/usr/bin/env bash
# Start-up cost of ecrhelm binaries against curl (the floor: it loads the same
# libcurl and its dependencies). Counted in instructions with valgrind's
# callgrind (repeatable whatever else the machine does), and the number of
# shared objects the dynamic loader maps (ldd).
# Usage: bench/startup.sh ECRHELM [ECRHELM...]
#   e.g. bench/startup.sh build-release/ecrhelm build/ecrhelm
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/startup.sh ECRHELM [ECRHELM...]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "startup bench: valgrind is not installed" >&2; exit 2; }
instructions() {  # command... -> instructions executed, start to exit
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null </dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
helper_get() {  # a registry that is not ECR: the helper answers "not found" without any network call
  { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" credential-helper get 2>&1 >/dev/null <<<"ghcr.io" || true; } |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
floor=$(instructions curl --version)
echo "| binary | size | shared objects | \`--version\` instructions | vs curl | \`credential-helper get\` (not ECR) instructions | vs curl |"
echo "|---|---|---|---|---|---|---|"
echo "| curl $(curl --version | head -1 | cut -d' ' -f2) | $(stat -Lc %s "$(command -v curl)") | $(ldd "$(command -v curl)" | wc -l) | $floor | 1.00x | | |"
for b in "$@"; do
  [ -x "$b" ] || { echo "startup bench: $b is not executable" >&2; exit 2; }
  v=$(instructions "$b" --version)
  g=$(helper_get "$b")
  echo "| $b | $(stat -c %s "$b") | $(ldd "$b" | wc -l) | $v | $(awk -v a="$v" -v b="$floor" 'BEGIN{printf "%.2fx", a/b}') | $g | $(awk -v a="$g" -v b="$floor" 'BEGIN{printf "%.2fx", a/b}') |"
done
