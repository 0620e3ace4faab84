#!/usr/bin/env python3
"""charts/ecrhelm with the real helm of the test bed (v3.22.0).

Without a cluster: the chart's CRDs are deploy/crds byte for byte; `helm lint`
passes for the default, namespaced and all-namespaces values and fails for bad
values (values.schema.json); `helm template` renders the hardened Deployment,
the RBAC each mode needs, leader election with more than one replica, and the
default rendering agrees with deploy/ (the manifests deploy_test applies).
With ECRHELM_KUBE_TESTBED (set by CTest's kube fixture), `helm install` into
the kube test bed for both modes, each object read back from the server and
the RBAC checked by SubjectAccessReview; then `helm uninstall`.

usage: chart_test.py SOURCE_DIR [KUBE_TESTBED_DIR]
"""
import json
import os
import secrets
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import yaml

SRC = None
TESTBED = None
HELM = None


def chart():
    return os.path.join(SRC, "charts", "ecrhelm")


def helm(*args, check=True):
    r = subprocess.run([HELM, *args], capture_output=True, text=True, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError(f"helm {' '.join(args)}: exit {r.returncode}: {r.stderr}")
    return r


def render(*sets, namespace="ecrhelm-system", name="ecrhelm"):
    args = ["template", name, chart(), "--namespace", namespace]
    for s in sets:
        args += ["--set", s]
    docs = [d for d in yaml.safe_load_all(helm(*args).stdout) if d]
    return docs


def by_kind(docs, kind):
    return [d for d in docs if d["kind"] == kind]


def container(docs):
    (dep,) = by_kind(docs, "Deployment")
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    return dep, c


NAMESPACED = ["watchNamespaces={team-a,team-b}"]


class ChartTest(unittest.TestCase):
    def test_crds_are_deploy_crds(self):
        src = os.path.join(SRC, "deploy", "crds")
        dst = os.path.join(chart(), "files", "crds")
        self.assertEqual(sorted(os.listdir(src)), sorted(os.listdir(dst)),
                         "run scripts/sync-chart-crds.sh")
        for f in os.listdir(src):
            with self.subTest(crd=f):
                self.assertEqual(open(os.path.join(src, f)).read(),
                                 open(os.path.join(dst, f)).read(),
                                 f"charts/ecrhelm/files/crds/{f} differs from deploy/crds: "
                                 "run scripts/sync-chart-crds.sh")
        rendered = {d["metadata"]["name"]: d for d in by_kind(render(), "CustomResourceDefinition")}
        for f in os.listdir(src):
            want = yaml.safe_load(open(os.path.join(src, f)))
            got = rendered[want["metadata"]["name"]]
            self.assertEqual(got["metadata"]["annotations"], {"helm.sh/resource-policy": "keep"})
            del got["metadata"]["annotations"]
            self.assertEqual(got, want)

    def test_lint_passes_for_each_mode(self):
        for sets in [[], NAMESPACED, ["replicaCount=2", "serviceAccount.roleArn=arn:aws:iam::123456789012:role/ecrhelm"],
                     ["crds.install=false", "metrics.serviceMonitor.enabled=true"]]:
            with self.subTest(values=sets):
                args = ["lint", "--strict", chart()]
                for s in sets:
                    args += ["--set", s]
                r = helm(*args, check=False)
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("0 chart(s) failed", r.stdout)

    def test_bad_values_fail_at_install_time(self):
        for bad, says in [("replicaCount=two", "replicaCount"),
                          ("watchNamespaces={Team_A}", "watchNamespaces"),
                          ("serviceAccount.roleArn=role/ecrhelm", "roleArn"),
                          ("controller.logFormat=xml", "logFormat"),
                          ("unknownKey=1", "unknownKey")]:
            with self.subTest(value=bad):
                r = helm("template", "x", chart(), "--set", bad, check=False)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(says, r.stderr)
        r = helm("template", "x", chart(), "--set", "replicaCount=2",
                 "--set", "leaderElection.enabled=false", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("replicaCount > 1", r.stderr)

    def test_default_deployment_is_hardened_and_agrees_with_deploy(self):
        docs = render("serviceAccount.roleArn=arn:aws:iam::123456789012:role/ecrhelm")
        dep, c = container(docs)
        pod = dep["spec"]["template"]["spec"]
        want = list(yaml.safe_load_all(open(os.path.join(SRC, "deploy", "deployment.yaml"))))[0]
        want_pod = want["spec"]["template"]["spec"]
        (want_c,) = want_pod["containers"]
        for key in ["securityContext", "terminationGracePeriodSeconds", "volumes"]:
            self.assertEqual(pod[key], want_pod[key], key)
        for key in ["securityContext", "resources", "livenessProbe", "readinessProbe", "ports",
                    "volumeMounts", "env"]:
            self.assertEqual(c[key], want_c[key], key)
        self.assertEqual(c["image"], "ghcr.io/ecrhelm/ecrhelm:0.1.0")
        self.assertEqual(c["args"][:2], ["controller", "--leader-elect"])
        self.assertIn("--health-probe-bind-address=:8081", c["args"])
        self.assertIn("--leader-election-namespace=ecrhelm-system", c["args"])
        self.assertFalse([a for a in c["args"] if a.startswith("--namespace")])
        (sa,) = by_kind(docs, "ServiceAccount")
        self.assertEqual(sa["metadata"]["annotations"],
                         {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/ecrhelm"})
        self.assertEqual(pod["serviceAccountName"], sa["metadata"]["name"])
        # All namespaces: the ClusterRole has deploy/'s rules.
        roles = {r["metadata"]["name"]: r for r in by_kind(docs, "ClusterRole")}
        self.assertEqual(sorted(roles), ["ecrhelm", "ecrhelm-clustergenerators"])
        want_rbac = {(d["kind"], d["metadata"]["name"]): d for d in yaml.safe_load_all(open(os.path.join(SRC, "deploy", "rbac.yaml")))}
        want_rules = want_rbac[("ClusterRole", "ecrhelm-controller")]["rules"]
        got_rules = roles["ecrhelm"]["rules"] + roles["ecrhelm-clustergenerators"]["rules"]
        flat = lambda rules: sorted((g, r, v) for x in rules for g in x["apiGroups"] for r in x["resources"] for v in x["verbs"])
        self.assertEqual(flat(got_rules), flat(want_rules))
        self.assertEqual(by_kind(docs, "Role")[0]["rules"], want_rbac[("Role", "ecrhelm-leader-election")]["rules"])
        self.assertEqual(len(by_kind(docs, "CustomResourceDefinition")), 3)
        self.assertEqual(by_kind(docs, "PodDisruptionBudget"), [])
        self.assertEqual(by_kind(docs, "ServiceMonitor"), [])
        (svc,) = by_kind(docs, "Service")
        self.assertEqual(svc["spec"]["ports"][0]["port"], 8080)

    def test_namespaced_mode_has_a_role_per_namespace_and_no_cluster_wide_secrets(self):
        docs = render(*NAMESPACED)
        roles = by_kind(docs, "Role")
        self.assertEqual(sorted((r["metadata"]["namespace"], r["metadata"]["name"]) for r in roles),
                         [("ecrhelm-system", "ecrhelm-leader-election"), ("team-a", "ecrhelm"),
                          ("team-b", "ecrhelm")])
        self.assertEqual(len(by_kind(docs, "RoleBinding")), 3)
        (cr,) = by_kind(docs, "ClusterRole")
        self.assertEqual(cr["rules"], [{"apiGroups": ["generators.external-secrets.io"],
                                        "resources": ["clustergenerators"],
                                        "verbs": ["get", "list", "watch"]}])
        _, c = container(docs)
        self.assertEqual([a for a in c["args"] if a.startswith("--namespace")],
                         ["--namespace=team-a", "--namespace=team-b"])
        docs = render(*NAMESPACED, "rbac.clusterGenerators=false")
        self.assertEqual(by_kind(docs, "ClusterRole"), [])

    def test_crds_off_relies_on_installed_ones(self):
        docs = render("crds.install=false")
        self.assertEqual(by_kind(docs, "CustomResourceDefinition"), [])
        docs = render("crds.keep=false")
        for crd in by_kind(docs, "CustomResourceDefinition"):
            self.assertNotIn("annotations", crd["metadata"])

    def test_replicas_leader_election_pdb_and_service_monitor(self):
        docs = render("replicaCount=3", "metrics.serviceMonitor.enabled=true",
                      "controller.extraArgs={--kube-api-qps=50}", "env[0].name=AWS_REGION",
                      "env[0].value=eu-west-1", "image.tag=1.2.3")
        dep, c = container(docs)
        self.assertEqual(dep["spec"]["replicas"], 3)
        self.assertIn("--leader-elect", c["args"])
        self.assertEqual(c["args"][-1], "--kube-api-qps=50")
        self.assertIn({"name": "AWS_REGION", "value": "eu-west-1"}, c["env"])
        self.assertEqual(c["image"], "ghcr.io/ecrhelm/ecrhelm:1.2.3")
        (pdb,) = by_kind(docs, "PodDisruptionBudget")
        self.assertEqual(pdb["spec"]["minAvailable"], 1)
        (sm,) = by_kind(docs, "ServiceMonitor")
        self.assertEqual(sm["spec"]["endpoints"][0]["port"], "metrics")
        _, c = container(render("leaderElection.enabled=false"))
        self.assertNotIn("--leader-elect", c["args"])
        self.assertEqual([d for d in render("leaderElection.enabled=false") if d["kind"] == "Role"], [])


class Kube:
    def __init__(self, testbed):
        env = dict(l.strip().split("=", 1) for l in open(os.path.join(testbed, "env")) if "=" in l)
        self.url = env["KUBE_APISERVER_URL"]
        self.kubeconfig = env["KUBECONFIG"]
        self.token = open(env["KUBE_ADMIN_TOKEN_FILE"]).read().strip()
        self.ctx = ssl.create_default_context(cafile=env["KUBE_CA_FILE"])

    def call(self, method, path, body=None, content_type="application/json", ok=(200, 201)):
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Content-Type", content_type)
        req.add_header("Accept", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return e.code, json.loads(e.read() or b"{}")
            raise AssertionError(f"{method} {path}: HTTP {e.code}: {e.read()[:500]!r}")

    def ensure_namespace(self, name):
        self.call("POST", "/api/v1/namespaces",
                  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                  ok=(201, 409))

    def delete_namespace(self, name):
        self.call("DELETE", f"/api/v1/namespaces/{name}", ok=(200, 202, 404))

    def allowed(self, sa_ns, sa, verb, group, resource, namespace="", subresource=""):
        attrs = {"verb": verb, "group": group, "resource": resource}
        if namespace:
            attrs["namespace"] = namespace
        if subresource:
            attrs["subresource"] = subresource
        _, out = self.call("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", {
            "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
            "spec": {"user": f"system:serviceaccount:{sa_ns}:{sa}",
                     "groups": ["system:serviceaccounts", f"system:serviceaccounts:{sa_ns}",
                                "system:authenticated"],
                     "resourceAttributes": attrs}})
        return out["status"].get("allowed", False)


@unittest.skipUnless(os.environ.get("ECRHELM_KUBE_TESTBED"), "no kube test bed (run through ctest)")
class ChartInstallTest(unittest.TestCase):
    def setUp(self):
        self.kube = Kube(os.environ["ECRHELM_KUBE_TESTBED"])
        self.suffix = secrets.token_hex(3)
        self.cleanup = []
        # The CRDs other tests also use: server-side applied as deploy/ has them,
        # and the chart's rendered ones accepted by a server-side dry run.
        for f in sorted(os.listdir(os.path.join(SRC, "deploy", "crds"))):
            crd = yaml.safe_load(open(os.path.join(SRC, "deploy", "crds", f)))
            self.kube.call("PATCH", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                           f"{crd['metadata']['name']}?fieldManager=ecrhelm-chart-test&force=true",
                           crd, content_type="application/apply-patch+yaml")
        for crd in by_kind(render(), "CustomResourceDefinition"):
            self.kube.call("PATCH", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                           f"{crd['metadata']['name']}?fieldManager=ecrhelm-chart-dry-run&force=true&dryRun=All",
                           crd, content_type="application/apply-patch+yaml")

    def tearDown(self):
        for fn in reversed(self.cleanup):
            try:
                fn()
            except Exception as e:  # best effort: the test bed is thrown away anyway
                print("cleanup:", e, file=sys.stderr)

    def install(self, release, ns, *sets):
        self.kube.ensure_namespace(ns)
        self.cleanup.append(lambda: self.kube.delete_namespace(ns))
        args = ["install", release, chart(), "--namespace", ns, "--kubeconfig", self.kube.kubeconfig,
                "--set", "crds.install=false",
                "--set", "serviceAccount.roleArn=arn:aws:iam::123456789012:role/ecrhelm"]
        for s in sets:
            args += ["--set", s]
        helm(*args)
        self.cleanup.append(lambda: helm("uninstall", release, "--namespace", ns,
                                         "--kubeconfig", self.kube.kubeconfig))
        _, dep = self.kube.call("GET", f"/apis/apps/v1/namespaces/{ns}/deployments/{release}")
        pod = dep["spec"]["template"]["spec"]
        sc = pod["containers"][0]["securityContext"]
        self.assertEqual(pod["securityContext"]["runAsNonRoot"], True)
        self.assertEqual(sc["readOnlyRootFilesystem"], True)
        self.assertEqual(sc["allowPrivilegeEscalation"], False)
        self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
        self.assertEqual(sc["seccompProfile"]["type"], "RuntimeDefault")
        _, sa = self.kube.call("GET", f"/api/v1/namespaces/{ns}/serviceaccounts/{release}")
        self.assertEqual(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
                         "arn:aws:iam::123456789012:role/ecrhelm")
        self.kube.call("GET", f"/api/v1/namespaces/{ns}/services/{release}-metrics")
        return release

    def test_all_namespaces(self):
        ns = f"chart-all-{self.suffix}"
        sa = self.install(f"ecrhelm-{self.suffix}", ns)
        a = lambda *x, **k: self.kube.allowed(ns, sa, *x, **k)
        for verb in ["get", "list", "watch"]:
            self.assertTrue(a(verb, "external-secrets.io", "externalsecrets", "anywhere"))
            self.assertTrue(a(verb, "", "secrets", "anywhere"))
            self.assertTrue(a(verb, "generators.external-secrets.io", "clustergenerators"))
        self.assertTrue(a("patch", "external-secrets.io", "externalsecrets", "anywhere", "status"))
        self.assertTrue(a("create", "", "serviceaccounts", "anywhere", "token"))
        self.assertTrue(a("update", "coordination.k8s.io", "leases", ns))
        self.assertFalse(a("update", "coordination.k8s.io", "leases", "anywhere"))
        self.assertFalse(a("delete", "", "secrets", "anywhere"))
        self.assertFalse(a("update", "external-secrets.io", "externalsecrets", "anywhere"))
        self.assertFalse(a("list", "", "configmaps", "anywhere"))

    def test_chosen_namespaces(self):
        ns = f"chart-ns-{self.suffix}"
        team_a, team_b = f"team-a-{self.suffix}", f"team-b-{self.suffix}"
        for t in (team_a, team_b):
            self.kube.ensure_namespace(t)
            self.cleanup.append(lambda t=t: self.kube.delete_namespace(t))
        sa = self.install(f"ecrhelm-{self.suffix}", ns, f"watchNamespaces={{{team_a},{team_b}}}")
        a = lambda *x, **k: self.kube.allowed(ns, sa, *x, **k)
        for t in (team_a, team_b):
            self.assertTrue(a("list", "", "secrets", t))
            self.assertTrue(a("patch", "", "secrets", t))
            self.assertTrue(a("watch", "external-secrets.io", "externalsecrets", t))
            self.assertTrue(a("get", "generators.external-secrets.io", "ecrauthorizationtokens", t))
        self.assertTrue(a("list", "generators.external-secrets.io", "clustergenerators"))
        for elsewhere in ("default", "kube-system"):
            self.assertFalse(a("list", "", "secrets", elsewhere))
            self.assertFalse(a("watch", "external-secrets.io", "externalsecrets", elsewhere))
        self.assertFalse(a("list", "", "secrets"))  # not cluster-wide


if __name__ == "__main__":
    SRC = sys.argv[1]
    # ECRHELM_HELM: another helm binary (the test bed's helm3 is the default).
    HELM = os.environ.get("ECRHELM_HELM") or subprocess.run([os.path.join(SRC, "scripts", "testbed", "build-peer.sh"), "helm3"],
                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    unittest.main(argv=[sys.argv[0], "-v"])
