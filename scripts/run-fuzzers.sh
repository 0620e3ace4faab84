#!/usr/bin/env bash
# Runs every built libFuzzer target for N seconds from its seed corpus.
# Usage: scripts/run-fuzzers.sh BUILD_DIR SECONDS  (FUZZ_SEED=N; default 1, so a CI run is repeatable)
set -euo pipefail
build=$1
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0
for bin in "$build"/fuzz/*_fuzz; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin" _fuzz)
  seeds="$root/fuzz/corpus/$name"
  work=$(mktemp -d)
  [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
  if "$bin" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
       -artifact_prefix="$build/fuzz/$name-" "$work" >"$build/fuzz/$name.log" 2>&1; then
    echo "fuzz: $name ok ($(grep -o 'Done [0-9]* runs' "$build/fuzz/$name.log" | tail -1))"
    passed=$((passed + 1))
  else
    echo "fuzz: $name FAILED; see $build/fuzz/$name.log"
    tail -30 "$build/fuzz/$name.log"
    failed=$((failed + 1))
  fi
  rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
