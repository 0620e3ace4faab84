#!/usr/bin/env bash
# Builds a real kube-apiserver (v1.20.2) from Debian 12's `kubernetes` source
# package, offline with Debian's Go, and caches the binary outside the repo:
#   ${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}/kube-apiserver-v1.20.2/kube-apiserver
# Idempotent: when the cached binary answers `--version`, it prints its path
# and returns in about a second. A cold build takes minutes (see README.md).
# Needs root (or sudo) for apt. Prints the binary's path as its last line.
set -euo pipefail

K8S_VERSION=v1.20.2
CACHE_ROOT=${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}
OUT_DIR=$CACHE_ROOT/kube-apiserver-$K8S_VERSION
BIN=$OUT_DIR/kube-apiserver
SRC_ROOT=$CACHE_ROOT/src            # Debian source download + unpacked tree
DEB_DIR=$SRC_ROOT/debian
WORK_DIR=$SRC_ROOT/kubernetes-$K8S_VERSION
LOCK_WAIT_SECONDS=3600               # a cold build on 2 cores takes ~5 minutes
APT_PKGS=(golang-1.19-go rsync etcd-server golang-github-modern-go-reflect2-dev dpkg-dev make openssl ca-certificates)
DEB_SRC_FILE=/etc/apt/sources.list.d/ecrhelm-deb-src.sources
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2

log() { echo "build-kube-apiserver: $*"; }
die() { echo "build-kube-apiserver: FAILED: $*" >&2; exit 1; }

STEP="starting"
on_exit() {
  local rc=$?
  [ $rc -eq 0 ] || echo "build-kube-apiserver: FAILED during: $STEP (exit $rc)" >&2
}
trap on_exit EXIT

binary_ok() {
  local v
  [ -x "$BIN" ] && v=$("$BIN" --version 2>/dev/null) && [[ $v == *"Kubernetes $K8S_VERSION"* ]]
}

if binary_ok; then
  log "cached: $("$BIN" --version)"
  echo "$BIN"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot install packages"
  SUDO="sudo"
fi

STEP="creating the cache root $CACHE_ROOT"
$SUDO mkdir -p "$CACHE_ROOT"
[ -w "$CACHE_ROOT" ] || $SUDO chown "$(id -u):$(id -g)" "$CACHE_ROOT"
mkdir -p "$OUT_DIR" "$SRC_ROOT"

# One build at a time: a second run waits, then finds the binary.
STEP="waiting for the build lock"
exec 9>"$CACHE_ROOT/.build-kube-apiserver.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it (up to ${LOCK_WAIT_SECONDS}s)"
  flock -w "$LOCK_WAIT_SECONDS" 9 || die "timed out waiting for the build lock $CACHE_ROOT/.build-kube-apiserver.lock"
fi
if binary_ok; then
  log "built by a concurrent run: $("$BIN" --version)"
  echo "$BIN"
  exit 0
fi

T0=$(date +%s)

# --- apt: deb-src for bookworm, build tools ---------------------------------
STEP="configuring apt deb-src"
need_update=0
has_deb_src() {
  grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
    grep -Eqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}
if ! has_deb_src; then
  [ -f /etc/apt/sources.list.d/debian.sources ] || die "no /etc/apt/sources.list.d/debian.sources to copy a deb-src entry from"
  log "adding $DEB_SRC_FILE (deb-src, same archive as debian.sources)"
  # Same stanzas as debian.sources (URIs/Suites/Components/Signed-By), as deb-src.
  sed -E 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$DEB_SRC_FILE" >/dev/null
  need_update=1
fi

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
orig_tarball() { compgen -G "$DEB_DIR/kubernetes_*.orig.tar.gz" | head -n1 || true; }
[ ${#missing[@]} -eq 0 ] || need_update=1
[ -n "$(orig_tarball)" ] || need_update=1

export DEBIAN_FRONTEND=noninteractive
if [ $need_update -eq 1 ]; then
  STEP="apt-get update"
  log "apt-get update"
  $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
fi
if [ ${#missing[@]} -gt 0 ]; then
  STEP="apt-get install ${missing[*]}"
  log "installing ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
[ -d "$REFLECT2_SRC" ] || die "$REFLECT2_SRC missing (package golang-github-modern-go-reflect2-dev)"

# --- source -----------------------------------------------------------------
if [ -z "$(orig_tarball)" ]; then
  STEP="apt-get source --download-only kubernetes"
  log "downloading Debian source package kubernetes into $DEB_DIR"
  mkdir -p "$DEB_DIR"
  apt_out=$(cd "$DEB_DIR" && apt-get source -qq --download-only kubernetes 2>&1) ||
    die "apt-get source kubernetes failed: $(printf '%s\n' "$apt_out" | grep -v 'unsandboxed as root' | tail -n1)"
  [ -n "$(orig_tarball)" ] || die "apt-get source kubernetes gave no kubernetes_*.orig.tar.gz in $DEB_DIR"
fi
TARBALL=$(orig_tarball)

STEP="unpacking $TARBALL"
log "unpacking $(basename "$TARBALL") into $WORK_DIR"
rm -rf "$WORK_DIR" "$WORK_DIR.tmp"
mkdir -p "$WORK_DIR.tmp"
tar -xzf "$TARBALL" -C "$WORK_DIR.tmp" --strip-components=1
mv "$WORK_DIR.tmp" "$WORK_DIR"
cd "$WORK_DIR"
[ -f go.mod ] && [ -d vendor ] && [ -d cmd/kube-apiserver ] || die "unexpected tarball layout in $WORK_DIR"

# --- fix 1: vendor/modules.txt ----------------------------------------------
# The tarball's modules.txt is sorted, so package lines sit under `# path => repl`
# wildcard lines, which Go >= 1.16 reads as version "". Re-attach each package
# line (and each `##` annotation) to the versioned `# path version ...` line
# whose path is its longest prefix; print the wildcard lines last.
STEP="fixing vendor/modules.txt"
log "re-attaching package lines in vendor/modules.txt"
awk '
  /^# / {
    if ($3 == "=>") { nw++; wild[nw] = $0; cur = 0; curpath = $2 }
    else { nm++; mpath[nm] = $2; mhead[nm] = $0; byPath[$2] = nm; cur = nm; curpath = $2 }
    next
  }
  /^## / {
    m = cur ? cur : byPath[curpath]
    if (!m) { print "modules.txt: annotation with no versioned module: " $0 > "/dev/stderr"; bad = 1; next }
    ann[m] = ann[m] $0 "\n"; next
  }
  NF { pkg[++np] = $0 }
  END {
    # All module headers are known now: give each package the longest match.
    for (k = 1; k <= np; k++) {
      best = 0; bestlen = -1
      for (i = 1; i <= nm; i++) {
        p = mpath[i]; l = length(p)
        if ((pkg[k] == p || substr(pkg[k], 1, l + 1) == p "/") && l > bestlen) { best = i; bestlen = l }
      }
      if (!best) { print "modules.txt: no module for package " pkg[k] > "/dev/stderr"; bad = 1; continue }
      pkgs[best] = pkgs[best] pkg[k] "\n"
    }
    for (i = 1; i <= nm; i++) printf "%s\n%s%s", mhead[i], ann[i], pkgs[i]
    for (i = 1; i <= nw; i++) print wild[i]
    exit bad
  }' vendor/modules.txt >vendor/modules.txt.new || die "could not rewrite vendor/modules.txt"
mv vendor/modules.txt.new vendor/modules.txt

# --- fix 2: reflect2 1.0.1 -> Debian's 1.0.2 --------------------------------
# The vendored v1.0.1 faults in mapiterinit under Go >= 1.18.
STEP="replacing vendored github.com/modern-go/reflect2"
log "replacing vendored reflect2 v1.0.1 with Debian's 1.0.2"
R2=vendor/github.com/modern-go/reflect2
[ -d "$R2" ] || die "$R2 not in the tarball"
find "$R2" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
n=0
for f in "$REFLECT2_SRC"/*.go "$REFLECT2_SRC"/*.s; do
  [ -f "$f" ] || continue
  case "$f" in *_test.go) continue ;; esac
  cp "$f" "$R2/"; n=$((n + 1))
done
[ $n -gt 0 ] || die "no reflect2 sources copied from $REFLECT2_SRC"
grep -q 'github.com/modern-go/reflect2 v1.0.1' go.mod || die "go.mod does not pin reflect2 v1.0.1"
sed -i 's#github.com/modern-go/reflect2 v1\.0\.1#github.com/modern-go/reflect2 v1.0.2#g' go.mod vendor/modules.txt

# --- Go environment: everything under the cache root, nothing from the net ---
# Kubernetes 1.20 needs Debian's Go 1.19, called by its path: the `go` first on
# PATH may be another toolchain (Go 1.26 in /usr/local/go on polyglot machines),
# and `make gen_openapi` calls plain `go` too.
STEP="selecting Debian's Go 1.19"
GO119_BIN=/usr/lib/go-1.19/bin
[ -x "$GO119_BIN/go" ] || die "$GO119_BIN/go missing (package golang-1.19-go)"
export PATH="$GO119_BIN:$PATH"
unset GOROOT
[[ $(go version) == *" go1.19"* ]] || die "go on PATH is not Go 1.19 after selecting $GO119_BIN: $(go version)"
export GOCACHE=$CACHE_ROOT/go-build
export GOPATH=$CACHE_ROOT/gopath
export GOFLAGS=-mod=vendor GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$GOCACHE" "$GOPATH"
# hack/lib/golang.sh forces GOCACHE into _output/; let it use ours.
# shellcheck disable=SC2016  # literal shell text for the tree's script
sed -i 's#export GOCACHE="${KUBE_GOPATH}/cache"#export GOCACHE="${GOCACHE:-${KUBE_GOPATH}/cache}"#' hack/lib/golang.sh

# --- fix 3: pkg/generated/openapi/zz_generated.openapi.go -------------------
STEP="make gen_openapi"
log "generating pkg/generated/openapi/zz_generated.openapi.go (make gen_openapi; log: $WORK_DIR/gen_openapi.log)"
if ! make gen_openapi >gen_openapi.log 2>&1; then
  tail -n 20 gen_openapi.log >&2
  die "make gen_openapi failed (see $WORK_DIR/gen_openapi.log)"
fi
[ -s pkg/generated/openapi/zz_generated.openapi.go ] || die "make gen_openapi did not write pkg/generated/openapi/zz_generated.openapi.go"
log "openapi generated after $(($(date +%s) - T0))s"

# --- build --------------------------------------------------------------------
STEP="go build ./cmd/kube-apiserver"
log "building kube-apiserver with $(go version | awk '{print $3}') (log: $WORK_DIR/build.log)"
VPKG=k8s.io/component-base/version
CPKG=k8s.io/client-go/pkg/version
LDFLAGS="-s -w"
for pkg in $VPKG $CPKG; do
  LDFLAGS+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=20"
  LDFLAGS+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
done
if ! go build -ldflags "$LDFLAGS" -o "$OUT_DIR/kube-apiserver.tmp" ./cmd/kube-apiserver >build.log 2>&1; then
  tail -n 20 build.log >&2
  die "go build ./cmd/kube-apiserver failed (see $WORK_DIR/build.log)"
fi
"$OUT_DIR/kube-apiserver.tmp" --version >/dev/null 2>&1 || die "the built kube-apiserver does not run --version"
mv -f "$OUT_DIR/kube-apiserver.tmp" "$BIN"
binary_ok || die "$BIN --version does not report $K8S_VERSION: $("$BIN" --version 2>&1 | head -n1)"
STEP="done"
log "built $("$BIN" --version) in $(($(date +%s) - T0))s: $BIN ($(du -h "$BIN" | cut -f1))"
echo "$BIN"
