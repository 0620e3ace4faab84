#!/usr/bin/env bash
# Proves the Kubernetes test bed works end to end with the peer client (kubectl):
# kube-up, then namespace, labelled secret, CRD (apiextensions.k8s.io/v1) and a
# custom object, server-side apply, a watch that receives an event, TokenRequest
# with audience sts.amazonaws.com, RBAC 403 for an identity with no bindings,
# 401 for a bad token; then kube-down and a check that nothing is left running.
#
#   scripts/testbed/smoke-test.sh DIR       (DIR: a scratch directory)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WATCH_TIMEOUT=20

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
DIR=$(cd "$1" && pwd)
command -v kubectl >/dev/null 2>&1 || { echo "smoke-test: kubectl not on PATH" >&2; exit 1; }

PASS=0
ok() { PASS=$((PASS + 1)); echo "smoke-test: ok   $*"; }
fail() { echo "smoke-test: FAIL $*" >&2; exit 1; }

WATCH_PID=""
UP=0
cleanup() {
  rc=$?
  [ -z "$WATCH_PID" ] || kill "$WATCH_PID" 2>/dev/null || true
  if [ $UP -eq 1 ]; then "$SCRIPT_DIR/kube-down.sh" "$DIR" >/dev/null 2>&1 || true; fi
  [ $rc -eq 0 ] || echo "smoke-test: FAILED (logs in $DIR/logs)" >&2
  exit $rc
}
trap cleanup EXIT

# Processes (not zombies) whose executable is etcd or kube-apiserver and whose
# command line names DIR: what this test bed started.
leftovers() {
  local f pid exe args found=""
  for f in /proc/[0-9]*/cmdline; do
    pid=${f#/proc/}; pid=${pid%/cmdline}
    args=$({ tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
    exe=${args%% *}
    case "${exe##*/}" in etcd | kube-apiserver) ;; *) continue ;; esac
    case "$args" in *"$DIR"/*) ;; *) continue ;; esac
    grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && continue
    found+="$pid "
  done
  echo "$found"
}

UP=1
"$SCRIPT_DIR/kube-up.sh" "$DIR"
# shellcheck disable=SC1091
. "$DIR/env"
K() { kubectl --kubeconfig "$DIR/kubeconfig" "$@"; }
NS=smoke

# 1. discovery / version (kubectl v1.32 warns about skew with v1.20 and v1.37; that is fine)
case $KUBE_TESTBED_VERSION in oldest) WANT=v1.20.2 ;; *) WANT=v1.37.2 ;; esac
SERVER_VERSION=$(K version -o json 2>/dev/null || true)
grep -q "\"gitVersion\": \"$WANT\"" <<<"$SERVER_VERSION" || fail "server version is not $WANT"
ok "server is $WANT at $KUBE_APISERVER_URL"

# 2. namespace
K create namespace "$NS" >/dev/null
[ "$(K get namespace "$NS" -o jsonpath='{.status.phase}')" = Active ] || fail "namespace $NS not Active"
ok "namespace $NS created"

# 3. secret with labels (an Argo CD repository secret, as the seed has it)
K -n "$NS" create secret generic ecr-repo \
  --from-literal=url=123456789012.dkr.ecr.us-east-1.amazonaws.com \
  --from-literal=type=helm --from-literal=enableOCI=true >/dev/null
K -n "$NS" label secret ecr-repo argocd.argoproj.io/secret-type=repository >/dev/null
[ "$(K -n "$NS" get secrets -l argocd.argoproj.io/secret-type=repository -o jsonpath='{.items[*].metadata.name}')" = ecr-repo ] ||
  fail "label selector did not find the secret"
ok "secret with labels, found by label selector"

# 4. CRD (apiextensions.k8s.io/v1) and an object of it
K apply -f - >/dev/null <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ecrauthorizationtokens.generators.external-secrets.io
spec:
  group: generators.external-secrets.io
  scope: Namespaced
  names: {kind: ECRAuthorizationToken, plural: ecrauthorizationtokens, singular: ecrauthorizationtoken, listKind: ECRAuthorizationTokenList}
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
EOF
K wait --for=condition=Established --timeout=30s crd/ecrauthorizationtokens.generators.external-secrets.io >/dev/null
K -n "$NS" apply -f - >/dev/null <<'EOF'
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata: {name: ecr-gen}
spec: {region: us-east-1, role: arn:aws:iam::123456789012:role/ecr-read}
EOF
[ "$(K -n "$NS" get ecrauthorizationtokens ecr-gen -o jsonpath='{.spec.region}')" = us-east-1 ] || fail "custom object not stored"
ok "CRD established and a custom object stored"

# 5. server-side apply: field manager owns the fields it set; a second manager
#    changing one of them conflicts; --force-conflicts takes it over.
cm() {
  cat <<EOF
apiVersion: v1
kind: ConfigMap
metadata: {name: ssa, namespace: $NS}
data: {owner: $1}
EOF
}
cm alpha | K apply --server-side --field-manager=alpha -f - >/dev/null
K -n "$NS" get configmap ssa -o jsonpath='{.metadata.managedFields[*].manager}' --show-managed-fields | grep -qw alpha ||
  fail "server-side apply did not record manager alpha"
if cm beta | K apply --server-side --field-manager=beta -f - >/dev/null 2>"$DIR/logs/smoke-ssa-conflict.txt"; then
  fail "server-side apply by a second manager did not conflict"
fi
grep -qi conflict "$DIR/logs/smoke-ssa-conflict.txt" || fail "expected an apply conflict, got: $(cat "$DIR/logs/smoke-ssa-conflict.txt")"
cm beta | K apply --server-side --field-manager=beta --force-conflicts -f - >/dev/null
[ "$(K -n "$NS" get configmap ssa -o jsonpath='{.data.owner}')" = beta ] || fail "forced apply did not take over"
ok "server-side apply (managedFields, conflict, --force-conflicts)"

# 6. watch receives an event
# kubectl itself in the background (not the K function, whose subshell would
# hide kubectl's pid and leave the watch open to delay the server's shutdown).
kubectl --kubeconfig "$DIR/kubeconfig" -n "$NS" get secrets --watch-only -o name >"$DIR/logs/smoke-watch.out" 2>"$DIR/logs/smoke-watch.err" &
WATCH_PID=$!
sleep 2   # let the watch open before the change
K -n "$NS" create secret generic watched --from-literal=k=v >/dev/null
deadline=$(($(date +%s) + WATCH_TIMEOUT))
until grep -q 'secret/watched' "$DIR/logs/smoke-watch.out"; do
  [ "$(date +%s)" -lt "$deadline" ] || fail "watch saw no event in ${WATCH_TIMEOUT}s: $(cat "$DIR/logs/smoke-watch.err")"
  sleep 0.2
done
kill "$WATCH_PID" 2>/dev/null || true; wait "$WATCH_PID" 2>/dev/null || true; WATCH_PID=""
ok "watch received the ADDED event for secret/watched"

# 7. TokenRequest for a service account, audience sts.amazonaws.com (IRSA-style)
K -n "$NS" create serviceaccount argocd-repo-server >/dev/null
TOKEN=$(K -n "$NS" create token argocd-repo-server --audience sts.amazonaws.com --duration 1h)
PAYLOAD=$(printf '%s' "$TOKEN" | cut -d. -f2 | tr '_-' '/+')
while [ $((${#PAYLOAD} % 4)) -ne 0 ]; do PAYLOAD+="="; done
CLAIMS=$(printf '%s' "$PAYLOAD" | base64 -d)
printf '%s' "$CLAIMS" | grep -q '"aud":\["sts.amazonaws.com"\]' || fail "token audience wrong: $CLAIMS"
printf '%s' "$CLAIMS" | grep -q "\"sub\":\"system:serviceaccount:$NS:argocd-repo-server\"" || fail "token subject wrong: $CLAIMS"
printf '%s' "$CLAIMS" | grep -q "\"iss\":\"$KUBE_SERVICE_ACCOUNT_ISSUER\"" || fail "token issuer wrong: $CLAIMS"
ok "TokenRequest: aud=sts.amazonaws.com sub=system:serviceaccount:$NS:argocd-repo-server"

# 8. RBAC: an identity with no bindings gets 403; after a Role + RoleBinding it
#    may read secrets in its namespace only.
NOBODY=(kubectl --kubeconfig "$DIR/kubeconfig" --context nobody)
if "${NOBODY[@]}" -n "$NS" get secrets >/dev/null 2>"$DIR/logs/smoke-rbac.txt"; then fail "user nobody could list secrets"; fi
grep -q 'Forbidden' "$DIR/logs/smoke-rbac.txt" || fail "expected Forbidden, got: $(cat "$DIR/logs/smoke-rbac.txt")"
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$KUBE_CA_FILE" \
  -H "Authorization: Bearer $(cat "$KUBE_NOBODY_TOKEN_FILE")" "$KUBE_APISERVER_URL/api/v1/namespaces/$NS/secrets")
[ "$code" = 403 ] || fail "expected HTTP 403 for nobody, got $code"
K -n "$NS" create role secret-reader --verb=get,list,watch --resource=secrets >/dev/null
K -n "$NS" create rolebinding nobody-reads --role=secret-reader --user=nobody >/dev/null
"${NOBODY[@]}" -n "$NS" get secrets >/dev/null || fail "user nobody cannot list secrets after the RoleBinding"
if "${NOBODY[@]}" -n default get secrets >/dev/null 2>&1; then fail "user nobody can list secrets in default"; fi
ok "RBAC: 403 with no bindings, 200 in own namespace after binding, 403 elsewhere"

# 9. a bad token is 401
code=$(curl -sS -o /dev/null -w '%{http_code}' --cacert "$KUBE_CA_FILE" \
  -H "Authorization: Bearer not-a-token" "$KUBE_APISERVER_URL/api/v1/namespaces")
[ "$code" = 401 ] || fail "expected HTTP 401 for a bad token, got $code"
ok "bad token: 401"

# 10. down, and nothing left
"$SCRIPT_DIR/kube-down.sh" "$DIR"
UP=0
left=$(leftovers)
[ -z "$left" ] || fail "processes left after kube-down: $left"
[ ! -e "$DIR/etcd.pid" ] && [ ! -e "$DIR/kube-apiserver.pid" ] || fail "pid files left after kube-down"
ok "kube-down: no etcd or kube-apiserver left"

echo "smoke-test: all $PASS checks passed"
