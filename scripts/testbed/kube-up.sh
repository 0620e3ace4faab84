#!/usr/bin/env bash
# Starts a real Kubernetes API server for integration tests: etcd plus
# kube-apiserver, both on free 127.0.0.1 ports, with a fresh data dir, fresh
# keys and random tokens. Two versions (KUBE_TESTBED_VERSION):
#   current (default)  kube-apiserver v1.37.2 + etcd v3.6.16, built from the Go
#                      module proxy by build-peer.sh (kube-apiserver, etcd)
#   oldest             kube-apiserver v1.20.2 (build-kube-apiserver.sh, Debian's
#                      source package) + Debian's etcd 3.4: the oldest we support
#
#   scripts/testbed/kube-up.sh DIR      # then: . DIR/env ; kubectl --kubeconfig DIR/kubeconfig ...
#   scripts/testbed/kube-down.sh DIR
#
# ConfigMaps have no watch cache here, so their watches read etcd directly and
# a test can force a real 410 Gone by compacting etcd (support/kube.h).
#
# DIR gets: kubeconfig, env (KEY=VALUE lines), ca.crt, admin.token,
# nobody.token (an identity with no RBAC bindings), pki/, etcd/ (data), logs/,
# etcd.pid, kube-apiserver.pid. Environment knobs:
#   KUBE_TESTBED_VERSION   current (default) or oldest
#   KUBE_APISERVER_BIN     use this binary instead of the cached build
#   ETCD_BIN               use this etcd instead of the version's own
#   KUBE_UP_TIMEOUT        seconds to wait for /readyz (default 60)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
READY_TIMEOUT=${KUBE_UP_TIMEOUT:-60}
ETCD_READY_TIMEOUT=20
SERVICE_CIDR=10.96.0.0/16
PORT_ATTEMPTS=3

log() { echo "kube-up: $*"; }
die() { echo "kube-up: FAILED: $*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
[[ $DIR =~ ^[A-Za-z0-9_./+-]+$ ]] || die "DIR '$DIR' has characters that the env file cannot carry unquoted"

VERSION=${KUBE_TESTBED_VERSION:-current}
case $VERSION in current | oldest) ;; *) die "KUBE_TESTBED_VERSION=$VERSION: use current or oldest" ;; esac

for tool in openssl curl setsid; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not on PATH (run scripts/install-deps.sh)"
done

# A DIR with live servers is not reused.
for name in etcd kube-apiserver; do
  if [ -s "$DIR/$name.pid" ] && kill -0 "$(cat "$DIR/$name.pid")" 2>/dev/null; then
    die "$name from an earlier kube-up still runs (pid $(cat "$DIR/$name.pid")); run kube-down.sh $DIR first"
  fi
done

APISERVER=${KUBE_APISERVER_BIN:-}
ETCD=${ETCD_BIN:-}
if [ "$VERSION" = oldest ]; then
  if [ -z "$APISERVER" ]; then
    APISERVER=$("$SCRIPT_DIR/build-kube-apiserver.sh" | tail -n1) || die "no kube-apiserver binary (build-kube-apiserver.sh failed)"
  fi
  [ -n "$ETCD" ] || ETCD=$(command -v etcd) || die "etcd not on PATH (build-kube-apiserver.sh installs Debian's etcd-server)"
else
  if [ -z "$APISERVER" ]; then
    APISERVER=$("$SCRIPT_DIR/build-peer.sh" kube-apiserver | tail -n1) || die "no kube-apiserver binary (build-peer.sh kube-apiserver failed)"
  fi
  if [ -z "$ETCD" ]; then
    ETCD=$("$SCRIPT_DIR/build-peer.sh" etcd | tail -n1) || die "no etcd binary (build-peer.sh etcd failed)"
  fi
fi
[ -x "$APISERVER" ] || die "kube-apiserver binary $APISERVER is not executable"
[ -x "$ETCD" ] || die "etcd binary $ETCD is not executable"

# Flags that differ between the versions: --insecure-port is gone since 1.24,
# the klog flag --logtostderr since 1.26 (stderr is the default there).
VERSION_FLAGS=()
if [ "$VERSION" = oldest ]; then
  VERSION_FLAGS=(--insecure-port=0 --logtostderr=true)
fi

T0=$(date +%s.%N)

# Fresh state: only the paths this script owns.
rm -rf "$DIR/etcd" "$DIR/pki" "$DIR/logs"
rm -f "$DIR/kubeconfig" "$DIR/env" "$DIR/ca.crt" "$DIR/admin.token" "$DIR/nobody.token" "$DIR/etcd.pid" "$DIR/kube-apiserver.pid"
mkdir -p "$DIR/pki/serving" "$DIR/logs"
chmod 700 "$DIR/pki"

STARTED_OK=0
cleanup() {
  rc=$?
  if [ "$STARTED_OK" -ne 1 ]; then
    "$SCRIPT_DIR/kube-down.sh" "$DIR" >/dev/null 2>&1 || true
    [ $rc -ne 0 ] || rc=1
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on now. (Another process may still take it before us;
# the callers retry on "address already in use".)
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# Starts "$@" in its own session/process group; the pid file holds the leader.
start_group() {
  local pidfile=$1 logfile=$2; shift 2
  # shellcheck disable=SC2016  # $$, $0, $@ belong to the inner bash
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" >"$logfile" 2>&1 </dev/null &
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && return 0; sleep 0.1; done
  die "could not start $1"
}

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# --- credentials ------------------------------------------------------------
openssl genrsa -out "$DIR/pki/sa.key" 2048 2>/dev/null || die "openssl genrsa failed"
openssl rsa -in "$DIR/pki/sa.key" -pubout -out "$DIR/pki/sa.pub" 2>/dev/null || die "openssl rsa -pubout failed"
ADMIN_TOKEN=$(openssl rand -hex 32)
NOBODY_TOKEN=$(openssl rand -hex 32)
umask_old=$(umask); umask 077
printf '%s\n' "$ADMIN_TOKEN" >"$DIR/admin.token"
printf '%s\n' "$NOBODY_TOKEN" >"$DIR/nobody.token"
# token,user,uid,"group,..."
{
  printf '%s,admin,admin-uid,"system:masters"\n' "$ADMIN_TOKEN"
  printf '%s,nobody,nobody-uid\n' "$NOBODY_TOKEN"
} >"$DIR/pki/tokens.csv"
umask "$umask_old"
# A client CA and one client certificate (CN=cert-user, no groups) for tests
# of certificate authentication.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ecrhelm-client-ca \
  -keyout "$DIR/pki/client-ca.key" -out "$DIR/pki/client-ca.crt" 2>/dev/null || die "client CA"
openssl req -newkey rsa:2048 -nodes -subj /CN=cert-user \
  -keyout "$DIR/pki/client.key" -out "$DIR/pki/client.csr" 2>/dev/null || die "client CSR"
openssl x509 -req -in "$DIR/pki/client.csr" -CA "$DIR/pki/client-ca.crt" -CAkey "$DIR/pki/client-ca.key" \
  -CAcreateserial -days 2 -out "$DIR/pki/client.crt" 2>/dev/null || die "client cert"

# --- etcd ---------------------------------------------------------------------
for attempt in $(seq 1 $PORT_ATTEMPTS); do
  ETCD_PORT=$(free_port) || die "no free port for etcd"
  ETCD_PEER_PORT=$(free_port) || die "no free port for etcd peers"
  [ "$ETCD_PORT" != "$ETCD_PEER_PORT" ] || continue
  ETCD_URL=http://127.0.0.1:$ETCD_PORT
  rm -rf "$DIR/etcd"
  start_group "$DIR/etcd.pid" "$DIR/logs/etcd.log" "$ETCD" \
    --name=ecrhelm-testbed \
    --data-dir="$DIR/etcd" \
    --listen-client-urls="$ETCD_URL" --advertise-client-urls="$ETCD_URL" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="ecrhelm-testbed=http://127.0.0.1:$ETCD_PEER_PORT" \
    --logger=zap --log-outputs=stderr
  deadline=$(($(date +%s) + ETCD_READY_TIMEOUT))
  while alive "$DIR/etcd.pid" && ! curl -fsS --max-time 2 "$ETCD_URL/health" 2>/dev/null | grep -q '"health":"true"'; do
    [ "$(date +%s)" -lt "$deadline" ] || { tail -n 20 "$DIR/logs/etcd.log" >&2; die "etcd not healthy at $ETCD_URL after ${ETCD_READY_TIMEOUT}s"; }
    sleep 0.2
  done
  alive "$DIR/etcd.pid" && break
  if grep -q 'address already in use' "$DIR/logs/etcd.log" && [ "$attempt" -lt $PORT_ATTEMPTS ]; then
    log "etcd port taken, retrying"; continue
  fi
  tail -n 20 "$DIR/logs/etcd.log" >&2
  die "etcd exited at start (log: $DIR/logs/etcd.log)"
done
log "etcd ready at $ETCD_URL (pid $(cat "$DIR/etcd.pid"))"

# --- kube-apiserver -----------------------------------------------------------
for attempt in $(seq 1 $PORT_ATTEMPTS); do
  PORT=$(free_port) || die "no free port for kube-apiserver"
  URL=https://127.0.0.1:$PORT
  ISSUER=$URL
  rm -rf "$DIR/pki/serving"; mkdir -p "$DIR/pki/serving"
  start_group "$DIR/kube-apiserver.pid" "$DIR/logs/kube-apiserver.log" "$APISERVER" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
    --secure-port="$PORT" "${VERSION_FLAGS[@]}" \
    --etcd-servers="$ETCD_URL" \
    --cert-dir="$DIR/pki/serving" \
    --token-auth-file="$DIR/pki/tokens.csv" \
    --client-ca-file="$DIR/pki/client-ca.crt" \
    --watch-cache-sizes=configmaps#0 \
    --authorization-mode=RBAC \
    --service-account-issuer="$ISSUER" \
    --service-account-key-file="$DIR/pki/sa.pub" \
    --service-account-signing-key-file="$DIR/pki/sa.key" \
    --api-audiences="$ISSUER" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --endpoint-reconciler-type=none \
    --disable-admission-plugins=ServiceAccount \
    --v=1
  CERT=$DIR/pki/serving/apiserver.crt
  deadline=$(($(date +%s) + READY_TIMEOUT))
  ready=0
  while alive "$DIR/kube-apiserver.pid"; do
    if [ -s "$CERT" ] && [ "$(curl -sS --max-time 3 --cacert "$CERT" -H "Authorization: Bearer $ADMIN_TOKEN" "$URL/readyz" 2>/dev/null)" = ok ]; then
      ready=1; break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "--- last lines of $DIR/logs/kube-apiserver.log" >&2
      tail -n 30 "$DIR/logs/kube-apiserver.log" >&2
      die "kube-apiserver not ready at $URL/readyz after ${READY_TIMEOUT}s"
    fi
    sleep 0.25
  done
  [ $ready -eq 1 ] && break
  if grep -q 'address already in use' "$DIR/logs/kube-apiserver.log" && [ "$attempt" -lt $PORT_ATTEMPTS ]; then
    log "kube-apiserver port taken, retrying"; continue
  fi
  echo "--- last lines of $DIR/logs/kube-apiserver.log" >&2
  tail -n 30 "$DIR/logs/kube-apiserver.log" >&2
  die "kube-apiserver exited at start (log: $DIR/logs/kube-apiserver.log)"
done
READY_SECONDS=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

# --- outputs ------------------------------------------------------------------
cp "$CERT" "$DIR/ca.crt"
umask 077
cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: ecrhelm-testbed
  cluster:
    server: $URL
    certificate-authority: $DIR/ca.crt
users:
- name: admin
  user:
    token: $ADMIN_TOKEN
- name: nobody
  user:
    token: $NOBODY_TOKEN
contexts:
- name: admin
  context:
    cluster: ecrhelm-testbed
    user: admin
- name: nobody
  context:
    cluster: ecrhelm-testbed
    user: nobody
current-context: admin
EOF
umask "$umask_old"
cat >"$DIR/env" <<EOF
KUBECONFIG=$DIR/kubeconfig
KUBE_APISERVER_URL=$URL
KUBE_ADMIN_TOKEN_FILE=$DIR/admin.token
KUBE_NOBODY_TOKEN_FILE=$DIR/nobody.token
KUBE_CA_FILE=$DIR/ca.crt
KUBE_CLIENT_CERT_FILE=$DIR/pki/client.crt
KUBE_CLIENT_KEY_FILE=$DIR/pki/client.key
KUBE_SERVICE_ACCOUNT_ISSUER=$ISSUER
KUBE_SERVICE_ACCOUNT_SIGNING_KEY_FILE=$DIR/pki/sa.key
KUBE_SERVICE_ACCOUNT_PUBLIC_KEY_FILE=$DIR/pki/sa.pub
KUBE_APISERVER_PID=$(cat "$DIR/kube-apiserver.pid")
KUBE_APISERVER_LOG=$DIR/logs/kube-apiserver.log
ETCD_URL=$ETCD_URL
ETCD_PID=$(cat "$DIR/etcd.pid")
ETCD_LOG=$DIR/logs/etcd.log
KUBE_TESTBED_VERSION=$VERSION
EOF

STARTED_OK=1
log "kube-apiserver ($VERSION: $("$APISERVER" --version 2>/dev/null)) ready at $URL in ${READY_SECONDS}s (pid $(cat "$DIR/kube-apiserver.pid"))"
log "env: $DIR/env   kubeconfig: $DIR/kubeconfig"
