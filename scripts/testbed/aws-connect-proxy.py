#!/usr/bin/env python3
"""An HTTPS proxy (CONNECT only) that is AWS for a client with no endpoint
setting: ESO v0.16.2's ECR generator (aws-sdk-go v1) always calls
https://api.ecr.REGION.amazonaws.com. With HTTPS_PROXY pointing here and
AWS_CA_BUNDLE at the test CA, a CONNECT to api.ecr.*.amazonaws.com:443 or
sts[.*].amazonaws.com:443 is answered by this process itself: it terminates
TLS with a certificate for those names and relays the plain HTTP to moto_server.
Any other CONNECT gets 403, and nothing here ever connects anywhere but moto,
so no request leaves 127.0.0.1.

  aws-connect-proxy.py --port-file F --moto http://127.0.0.1:PORT --cert C --key K

Listens on 127.0.0.1 (a free port, written to --port-file). Logs one line per
tunnel (host and result, never a header or a body) to stderr.
"""
import argparse
import os
import re
import socket
import ssl
import sys
import threading
import urllib.parse

ALLOWED = re.compile(r"^(api\.ecr\.[a-z0-9-]+|sts|sts\.[a-z0-9-]+)\.amazonaws\.com:443$")
MAX_HEADER_BYTES = 16 * 1024
IDLE_TIMEOUT_SECONDS = 120


def log(msg):
    print(f"aws-connect-proxy: {msg}", file=sys.stderr, flush=True)


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > MAX_HEADER_BYTES:
            return None
    return data


def pump(src, dst):
    try:
        while True:
            chunk = src.recv(65536)
            if not chunk:
                break
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def handle(conn, tls, moto):
    conn.settimeout(IDLE_TIMEOUT_SECONDS)
    try:
        head = read_head(conn)
        if head is None:
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3 or parts[0] != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            log(f"refused {parts[0] if parts else '?'} (CONNECT only)")
            return
        target = parts[1]
        if not ALLOWED.match(target):
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            log(f"refused CONNECT {target}")
            return
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        inner = tls.wrap_socket(conn, server_side=True)
        upstream = socket.create_connection(moto, timeout=IDLE_TIMEOUT_SECONDS)
        log(f"tunnel {target} -> moto {moto[0]}:{moto[1]}")
        t = threading.Thread(target=pump, args=(upstream, inner), daemon=True)
        t.start()
        pump(inner, upstream)
        t.join(IDLE_TIMEOUT_SECONDS)
    except (OSError, ssl.SSLError) as e:
        log(f"connection error: {type(e).__name__}")
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--moto", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.moto)
    if u.scheme != "http" or u.hostname != "127.0.0.1" or not u.port:
        sys.exit("aws-connect-proxy: --moto must be http://127.0.0.1:PORT")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(args.cert, args.key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.replace(args.port_file + ".tmp", args.port_file)
    log(f"listening on 127.0.0.1:{srv.getsockname()[1]}")
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn, tls, ("127.0.0.1", u.port)), daemon=True).start()


if __name__ == "__main__":
    main()
