#!/usr/bin/env bash
# Start-up cost of ecrhelm binaries against curl (the floor: it loads the same
# libcurl and its dependencies). Counted in instructions with valgrind's
# callgrind (repeatable whatever else the machine does), and the number of
# shared objects the dynamic loader maps (ldd).
# With moto_server on PATH it also counts `ecrhelm token` against the same
# request sent by `curl --aws-sigv4` (bench/run.sh's floor), and a second
# `credential-helper get` of an ECR host, served from the token file cache.
# Usage: bench/startup.sh ECRHELM [ECRHELM...]
#   e.g. bench/startup.sh build-release/ecrhelm build/ecrhelm
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/startup.sh ECRHELM [ECRHELM...]" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "startup bench: valgrind is not installed" >&2; exit 2; }
instructions() {  # command... (stdin: the caller's) -> instructions executed, start to exit
  { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null || true; } |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
floor=$(instructions curl --version </dev/null)
echo "| binary | size | shared objects | \`--version\` instructions | vs curl | \`credential-helper get\` (not ECR) instructions | vs curl |"
echo "|---|---|---|---|---|---|---|"
echo "| curl $(curl --version | head -1 | cut -d' ' -f2) | $(stat -Lc %s "$(command -v curl)") | $(ldd "$(command -v curl)" | wc -l) | $floor | 1.00x | | |"
for b in "$@"; do
  [ -x "$b" ] || { echo "startup bench: $b is not executable" >&2; exit 2; }
  v=$(instructions "$b" --version </dev/null)
  # a registry that is not ECR: the helper answers "not found" without any network call
  g=$(instructions "$b" credential-helper get <<<"ghcr.io")
  echo "| $b | $(stat -c %s "$b") | $(ldd "$b" | wc -l) | $v | $(awk -v a="$v" -v b="$floor" 'BEGIN{printf "%.2fx", a/b}') | $g | $(awk -v a="$g" -v b="$floor" 'BEGIN{printf "%.2fx", a/b}') |"
done

command -v moto_server >/dev/null || { echo "(moto_server not installed: no token rows)"; exit 0; }
work=$(mktemp -d)
moto_pid=""
proxy_pid=""
trap 'kill $moto_pid $proxy_pid 2>/dev/null; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
# moto's tokens expired in 2015, and an expired token is never cached: the
# expiry proxy gives them ECR's 12 hours, so the second helper call is a cache hit.
python3 "$(dirname "$0")/../scripts/testbed/ecr-expiry-proxy.py" --upstream-port "$port" \
  --port-file "$work/proxy.port" --hours 12 >"$work/proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
url="http://127.0.0.1:$(cat "$work/proxy.port")"
export HOME="$work" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=AKIABENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret AWS_ENDPOINT_URL="$url"
token_floor=$(instructions curl -s -o /dev/null --aws-sigv4 aws:amz:us-east-1:ecr \
  --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H X-Amz-Target:AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken \
  -H Content-Type:application/x-amz-json-1.1 -d '{}' "$url/")
host=123456789012.dkr.ecr.us-east-1.amazonaws.com
echo
echo "| binary | \`token\` instructions | vs curl --aws-sigv4 ($token_floor) | warm \`credential-helper get\` instructions | vs curl --aws-sigv4 |"
echo "|---|---|---|---|---|"
for b in "$@"; do
  t=$(instructions "$b" token --region us-east-1 </dev/null)
  "$b" credential-helper get <<<"$host" >/dev/null  # fills the token file cache
  calls=$(grep -c POST "$work/moto.log")
  w=$(instructions "$b" credential-helper get <<<"$host")
  [ "$(grep -c POST "$work/moto.log")" = "$calls" ] ||
    { echo "startup bench: the second credential-helper get called ECR (no cache hit)" >&2; exit 1; }
  echo "| $b | $t | $(awk -v a="$t" -v b="$token_floor" 'BEGIN{printf "%.2fx", a/b}') | $w | $(awk -v a="$w" -v b="$token_floor" 'BEGIN{printf "%.2fx", a/b}') |"
done
