#!/usr/bin/env bash
# The seed's IRSA flow end to end on the local test bed (moto_server plays
# AWS STS and ECR), printing each step. Usage: scripts/demo.sh path/to/ecrhelm
set -euo pipefail
ECRHELM=$(readlink -f "${1:-build/ecrhelm}")
work=$(mktemp -d)
moto_pid=""
cleanup() {
  [ -n "$moto_pid" ] && kill "$moto_pid" 2>/dev/null && wait "$moto_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
step "Start the AWS peer: moto_server on 127.0.0.1:$port"
moto_server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done

# An isolated environment: own HOME, no instance metadata, every AWS call to moto.
export HOME="$work/home" AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" ECRHELM_CACHE_DIR="$work/cache"
mkdir -p "$HOME"
REGISTRY=123456789012.dkr.ecr.us-east-1.amazonaws.com

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

step "Demo complete"
