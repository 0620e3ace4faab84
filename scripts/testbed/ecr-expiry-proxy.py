#!/usr/bin/env python3
"""An HTTP proxy in front of moto_server that gives ECR tokens a real lifetime.

moto answers GetAuthorizationToken with expiresAt 2015-01-01 (already expired);
ECR's tokens live 12 hours. This proxy passes every request to moto and sets
expiresAt to now + --hours in GetAuthorizationToken answers, so tests, the demo
and the benchmarks see tokens that expire as ECR's do. It listens on 127.0.0.1
only, on a free port it writes to --port-file (atomically), and counts the calls
it forwarded by X-Amz-Target (or Action= for query APIs such as STS):

  GET /_proxy/stats   -> {"GetAuthorizationToken": 3, "AssumeRoleWithWebIdentity": 1, ...}

Standard library only. Prints no token, key or password.

  ecr-expiry-proxy.py --upstream-port MOTO_PORT --port-file FILE [--hours 12]
"""
import argparse
import http.client
import http.server
import json
import os
import threading
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream-port", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--hours", type=float, default=12.0)
    args = ap.parse_args()
    counts = {}
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def reply(self, status, headers, data):
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def action(self, body):
            target = self.headers.get("X-Amz-Target", "")
            if target:
                return target.rsplit(".", 1)[-1]
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            return (form.get("Action") or query.get("Action") or [""])[0]

        def do_any(self):
            if self.command == "GET" and self.path == "/_proxy/stats":
                with lock:
                    data = json.dumps(counts).encode()
                return self.reply(200, [("Content-Type", "application/json")], data)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            name = self.action(body)
            if name:
                with lock:
                    counts[name] = counts.get(name, 0) + 1
            c = http.client.HTTPConnection("127.0.0.1", args.upstream_port, timeout=60)
            # Host is passed on as sent: SigV4 signs it, and moto checks signatures.
            hdrs = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
            c.request(self.command, self.path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            if name == "GetAuthorizationToken" and r.status == 200:
                doc = json.loads(data)
                ad = doc.get("authorizationData")
                for a in ad if isinstance(ad, list) else [ad] if isinstance(ad, dict) else []:
                    a["expiresAt"] = time.time() + args.hours * 3600
                data = json.dumps(doc).encode()
            self.reply(r.status, r.getheaders(), data)
            c.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_any

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
