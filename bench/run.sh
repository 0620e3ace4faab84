#!/usr/bin/env bash
# Benchmarks ecrhelm against its peers on the same machine in the same run.
# Usage: bench/run.sh path/to/ecrhelm   (make bench builds a Release binary first)
# Prints a markdown table (median wall time, peak RSS, ratios) for BENCHMARKS.md.
set -euo pipefail
ECRHELM=$(readlink -f "${1:-build-bench/ecrhelm}")
RUNS=${RUNS:-30}
here=$(cd "$(dirname "$0")" && pwd)

# Peers not in the base image: Debian's aws-cli v2, GNU time for peak RSS.
need=()
[ -x /usr/bin/aws ] || need+=(awscli)
[ -x /usr/bin/time ] || need+=(time)
command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=$(mktemp -d)
moto_pid=""
cleanup() { [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
url="http://127.0.0.1:$port"

export HOME="$work" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=AKIABENCHMARK AWS_SECRET_ACCESS_KEY=bench-secret
export AWS_ENDPOINT_URL="$url"
v1=$(command -v aws)   # the image's aws-cli v1 (pyenv)

declare -A cmd
cmd[ecrhelm]="$ECRHELM token --region us-east-1"
cmd[awscli-v1]="$v1 --endpoint-url $url ecr get-login-password"
cmd[awscli-v2]="/usr/bin/aws --endpoint-url $url ecr get-login-password"
cmd[curl-floor]="curl -s -o /dev/null --aws-sigv4 aws:amz:us-east-1:ecr --user $AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY -H X-Amz-Target:AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken -H Content-Type:application/x-amz-json-1.1 -d {} $url/"
order=(ecrhelm curl-floor awscli-v2 awscli-v1)

# Same answer from each peer before timing anything.
expected=$(${cmd[ecrhelm]})
for p in awscli-v1 awscli-v2; do
  got=$(${cmd[$p]})
  [ "$got" = "$expected" ] || { echo "bench: $p printed a different password" >&2; exit 1; }
done

args=()
for p in "${order[@]}"; do args+=(-n "$p" "${cmd[$p]}"); done
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/h.json" "${args[@]}" >/dev/null

rss() {  # median peak RSS in KiB over 7 runs
  for _ in 1 2 3 4 5 6 7; do /usr/bin/time -f %M $1 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 4p
}
declare -A mem
for p in "${order[@]}"; do mem[$p]=$(rss "${cmd[$p]}"); done

python3 - "$work/h.json" "${mem[ecrhelm]}" "${mem[curl-floor]}" "${mem[awscli-v2]}" "${mem[awscli-v1]}" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
mem = dict(zip(["ecrhelm", "curl-floor", "awscli-v2", "awscli-v1"], map(int, sys.argv[2:6])))
base = res["ecrhelm"]["median"]
print("| command | median wall | peak RSS | wall vs ecrhelm |")
print("|---|---|---|---|")
for name in ["ecrhelm", "curl-floor", "awscli-v2", "awscli-v1"]:
    r = res[name]
    print(f"| {name} | {r['median']*1000:.1f} ms | {mem[name]/1024:.1f} MiB | {r['median']/base:.2f}x |")
floor = res["curl-floor"]["median"]
print()
print(f"ecrhelm / curl floor: {base/floor:.2f}x wall (goal <= 1.5x)")
print(f"aws-cli v2 / ecrhelm: {res['awscli-v2']['median']/base:.1f}x; aws-cli v1 / ecrhelm: {res['awscli-v1']['median']/base:.1f}x (goal >= 20x)")
PY
