#!/usr/bin/env bash
# Builds one pinned peer of the test bed (a tool our users run) from the Go
# module proxy with the ordinary `go` command and caches it outside the repo:
#   ${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}/peers/<name>-<version>/<binary>
# Usage: build-peer.sh NAME      (NAME: helm3, helm4, oras; `--list` lists them)
# Idempotent: a cached binary that answers its version check is reused in about
# a second. Prints the binary's path as its last line; on failure prints
# `build-peer: FAILED: <reason>` and exits non-zero.
set -euo pipefail

# name | module package path | version | binary | version check (grep -F) | -X ldflags
# Helm's source says only "v3.22" / "v4.3" (its Makefile stamps the full
# version with -X), so the build stamps it the same way.
PEERS=(
  "helm3|helm.sh/helm/v3/cmd/helm|v3.22.0|helm|v3.22.0|-X helm.sh/helm/v3/internal/version.version=v3.22.0"
  "helm4|helm.sh/helm/v4/cmd/helm|v4.3.1|helm|v4.3.1|-X helm.sh/helm/v4/internal/version.version=v4.3.1"
  "oras|oras.land/oras/cmd/oras|v1.3.6|oras|1.3.6|"
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
IFS='|' read -r NAME PKG VERSION BINARY CHECK XFLAGS <<<"$ENTRY"

CACHE_ROOT=${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}
OUT_DIR=$CACHE_ROOT/peers/$NAME-$VERSION
BIN=$OUT_DIR/$BINARY

version_of() {
  case $NAME in
  helm*) "$1" version --short 2>/dev/null ;;
  oras) "$1" version 2>/dev/null ;;
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
if ! "$GO" install -trimpath -ldflags "-s -w $XFLAGS" "$PKG@$VERSION" >"$TMP.log" 2>&1; then
  tail -20 "$TMP.log" >&2
  die "go install $PKG@$VERSION (log: $TMP.log)"
fi
rm -f "$TMP.log"
[ -x "$TMP/$BINARY" ] || die "go install left no $BINARY"
mv -f "$TMP/$BINARY" "$BIN"
if ! binary_ok; then
  die "$BIN does not report $CHECK: $(version_of "$BIN" | head -1)"
fi
log "built $BIN: $(version_of "$BIN" | head -1)"
echo "$BIN"
