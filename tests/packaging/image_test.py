#!/usr/bin/env python3
"""The container image, built without a container engine.

scripts/make-image.sh assembles the image's OCI layout from the built binary
and skopeo pushes it to the test bed's registry (Debian's docker-registry on
127.0.0.1); the test reads back what the registry holds: the config says
User 65532 and Entrypoint ["ecrhelm"], the one layer holds no shell, and the
binary in it runs from the layer's own root filesystem (chroot: no library
from the host) as user 65532, printing the same --version as the build's.

usage: image_test.py SOURCE_DIR ECRHELM_BINARY
"""
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.request

SOURCE = None
BINARY = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Registry:
    def __init__(self, root):
        self.port = free_port()
        cfg = os.path.join(root, "config.yml")
        with open(cfg, "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                    f"    rootdirectory: {root}/data\nhttp:\n  addr: 127.0.0.1:{self.port}\n")
        self.log = open(os.path.join(root, "registry.log"), "w")
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        for _ in range(400):  # up to 20 s, until it answers
            try:
                urllib.request.urlopen(self.url("/v2/"), timeout=2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("docker-registry did not start")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path, accept=None):
        req = urllib.request.Request(self.url(path), headers={"Accept": accept} if accept else {})
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class ImageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.registry = Registry(cls.tmp.name)
        cls.layout = os.path.join(cls.tmp.name, "layout")
        cls.dest = f"127.0.0.1:{cls.registry.port}/ecrhelm"
        cls.make = subprocess.run(
            [os.path.join(SOURCE, "scripts", "make-image.sh"), "push", BINARY, cls.layout,
             cls.dest, "test"], capture_output=True, text=True, timeout=600)

    @classmethod
    def tearDownClass(cls):
        cls.registry.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.assertEqual(self.make.returncode, 0, self.make.stderr + self.make.stdout)

    def manifest(self):
        body = self.registry.get("/v2/ecrhelm/manifests/test",
                                 "application/vnd.oci.image.manifest.v1+json")
        return json.loads(body)

    def blob(self, digest):
        data = self.registry.get(f"/v2/ecrhelm/blobs/{digest}")
        self.assertEqual("sha256:" + hashlib.sha256(data).hexdigest(), digest)
        return data

    def layer(self):
        m = self.manifest()
        self.assertEqual(len(m["layers"]), 1, m)
        return tarfile.open(fileobj=io.BytesIO(self.blob(m["layers"][0]["digest"])), mode="r:gz")

    def test_pushed_config_runs_ecrhelm_as_65532(self):
        m = self.manifest()
        self.assertEqual(m["mediaType"], "application/vnd.oci.image.manifest.v1+json")
        config = json.loads(self.blob(m["config"]["digest"]))
        self.assertEqual(config["config"]["User"], "65532")
        self.assertEqual(config["config"]["Entrypoint"], ["ecrhelm"])
        self.assertNotIn("Cmd", config["config"])
        self.assertEqual(config["os"], "linux")
        # The layer's uncompressed digest is the config's diff_id.
        raw = self.blob(m["layers"][0]["digest"])
        import gzip
        self.assertEqual(config["rootfs"]["diff_ids"],
                         ["sha256:" + hashlib.sha256(gzip.decompress(raw)).hexdigest()])

    def test_layer_has_the_binary_and_ca_bundle_and_no_shell(self):
        names = {m.name.lstrip("./"): m for m in self.layer().getmembers()}
        self.assertIn("usr/bin/ecrhelm", names)
        self.assertTrue(names["usr/bin/ecrhelm"].mode & 0o111)
        self.assertIn("etc/ssl/certs/ca-certificates.crt", names)
        self.assertEqual(names["usr/bin/docker-credential-ecrhelm"].linkname, "ecrhelm")
        shells = [n for n in names if os.path.basename(n) in
                  ("sh", "bash", "dash", "busybox", "ash", "zsh")]
        self.assertEqual(shells, [], "a shell in the image")
        self.assertEqual(names["home/nonroot"].uid, 65532)
        self.assertTrue(all(m.uid in (0, 65532) and m.mtime == 0 for m in names.values()))

    def test_the_layers_binary_runs_from_its_own_root_filesystem(self):
        want = subprocess.run([BINARY, "--version"], capture_output=True, text=True).stdout
        root = os.path.join(self.tmp.name, "rootfs")
        os.makedirs(root, exist_ok=True)
        self.layer().extractall(root)
        with open(BINARY, "rb") as f:
            # A sanitizer build reads its options and maps from /proc, which
            # the image does not have: only an uninstrumented binary can run
            # chrooted (the gcc build's run of this test).
            sanitized = b"AddressSanitizer" in f.read()
        if os.geteuid() == 0 and not sanitized:
            # chroot: only the layer's files exist, so a library missing from it fails here.
            def enter_image():
                os.chroot(root)
                os.chdir("/")
                os.setgroups([])
                os.setgid(65532)
                os.setuid(65532)
            env = {"PATH": "/usr/bin"}
            r = subprocess.run(["/usr/bin/ecrhelm", "--version"], capture_output=True, text=True,
                               timeout=60, env=env, preexec_fn=enter_image)
            v = subprocess.run(["/usr/bin/ecrhelm", "version", "-o", "json"], capture_output=True,
                               text=True, timeout=60, env=env, preexec_fn=enter_image)
            self.assertEqual(v.returncode, 0, v.stderr)
            self.assertIn("libcurl", json.loads(v.stdout)["libraries"])
        else:
            print(f"not chrooted ({'sanitizer build' if sanitized else 'not root'}): "
                  "the layer's binary runs with the host's /proc", file=sys.stderr)
            r = subprocess.run([os.path.join(root, "usr/bin/ecrhelm"), "--version"],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, want)

    def test_the_layout_is_reproducible(self):
        again = os.path.join(self.tmp.name, "again")
        r = subprocess.run([os.path.join(SOURCE, "scripts", "make-image.sh"), "layout", BINARY,
                            again, "test"], capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.layout, "index.json")) as a, \
                open(os.path.join(again, "index.json")) as b:
            self.assertEqual(json.load(a), json.load(b))

    def test_bad_input_is_one_line_and_nonzero(self):
        r = subprocess.run([os.path.join(SOURCE, "scripts", "make-image.sh"), "layout",
                            "/nonexistent/ecrhelm", os.path.join(self.tmp.name, "x")],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("/nonexistent/ecrhelm", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp.name, "x")))


if __name__ == "__main__":
    SOURCE, BINARY = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
