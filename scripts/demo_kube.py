#!/usr/bin/python3
"""The two kubectl verbs scripts/demo.sh needs, for the test bed's kubeconfig
(kubectl is not in Debian 12): `apply -f FILE|DIR` (create, or replace when
it exists) and `get KIND NS/NAME [--key K]`. Secret values are never printed:
`get secret` shows each key with its length, except `--key K`, which prints
that one decoded value for a pipe.

Usage: demo_kube.py KUBECONFIG apply -f PATH
       demo_kube.py KUBECONFIG get secret|externalsecret NS/NAME [--key K]
"""
import base64
import hashlib
import json
import os
import ssl
import sys
import tempfile
import urllib.error
import urllib.request

import yaml

PLURALS = {
    "Namespace": "namespaces",
    "Secret": "secrets",
    "CustomResourceDefinition": "customresourcedefinitions",
    "ECRAuthorizationToken": "ecrauthorizationtokens",
    "ExternalSecret": "externalsecrets",
    "ClusterGenerator": "clustergenerators",
}
CLUSTER_SCOPED = {"Namespace", "CustomResourceDefinition", "ClusterGenerator"}


def die(msg):
    print(f"demo_kube: {msg}", file=sys.stderr)
    sys.exit(1)


class Client:
    def __init__(self, kubeconfig):
        with open(kubeconfig) as f:
            cfg = yaml.safe_load(f)
        ctx_name = cfg["current-context"]
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in cfg["users"] if u["name"] == ctx["user"])
        self.server = cluster["server"].rstrip("/")
        self.ssl = ssl.create_default_context()
        self._tmp = tempfile.TemporaryDirectory()

        def material(key, data_key):
            if key in cluster or key in user:
                return (cluster.get(key) or user.get(key))
            data = cluster.get(data_key) or user.get(data_key)
            if data is None:
                return None
            path = os.path.join(self._tmp.name, data_key)
            with open(path, "wb") as out:
                out.write(base64.b64decode(data))
            return path

        ca = material("certificate-authority", "certificate-authority-data")
        if ca:
            self.ssl.load_verify_locations(ca)
        cert = material("client-certificate", "client-certificate-data")
        key = material("client-key", "client-key-data")
        if cert and key:
            self.ssl.load_cert_chain(cert, key)
        self.headers = {"Content-Type": "application/json", "Accept": "application/json"}
        token = user.get("token")
        if not token and user.get("tokenFile"):
            with open(user["tokenFile"]) as f:
                token = f.read().strip()
        if token:
            self.headers["Authorization"] = "Bearer " + token

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method,
                                     headers=self.headers)
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")


def path_of(obj):
    kind = obj["kind"]
    group_version = obj["apiVersion"]
    base = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
    plural = PLURALS.get(kind)
    if plural is None:
        die(f"kind {kind} is not one the demo applies")
    ns = obj["metadata"].get("namespace")
    if kind in CLUSTER_SCOPED or not ns:
        return f"{base}/{plural}"
    return f"{base}/namespaces/{ns}/{plural}"


def apply(client, path):
    files = sorted(os.path.join(path, f) for f in os.listdir(path)) if os.path.isdir(path) else [path]
    for name in files:
        with open(name) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        for obj in docs:
            coll = path_of(obj)
            meta = obj["metadata"]
            status, got = client.call("POST", coll, obj)
            verb = "created"
            if status == 409:
                _, current = client.call("GET", f"{coll}/{meta['name']}")
                obj["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
                status, got = client.call("PUT", f"{coll}/{meta['name']}", obj)
                verb = "configured"
            if status >= 300:
                die(f"{obj['kind']} {meta['name']}: {got.get('message', status)}")
            if obj["kind"] == "CustomResourceDefinition":
                wait_established(client, f"{coll}/{meta['name']}")
            print(f"{obj['kind'].lower()}/{meta['name']} {verb}")


def wait_established(client, path):
    import time
    for _ in range(100):
        _, crd = client.call("GET", path)
        conds = (crd.get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conds):
            return
        time.sleep(0.1)
    die(f"{path} did not become Established")


def get(client, kind, ref, key):
    ns, _, name = ref.partition("/")
    if kind == "secret":
        status, s = client.call("GET", f"/api/v1/namespaces/{ns}/secrets/{name}")
    elif kind == "externalsecret":
        status, s = client.call(
            "GET", f"/apis/external-secrets.io/v1beta1/namespaces/{ns}/externalsecrets/{name}")
    else:
        die(f"get {kind}: only secret and externalsecret")
    if status != 200:
        die(f"{kind} {ref}: {s.get('message', status)}")
    if kind == "secret":
        data = {k: base64.b64decode(v).decode() for k, v in s.get("data", {}).items()}
        if key:
            sys.stdout.write(data[key])
            return
        print(f"secret {ref} (type {s.get('type')}, labels {s['metadata'].get('labels', {})}):")
        for k in sorted(data):
            v = data[k]
            if k == "password":
                digest = hashlib.sha256(v.encode()).hexdigest()[:12]
                print(f"  password: ({len(v)} characters, sha256 {digest}..., not shown)")
            else:
                print(f"  {k}: {v}")
        return
    st = s.get("status") or {}
    for c in st.get("conditions") or []:
        print(f"externalsecret {ref}: {c['type']}={c['status']} reason={c.get('reason')} "
              f"message={c.get('message')!r}")
    print(f"  refreshTime={st.get('refreshTime')} binding={st.get('binding', {}).get('name')} "
          f"syncedResourceVersion={st.get('syncedResourceVersion')}")


def main(argv):
    if len(argv) < 3:
        die(__doc__)
    client = Client(argv[1])
    verb = argv[2]
    if verb == "apply" and len(argv) == 5 and argv[3] == "-f":
        apply(client, argv[4])
    elif verb == "get" and len(argv) in (5, 7):
        key = argv[6] if len(argv) == 7 and argv[5] == "--key" else None
        get(client, argv[3], argv[4], key)
    else:
        die(__doc__)


if __name__ == "__main__":
    main(sys.argv)
