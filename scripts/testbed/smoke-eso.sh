#!/usr/bin/env bash
# `make smoke-peers`: External Secrets Operator v0.16.2's own controller
# (build-peer.sh eso), run outside the cluster against the kube test bed,
# reconciles the seed's manifests (generator.yaml + external-secret.yaml, as
# tests/support/crds.cpp fills them in) with moto_server as ECR. Not in
# `make test`: ESO takes minutes to build once.
#
#   scripts/testbed/smoke-eso.sh [DIR]      (DIR: scratch, default a temp dir)
#
# ESO 0.16's ECR generator (aws-sdk-go v1) has no ECR endpoint setting: it
# always calls https://api.ecr.us-east-1.amazonaws.com. HTTPS_PROXY points it
# at aws-connect-proxy.py, which answers that CONNECT itself (TLS with a
# certificate from a test CA made here, AWS_CA_BUNDLE) and relays to moto.
# Everything listens on 127.0.0.1; the proxy refuses any other host.
# Prints what ESO left behind (key names, labels, annotations, field managers,
# status, events; never a value) and exits non-zero on the first failed check.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${ECRHELM_TESTBED_CACHE:-/var/cache/ecrhelm}
ESO_VERSION=v0.16.2
NS=eso-smoke
REPO_SECRET=repo-ecr
MOTO_PASSWORD=123456789012-auth-token # moto's fixed ECR token: not a secret
WAIT_SECONDS=180

ok() { echo "smoke-eso: ok: $*"; }
fail() { echo "smoke-eso: FAILED: $*" >&2; exit 1; }

DIR=${1:-$(mktemp -d /tmp/smoke-eso.XXXXXX)}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
PIDS=()
cleanup() {
  rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  "$SCRIPT_DIR/kube-down.sh" "$DIR/kube" >/dev/null 2>&1 || true
  [ $rc -eq 0 ] || echo "smoke-eso: logs in $DIR" >&2
  exit $rc
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ESO=$("$SCRIPT_DIR/build-peer.sh" eso | tail -n1) || fail "build-peer.sh eso"
CRDS=$CACHE_ROOT/gopath/pkg/mod/github.com/external-secrets/external-secrets@$ESO_VERSION/config/crds/bases
[ -d "$CRDS" ] || fail "no $CRDS (the module cache of the ESO build)"

"$SCRIPT_DIR/kube-up.sh" "$DIR/kube" >"$DIR/kube-up.log" 2>&1 || { tail -20 "$DIR/kube-up.log" >&2; fail "kube-up"; }
K() { kubectl --kubeconfig "$DIR/kube/kubeconfig" "$@" 2>>"$DIR/kubectl.err"; }

# ESO watches every kind of its group: all of its CRDs, from the module it was built from.
for f in "$CRDS"/*.yaml; do
  [ "${f##*/}" = kustomization.yaml ] && continue
  K apply --server-side -f "$f" >/dev/null || fail "apply $f"
done
K wait --for=condition=Established crd --all --timeout=60s >/dev/null || fail "ESO's CRDs not Established"
ok "ESO $ESO_VERSION's $(ls "$CRDS" | grep -c '^[a-z].*_.*\.yaml$') CRDs installed"

# moto as AWS, and the TLS-terminating CONNECT proxy in front of it.
MOTO_PORT=$(free_port)
moto_server -H 127.0.0.1 -p "$MOTO_PORT" >"$DIR/moto.log" 2>&1 &
PIDS+=($!)
"$SCRIPT_DIR/aws-test-cert.sh" "$DIR"
rm -f "$DIR/proxy.port"
python3 "$SCRIPT_DIR/aws-connect-proxy.py" --port-file "$DIR/proxy.port" --moto "http://127.0.0.1:$MOTO_PORT" \
  --cert "$DIR/aws.crt" --key "$DIR/aws.key" 2>"$DIR/proxy.log" &
PIDS+=($!)
for _ in $(seq 1 100); do
  [ -s "$DIR/proxy.port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$MOTO_PORT/moto-api/" 2>/dev/null && break
  sleep 0.2
done
[ -s "$DIR/proxy.port" ] || fail "aws-connect-proxy did not start"
PROXY_PORT=$(cat "$DIR/proxy.port")
# The proxy's own checks: a tunnel to moto works with the test CA, other hosts are refused.
# (moto checks no signature by default: a dummy Authorization header names the service.)
curl -fsS --max-time 10 --proxy "http://127.0.0.1:$PROXY_PORT" --cacert "$DIR/ca.crt" -X POST \
  -H 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' \
  -H 'Content-Type: application/x-amz-json-1.1' -d '{}' \
  -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKIDSMOKE/20260101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=00' \
  https://api.ecr.us-east-1.amazonaws.com/ | grep -q authorizationData || fail "proxy tunnel to moto's ECR"
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' --proxy "http://127.0.0.1:$PROXY_PORT" \
  "https://example.com/" 2>/dev/null || true)
[ "$code" = 000 ] || [ "$code" = 403 ] || fail "proxy let CONNECT example.com through ($code)"
ok "moto at 127.0.0.1:$MOTO_PORT, CONNECT proxy at 127.0.0.1:$PROXY_PORT (other hosts refused)"

# The seed's manifests and the Argo CD repository secret (as Argo CD writes it).
K create namespace "$NS" >/dev/null
K -n "$NS" create secret generic awssm-secret --from-literal=access-key=AKIDESOSMOKE \
  --from-literal=secret-access-key="smoke-$(openssl rand -hex 8)" >/dev/null
K -n "$NS" create secret generic "$REPO_SECRET" --from-literal=name=ecr-charts --from-literal=project=default \
  --from-literal=type=helm --from-literal=url=123456789012.dkr.ecr.us-east-1.amazonaws.com/charts \
  --from-literal=enableOCI=true --from-literal=username=AWS --from-literal=password=expired-token >/dev/null
K -n "$NS" label secret "$REPO_SECRET" argocd.argoproj.io/secret-type=repository >/dev/null
K -n "$NS" apply -f - >/dev/null <<EOF
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata:
  name: ecr-gen
spec:
  region: us-east-1
  auth:
    secretRef:
      accessKeyIDSecretRef:
        name: awssm-secret
        key: access-key
      secretAccessKeySecretRef:
        name: awssm-secret
        key: secret-access-key
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: $REPO_SECRET
spec:
  refreshInterval: "12h"
  target:
    name: $REPO_SECRET
    creationPolicy: Merge
    template:
      data:
        password: "{{ .password }}"
  dataFrom:
  - sourceRef:
      generatorRef:
        apiVersion: generators.external-secrets.io/v1alpha1
        kind: ECRAuthorizationToken
        name: ecr-gen
EOF
ok "seed manifests applied in namespace $NS"

# ESO's controller, this namespace only, nothing on a non-loopback address.
METRICS_PORT=$(free_port)
mkdir -p "$DIR/home"
env -i PATH=/usr/bin:/bin HOME="$DIR/home" KUBECONFIG="$DIR/kube/kubeconfig" \
  HTTPS_PROXY="http://127.0.0.1:$PROXY_PORT" NO_PROXY=127.0.0.1,localhost \
  AWS_CA_BUNDLE="$DIR/ca.crt" AWS_EC2_METADATA_DISABLED=true \
  "$ESO" --namespace="$NS" --metrics-addr="127.0.0.1:$METRICS_PORT" --concurrent=1 \
  --enable-cluster-store-reconciler=false --enable-cluster-external-secret-reconciler=false \
  --enable-cluster-push-secret-reconciler=false --enable-push-secret-reconciler=false \
  --loglevel=info --zap-time-encoding=iso8601 >"$DIR/eso.log" 2>&1 &
ESO_PID=$!
PIDS+=($ESO_PID)

password() { K -n "$NS" get secret "$REPO_SECRET" -o jsonpath='{.data.password}' | base64 -d; }
# wait_for_password PID LOG WHO: until the secret holds moto's password, while PID lives.
wait_for_password() {
  local deadline=$(($(date +%s) + WAIT_SECONDS))
  until [ "$(password)" = "$MOTO_PASSWORD" ]; do
    kill -0 "$1" 2>/dev/null || { tail -20 "$2" >&2; fail "$3 exited"; }
    [ "$(date +%s)" -lt "$deadline" ] || { tail -20 "$2" >&2; fail "$3: no rotation within ${WAIT_SECONDS}s"; }
    sleep 1
  done
}
wait_for_password "$ESO_PID" "$DIR/eso.log" ESO
ok "ESO $ESO_VERSION merged moto's ECR password into $NS/$REPO_SECRET"
grep -q 'tunnel api.ecr.us-east-1.amazonaws.com:443' "$DIR/proxy.log" || fail "ECR was not reached through the proxy"
ok "ESO's ECR call went through the CONNECT proxy to moto"

# What ESO left behind (names and metadata only).
echo "--- Secret $NS/$REPO_SECRET: data keys"
K -n "$NS" get secret "$REPO_SECRET" -o json | python3 -c '
import json, sys
s = json.load(sys.stdin)
m = s["metadata"]
print("keys:", sorted(s.get("data", {})))
print("labels:", json.dumps(m.get("labels", {}), sort_keys=True))
print("annotations:", sorted(m.get("annotations", {})))
for f in m.get("managedFields", []):
    fields = sorted(k for k in f.get("fieldsV1", {}).get("f:data", {}))
    print("managedFields:", f.get("manager"), f.get("operation"), f.get("subresource", ""), fields)
'
for k in url type enableOCI username name project; do
  [ -n "$(K -n "$NS" get secret "$REPO_SECRET" -o jsonpath="{.data.$k}")" ] || fail "key $k lost"
done
ok "every other key of the repository secret kept"
echo "--- ExternalSecret $NS/$REPO_SECRET: status"
K -n "$NS" get externalsecrets.v1beta1.external-secrets.io "$REPO_SECRET" -o json | python3 -c '
import json, sys
st = json.load(sys.stdin).get("status", {})
for c in st.get("conditions", []):
    print("condition:", c.get("type"), c.get("status"), c.get("reason"), repr(c.get("message")))
print("binding:", st.get("binding"), "refreshTime set:", bool(st.get("refreshTime")),
      "syncedResourceVersion:", st.get("syncedResourceVersion"))
'
[ "$(K -n "$NS" get externalsecrets.v1beta1.external-secrets.io "$REPO_SECRET" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')" = SecretSynced ] ||
  fail "ExternalSecret not Ready/SecretSynced"
echo "--- Events in $NS"
K -n "$NS" get events -o json | python3 -c '
import json, sys
for e in json.load(sys.stdin)["items"]:
    print("event:", e["involvedObject"]["kind"], e["involvedObject"]["name"], e.get("type"), e.get("reason"),
          repr(e.get("message")), "source:", e.get("source", {}).get("component") or e.get("reportingComponent"))
'
if grep -qF "$MOTO_PASSWORD" "$DIR/eso.log"; then echo "smoke-eso: note: ESO's log holds the ECR password"; fi

# Migration: ESO stops, ecrhelm takes over the same objects on ESO's own CRDs.
# The password is made stale by hand first, so only ecrhelm can put it back.
managers_of_password() {
  K -n "$NS" get secret "$REPO_SECRET" -o json --show-managed-fields | python3 -c '
import json, sys
m = json.load(sys.stdin)["metadata"]
print(" ".join(sorted(f.get("manager", "") for f in m.get("managedFields", [])
                      if "f:password" in f.get("fieldsV1", {}).get("f:data", {}))))'
}
echo "--- before the takeover: managers of data.password: $(managers_of_password)"
kill "$ESO_PID" 2>/dev/null || true
wait "$ESO_PID" 2>/dev/null || true
K -n "$NS" patch secret "$REPO_SECRET" --type merge -p '{"data":{"password":"c3RhbGU="}}' >/dev/null
[ "$(password)" = stale ] || fail "could not make the password stale"
ECRHELM=${ECRHELM:-$SCRIPT_DIR/../../build/ecrhelm}
[ -x "$ECRHELM" ] || fail "no ecrhelm binary at $ECRHELM (set ECRHELM)"
CTL_METRICS=$(free_port)
env -i PATH=/usr/bin:/bin HOME="$DIR/home" AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" \
  AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
  "$ECRHELM" controller --kubeconfig "$DIR/kube/kubeconfig" --namespace "$NS" --no-annotation-mode \
  --argocd-refresh none --metrics-bind-address "127.0.0.1:$CTL_METRICS" \
  --health-probe-bind-address 127.0.0.1:0 >"$DIR/ecrhelm.log" 2>&1 &
CTL_PID=$!
PIDS+=($CTL_PID)
wait_for_password "$CTL_PID" "$DIR/ecrhelm.log" ecrhelm
ok "ecrhelm took over from ESO: the password is fresh again"
for k in url type enableOCI username name project; do
  [ -n "$(K -n "$NS" get secret "$REPO_SECRET" -o jsonpath="{.data.$k}")" ] || fail "key $k lost in the takeover"
done
ok "every other key kept through the takeover"
after=$(managers_of_password)
echo "--- after the takeover: managers of data.password: $after"
case "$after" in
  "externalsecrets.external-secrets.io/$REPO_SECRET") ;;
  *) fail "data.password has other owners than ESO's field manager: $after" ;;
esac
ok "one field owner for data.password (ESO's), shared by ESO and ecrhelm"
ready=$(K -n "$NS" get externalsecrets.v1beta1.external-secrets.io "$REPO_SECRET" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
[ "$ready" = "secret synced" ] || fail "Ready message after the takeover is '$ready', not ESO's 'secret synced'"
ok "status after the takeover as ESO writes it"
if grep -qF "$MOTO_PASSWORD" "$DIR/ecrhelm.log"; then fail "ecrhelm's log holds the ECR password"; fi
ok "done"

