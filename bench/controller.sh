#!/usr/bin/env bash
# Controller benchmark (issue 5): `ecrhelm controller` on the test bed (real
# etcd + kube-apiserver, scripts/testbed) with moto_server as ECR. For each N
# in COUNTS: N ExternalSecrets (v1beta1, creationPolicy Merge, a template
# writing `password`) over GENERATORS ECRAuthorizationTokens, each with its own
# credentials Secret (distinct access key ids = distinct identities), each
# ExternalSecret merging into its own pre-created Argo CD repository Secret.
# Creating the objects is setup (bench/controller_helper.py), not measured.
# Measured per run, in a fresh namespace:
#   - time from starting the controller to every ExternalSecret Ready (polls
#     /metrics' externalsecret_status_condition{condition="Ready",status="True"});
#   - ECR GetAuthorizationToken calls (ecrhelm_aws_calls_total);
#   - peak RSS (VmHWM from /proc/PID/status just before SIGTERM);
#   - CPU seconds (utime+stime from /proc/PID/stat) over IDLE_SECONDS once settled
#     (after all Ready, each status write's watch event causes one more no-op
#     reconcile; the window starts when the reconcile count stops moving);
#   - kube-apiserver + etcd CPU seconds while the controller ramps and during each floor;
#   - the floor: the same N merge patches of `password` to the same Secrets, sent by
#     one curl process at the same concurrency (--parallel --parallel-max CONCURRENT),
#     and the floor with 2 writes per object (the patch + a merge patch of the
#     ExternalSecret's status, which the controller also writes), and the
#     controller's own 4 requests per object sent the same way (GET target,
#     server-side apply, POST Event, status merge patch; it reads the generator
#     and its credentials Secret once per identity, and its own status write's
#     watch event causes no reconcile).
# moto answers GetAuthorizationToken with expiresAt 2015-01-01 (already expired),
# which makes the controller refresh every 60 s. A small proxy in front of moto
# sets expiresAt to now + TOKEN_HOURS (12 h, as ECR) so the idle window is idle
# as in production; TOKEN_HOURS=0 talks to moto directly.
#
# CONTROLLER=eso runs External Secrets Operator v0.16.2 itself (build-peer.sh eso)
# in place of ecrhelm, on its own CRDs, with the same manifests, moto and proxy:
# its ECR generator has no endpoint setting, so HTTPS_PROXY points it at
# aws-connect-proxy.py (as make smoke-peers does). ECR calls are counted by the
# expiry proxy for both; API requests from the apiserver's apiserver_request_total.
#
# Usage: bench/controller.sh path/to/ecrhelm
# Knobs: COUNTS="100 1000 5000" RUNS=1 GENERATORS=10 CONCURRENT=4 IDLE_SECONDS=30
#        QPS=1000 BURST=2000 TOKEN_HOURS=12 POLL_SECONDS=0.25 READY_TIMEOUT=900
#        MALLOC_ARENA_MAX (passed to the controller when set)
#        FLOOR_MIX7=1 adds a floor: the issue-5 controller's 7 requests per object
#        (with the GETs of the generator, its credentials Secret and the no-op re-read)
# Prints markdown tables for BENCHMARKS.md on stdout (progress on stderr).
set -euo pipefail
ECRHELM=$(readlink -f "${1:-build-bench/ecrhelm}")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
COUNTS=${COUNTS:-"100 1000 5000"}
RUNS=${RUNS:-1}
export GENERATORS=${GENERATORS:-10}
CONCURRENT=${CONCURRENT:-4}
IDLE_SECONDS=${IDLE_SECONDS:-30}
QPS=${QPS:-1000}
BURST=${BURST:-2000}
TOKEN_HOURS=${TOKEN_HOURS:-12}
POLL_SECONDS=${POLL_SECONDS:-0.25}
READY_TIMEOUT=${READY_TIMEOUT:-900}
FLOOR_MIX7=${FLOOR_MIX7:-0}
CONTROLLER=${CONTROLLER:-ecrhelm}
case "$CONTROLLER" in ecrhelm | eso) ;; *) echo "controller bench: CONTROLLER is ecrhelm or eso" >&2; exit 2 ;; esac
if [ "$CONTROLLER" = eso ]; then
  ESO=$("$ROOT/scripts/testbed/build-peer.sh" eso | tail -n1)
  [ "$TOKEN_HOURS" != 0 ] || { echo "controller bench: CONTROLLER=eso needs TOKEN_HOURS > 0 (the proxy counts ECR calls)" >&2; exit 2; }
fi
[ -x "$ECRHELM" ] || { echo "controller bench: $ECRHELM is not executable" >&2; exit 2; }

need=()
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
command -v kubectl >/dev/null || need+=(kubectl)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
command -v moto_server >/dev/null || python3 -m pip install -q 'moto[server]' >&2

log() { echo "controller bench: $*" >&2; }
work=$(mktemp -d)
moto_pid="" proxy_pid="" connect_pid="" ctl_pid="" kube_up=0
stop_pid() {  # PID: SIGTERM, wait; a server killed by SIGTERM makes `wait` fail
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  stop_pid "$ctl_pid"
  stop_pid "$proxy_pid"
  stop_pid "$connect_pid"
  stop_pid "$moto_pid"
  if [ "$kube_up" = 1 ]; then "$ROOT/scripts/testbed/kube-down.sh" "$work/kube" --purge >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
HZ=$(getconf CLK_TCK)
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
ticks_s() { awk -v a="$1" -v b="$2" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz}'; }
# CPU ticks of kube-apiserver + etcd (the test bed's pid files name the server processes).
srv_ticks() { echo $(( $(cpu_ticks "$KUBE_APISERVER_PID") + $(cpu_ticks "$ETCD_PID") )); }

log "starting etcd + kube-apiserver (scripts/testbed/kube-up.sh)"
kube_up=1
"$ROOT/scripts/testbed/kube-up.sh" "$work/kube" >"$work/kube-up.log" 2>&1 ||
  { tail -20 "$work/kube-up.log" >&2; exit 1; }
set -a
# shellcheck disable=SC1091
. "$work/kube/env"
set +a
crds="$ROOT/deploy/crds/"
if [ "$CONTROLLER" = eso ]; then
  # ESO watches every kind of its groups: all of its CRDs, from the module it was built from.
  crds="${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}/gopath/pkg/mod/github.com/external-secrets/external-secrets@v0.16.2/config/crds/bases"
  mkdir -p "$work/crds"
  for f in "$crds"/*.yaml; do [ "${f##*/}" = kustomization.yaml ] || cp "$f" "$work/crds/"; done
  crds="$work/crds/"
fi
kubectl --kubeconfig "$KUBECONFIG" apply --server-side -f "$crds" >/dev/null
kubectl --kubeconfig "$KUBECONFIG" wait --for condition=Established --timeout 60s -f "$crds" >/dev/null

moto_port=$(free_port)
moto_server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$moto_port/" && break; sleep 0.1; done
ecr_port=$moto_port
if [ "$TOKEN_HOURS" != 0 ]; then
  python3 "$ROOT/scripts/testbed/ecr-expiry-proxy.py" --upstream-port "$moto_port" \
    --port-file "$work/proxy.port" --hours "$TOKEN_HOURS" >"$work/proxy.log" 2>&1 &
  proxy_pid=$!
  for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
  ecr_port=$(cat "$work/proxy.port")
fi
mkdir -p "$work/home"
if [ "$CONTROLLER" = eso ]; then
  # A test CA and a certificate for ECR's and STS's names; the CONNECT proxy
  # answers those tunnels itself and relays to the expiry proxy (then moto).
  "$ROOT/scripts/testbed/aws-test-cert.sh" "$work"
  python3 "$ROOT/scripts/testbed/aws-connect-proxy.py" --port-file "$work/connect.port" \
    --moto "http://127.0.0.1:$ecr_port" --cert "$work/aws.crt" --key "$work/aws.key" 2>"$work/connect.log" &
  connect_pid=$!
  for _ in $(seq 100); do [ -s "$work/connect.port" ] && break; sleep 0.1; done
  connect_port=$(cat "$work/connect.port")
fi
# ECR GetAuthorizationToken calls the expiry proxy forwarded so far (both controllers).
proxy_ecr_calls() {
  curl -s --max-time 10 "http://127.0.0.1:$ecr_port/_proxy/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("GetAuthorizationToken", 0))'
}
# Every request the apiserver served so far (apiserver_request_total, all verbs).
api_requests() {
  curl -s --max-time 30 --cacert "$KUBE_CA_FILE" -H "Authorization: Bearer $(cat "$KUBE_ADMIN_TOKEN_FILE")" \
    "$KUBE_APISERVER_URL/metrics" | awk '/^apiserver_request_total\{/ { n += $NF } END { printf "%d", n }'
}
# Reconciles so far: ecrhelm's histogram count, or controller-runtime's for ESO.
reconciles() {
  if [ "$CONTROLLER" = eso ]; then
    awk '/^controller_runtime_reconcile_total\{controller="externalsecret"/ { n += $NF } END { printf "%d", n }' "$1"
  else
    metric ecrhelm_reconcile_duration_seconds_count "$1"
  fi
}

# metric NAME_AND_LABELS FILE: the value of one series (0 when absent).
metric() { awk -v s="$1" 'index($0, s " ") == 1 { v = $2 } END { print v + 0 }' "$2"; }
ecr_series='ecrhelm_aws_calls_total{operation="GetAuthorizationToken",service="ecr"}'

rows=()
for n in $COUNTS; do
  for run in $(seq 1 "$RUNS"); do
    ns="bench-$n-$run"
    log "N=$n run $run: creating $GENERATORS generators, $n repository secrets and $n ExternalSecrets in $ns"
    t=$(now)
    python3 "$ROOT/bench/controller_helper.py" setup "$ns" "$n" "$GENERATORS"
    log "  setup took $(awk -v a="$t" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}') s"

    clog="$work/controller-$ns.log"
    # Default log level (warnings only; -v is debug): the metrics port is chosen here.
    mport=$(free_port)
    ecr0=$(proxy_ecr_calls)
    api0=$(api_requests)
    s0=$(srv_ticks)
    t0=$(now)
    if [ "$CONTROLLER" = eso ]; then
      env -i PATH=/usr/bin:/bin HOME="$work/home" KUBECONFIG="$KUBECONFIG" \
        HTTPS_PROXY="http://127.0.0.1:$connect_port" NO_PROXY=127.0.0.1,localhost \
        AWS_CA_BUNDLE="$work/ca.crt" AWS_EC2_METADATA_DISABLED=true \
        "$ESO" --namespace="$ns" --metrics-addr="127.0.0.1:$mport" --concurrent="$CONCURRENT" \
        --client-qps="$QPS" --client-burst="$BURST" --enable-leader-election=false \
        --enable-cluster-store-reconciler=false --enable-cluster-external-secret-reconciler=false \
        --enable-cluster-push-secret-reconciler=false --enable-push-secret-reconciler=false \
        --loglevel=error >"$clog" 2>&1 &
    else
      env -i PATH=/usr/bin:/bin HOME="$work/home" AWS_ENDPOINT_URL="http://127.0.0.1:$ecr_port" \
        AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true ${MALLOC_ARENA_MAX:+MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX} \
        "$ECRHELM" controller --kubeconfig "$KUBECONFIG" --namespace "$ns" --no-annotation-mode \
        --concurrent "$CONCURRENT" --kube-api-qps "$QPS" --kube-api-burst "$BURST" \
        --metrics-bind-address "127.0.0.1:$mport" --health-probe-bind-address 127.0.0.1:0 >"$clog" 2>&1 &
    fi
    ctl_pid=$!
    ready=0
    while :; do
      curl -s -o "$work/metrics" "http://127.0.0.1:$mport/metrics" || : >"$work/metrics"
      ready=$(grep -c '^externalsecret_status_condition{condition="Ready",.*status="True"} 1$' "$work/metrics" || true)
      [ "$ready" -ge "$n" ] && break
      kill -0 "$ctl_pid" 2>/dev/null || { log "controller exited"; tail -5 "$clog" >&2; exit 1; }
      if awk -v a="$t0" -v b="$(now)" -v m="$READY_TIMEOUT" 'BEGIN{exit !(b-a > m)}'; then
        log "only $ready of $n Ready after $READY_TIMEOUT s"; exit 1
      fi
      sleep "$POLL_SECONDS"
    done
    t1=$(now)
    s1=$(srv_ticks)
    ready_s=$(secs "$t0" "$t1")
    ramp_cpu=$(ticks_s 0 "$(cpu_ticks "$ctl_pid")")
    srv_ramp=$(ticks_s "$s0" "$s1")
    api_at_ready=$(( $(api_requests) - api0 ))
    ecr_at_ready=$(( $(proxy_ecr_calls) - ecr0 ))
    rec_at_ready=$(reconciles "$work/metrics")
    log "  all $n Ready after $ready_s s (controller $ramp_cpu s CPU, apiserver+etcd $srv_ramp s; $ecr_at_ready ECR calls, $api_at_ready API requests, $rec_at_ready reconciles)"

    # Settle: each status write comes back as a watch event and one more (no-op)
    # reconcile; wait until the reconcile count stops moving (3 polls, 1 s apart).
    prev=-1 same=0
    while [ "$same" -lt 3 ]; do
      sleep 1
      curl -s -o "$work/metrics" "http://127.0.0.1:$mport/metrics" || : >"$work/metrics"
      cur=$(reconciles "$work/metrics")
      if [ "$cur" = "$prev" ]; then same=$((same + 1)); else same=0; fi
      prev=$cur
      awk -v a="$t1" -v b="$(now)" 'BEGIN{exit !(b-a > 300)}' && break
    done
    settled_s=$(secs "$t1" "$(now)")
    rec_settled=$prev
    log "  settled $settled_s s after Ready ($rec_settled reconciles); idle for $IDLE_SECONDS s"

    # Idle: nothing polls the controller during the window.
    c0=$(cpu_ticks "$ctl_pid")
    sleep "$IDLE_SECONDS"
    c1=$(cpu_ticks "$ctl_pid")
    idle_cpu=$(ticks_s "$c0" "$c1")
    curl -s -o "$work/metrics" "http://127.0.0.1:$mport/metrics" || true
    rec_after_idle=$(reconciles "$work/metrics")
    ecr_calls=$(( $(proxy_ecr_calls) - ecr0 ))
    [ "$TOKEN_HOURS" != 0 ] || ecr_calls=$(metric "$ecr_series" "$work/metrics")
    api_total=$(( $(api_requests) - api0 ))
    rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$ctl_pid/status")
    hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$ctl_pid/status")
    kill -TERM "$ctl_pid"
    if [ "$CONTROLLER" = eso ]; then wait "$ctl_pid" || true; else
      wait "$ctl_pid" || { log "controller exited with $?"; tail -5 "$clog" >&2; exit 1; }
    fi
    ctl_pid=""
    if [ -s "$clog" ]; then log "  the controller logged $(wc -l <"$clog") lines, e.g.:"; head -3 "$clog" >&2; fi
    rotated=$(python3 "$ROOT/bench/controller_helper.py" check "$ns" "$n")
    [ "$rotated" -eq "$n" ] || { log "only $rotated of $n secrets hold a new password"; exit 1; }

    # The floor: same N secrets, same concurrency, one curl process (keep-alive; curl's
    # default for https: HTTP/2, requests multiplexed up to --parallel-max at once).
    floor() {  # MODE REQUESTS_PER_OBJECT -> "seconds apiserver+etcd-cpu-seconds"
      python3 "$ROOT/bench/controller_helper.py" floor "$ns" "$n" "$1" "floor-$1-$run" "$work/floor.cfg"
      local a b codes sa sb
      sa=$(srv_ticks)
      a=$(now)
      curl -s --parallel --parallel-max "$CONCURRENT" -K "$work/floor.cfg" \
        >"$work/floor.codes" 2>"$work/floor.err"
      b=$(now)
      sb=$(srv_ticks)
      codes=$(grep -c '^20[01]$' "$work/floor.codes" || true)
      [ "$codes" -eq "$(( n * $2 ))" ] || { log "floor $1: $codes of $(( n * $2 )) requests answered 2xx"; exit 1; }
      echo "$(secs "$a" "$b") $(ticks_s "$sa" "$sb")"
    }
    read -r floor1 srv1 < <(floor 1 1)
    read -r floor2 srv2 < <(floor 2 2)
    read -r floorm srvm < <(floor mix 4)
    floorm5=0
    if [ "$FLOOR_MIX7" = 1 ]; then read -r floorm5 _ < <(floor mix7 7); fi
    rm -f "$work/floor.cfg"
    log "  floor: $floor1 s (1 write each), $floor2 s (2 writes each), $floorm s (the controller's 4 requests each)"
    [ "$FLOOR_MIX7" = 1 ] && log "  the issue-5 controller's 7 requests each: $floorm5 s"
    rows+=("$n $run $ready_s $floor1 $floor2 $floorm $ecr_calls $hwm_kb $rss_kb $idle_cpu $ramp_cpu $srv_ramp $srv1 $srv2 $srvm $rec_at_ready $settled_s $rec_settled $rec_after_idle $floorm5 $api_at_ready $api_total")
    if [ -n "${CSV:-}" ]; then
      [ -s "$CSV" ] || echo "controller,n,run,ready_s,ecr_calls,peak_rss_kib,api_requests_to_ready,api_requests_to_idle_end,cpu_to_ready_s,idle_cpu_s" >"$CSV"
      echo "$CONTROLLER,$n,$run,$ready_s,$ecr_calls,$hwm_kb,$api_at_ready,$api_total,$ramp_cpu,$idle_cpu" >>"$CSV"
    fi
  done
done

echo
[ "$CONTROLLER" = eso ] && echo "ESO v0.16.2 (build-peer.sh eso): --concurrent $CONCURRENT --client-qps $QPS --client-burst $BURST"
echo "ecrhelm controller: $(basename "$ECRHELM") --concurrent $CONCURRENT --kube-api-qps $QPS --kube-api-burst $BURST;" \
  "$GENERATORS generators; idle window $IDLE_SECONDS s; token lifetime $([ "$TOKEN_HOURS" = 0 ] && echo "moto's (expired)" || echo "$TOKEN_HOURS h")" \
  "${MALLOC_ARENA_MAX:+; MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}"
echo
echo "| ExternalSecrets | run | start to all Ready | floor: 1 merge patch each | ratio | floor: 2 merge patches each | ratio | the controller's 4 requests each by curl | ratio |"
echo "|---|---|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do
  # shellcheck disable=SC2086
  set -- $r
  awk -v n="$1" -v run="$2" -v rd="$3" -v f1="$4" -v f2="$5" -v fm="$6" 'BEGIN {
    printf "| %d | %d | %.2f s | %.2f s | %.2fx | %.2f s | %.2fx | %.2f s | %.2fx |\n",
      n, run, rd, f1, rd / f1, f2, rd / f2, fm, rd / fm }'
done
echo
echo "| ExternalSecrets | run | ECR calls | peak RSS (VmHWM) | RSS at stop | controller CPU to Ready | apiserver+etcd CPU: controller / floor 1 / floor 2 / 4 requests | settled after Ready | idle CPU (${IDLE_SECONDS} s) | reconciles at Ready / settled / after idle |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in "${rows[@]}"; do
  # shellcheck disable=SC2086
  set -- $r
  awk -v n="$1" -v run="$2" -v ecr="$7" -v hwm="$8" -v rss="$9" -v idle="${10}" -v ramp="${11}" \
      -v sr="${12}" -v s1="${13}" -v s2="${14}" -v sm="${15}" -v r0="${16}" -v st="${17}" \
      -v r1="${18}" -v r2="${19}" 'BEGIN {
    printf "| %d | %d | %d | %.1f MiB | %.1f MiB | %.2f s | %.1f / %.1f / %.1f / %.1f s | %.1f s | %.2f s | %d / %d / %d |\n",
      n, run, ecr, hwm / 1024, rss / 1024, ramp, sr, s1, s2, sm, st, idle, r0, r1, r2 }'
done
if [ "$FLOOR_MIX7" = 1 ]; then
  echo
  echo "| ExternalSecrets | run | start to all Ready | the controller's 4 requests each | the issue-5 controller's 7 requests each | ratio to those 7 |"
  echo "|---|---|---|---|---|---|"
  for r in "${rows[@]}"; do
    # shellcheck disable=SC2086
    set -- $r
    awk -v n="$1" -v run="$2" -v rd="$3" -v fm="$6" -v f5="${20}" 'BEGIN {
      printf "| %d | %d | %.2f s | %.2f s | %.2f s | %.2fx |\n", n, run, rd, fm, f5, fm / f5 }'
  done
fi
echo
echo "| ExternalSecrets | run | controller | API requests from start to all Ready | per ExternalSecret | to the end of the idle window |"
echo "|---|---|---|---|---|---|"
for r in "${rows[@]}"; do
  # shellcheck disable=SC2086
  set -- $r
  awk -v n="$1" -v run="$2" -v c="$CONTROLLER" -v a="${21}" -v t="${22}" 'BEGIN {
    printf "| %d | %d | %s | %d | %.2f | %d |\n", n, run, c, a, a / n, t }'
done
