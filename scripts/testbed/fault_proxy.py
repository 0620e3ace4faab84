#!/usr/bin/env python3
"""A fault-injecting proxy between ecrhelm and one test-bed peer (issue 18).

It listens on 127.0.0.1 only and forwards to one upstream (moto_server,
docker-registry, kube-apiserver). Faults follow a schedule given at start
(--schedule FILE or inline JSON) and replaced at run time through a control
port. Standard library only; it prints no header or body it forwards.

Modes:
  http  HTTP/1.1 aware (keep-alive, Content-Length and chunked bodies, long
        watch streams): faults can replace or rewrite responses. With
        --tls-cert/--tls-key it serves TLS, with --upstream-tls it speaks TLS
        upstream (verified with --upstream-ca): the kube-apiserver seen as HTTP.
  tcp   byte pass-through (TLS stays end to end); faults act per connection.

Schedule: {"rules": [RULE, ...]}; for each request (tcp: each connection) the
first rule that matches and whose count allows it is applied; a request no
rule takes is forwarded unchanged. RULE:
  name         label in /stats and /log (default rule-N)
  method       exact HTTP method            (http mode)
  path         regex searched in the request target, query included (http)
  target       AWS operation: X-Amz-Target's last part or the Action= of a
               query/form request (GetAuthorizationToken, AssumeRole...)
  after        skip the first N matching requests
  first        then apply to the next N only ("the first 3 requests")
  every        apply to every Nth match only ("every 2nd")
  for_seconds  apply only during S seconds from its first match ("for 20 s")
  fault        one of:
    pass             forward unchanged (with latency_ms: slower)
    latency          wait latency_ms (default 500), then forward
    drop             close the connection without an answer (FIN)
    reset            abort the connection (RST) without an answer
    status           answer `status` (default 503) with `body`; `retry_after`
    throttle         AWS throttling: service "ecr" (JSON ThrottlingException),
                     "sts" (XML Throttling) or "plain" (text); status default
                     400 for ecr/sts and 429 for plain; `retry_after` seconds
    redirect         answer `status` (default 302) with Location: `location`
                     (default: the request's own target, a redirect loop)
    truncate         the upstream's headers (its Content-Length kept), then
                     `bytes` of the body (default half), then close (FIN)
    reset_mid_body   the same, then RST
    stall            headers, `bytes` of the body (default 0), then silence
                     for `seconds` (default: up to the connection deadline),
                     then close
    ecr_expires_at   forward; in a GetAuthorizationToken answer set every
                     authorizationData[].expiresAt to now + `offset_seconds`
  tcp mode faults: pass, latency, drop, reset, and cut (RST after `bytes`
  bytes from the upstream) and stall (silence after `bytes` bytes).

Control port (plain HTTP on 127.0.0.1):
  GET  /stats     {"requests", "connections", "kinds": {kind: n},
                   "rules": {name: {"matched", "applied"}}}
  GET  /log       [{"t", "method", "path", "kind", "status", "rule",
                    "field_manager"}] for every write (not GET/HEAD); ?all=1
                   for every request
  POST /schedule  replace the rules (body: the schedule), counters of rules
                   start at 0
  POST /reset     counters, rule states and the log back to 0; rules kept
  GET  /healthz   ok

Bounds: at most --max-connections at once; every connection ends at
--connection-deadline seconds after it opened and after --idle-timeout seconds
without a byte; the process exits after --max-seconds and at once on SIGTERM
or SIGINT.

  fault_proxy.py --upstream 127.0.0.1:PORT --port-file FILE [--mode http|tcp]
                 [--schedule FILE|JSON]
"""
import argparse
import http.client
import http.server
import json
import os
import re
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
CHUNK = 64 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate",
              "proxy-authorization", "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
FAULTS_HTTP = {"pass", "latency", "drop", "reset", "status", "throttle", "redirect", "truncate",
               "reset_mid_body", "stall", "ecr_expires_at"}
FAULTS_TCP = {"pass", "latency", "drop", "reset", "cut", "stall"}


class ConnectionDone(Exception):
    """The connection is over (closed, reset, deadline): stop serving it."""


class Rule:
    def __init__(self, spec, index, mode):
        if not isinstance(spec, dict):
            raise ValueError("rule %d is not an object" % index)
        self.spec = spec
        self.name = str(spec.get("name") or "rule-%d" % index)
        self.fault = spec.get("fault", "pass")
        allowed = FAULTS_TCP if mode == "tcp" else FAULTS_HTTP
        if self.fault not in allowed:
            raise ValueError("rule %s: fault %r is not one of %s" % (self.name, self.fault,
                                                                   sorted(allowed)))
        self.method = spec.get("method")
        self.path = re.compile(spec["path"]) if spec.get("path") else None
        self.target = spec.get("target")
        for key in ("after", "first", "every"):
            v = spec.get(key)
            if v is not None and (not isinstance(v, int) or v < 0):
                raise ValueError("rule %s: %s must be a whole number" % (self.name, key))
        self.after = spec.get("after") or 0
        self.first = spec.get("first")
        self.every = spec.get("every")
        self.for_seconds = spec.get("for_seconds")
        self.reset()

    def reset(self):
        self.matched = 0
        self.applied = 0
        self.window_start = None

    def matches(self, method, path, target):
        if self.method and self.method != method:
            return False
        if self.path and not self.path.search(path):
            return False
        if self.target and self.target != target:
            return False
        return True

    def take(self, now):
        """Counts one matching request; True when the fault applies to it."""
        self.matched += 1
        k = self.matched - self.after
        if k <= 0:
            return False
        if self.first is not None and k > self.first:
            return False
        if self.every and k % self.every != 0:
            return False
        if self.for_seconds is not None:
            if self.window_start is None:
                self.window_start = now
            if now - self.window_start > float(self.for_seconds):
                return False
        self.applied += 1
        return True

    def get(self, key, default=None):
        return self.spec.get(key, default)


class State:
    def __init__(self, mode):
        self.mode = mode
        self.lock = threading.Lock()
        self.rules = []
        self.requests = 0
        self.connections = 0
        self.open_connections = 0
        self.kinds = {}
        self.log = []

    def set_schedule(self, doc):
        if isinstance(doc, list):
            doc = {"rules": doc}
        if not isinstance(doc, dict) or not isinstance(doc.get("rules", []), list):
            raise ValueError('a schedule is {"rules": [...]}')
        rules = [Rule(r, i, self.mode) for i, r in enumerate(doc.get("rules", []))]
        with self.lock:
            self.rules = rules

    def reset(self):
        with self.lock:
            for r in self.rules:
                r.reset()
            self.requests = 0
            self.connections = 0
            self.kinds = {}
            self.log = []

    def pick(self, method, path, target, kind):
        with self.lock:
            self.requests += 1
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
            now = time.monotonic()
            for r in self.rules:
                if r.matches(method, path, target) and r.take(now):
                    return r
        return None

    def record(self, entry, write):
        with self.lock:
            entry["write"] = write
            self.log.append(entry)
            if len(self.log) > 100000:
                del self.log[:10000]

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "connections": self.connections,
                    "open_connections": self.open_connections, "kinds": dict(self.kinds),
                    "rules": {r.name: {"matched": r.matched, "applied": r.applied}
                              for r in self.rules}}


def aws_target(headers, path, body):
    t = headers.get("x-amz-target", "")
    if t:
        return t.rsplit(".", 1)[-1]
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    if q.get("Action"):
        return q["Action"][0]
    ctype = headers.get("content-type", "")
    if body and "x-www-form-urlencoded" in ctype:
        form = urllib.parse.parse_qs(body[:65536].decode("utf-8", "replace"))
        if form.get("Action"):
            return form["Action"][0]
    return ""


def request_kind(method, path, target):
    """What the request is, for /stats: the AWS operation, the registry's or
    the API server's resource, or METHOD + first path part."""
    if target:
        return target
    p = urllib.parse.urlsplit(path).path
    m = re.match(r"^/v2/(.+)/(manifests|blobs|tags)/", p)
    if m:
        return "%s %s" % (method, m.group(2))
    if p in ("/v2", "/v2/"):
        return "%s v2" % method
    parts = [x for x in p.split("/") if x]
    if parts and parts[0] in ("api", "apis"):
        # /api/v1/namespaces/NS/secrets/NAME, /apis/G/V/namespaces/NS/R/NAME
        rest = parts[2:] if parts[0] == "api" else parts[3:]
        if len(rest) >= 3 and rest[0] == "namespaces":
            rest = rest[2:]
        if rest:
            watch = "watch" in urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
            return "%s %s%s" % (method, rest[0], " watch" if watch else "")
    return "%s /%s" % (method, parts[0] if parts else "")


def abort(sock):
    """Closes with RST instead of FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class Downstream:
    """One accepted client connection with its deadline."""

    def __init__(self, sock, deadline, idle):
        self.sock = sock
        self.deadline = deadline
        self.idle = idle
        self.buf = b""

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ConnectionDone()
        return left

    def recv(self):
        self.sock.settimeout(min(self.idle, self.left()))
        try:
            data = self.sock.recv(CHUNK)
        except (socket.timeout, OSError):
            raise ConnectionDone()
        if not data:
            raise ConnectionDone()
        return data

    def send(self, data):
        try:
            self.sock.settimeout(min(self.idle, self.left()))
            self.sock.sendall(data)
        except (socket.timeout, OSError):
            raise ConnectionDone()

    def read_until(self, marker, limit):
        while marker not in self.buf:
            if len(self.buf) > limit:
                raise ConnectionDone()
            self.buf += self.recv()
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def read_exact(self, n):
        while len(self.buf) < n:
            self.buf += self.recv()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_request(self):
        head = self.read_until(b"\r\n\r\n", MAX_HEADER_BYTES)
        lines = head.decode("iso-8859-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            raise ConnectionDone()
        method, target, version = parts
        headers = []
        for line in lines[1:]:
            if not line:
                continue
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
        lower = {k.lower(): v for k, v in headers}
        body = b""
        if lower.get("expect", "").lower() == "100-continue":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in lower.get("transfer-encoding", "").lower():
            while True:
                size_line = self.read_until(b"\r\n", 1024)
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.read_until(b"\r\n", MAX_HEADER_BYTES)  # trailers end
                    break
                if len(body) + size > MAX_BODY_BYTES:
                    raise ConnectionDone()
                body += self.read_exact(size)
                self.read_exact(2)
        elif lower.get("content-length"):
            n = int(lower["content-length"])
            if n > MAX_BODY_BYTES:
                raise ConnectionDone()
            body = self.read_exact(n)
        return method, target, version, headers, lower, body


def reason(status):
    return http.client.responses.get(status, "Status")


def head_bytes(status, headers):
    out = ["HTTP/1.1 %d %s" % (status, reason(status))]
    out += ["%s: %s" % (k, v) for k, v in headers]
    return ("\r\n".join(out) + "\r\n\r\n").encode("iso-8859-1")


def canned(rule, path):
    """(status, headers, body) for rules that answer without the upstream."""
    f = rule.fault
    extra = []
    if rule.get("retry_after") is not None:
        extra.append(("Retry-After", str(rule.get("retry_after"))))
    if f == "status":
        status = int(rule.get("status", 503))
        body = rule.get("body", "%d %s\n" % (status, reason(status))).encode()
        return status, [("Content-Type", "text/plain")] + extra, body
    if f == "throttle":
        service = rule.get("service", "ecr")
        if service == "ecr":
            status = int(rule.get("status", 400))
            body = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
            return status, [("Content-Type", "application/x-amz-json-1.1"),
                            ("x-amzn-ErrorType", "ThrottlingException"),
                            ("x-amzn-RequestId", "fault-proxy")] + extra, body.encode()
        if service == "sts":
            status = int(rule.get("status", 400))
            body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                    "<Error><Type>Sender</Type><Code>Throttling</Code>"
                    "<Message>Rate exceeded</Message></Error>"
                    "<RequestId>fault-proxy</RequestId></ErrorResponse>")
            return status, [("Content-Type", "text/xml")] + extra, body.encode()
        status = int(rule.get("status", 429))
        return status, [("Content-Type", "text/plain")] + extra, b"Too Many Requests\n"
    if f == "redirect":
        status = int(rule.get("status", 302))
        return status, [("Location", rule.get("location") or path)] + extra, b""
    raise AssertionError(f)


class Proxy:
    def __init__(self, args, state):
        self.args = args
        self.state = state
        host, _, port = args.upstream.rpartition(":")
        self.up_host, self.up_port = host or "127.0.0.1", int(port)
        self.slots = threading.BoundedSemaphore(args.max_connections)
        self.server_ctx = None
        if args.tls_cert:
            self.server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.server_ctx.load_cert_chain(args.tls_cert, args.tls_key)
        self.upstream_ctx = None
        if args.upstream_tls:
            self.upstream_ctx = ssl.create_default_context(cafile=args.upstream_ca)
            if args.upstream_client_cert:
                self.upstream_ctx.load_cert_chain(args.upstream_client_cert,
                                                  args.upstream_client_key)

    def serve(self, listener):
        while True:
            sock, _ = listener.accept()
            if not self.slots.acquire(blocking=False):
                abort(sock)
                continue
            with self.state.lock:
                self.state.connections += 1
                self.state.open_connections += 1
            threading.Thread(target=self.handle, args=(sock,), daemon=True).start()

    def handle(self, sock):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            deadline = time.monotonic() + self.args.connection_deadline
            if self.state.mode == "tcp":
                self.tcp(sock, deadline)
            else:
                if self.server_ctx:
                    sock.settimeout(self.args.idle_timeout)
                    sock = self.server_ctx.wrap_socket(sock, server_side=True)
                self.http(Downstream(sock, deadline, self.args.idle_timeout))
        except (ConnectionDone, OSError, ssl.SSLError, ValueError, http.client.HTTPException):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass
            with self.state.lock:
                self.state.open_connections -= 1
            self.slots.release()

    # --- tcp mode -----------------------------------------------------------
    def tcp(self, sock, deadline):
        rule = self.state.pick("", "", "", "connection")
        fault = rule.fault if rule else "pass"
        if fault == "latency" or (rule and rule.get("latency_ms")):
            time.sleep(float(rule.get("latency_ms", 500)) / 1000)
        if fault == "drop":
            return
        if fault == "reset":
            abort(sock)
            return
        up = socket.create_connection((self.up_host, self.up_port),
                                      timeout=min(10, self.args.idle_timeout))
        limit = int(rule.get("bytes", 0)) if fault in ("cut", "stall") else None
        done = threading.Event()

        def pump(src, dst, count_limit):
            sent = 0
            try:
                while not done.is_set():
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    src.settimeout(min(self.args.idle_timeout, left))
                    data = src.recv(CHUNK)
                    if not data:
                        break
                    if count_limit is not None and sent + len(data) > count_limit:
                        data = data[:count_limit - sent]
                        if data:
                            dst.sendall(data)
                        if fault == "cut":
                            # Wake the other pump (blocked reading the client)
                            # first: the RST leaves when the last user closes.
                            try:
                                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                                struct.pack("ii", 1, 0))
                                sock.shutdown(socket.SHUT_RD)
                            except OSError:
                                pass
                            done.set()
                            t.join(timeout=5)
                            abort(sock)
                        else:
                            while time.monotonic() < deadline and not done.is_set():
                                time.sleep(0.1)
                        break
                    dst.sendall(data)
                    sent += len(data)
            except (OSError, socket.timeout):
                pass
            finally:
                done.set()

        t = threading.Thread(target=pump, args=(sock, up, None), daemon=True)
        t.start()
        pump(up, sock, limit)
        done.set()
        for s in (up, sock):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        up.close()
        t.join(timeout=self.args.idle_timeout)

    # --- http mode ----------------------------------------------------------
    def upstream(self):
        timeout = min(self.args.idle_timeout, 120)
        if self.upstream_ctx:
            return http.client.HTTPSConnection(self.up_host, self.up_port, timeout=timeout,
                                               context=self.upstream_ctx)
        return http.client.HTTPConnection(self.up_host, self.up_port, timeout=timeout)

    def http(self, down):
        up = None
        try:
            while True:
                method, target, version, headers, lower, body = down.read_request()
                op = aws_target(lower, target, body)
                kind = request_kind(method, target, op)
                rule = self.state.pick(method, target, op, kind)
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
                entry = {"t": time.time(), "method": method,
                         "path": urllib.parse.urlsplit(target).path, "kind": kind,
                         "rule": rule.name if rule else None}
                if method in ("PATCH", "PUT") and q.get("fieldManager"):
                    entry["field_manager"] = q["fieldManager"][0]
                up_holder = [up]
                status = self.answer(down, up_holder, rule, method, target, headers, lower, body)
                up = up_holder[0]
                entry["status"] = status
                self.state.record(entry, method not in ("GET", "HEAD"))
                if lower.get("connection", "").lower() == "close" or version == "HTTP/1.0":
                    return
        finally:
            if up:
                up.close()

    def answer(self, down, up_holder, rule, method, target, headers, lower, body):
        """Serves one request; returns the status sent (0: none)."""
        fault = rule.fault if rule else "pass"
        if rule and (fault == "latency" or rule.get("latency_ms")):
            delay = float(rule.get("latency_ms", 500)) / 1000
            time.sleep(max(0.0, min(delay, down.left())))
        if fault == "drop":
            raise ConnectionDone()
        if fault == "reset":
            abort(down.sock)
            raise ConnectionDone()
        if fault in ("status", "throttle", "redirect"):
            status, hdrs, data = canned(rule, target)
            down.send(head_bytes(status, hdrs + [("Content-Length", str(len(data)))]) +
                      (b"" if method == "HEAD" else data))
            return status

        # Forward upstream (one persistent upstream connection per client one).
        fwd = [(k, v) for k, v in headers if k.lower() not in HOP_BY_HOP and
               k.lower() not in ("content-length", "expect")]
        if body or method in ("POST", "PUT", "PATCH"):
            fwd.append(("Content-Length", str(len(body))))
        resp = None
        for attempt in range(2):
            if up_holder[0] is None:
                up_holder[0] = self.upstream()
            conn = up_holder[0]
            try:
                conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
                for k, v in fwd:
                    conn.putheader(k, v)
                conn.endheaders(body if body else None)
                resp = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                conn.close()
                up_holder[0] = None
                if attempt == 1:
                    raise ConnectionDone()
        rh = [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP]
        no_body = method == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200

        if fault == "ecr_expires_at" and resp.status == 200 and not no_body:
            data = resp.read(MAX_BODY_BYTES)
            try:
                doc = json.loads(data)
                ad = doc.get("authorizationData")
                for a in ad if isinstance(ad, list) else [ad] if isinstance(ad, dict) else []:
                    a["expiresAt"] = time.time() + float(rule.get("offset_seconds", 0))
                data = json.dumps(doc).encode()
            except ValueError:
                pass
            rh = [(k, v) for k, v in rh if k.lower() != "content-length"]
            down.send(head_bytes(resp.status, rh + [("Content-Length", str(len(data)))]) + data)
            self.after_response(resp, up_holder)
            return resp.status

        if fault in ("truncate", "reset_mid_body", "stall") and not no_body:
            data = resp.read(MAX_BODY_BYTES)
            up_holder[0].close()
            up_holder[0] = None
            default = len(data) // 2 if fault != "stall" else 0
            n = min(int(rule.get("bytes", default)), len(data))
            rh = [(k, v) for k, v in rh if k.lower() != "content-length"]
            down.send(head_bytes(resp.status, rh + [("Content-Length", str(len(data)))]) +
                      data[:n])
            if fault == "reset_mid_body":
                abort(down.sock)
            elif fault == "stall":
                until = time.monotonic() + float(rule.get("seconds", 1e9))
                while time.monotonic() < until:
                    down.left()  # raises at the connection deadline
                    time.sleep(0.05)
            raise ConnectionDone()

        if no_body:
            down.send(head_bytes(resp.status, rh + ([("Content-Length", "0")]
                                                    if method != "HEAD" else [])))
            if method == "HEAD":
                resp.read()
            self.after_response(resp, up_holder)
            return resp.status
        if resp.length is not None:
            down.send(head_bytes(resp.status, rh))  # the upstream's Content-Length
            left = resp.length
            while left > 0:
                data = resp.read(min(CHUNK, left))
                if not data:
                    raise ConnectionDone()
                down.send(data)
                left -= len(data)
        else:
            # Chunked or until close upstream: chunked downstream, as it comes
            # (watch streams), each piece sent when read.
            down.send(head_bytes(resp.status, rh + [("Transfer-Encoding", "chunked")]))
            while True:
                down.left()
                data = resp.read1(CHUNK)
                if not data:
                    break
                down.send(b"%x\r\n%s\r\n" % (len(data), data))
            down.send(b"0\r\n\r\n")
        self.after_response(resp, up_holder)
        return resp.status

    @staticmethod
    def after_response(resp, up_holder):
        if resp.will_close and up_holder[0] is not None:
            up_holder[0].close()
            up_holder[0] = None


def control_server(state, port):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 30

        def log_message(self, *a):
            pass

        def reply(self, status, doc):
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            if u.path == "/stats":
                return self.reply(200, state.stats())
            if u.path == "/log":
                every = urllib.parse.parse_qs(u.query).get("all") == ["1"]
                with state.lock:
                    entries = [dict(e) for e in state.log if every or e["write"]]
                return self.reply(200, entries)
            if u.path == "/healthz":
                return self.reply(200, {"ok": True})
            return self.reply(404, {"error": "GET /stats, /log or /healthz"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(min(n, 1 << 20))
            if self.path == "/schedule":
                try:
                    state.set_schedule(json.loads(body or b"{}"))
                except (ValueError, re.error) as e:
                    return self.reply(400, {"error": str(e)})
                return self.reply(200, {"rules": len(state.rules)})
            if self.path == "/reset":
                state.reset()
                return self.reply(200, {"ok": True})
            return self.reply(404, {"error": "POST /schedule or /reset"})

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    return srv


def load_schedule(text):
    if not text:
        return {"rules": []}
    if text.lstrip().startswith(("{", "[")):
        return json.loads(text)
    with open(text) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the peer (loopback)")
    ap.add_argument("--mode", choices=("http", "tcp"), default="http")
    ap.add_argument("--port", type=int, default=0, help="proxy port (0: a free one)")
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--port-file", required=True,
                    help='written atomically: {"port": P, "control_port": C}')
    ap.add_argument("--schedule", default="", help="a schedule file, or its JSON inline")
    ap.add_argument("--tls-cert", help="serve TLS with this certificate (http mode)")
    ap.add_argument("--tls-key")
    ap.add_argument("--upstream-tls", action="store_true")
    ap.add_argument("--upstream-ca", help="CA file that verifies the upstream")
    ap.add_argument("--upstream-client-cert")
    ap.add_argument("--upstream-client-key")
    ap.add_argument("--max-connections", type=int, default=256)
    ap.add_argument("--connection-deadline", type=float, default=600.0)
    ap.add_argument("--idle-timeout", type=float, default=120.0)
    ap.add_argument("--max-seconds", type=float, default=3600.0)
    args = ap.parse_args()
    host = args.upstream.rpartition(":")[0]
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        ap.error("--upstream must be a loopback address, not %r" % host)

    state = State(args.mode)
    try:
        state.set_schedule(load_schedule(args.schedule))
    except (OSError, ValueError, re.error) as e:
        print("fault_proxy: bad --schedule: %s" % e, file=sys.stderr)
        return 2

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    timer = threading.Timer(args.max_seconds, lambda: os._exit(3))
    timer.daemon = True
    timer.start()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    listener.listen(128)
    control = control_server(state, args.control_port)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    ports = {"port": listener.getsockname()[1], "control_port": control.server_address[1]}
    with open(args.port_file + ".tmp", "w") as f:
        json.dump(ports, f)
    os.rename(args.port_file + ".tmp", args.port_file)
    print("fault_proxy: %s mode, 127.0.0.1:%d -> %s, control on %d" %
          (args.mode, ports["port"], args.upstream, ports["control_port"]), flush=True)
    Proxy(args, state).serve(listener)


if __name__ == "__main__":
    sys.exit(main())
