#!/usr/bin/env python3
"""Helper of bench/controller.sh (standard library only).

  setup NS N GENS      create namespace NS, GENS credential Secrets + ECRAuthorizationTokens,
                       N Argo CD repository Secrets (password=stale) and N ExternalSecrets
  check NS N           print how many of the N repository Secrets no longer hold "stale"
  floor NS N MODE V OUT  write a curl config for the floor: MODE 1 = N merge patches of
                       password, 2 = plus N merge patches of status, mix = the controller's requests,
                       mix7 = the issue-5 controller's 7 requests

Reads KUBE_APISERVER_URL, KUBE_CA_FILE, KUBE_ADMIN_TOKEN_FILE (scripts/testbed/kube-up.sh's env).
Prints no token, key or password.
"""
import base64
import concurrent.futures
import http.client
import json
import os
import ssl
import sys
import threading
import time
import urllib.parse

ES_API = "/apis/external-secrets.io/v1beta1"
GEN_API = "/apis/generators.external-secrets.io/v1alpha1"


def kube_conn_factory():
    url = urllib.parse.urlparse(os.environ["KUBE_APISERVER_URL"])
    ctx = ssl.create_default_context(cafile=os.environ["KUBE_CA_FILE"])
    with open(os.environ["KUBE_ADMIN_TOKEN_FILE"]) as f:
        token = f.read().strip()
    local = threading.local()

    def request(method, path, body=None, ctype="application/json"):
        for attempt in range(5):
            if getattr(local, "conn", None) is None:
                local.conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=60)
            headers = {"Authorization": "Bearer " + token, "Accept": "application/json"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = ctype
            try:
                local.conn.request(method, path, body=data, headers=headers)
                r = local.conn.getresponse()
                payload = r.read()
            except (http.client.HTTPException, OSError):
                local.conn.close()
                local.conn = None
                time.sleep(0.2 * (attempt + 1))
                continue
            if r.status == 429 or r.status >= 500:
                time.sleep(0.2 * (attempt + 1))
                continue
            return r.status, payload
        raise SystemExit(f"controller_helper: {method} {path}: no answer after retries")

    return request


def b64(s):
    return base64.b64encode(s.encode()).decode()


def must(status_payload, what, ok=(200, 201)):
    status, payload = status_payload
    if status not in ok:
        raise SystemExit(f"controller_helper: {what}: HTTP {status}: {payload[:300]!r}")


def setup(ns, n, gens):
    req = kube_conn_factory()
    st = req("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    must(st, "namespace", (201, 409))
    objs = []
    for g in range(gens):
        # moto accepts any key pair; distinct key ids make distinct identities.
        objs.append(("/api/v1/namespaces/%s/secrets" % ns, {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "awssm-secret-%d" % g},
            "data": {"access-key": b64("AKIDBENCH%04d" % g), "secret-access-key": b64(os.urandom(12).hex())}}))
        objs.append(("%s/namespaces/%s/ecrauthorizationtokens" % (GEN_API, ns), {
            "apiVersion": "generators.external-secrets.io/v1alpha1", "kind": "ECRAuthorizationToken",
            "metadata": {"name": "ecr-gen-%d" % g},
            "spec": {"region": "us-east-1", "auth": {"secretRef": {
                "accessKeyIDSecretRef": {"name": "awssm-secret-%d" % g, "key": "access-key"},
                "secretAccessKeySecretRef": {"name": "awssm-secret-%d" % g, "key": "secret-access-key"}}}}}))
    for i in range(n):
        name = "repo-%05d" % i
        objs.append(("/api/v1/namespaces/%s/secrets" % ns, {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name, "labels": {"argocd.argoproj.io/secret-type": "repository"}},
            "data": {"type": b64("helm"), "url": b64("123456789012.dkr.ecr.us-east-1.amazonaws.com/charts-%d" % i),
                     "name": b64("chart-%d" % i), "enableOCI": b64("true"), "username": b64("AWS"),
                     "password": b64("stale")}}))
    for i in range(n):
        name = "repo-%05d" % i
        objs.append(("%s/namespaces/%s/externalsecrets" % (ES_API, ns), {
            "apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret", "metadata": {"name": name},
            "spec": {"refreshInterval": "12h",
                     "target": {"name": name, "creationPolicy": "Merge",
                                "template": {"data": {"password": "{{ .password }}"}}},
                     "dataFrom": [{"sourceRef": {"generatorRef": {
                         "apiVersion": "generators.external-secrets.io/v1alpha1",
                         "kind": "ECRAuthorizationToken", "name": "ecr-gen-%d" % (i % gens)}}}]}}))

    def create(item):
        path, body = item
        must(req("POST", path, body), "create " + body["metadata"]["name"], (201, 409))

    # Secrets and generators first, so no ExternalSecret exists before its target.
    split = 2 * gens + n
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(create, objs[:split]))
        list(pool.map(create, objs[split:]))


def check(ns, n):
    req = kube_conn_factory()
    st, payload = req("GET", "/api/v1/namespaces/%s/secrets?labelSelector=argocd.argoproj.io%%2Fsecret-type%%3Drepository" % ns)
    must((st, payload), "list secrets")
    items = json.loads(payload)["items"]
    stale = b64("stale")
    print(sum(1 for s in items if s.get("data", {}).get("password") not in (None, stale)))


def floor(ns, n, mode, value, out):
    """mode "1": a merge patch of password per object; "2": plus a merge patch of the
    ExternalSecret's status; "mix": the controller's own requests per object (GET target,
    server-side apply of password with ESO's field manager, POST an Event, merge patch of
    status; the generator and its credentials Secret are read once per identity, from
    the controller's read cache); "mix7": the mix of the issue-5 controller (GET target,
    GET generator, GET credentials Secret, apply, Event, status, GET target again)."""
    url = os.environ["KUBE_APISERVER_URL"]
    with open(os.environ["KUBE_ADMIN_TOKEN_FILE"]) as f:
        token = f.read().strip()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def status(name):
        return {"status": {"refreshTime": now, "syncedResourceVersion": "1-" + value,
                           "binding": {"name": name},
                           "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                                           "message": "Secret was synced", "lastTransitionTime": now}]}}

    merge = "application/merge-patch+json"
    gens = int(os.environ.get("GENERATORS", "10"))
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        blocks = []
        for i in range(n):
            name = "repo-%05d" % i
            secret = "%s/api/v1/namespaces/%s/secrets/%s" % (url, ns, name)
            es_status = "%s%s/namespaces/%s/externalsecrets/%s/status" % (url, ES_API, ns, name)
            if mode in ("mix", "mix7"):
                apply = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
                         "data": {"password": b64(value)}}
                event = {"apiVersion": "v1", "kind": "Event",
                         "metadata": {"namespace": ns, "name": "%s.%s" % (name, os.urandom(8).hex())},
                         "involvedObject": {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
                                            "namespace": ns, "name": name},
                         "type": "Normal", "reason": "Updated", "message": "secret updated",
                         "source": {"component": "external-secrets"}, "firstTimestamp": now,
                         "lastTimestamp": now, "count": 1, "reportingComponent": "external-secrets"}
                reqs = [("GET", secret, None, None),
                        ("GET", "%s%s/namespaces/%s/ecrauthorizationtokens/ecr-gen-%d" % (url, GEN_API, ns, i % 10),
                         None, None),
                        ("GET", "%s/api/v1/namespaces/%s/secrets/awssm-secret-%d" % (url, ns, i % gens), None, None),
                        ("PATCH", secret + "?fieldManager=externalsecrets.external-secrets.io%%2F%s&force=true" % name,
                         "application/apply-patch+yaml", apply),
                        ("POST", "%s/api/v1/namespaces/%s/events" % (url, ns), "application/json", event),
                        ("PATCH", es_status, merge, status(name)),
                        ("GET", secret, None, None)]
                if mode == "mix":  # today's: no reads of the generator and its Secret, no re-read
                    reqs = [reqs[0]] + reqs[3:6]
            else:
                reqs = [("PATCH", secret, merge, {"data": {"password": b64(value)}})]
                if mode == "2":
                    reqs.append(("PATCH", es_status, merge, status(name)))
            for method, u, ctype, body in reqs:
                lines = ['url = "%s"' % u, 'cacert = "%s"' % os.environ["KUBE_CA_FILE"], "silent",
                         'request = "%s"' % method, 'header = "Authorization: Bearer %s"' % token]
                if body is not None:
                    lines += ['header = "Content-Type: %s"' % ctype, "data = %s" % json.dumps(json.dumps(body))]
                lines += ['output = "/dev/null"', 'write-out = "%{http_code}\\n"']
                blocks.append("\n".join(lines))
        f.write("\nnext\n".join(blocks) + "\n")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "setup":
        setup(args[0], int(args[1]), int(args[2]))
    elif cmd == "check":
        check(args[0], int(args[1]))
    elif cmd == "floor":
        floor(args[0], int(args[1]), args[2], args[3], args[4])
    else:
        raise SystemExit("usage: see the docstring")
