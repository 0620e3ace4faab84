#!/usr/bin/env bash
# Benchmarks ecrhelm against its peers on the same machine in the same run:
#  1. one ECR token: `ecrhelm token` vs `aws ecr get-login-password` (v1, v2)
#     vs `curl --aws-sigv4` (the floor);
#  2. a registry login as people do it today, `aws ecr get-login-password |
#     helm registry login --password-stdin` (Helm 3 and 4, which also ping
#     the registry), vs `ecrhelm login` (token and Helm's registry config).
# Usage: bench/run.sh path/to/ecrhelm   (make bench builds a Release binary first)
# Helm comes from scripts/testbed/build-peer.sh (built once per machine);
# PEERS=0 leaves the login table out.
# Prints markdown tables (median wall time, peak RSS, ratios) for BENCHMARKS.md.
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
reg_pid=""
cleanup() {
  for p in $moto_pid $reg_pid; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
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

[ "${PEERS:-1}" = 1 ] || exit 0

# 2. Login. Helm's `registry login` checks the password against the registry
# (GET /v2/), so it logs in to a local docker-registry whose htpasswd holds
# moto's ECR password for user AWS; ecrhelm login writes the same Helm
# registry config without a round trip to the registry (ECR's token is the
# proof). Each run starts without a config.
HELM3=$("$here/../scripts/testbed/build-peer.sh" helm3 | tail -1)
HELM4=$("$here/../scripts/testbed/build-peer.sh" helm4 | tail -1)
password=$(${cmd[ecrhelm]})
command -v htpasswd >/dev/null && command -v docker-registry >/dev/null ||
  { echo "bench: needs htpasswd and docker-registry (make deps)" >&2; exit 1; }
# The password goes through stdin and the environment, never argv.
htpasswd -iBn AWS <<<"$password" >"$work/htpasswd"
rport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf '%s\n' "version: 0.1" "log:" "  level: error" "storage:" "  filesystem:" \
  "    rootdirectory: $work/registry" "auth:" "  htpasswd:" "    realm: basic-realm" \
  "    path: $work/htpasswd" "http:" "  addr: 127.0.0.1:$rport" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$rport/v2/" && break; sleep 0.1; done
cfg="$work/registry-config.json"
declare -A login
login[ecrhelm-login]="$ECRHELM login --region us-east-1 --registry-config $cfg"
for h in 3 4; do
  helm=HELM$h
  login[awscli-v2+helm$h]="sh -c '/usr/bin/aws --endpoint-url $url ecr get-login-password | ${!helm} registry login 127.0.0.1:$rport --username AWS --password-stdin --plain-http --registry-config $cfg'"
done
lorder=(ecrhelm-login awscli-v2+helm3 awscli-v2+helm4)

# Each writes a config that holds the password, before timing anything.
for p in "${lorder[@]}"; do
  rm -f "$cfg"
  eval "${login[$p]}" >/dev/null 2>&1 || { echo "bench: $p failed" >&2; exit 1; }
  BENCH_PASSWORD=$password python3 -c '
import base64, json, os, sys
auths = json.load(open(sys.argv[1])).get("auths", {})
want = ":" + os.environ["BENCH_PASSWORD"]
sys.exit(0 if any(base64.b64decode(a.get("auth", "")).decode().endswith(want)
                  for a in auths.values()) else 1)' "$cfg" ||
    { echo "bench: $p wrote no config with the password" >&2; exit 1; }
done

largs=()
for p in "${lorder[@]}"; do largs+=(-n "$p" "${login[$p]}"); done
hyperfine --warmup 2 --runs "$RUNS" --prepare "rm -f $cfg" --output null \
  --export-json "$work/l.json" "${largs[@]}" >/dev/null
declare -A lmem
for p in "${lorder[@]}"; do
  # GNU time over `sh -c` reports the largest process of the pipeline.
  lmem[$p]=$(for _ in 1 2 3 4 5 6 7; do
    rm -f "$cfg"
    eval "/usr/bin/time -f %M ${login[$p]}" 2>&1 >/dev/null | tail -1
  done | sort -n | sed -n 4p)
done
python3 - "$work/l.json" "${lmem[ecrhelm-login]}" "${lmem[awscli-v2+helm3]}" "${lmem[awscli-v2+helm4]}" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
names = ["ecrhelm-login", "awscli-v2+helm3", "awscli-v2+helm4"]
mem = dict(zip(names, map(int, sys.argv[2:5])))
base = res["ecrhelm-login"]["median"]
print()
print("| login | median wall | peak RSS | wall vs ecrhelm |")
print("|---|---|---|---|")
for name in names:
    r = res[name]
    print(f"| {name} | {r['median']*1000:.1f} ms | {mem[name]/1024:.1f} MiB | {r['median']/base:.2f}x |")
PY
