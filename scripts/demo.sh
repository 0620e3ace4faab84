#!/usr/bin/env bash
# The seed's IRSA flow end to end on the local test bed (moto_server plays
# AWS STS and ECR; Debian's docker-registry, whose htpasswd holds moto's ECR
# password, plays the ECR registry), printing each step; our own chart
# (charts/ecrhelm) packaged and pushed by the real Helm 3 and pulled back.
# Then the seed's Option 2 on a real kube-apiserver (scripts/testbed/): the
# Argo CD repository secret, the seed's generator.yaml and external-secret.yaml,
# `ecrhelm controller` rotating the password, and a pull with only what the
# secret holds.
# Usage: scripts/demo.sh path/to/ecrhelm
set -euo pipefail
ECRHELM=$(readlink -f "${1:-build/ecrhelm}")
work=$(mktemp -d)
moto_pid=""
proxy_pid=""
reg_pid=""
ctl_pid=""
SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cleanup() {
  # A server killed by SIGTERM makes `wait` fail: that must not stop the cleanup.
  for pid in $ctl_pid $reg_pid $proxy_pid $moto_pid; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  if [ -s "$work/kube/kube-apiserver.pid" ]; then "$SCRIPTS/testbed/kube-down.sh" "$work/kube" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
step "Start the AWS peer: moto_server on 127.0.0.1:$port"
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
# moto's ECR tokens say they expired on 2015-01-01; real ones live 12 hours.
# ECR calls go through our expiry proxy, which passes them to moto and sets
# expiresAt to now + 12h, so every link below sees tokens as ECR issues them.
python3 "$SCRIPTS/testbed/ecr-expiry-proxy.py" --upstream-port "$port" \
  --port-file "$work/ecr-proxy.port" >"$work/ecr-proxy.log" 2>&1 &
proxy_pid=$!
for _ in $(seq 100); do [ -s "$work/ecr-proxy.port" ] && break; sleep 0.1; done
[ -s "$work/ecr-proxy.port" ] || { echo "demo: the ECR expiry proxy did not start" >&2; exit 1; }
echo "ECR calls through scripts/testbed/ecr-expiry-proxy.py on 127.0.0.1:$(cat "$work/ecr-proxy.port") (12-hour tokens)"

# An isolated environment: own HOME, no instance metadata, every AWS call to moto.
export HOME="$work/home" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" ECRHELM_CACHE_DIR="$work/cache"
export AWS_ENDPOINT_URL_ECR="http://127.0.0.1:$(cat "$work/ecr-proxy.port")"
mkdir -p "$HOME"
REGISTRY=123456789012.dkr.ecr.us-east-1.amazonaws.com
reg_port=$(free_port)
ECR_HOST="127.0.0.1:$reg_port"

step "1. whoami with static keys (the environment link of the chain)"
AWS_ACCESS_KEY_ID=AKIADEMO AWS_SECRET_ACCESS_KEY=demo-secret show "$ECRHELM" whoami

step "2. whoami through IRSA: AWS_ROLE_ARN + a projected service-account token (web identity)"
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
jwt="$(printf '{"alg":"RS256"}' | b64url).$(printf '{"iss":"https://oidc.eks.us-east-1.amazonaws.com/id/DEMO","sub":"system:serviceaccount:argocd:argocd-repo-server","aud":["sts.amazonaws.com"],"exp":4102444800}' | b64url).c2ln"
printf '%s' "$jwt" >"$work/token"
export AWS_ROLE_ARN=arn:aws:iam::123456789012:role/argocd-repo-server-ecr
export AWS_WEB_IDENTITY_TOKEN_FILE="$work/token" AWS_ROLE_SESSION_NAME=argocd-repo-server
show "$ECRHELM" whoami

step "3. token: the ECR password, like 'aws ecr get-login-password' (moto's fixed token)"
show "$ECRHELM" token --registry "$REGISTRY"
step "   token -o json: ESO's ECRAuthorizationToken output keys"
show "$ECRHELM" token --registry "$REGISTRY" -o json

step "4. login: write Helm's registry config (atomic, 0600, other entries kept)"
show "$ECRHELM" login "$REGISTRY"
show stat -c '%a %n' "$HOME/.config/helm/registry/config.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("auths:", list(d["auths"]))' \
  "$HOME/.config/helm/registry/config.json"

step "5. credential helper: Helm/Docker/skopeo call docker-credential-ecrhelm"
mkdir -p "$work/bin"
ln -s "$ECRHELM" "$work/bin/docker-credential-ecrhelm"
printf '$ echo %s | docker-credential-ecrhelm get  (Secret shown masked)\n' "$REGISTRY"
echo "$REGISTRY" | "$work/bin/docker-credential-ecrhelm" get |
  python3 -c 'import json,sys; d=json.load(sys.stdin); d["Secret"]=d["Secret"][:4]+"..."; print(json.dumps(d))'
printf '$ echo ghcr.io | docker-credential-ecrhelm get\n'
echo ghcr.io | "$work/bin/docker-credential-ecrhelm" get || echo "(exit $?: not an ECR host, as the protocol says)"

step "6. An ECR-like registry: docker-registry on 127.0.0.1:$reg_port, htpasswd user AWS"
printf '   its password is the ECR token ecrhelm got from moto (not printed)\n'
password=$("$ECRHELM" token --registry "$REGISTRY")
mkdir -p "$work/registry"
htpasswd -Bbn AWS "$password" >"$work/registry/htpasswd" 2>/dev/null
cat >"$work/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: 127.0.0.1:$reg_port
auth:
  htpasswd:
    realm: ecr-demo
    path: $work/registry/htpasswd
EOF
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
reg_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://$ECR_HOST/v2/" && break; sleep 0.1; done
printf '$ curl -s -o /dev/null -w "%%{http_code}" http://%s/v2/   (no credentials)\n' "$ECR_HOST"
curl -s -o /dev/null -w '%{http_code}\n' "http://$ECR_HOST/v2/"

step "7. Push a sample chart (charts/demo 1.0.0) through the distribution API, as helm push does"
mkdir -p "$work/chart/demo/templates"
printf 'apiVersion: v2\nname: demo\nversion: 1.0.0\ndescription: ecrhelm demo chart\ntype: application\n' \
  >"$work/chart/demo/Chart.yaml"
printf 'replicaCount: 1\nimage: nginx\n' >"$work/chart/demo/values.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\n' >"$work/chart/demo/templates/cm.yaml"
tar -C "$work/chart" -czf "$work/demo-1.0.0.tgz" demo
printf '{"name":"demo","version":"1.0.0","apiVersion":"v2"}' >"$work/config.json"
auth=(-u "AWS:$password")
push_blob() {  # FILE -> digest
  local digest loc
  digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  loc=$(curl -s "${auth[@]}" -D - -o /dev/null -X POST "http://$ECR_HOST/v2/charts/demo/blobs/uploads/" |
        tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  case "$loc" in http*) ;; *) loc="http://$ECR_HOST$loc" ;; esac
  curl -sf "${auth[@]}" -o /dev/null -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary "@$1" "$loc&digest=$digest"
  echo "$digest"
}
config_digest=$(push_blob "$work/config.json")
chart_digest=$(push_blob "$work/demo-1.0.0.tgz")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"%s","size":%d},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"%s","size":%d}]}' \
  "$config_digest" "$(stat -c %s "$work/config.json")" "$chart_digest" "$(stat -c %s "$work/demo-1.0.0.tgz")" \
  >"$work/manifest.json"
curl -sf "${auth[@]}" -o /dev/null -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$work/manifest.json" "http://$ECR_HOST/v2/charts/demo/manifests/1.0.0"
manifest_digest="sha256:$(sha256sum "$work/manifest.json" | cut -d' ' -f1)"
printf 'pushed %s/charts/demo:1.0.0\n  manifest %s\n  chart    %s\n' "$ECR_HOST" "$manifest_digest" "$chart_digest"

step "8. ecrhelm pull through the ECR flow: IRSA -> STS -> ECR token -> registry (no password given)"
export ECRHELM_ECR_REGISTRIES="$ECR_HOST"   # this host is ECR under another name
printf '   ECRHELM_ECR_REGISTRIES=%s\n' "$ECR_HOST"
show "$ECRHELM" tags "oci://$ECR_HOST/charts/demo" --plain-http
show "$ECRHELM" pull "oci://$ECR_HOST/charts/demo" --version '^1' --plain-http -d "$work/pulled"
show sha256sum "$work/pulled/demo-1.0.0.tgz"

step "9. skopeo through the credential helper: --authfile whose credHelpers names ecrhelm"
printf '{"credHelpers":{"%s":"ecrhelm"}}\n' "$ECR_HOST" >"$work/auth.json"
show cat "$work/auth.json"
PATH="$work/bin:$PATH" show skopeo copy -q --src-tls-verify=false --authfile "$work/auth.json" \
  "docker://$ECR_HOST/charts/demo:1.0.0" "oci:$work/skopeo:demo"
skopeo_digest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' \
  "$work/skopeo/index.json")
printf 'skopeo manifest digest: %s\n' "$skopeo_digest"
[ "$skopeo_digest" = "$manifest_digest" ] || { echo "demo: skopeo got another digest" >&2; exit 1; }
echo "same digest as pushed and as ecrhelm pull reported"
cmp "$work/skopeo/blobs/sha256/${chart_digest#sha256:}" "$work/pulled/demo-1.0.0.tgz"
echo "skopeo's chart layer and ecrhelm's demo-1.0.0.tgz are byte for byte the same"

step "10. Eat our own cooking: helm package charts/ecrhelm, helm push it, ecrhelm pull it back"
# Helm 3 of the test bed (scripts/testbed/build-peer.sh; `make demo` builds it first).
HELM=$("$SCRIPTS/testbed/build-peer.sh" helm3 2>"$work/helm-build.log" | tail -1) ||
  { tail -5 "$work/helm-build.log" >&2; exit 1; }
show "$HELM" version --short
chart_dir="$SCRIPTS/../charts/ecrhelm"
chart_version=$(sed -n 's/^version: *//p' "$chart_dir/Chart.yaml")
printf '   helm gets the ECR token from docker-credential-ecrhelm (credHelpers; no password stored)\n'
show "$ECRHELM" login "$ECR_HOST" --helm --use-credential-helper
PATH="$work/bin:$PATH" show "$HELM" package "$chart_dir" -d "$work/own"
pushed=$(PATH="$work/bin:$PATH" show "$HELM" push "$work/own/ecrhelm-$chart_version.tgz" "oci://$ECR_HOST/charts" --plain-http 2>&1)
echo "$pushed"
mkdir -p "$work/own-pulled"
pulled=$(show "$ECRHELM" pull "oci://$ECR_HOST/charts/ecrhelm" --version "$chart_version" --plain-http -d "$work/own-pulled")
echo "$pulled"
show sha256sum "$work/own/ecrhelm-$chart_version.tgz" "$work/own-pulled/ecrhelm-$chart_version.tgz"
cmp "$work/own/ecrhelm-$chart_version.tgz" "$work/own-pulled/ecrhelm-$chart_version.tgz"
[ "$(echo "$pushed" | sed -n 's/^Digest: //p')" = "$(echo "$pulled" | sed -n 's/^Digest: //p')" ] ||
  { echo "demo: ecrhelm pulled another manifest than helm pushed" >&2; exit 1; }
echo "the chart helm packaged and pushed came back through the ECR flow byte for byte, same manifest digest"

# ---- Option 2 of the seed: the controller on a real Kubernetes API server ----
step "11. Start the Kubernetes test bed: etcd v3.6.16 + kube-apiserver v1.37.2 on 127.0.0.1"
{ "$SCRIPTS/testbed/build-peer.sh" etcd && "$SCRIPTS/testbed/build-peer.sh" kube-apiserver; } \
  >"$work/kube-build.log" 2>&1 || { tail -5 "$work/kube-build.log" >&2; exit 1; }
"$SCRIPTS/testbed/kube-up.sh" "$work/kube" >"$work/kube-up.log" 2>&1 ||
  { tail -5 "$work/kube-up.log" >&2; exit 1; }
KUBECONFIG="$work/kube/kubeconfig"
echo "API server up; kubeconfig $KUBECONFIG"
# `kubectl apply -f` and `kubectl get` for the demo (kubectl is not in Debian 12).
kube() { /usr/bin/python3 "$SCRIPTS/demo_kube.py" "$KUBECONFIG" "$@"; }

step "12. The Argo CD side: namespace argocd and the repository secret as Argo CD writes it"
cat >"$work/repo-secret.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: argocd
---
apiVersion: v1
kind: Secret
metadata:
  name: repo-2529854065
  namespace: argocd
  labels:
    argocd.argoproj.io/secret-type: repository
stringData:
  type: helm
  name: demo
  url: $ECR_HOST/charts
  enableOCI: "true"
  username: AWS
  password: stale-token-from-yesterday
EOF
show kube apply -f "$work/repo-secret.yaml"

step "13. The CRDs ecrhelm serves (ESO's schemas) and the seed's awssm-secret"
show kube apply -f "$SCRIPTS/../deploy/crds"
cat >"$work/awssm-secret.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: awssm-secret
  namespace: argocd
stringData:
  access-key: AKIADEMOESO
  secret-access-key: demo-eso-secret
EOF
kube apply -f "$work/awssm-secret.yaml"

step "14. The seed's generator.yaml and external-secret.yaml, placeholders filled in"
cat >"$work/generator.yaml" <<EOF
apiVersion: generators.external-secrets.io/v1alpha1
kind: ECRAuthorizationToken
metadata:
  name: ecr-gen
  namespace: argocd
spec:
  region: us-east-1
  auth:
    secretRef:
      accessKeyIDSecretRef:
        name: "awssm-secret"
        key: "access-key"
      secretAccessKeySecretRef:
        name: "awssm-secret"
        key: "secret-access-key"
EOF
cat >"$work/external-secret.yaml" <<'EOF'
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: repo-2529854065
  namespace: argocd
spec:
  refreshInterval: "12h"
  target:
    name: repo-2529854065
    creationPolicy: Merge
    template:
      data:
        password: "{{ .password }}"
  dataFrom:
  - sourceRef:
      generatorRef:
        apiVersion: generators.external-secrets.io/v1alpha1
        kind: ECRAuthorizationToken
        name: "ecr-gen"
EOF
show cat "$work/external-secret.yaml"
show kube apply -f "$work/generator.yaml"
show kube apply -f "$work/external-secret.yaml"
show kube get secret argocd/repo-2529854065

step "15. ecrhelm controller in place of External Secrets Operator"
(
  unset AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_SESSION_NAME ECRHELM_ECR_REGISTRIES
  exec "$ECRHELM" -v controller --kubeconfig "$KUBECONFIG" --namespace argocd --leader-elect \
    --leader-election-namespace argocd --metrics-bind-address 127.0.0.1:0 \
    --health-probe-bind-address 127.0.0.1:0
) >"$work/controller.log" 2>&1 &
ctl_pid=$!
printf '$ ecrhelm controller --namespace argocd --leader-elect ... &   (pid %s)\n' "$ctl_pid"
rotated=""
for _ in $(seq 300); do
  current=$(kube get secret argocd/repo-2529854065 --key password)
  if [ "$current" != stale-token-from-yesterday ]; then rotated=1; break; fi
  sleep 0.1
done
if [ -z "$rotated" ]; then
  echo "demo: the controller did not rotate the password; its log:" >&2
  cat "$work/controller.log" >&2
  exit 1
fi
grep -v ' debug ' "$work/controller.log" | sed 's/^/   log: /'
echo "The password changed; every other key is as Argo CD wrote it:"
show kube get secret argocd/repo-2529854065
show kube get externalsecret argocd/repo-2529854065
metrics_port=$(sed -n 's/.*metrics on port \([0-9]*\).*/\1/p' "$work/controller.log" | head -1)
printf '$ curl -s http://127.0.0.1:%s/metrics | grep -E "^(externalsecret_sync_calls_total|ecrhelm_aws_calls_total)"\n' "$metrics_port"
curl -s "http://127.0.0.1:$metrics_port/metrics" |
  grep -E '^(externalsecret_sync_calls_total|ecrhelm_aws_calls_total)'

step "16. Argo CD's repo server view: pull the chart with only what the secret holds"
repo_url=$(kube get secret argocd/repo-2529854065 --key url)
repo_user=$(kube get secret argocd/repo-2529854065 --key username)
printf '$ ecrhelm pull oci://%s/demo --version 1.0.0 --username %s --password-stdin  (password from the secret)\n' \
  "$repo_url" "$repo_user"
kube get secret argocd/repo-2529854065 --key password |
  env -u ECRHELM_ECR_REGISTRIES -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE \
    "$ECRHELM" pull "oci://$repo_url/demo" --version 1.0.0 --plain-http \
    --username "$repo_user" --password-stdin -d "$work/argocd-pull"
show sha256sum "$work/argocd-pull/demo-1.0.0.tgz"
cmp "$work/argocd-pull/demo-1.0.0.tgz" "$work/demo-1.0.0.tgz"
echo "the chart Argo CD would render is byte for byte the pushed one"

step "17. ecrhelm doctor: every link the repo server depends on, in the seed's order"
show "$ECRHELM" doctor --kubeconfig "$KUBECONFIG" -n argocd --chart "oci://$repo_url/demo" \
  --version 1.0.0 --plain-http
echo "every check ok or skipped (no --service-account/--deployment: there is no repo server pod here)"

step "18. SIGTERM: the controller releases its Lease and stops"
kill -TERM "$ctl_pid"
wait "$ctl_pid" || true
ctl_pid=""
tail -2 "$work/controller.log" | sed 's/^/   log: /'
if grep -q -F -e "$password" -e demo-eso-secret "$work/controller.log"; then
  echo "demo: a secret value reached the controller's log" >&2
  exit 1
fi
echo "no secret value in the controller's log"

step "Demo complete"
