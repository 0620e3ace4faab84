#!/usr/bin/env bash
# Builds one pinned peer of the test bed (a tool our users run) from the Go
# module proxy with the ordinary `go` command and caches it outside the repo:
#   ${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}/peers/<name>-<version>/<binary>
# Usage: build-peer.sh NAME      (NAME: helm3, helm4, oras, eso, kube-apiserver,
#                                 etcd, argocd-versions; `--list` lists them)
# A peer whose go.mod has `replace` lines cannot be `go install`ed by version:
# it is built with `go build` inside a copy of our wrapper module
# scripts/testbed/peers/<name>/ (go.mod requiring the peer, repeating its
# replace lines, naming the package in a `tool` line; go.sum committed). A
# wrapper may also hold a small main.go of ours that calls the peer's exported
# Go API (argocd-versions: Argo CD's tag resolution; its package path is ".").
# Idempotent: a cached binary that answers its version check is reused in about
# a second. Prints the binary's path as its last line; on failure prints
# `build-peer: FAILED: <reason>` and exits non-zero.
set -euo pipefail

# name | module package path | version | binary | version check (grep -F) |
# wrapper module (scripts/testbed/peers/<dir>; empty: go install PKG@VERSION)
# Helm's source says only "v3.22" / "v4.3" (its Makefile stamps the full
# version with -X), so the build stamps it the same way (below).
PEERS=(
  "helm3|helm.sh/helm/v3/cmd/helm|v3.22.0|helm|v3.22.0|"
  "helm4|helm.sh/helm/v4/cmd/helm|v4.3.1|helm|v4.3.1|"
  "oras|oras.land/oras/cmd/oras|v1.3.6|oras|1.3.6|"
  "eso|github.com/external-secrets/external-secrets|v0.16.2|external-secrets|flags ok|eso"
  "kube-apiserver|k8s.io/kubernetes/cmd/kube-apiserver|v1.37.2|kube-apiserver|Kubernetes v1.37.2|kube-apiserver"
  "etcd|go.etcd.io/etcd/server/v3|v3.6.16|etcd|etcd Version: 3.6.16|etcd"
  "argocd-versions|.|v3.5.1|argocd-versions|argo-cd v3.5.1|argocd-versions"
)
LOCK_WAIT_SECONDS=3600

log() { echo "build-peer: $*" >&2; }
die() { echo "build-peer: FAILED: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: build-peer.sh NAME (one of: $(printf '%s ' "${PEERS[@]%%|*}"))"
if [ "$1" = "--list" ]; then
  printf '%s\n' "${PEERS[@]}"
  exit 0
fi

ENTRY=""
for p in "${PEERS[@]}"; do
  [ "${p%%|*}" = "$1" ] && ENTRY=$p
done
[ -n "$ENTRY" ] || die "unknown peer '$1': use one of: $(printf '%s ' "${PEERS[@]%%|*}")"
IFS='|' read -r NAME PKG VERSION BINARY CHECK WRAPPER <<<"$ENTRY"
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CACHE_ROOT=${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}
OUT_DIR=$CACHE_ROOT/peers/$NAME-$VERSION
BIN=$OUT_DIR/$BINARY

version_of() {
  case $NAME in
  helm*) "$1" version --short 2>/dev/null ;;
  oras) "$1" version 2>/dev/null ;;
  kube-apiserver | etcd | argocd-versions) "$1" --version 2>/dev/null ;;
  # ESO's binary has no version flag (its build stamps nothing we can set
  # here): a cached binary counts when it starts and knows its own flags.
  eso) "$1" --help 2>&1 | grep -q -- --concurrent && echo "flags ok" ;;
  esac
}
binary_ok() {
  [ -x "$BIN" ] && version_of "$BIN" | grep -qF "$CHECK"
}

if binary_ok; then
  echo "$BIN"
  exit 0
fi

# The machine's Go (1.26 on polyglot machines), never Debian's 1.19 first on
# PATH after apt: the peers need Go >= 1.24.
GO=${ECRHELM_GO:-}
if [ -z "$GO" ]; then
  for g in /usr/local/go/bin/go "$(command -v go || true)"; do
    if [ -n "$g" ] && [ -x "$g" ] && "$g" version | grep -qE 'go1\.(2[4-9]|[3-9][0-9])'; then
      GO=$g
      break
    fi
  done
fi
[ -n "$GO" ] || die "no Go >= 1.24 found (set ECRHELM_GO to one)"

SUDO=""
if ! mkdir -p "$OUT_DIR" 2>/dev/null; then
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO mkdir -p "$OUT_DIR"
  $SUDO chown "$(id -u):$(id -g)" "$CACHE_ROOT/peers" "$OUT_DIR"
fi

# One build per peer at a time: a second run waits, then finds the binary.
exec 9>"$CACHE_ROOT/peers/.build-$NAME.lock"
if ! flock -n 9; then
  log "another build of $NAME is running; waiting (up to ${LOCK_WAIT_SECONDS}s)"
  flock -w "$LOCK_WAIT_SECONDS" 9 || die "timed out waiting for $CACHE_ROOT/peers/.build-$NAME.lock"
fi
if binary_ok; then
  echo "$BIN"
  exit 0
fi

log "building $PKG@$VERSION with $("$GO" version) (minutes, once per machine)"
TMP=$(mktemp -d "$OUT_DIR/.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export GOPATH=$CACHE_ROOT/gopath GOCACHE=$CACHE_ROOT/go-build-peers GOFLAGS=-modcacherw
export GOTOOLCHAIN=local CGO_ENABLED=0 GOBIN=$TMP
# Packages built at once (default: the cores; 1 on a machine shared with other builds).
GO_P=${ECRHELM_GO_BUILD_P:-$(nproc)}
LDFLAGS="-s -w"
case $NAME in
helm3 | helm4)
  LDFLAGS="$LDFLAGS -X helm.sh/helm/v${NAME#helm}/internal/version.version=$VERSION"
  ;;
kube-apiserver)
  # What hack/lib/version.sh stamps, so --version and /version say v1.37.2.
  minor=${VERSION#v1.}; minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    LDFLAGS="$LDFLAGS -X $pkg.gitVersion=$VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    LDFLAGS="$LDFLAGS -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  ;;
esac
if [ -z "$WRAPPER" ]; then
  if ! nice -n 10 "$GO" install -p "$GO_P" -trimpath -ldflags "$LDFLAGS" "$PKG@$VERSION" >"$TMP.log" 2>&1; then
    tail -20 "$TMP.log" >&2
    die "go install $PKG@$VERSION (log: $TMP.log)"
  fi
else
  # A copy of the wrapper: the build may not write into the work tree, and
  # -mod=readonly (the default) fails if go.mod/go.sum are not complete.
  WDIR=$SCRIPT_DIR/peers/$WRAPPER
  [ -f "$WDIR/go.mod" ] && [ -f "$WDIR/go.sum" ] || die "wrapper module $WDIR has no go.mod/go.sum"
  mkdir -p "$TMP/mod"
  cp "$WDIR/go.mod" "$WDIR/go.sum" "$TMP/mod/"
  for f in "$WDIR"/*.go; do [ -e "$f" ] && cp "$f" "$TMP/mod/"; done
  if ! (cd "$TMP/mod" && nice -n 10 "$GO" build -p "$GO_P" -mod=readonly -trimpath -ldflags "$LDFLAGS" \
    -o "$TMP/$BINARY" "$PKG") >"$TMP.log" 2>&1; then
    tail -20 "$TMP.log" >&2
    die "go build $PKG in wrapper module $WRAPPER (log: $TMP.log)"
  fi
fi
rm -f "$TMP.log"
# `go install` does not stamp helm's version: check it answers at all and
# report the module version it was built from.
[ -x "$TMP/$BINARY" ] || die "the build left no $BINARY"
mv -f "$TMP/$BINARY" "$BIN"
if ! binary_ok; then
  die "$BIN does not report $CHECK: $(version_of "$BIN" | head -1)"
fi
log "built $BIN: $(version_of "$BIN" | head -1)"
echo "$BIN"
