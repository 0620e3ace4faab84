#!/usr/bin/env bash
# Pull benchmark: `ecrhelm pull` vs `helm pull` (Helm 3 and 4), `oras pull`,
# `skopeo copy docker://... oci:DIR` and curl fetching the same manifest and
# blob (the floor), against one local
# docker-registry in one run: a typical 30 KB chart, a 90 MB artifact, and
# 50 charts in one command.
# Usage: bench/pull.sh path/to/ecrhelm   (make bench builds a Release binary first)
# Helm and oras come from scripts/testbed/build-peer.sh (built once per machine);
# PEERS=0 leaves them out.
# Prints markdown tables (median wall time, peak RSS, ratios) for BENCHMARKS.md.
set -euo pipefail
ECRHELM=$(readlink -f "${1:-build-bench/ecrhelm}")
RUNS=${RUNS:-20}
LARGE_RUNS=${LARGE_RUNS:-10}
# The large artifact stays under the 100 MiB that ecrhelm accepts for a chart
# layer (Helm's limit for a decompressed chart, kMaxChartBlobBytes; see
# RELIABILITY.md #1): a 200 MB layer is refused before its first byte.
LARGE_MB=${LARGE_MB:-90}

need=()
[ -x /usr/bin/time ] || need+=(time)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

PEERS=${PEERS:-1}
if [ "$PEERS" = 1 ]; then
  here=$(dirname "$(readlink -f "$0")")
  HELM3=$("$here/../scripts/testbed/build-peer.sh" helm3 | tail -1)
  HELM4=$("$here/../scripts/testbed/build-peer.sh" helm4 | tail -1)
  ORAS=$("$here/../scripts/testbed/build-peer.sh" oras | tail -1)
fi

work=$(mktemp -d)
reg_pid=""
cleanup() {
  # A server killed by SIGTERM makes `wait` fail: that must not stop the cleanup.
  if [ -n "$reg_pid" ]; then kill "$reg_pid" 2>/dev/null && wait "$reg_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/v2/" && break; sleep 0.1; done
host="127.0.0.1:$port"
base="http://$host"
export HOME="$work/home" AWS_EC2_METADATA_DISABLED=true
mkdir -p "$HOME" "$work/src"

# push REPO TAG NAME VERSION FILE: config + chart layer + manifest, as Helm 3 pushes.
push_blob() {  # REPO FILE -> digest
  local digest loc
  digest="sha256:$(sha256sum "$2" | cut -d' ' -f1)"
  loc=$(curl -s -D - -o /dev/null -X POST "$base/v2/$1/blobs/uploads/" | tr -d '\r' |
        sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="$base$loc" ;; esac
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$2" "$loc&digest=$digest"
  echo "$digest"
}
push() {
  local repo=$1 tag=$2 name=$3 version=$4 file=$5 cfg cd ld
  cfg="$work/src/config-$name-$version.json"
  printf '{"name":"%s","version":"%s","apiVersion":"v2"}' "$name" "$version" >"$cfg"
  cd=$(push_blob "$repo" "$cfg")
  ld=$(push_blob "$repo" "$file")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"%s","size":%d,"annotations":{"org.opencontainers.image.title":"%s-%s.tgz"}}]}' \
    "$cd" "$(stat -c %s "$cfg")" "$ld" "$(stat -c %s "$file")" "$name" "$version" >"$work/src/manifest.json"
  curl -sf -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$work/src/manifest.json" "$base/v2/$repo/manifests/$tag"
  echo "$ld"
}
# A chart .tgz of about SIZE bytes compressed (incompressible template text).
make_chart() {  # NAME VERSION SIZE OUT
  local d="$work/src/chart-$1-$2"
  mkdir -p "$d/$1/templates"
  printf 'apiVersion: v2\nname: %s\nversion: %s\ntype: application\n' "$1" "$2" >"$d/$1/Chart.yaml"
  printf 'replicaCount: 1\n' >"$d/$1/values.yaml"
  head -c "$(( $3 * 3 / 4 ))" /dev/urandom | base64 -w 76 | sed 's/^/# /' >"$d/$1/templates/NOTES.txt"
  tar -C "$d" -czf "$4" "$1"
}

echo "pull bench: pushing charts to docker-registry on $host" >&2
make_chart small 1.0.0 30000 "$work/src/small.tgz"
small_blob=$(push charts/small 1.0.0 small 1.0.0 "$work/src/small.tgz")
head -c "$((LARGE_MB * 1024 * 1024))" /dev/urandom >"$work/src/large.tgz"
large_blob=$(push charts/large 1.0.0 large 1.0.0 "$work/src/large.tgz")
fifty_refs=() fifty_urls=() fifty_pairs=""
for i in $(seq 1 50); do
  make_chart fifty "1.0.$i" 30000 "$work/src/fifty-$i.tgz"
  b=$(push charts/fifty "1.0.$i" fifty "1.0.$i" "$work/src/fifty-$i.tgz")
  fifty_refs+=("oci://$host/charts/fifty:1.0.$i")
  fifty_urls+=("-H" "Accept: application/vnd.oci.image.manifest.v1+json" "-o" "$work/out/m$i" "$base/v2/charts/fifty/manifests/1.0.$i" "-o" "$work/out/fifty-1.0.$i.tgz" "$base/v2/charts/fifty/blobs/$b")
  fifty_pairs+="curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' -o $work/out/m$i $base/v2/charts/fifty/manifests/1.0.$i -o $work/out/fifty-1.0.$i.tgz $base/v2/charts/fifty/blobs/$b; "
done

accept='Accept: application/vnd.oci.image.manifest.v1+json'
declare -A cmd
cmd[small-ecrhelm]="$ECRHELM pull oci://$host/charts/small:1.0.0 --plain-http -d $work/out"
cmd[small-curl]="curl -sf -H '$accept' -o $work/out/m $base/v2/charts/small/manifests/1.0.0 -o $work/out/small-1.0.0.tgz $base/v2/charts/small/blobs/$small_blob"
cmd[small-skopeo]="skopeo copy -q --src-tls-verify=false docker://$host/charts/small:1.0.0 oci:$work/out/layout:x"
cmd[large-ecrhelm]="$ECRHELM pull oci://$host/charts/large:1.0.0 --plain-http -d $work/out"
cmd[large-curl]="curl -sf -H '$accept' -o $work/out/m $base/v2/charts/large/manifests/1.0.0 -o $work/out/large-1.0.0.tgz $base/v2/charts/large/blobs/$large_blob"
# The floor plus verifying the digest afterwards, as every OCI client must.
cmd[large-curl+sha256sum]="${cmd[large-curl]} && sha256sum $work/out/large-1.0.0.tgz"
cmd[large-skopeo]="skopeo copy -q --src-tls-verify=false docker://$host/charts/large:1.0.0 oci:$work/out/layout:x"
cmd[fifty-ecrhelm]="$ECRHELM pull ${fifty_refs[*]} --plain-http -d $work/out"
# The floor: one curl process, 100 URLs over one kept-alive connection.
cmd[fifty-curl-1proc]="curl -sf $(printf "'%s' " "${fifty_urls[@]}")"
cmd[fifty-curl-50pairs]="$fifty_pairs"
cmd[fifty-skopeo-sync]="skopeo sync --src-tls-verify=false --src docker --dest dir $host/charts/fifty $work/out/sync"

small_peers=() large_peers=() fifty_peers=()
if [ "$PEERS" = 1 ]; then
  # oras names the file by the layer's org.opencontainers.image.title (set by push above).
  for v in 3 4; do
    h=HELM$v
    cmd[small-helm$v]="${!h} pull oci://$host/charts/small --version 1.0.0 --plain-http -d $work/out"
    cmd[large-helm$v]="${!h} pull oci://$host/charts/large --version 1.0.0 --plain-http -d $work/out"
    # helm pull takes one chart per command.
    cmd[fifty-helm$v]="for i in \$(seq 1 50); do ${!h} pull oci://$host/charts/fifty --version 1.0.\$i --plain-http -d $work/out || exit 1; done"
  done
  cmd[small-oras]="$ORAS pull -o $work/out --plain-http $host/charts/small:1.0.0"
  cmd[large-oras]="$ORAS pull -o $work/out --plain-http $host/charts/large:1.0.0"
  cmd[fifty-oras]="for i in \$(seq 1 50); do $ORAS pull -o $work/out --plain-http $host/charts/fifty:1.0.\$i >/dev/null || exit 1; done"
  small_peers=(small-helm3 small-helm4 small-oras)
  large_peers=(large-helm3 large-helm4 large-oras)
  fifty_peers=(fifty-helm3 fifty-helm4 fifty-oras)
fi

# Same bytes from each client before timing anything.
prep="rm -rf $work/out && mkdir -p $work/out"
for c in small-ecrhelm small-curl large-ecrhelm large-curl "${small_peers[@]}" "${large_peers[@]}"; do
  eval "$prep"; bash -c "${cmd[$c]}" >/dev/null
  f="$work/out/${c%%-*}-1.0.0.tgz"
  cmp -s "$f" "$work/src/${c%%-*}.tgz" || { echo "pull bench: $c wrote different bytes" >&2; exit 1; }
done
eval "$prep"; bash -c "${cmd[fifty-ecrhelm]}" >/dev/null
for i in 1 25 50; do cmp -s "$work/out/fifty-1.0.$i.tgz" "$work/src/fifty-$i.tgz" || { echo "pull bench: fifty $i differs" >&2; exit 1; }; done
eval "$prep"; bash -c "${cmd[small-skopeo]}"
[ -f "$work/out/layout/blobs/sha256/${small_blob#sha256:}" ] || { echo "pull bench: skopeo missed the blob" >&2; exit 1; }

rss() {  # median peak RSS in KiB over 5 runs (of the biggest process for shell pipelines)
  for _ in 1 2 3 4 5; do eval "$prep"; /usr/bin/time -f %M bash -c "${cmd[$1]}" 2>&1 >/dev/null | tail -1; done |
    sort -n | sed -n 3p
}

bench() {  # GROUP RUNS NAMES...
  local group=$1 runs=$2; shift 2
  local args=()
  for n in "$@"; do args+=(-n "$n" "${cmd[$n]}"); done
  hyperfine --warmup 2 --runs "$runs" --prepare "$prep" --export-json "$work/$group.json" "${args[@]}" >/dev/null
  local mem=()
  for n in "$@"; do mem+=("$n=$(rss "$n")"); done
  python3 - "$work/$group.json" "$group" "$@" "--" "${mem[@]}" <<'PY'
import json, sys
argv = sys.argv[1:]
path, group = argv[0], argv[1]
sep = argv.index("--")
names, mem = argv[2:sep], dict(m.split("=") for m in argv[sep + 1:])
res = {r["command"]: r for r in json.load(open(path))["results"]}
base = res[names[0]]["median"]
print(f"| {group} | median wall | peak RSS | wall vs ecrhelm |")
print("|---|---|---|---|")
for n in names:
    r = res[n]
    print(f"| {n} | {r['median']*1000:.1f} ms | {int(mem[n])/1024:.1f} MiB | {r['median']/base:.2f}x |")
print()
PY
}

echo "pull bench: timing (hyperfine, medians)" >&2
bench small "$RUNS" small-ecrhelm small-curl small-skopeo "${small_peers[@]}"
bench large "$LARGE_RUNS" large-ecrhelm large-curl large-curl+sha256sum large-skopeo "${large_peers[@]}"
bench fifty "$LARGE_RUNS" fifty-ecrhelm fifty-curl-1proc fifty-curl-50pairs fifty-skopeo-sync "${fifty_peers[@]}"

python3 - "$work" "$LARGE_MB" <<'PY'
import json, sys
work, mb = sys.argv[1], int(sys.argv[2])
def med(group):
    return {r["command"]: r["median"] for r in json.load(open(f"{work}/{group}.json"))["results"]}
s, l, f = med("small"), med("large"), med("fifty")
print(f"- small chart: ecrhelm / curl floor = {s['small-ecrhelm']/s['small-curl']:.2f}x wall (goal <= 1.3x); "
      f"skopeo / ecrhelm = {s['small-skopeo']/s['small-ecrhelm']:.1f}x")
print(f"- {mb} MB artifact: ecrhelm {mb/l['large-ecrhelm']:.0f} MB/s, curl {mb/l['large-curl']:.0f} MB/s, "
      f"skopeo {mb/l['large-skopeo']:.0f} MB/s: ecrhelm = {l['large-curl']/l['large-ecrhelm']:.2f}x curl's "
      f"throughput (goal >= 0.9x), {l['large-curl+sha256sum']/l['large-ecrhelm']:.2f}x that of curl + sha256sum; "
      f"skopeo / ecrhelm = {l['large-skopeo']/l['large-ecrhelm']:.1f}x")
print(f"- 50 charts: ecrhelm / one curl process = {f['fifty-ecrhelm']/f['fifty-curl-1proc']:.2f}x; "
      f"50 curl pairs / ecrhelm = {f['fifty-curl-50pairs']/f['fifty-ecrhelm']:.1f}x; "
      f"skopeo sync / ecrhelm = {f['fifty-skopeo-sync']/f['fifty-ecrhelm']:.1f}x")
for peer in ("helm3", "helm4", "oras"):
    if f"small-{peer}" in s:
        print(f"- {peer} / ecrhelm: small {s[f'small-{peer}']/s['small-ecrhelm']:.1f}x, "
              f"large {l[f'large-{peer}']/l['large-ecrhelm']:.1f}x, fifty {f[f'fifty-{peer}']/f['fifty-ecrhelm']:.1f}x")
PY
